/*
 * The hostile-peer suite: pam_unified against a lying Redis and a lying
 * socket server (tests/hostile/hostile_{redis,socket}.py), and the lockout
 * race against a real redis-server.
 *
 * Every PAM call runs in a child (fork, then exec of this binary with
 * --child: the parent can be run under valgrind without slowing the
 * module down), with timeout=500 on the module line.  The parent times
 * each call, reads the child's peak RSS from wait4(), and checks the PAM
 * code: never PAM_SUCCESS where a peer lied, and the code SPEC section 5
 * gives for the group.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define H_TIMEOUT_MS 500                    /* timeout= on every module line */
#define H_CALL_LIMIT_MS (H_TIMEOUT_MS + 500) /* one PAM call, wall time */
#define H_KILL_MS (H_TIMEOUT_MS + 1000)     /* a call still running is killed */
#define H_RSS_LIMIT_KIB (64L * 1024)        /* the child's peak RSS */

/* the password the good record's hash is of, and the one chauthtok sets */
#define H_KNOWN_PW "hostile-known-pw"
#define H_NEW_PW "N3w-hostile-pw!"
#define H_USER "victim"

enum h_op { H_NONE = 0, H_AUTH, H_ACCT, H_OPEN, H_CLOSE, H_CHAUTHTOK };

struct h_step {
	enum h_op op;
	int want;   /* the PAM code SPEC gives */
	int alt;    /* another code that is as right, or -1 */
};

#define H_MAX_STEPS 3

/* flags of a case */
#define H_CONTROL 1u /* a control: a well-formed peer, success may be right */
#define H_MSGS 2u    /* the peer's message must reach the user, cleaned */

struct h_case {
	const char *server;   /* "redis" or "socket" */
	const char *mode;     /* the server's mode (--list) */
	const char *profile;  /* the module line (hostile.c's profiles) */
	unsigned flags;
	struct h_step steps[H_MAX_STEPS];
};

extern const struct h_case h_cases[];
extern const size_t h_ncases;

/* ---- the harness (hostile_harness.c) ---- */

struct h_env {
	char dir[256];        /* private 0755 directory */
	char svc_dir[300];    /* pam.d of the driver's services */
	char module[4096];
	char self[4096];      /* this binary, for --child */
	char scripts[4096];   /* tests/hostile */
	bool verbose;
};

double h_now(void);
void h_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
const char *h_code_name(int rc);      /* "AUTHINFO_UNAVAIL" */
const char *h_op_name(enum h_op op);  /* "auth" */
enum h_op h_op_parse(const char *s);
/* dir/name in a small ring of buffers */
const char *h_path(const struct h_env *e, const char *name);
void h_write_file(const char *path, mode_t mode, const char *text);

/* fork+exec argv (stdout to /dev/null unless keep_stdout); the server
 * dies with the driver (PR_SET_PDEATHSIG) */
pid_t h_spawn(char *const argv[], bool keep_stdout);
void h_stop(pid_t pid);
/* marks this process's environment: every process started afterwards
 * inherits it */
void h_set_mark(void);
/* processes other than this one carrying the mark: killed, counted */
int h_leftovers(void);

/* syslog capture: every datagram sent to /dev/log since the last clear.
 * h_log_start moves this process into a private mount namespace. */
void h_log_start(const struct h_env *e);
void h_log_stop(void);
void h_log_drain(void);
void h_log_clear(void);
const char *h_log_text(void);
int h_log_fd(void);
int h_log_count(const char *needle);
/* the module's summary lines (op=... result=...), indented */
void h_print_summaries(const char *indent);

/* an event from a child, one write each (< PIPE_BUF: atomic) */
struct h_event {
	char tag;        /* 'R' ready, 'B' call begins, 'E' call ended, 'M' messages */
	int who;         /* the child's number (race) */
	int step;
	int rc;
	int nmsg, nbad;  /* messages to the user; those with control characters */
	char bad[200];   /* the first bad one, escaped */
	char seen[200];  /* the last one, escaped */
};

/* argv for a child: --child SVC_DIR SERVICE USER PW NEWPW EVFD WAITFD WHO OPS... */
int h_child_main(int argc, char **argv);

/* starts a child running ops of service; waitfd (or -1) is read to EOF
 * before the first call (a barrier); evfd gets the events */
pid_t h_start_child(const struct h_env *e, const char *service,
		    const char *user, const char *pw, int evfd, int waitfd,
		    int who, const char *ops);

/* the lockout race: runs, prints, returns the number of failed runs */
int h_race(const struct h_env *e, int runs, int *passed);

#endif
