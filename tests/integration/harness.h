/* Integration harness: real libpam through pam_wrapper + libpamtest,
 * real servers on private sockets, syslog captured on a private socket. */
#ifndef IT_HARNESS_H
#define IT_HARNESS_H

#include <libpamtest.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define IT_MAX_ANSWERS 8

struct it_conv {
	const char *answers[IT_MAX_ANSWERS + 1]; /* NULL-terminated */
	int next;
	int prompts;          /* echo-off/on prompts seen */
	char out[4096];       /* info and error messages, one per line */
	/* called before answering prompt number n (0-based), if set */
	void (*on_prompt)(int n, void *arg);
	void *arg;
};

void it_init(void);
void it_cleanup(void);
const char *it_dir(void);     /* private 0700 directory */
const char *it_module(void);  /* absolute path of pam_unified.so */
const char *it_python(void);
/* it_dir()/name, from a small ring of buffers (valid for a few calls) */
const char *it_path(const char *name);
void it_write_file(const char *path, mode_t mode, const char *text);

/* Writes a service file; "%M" in text is replaced by the module path. */
void it_service(const char *name, const char *text);

/* All four groups on the same module line ("%M" + args). */
void it_service_all(const char *name, const char *args);

/* A conversation answering the first prompt with a. */
struct it_conv it_conv1(const char *a);

/* fork+exec argv; waits until sock exists (when not NULL). uid != 0 runs
 * the child as that uid/gid. */
pid_t it_spawn(char *const argv[], const char *sock, uid_t uid);
void it_stop(pid_t pid);

/* One operation in a fresh transaction; returns the PAM code. */
int it_op(const char *svc, const char *user, enum pamtest_ops op, int flags,
	  struct it_conv *conv);
/* Several operations in one transaction; fills op_rv of each case. */
void it_ops(const char *svc, const char *user, struct pam_testcase *cases,
	    size_t n, struct it_conv *conv);

/* The longest delay a failed transaction asked for since the last
 * call (the harness's PAM_FAIL_DELAY function does not sleep it). */
unsigned int it_fail_delay_take(void);

/* pam_start, or pam_start_confdir in sanitizer builds */
int it_start(const char *svc, const char *user, struct pam_conv *pc,
	     pam_handle_t **ph);

int it_conv_fn(int num_msg, const struct pam_message **msg,
	       struct pam_response **resp, void *appdata);

/* chauthtok as passwd(1) runs it: a child with the real uid of nobody and
 * effective uid root; answers old, new, new.  Returns the PAM code. */
int it_chauthtok_as_user(const char *svc, const char *user, const char *old,
			 const char *newpw);

/* syslog capture */
void it_log_clear(void);
bool it_log_has(const char *needle);
/* like it_log_has, without printing the log when absent */
bool it_log_has_quiet(const char *needle);
const char *it_log_text(void);

/* fork+exec, wait; returns the exit status (-1 if it did not exit).
 * out (may be NULL) receives up to size-1 bytes of its stdout. */
int it_run(char *const argv[], const char *input, char *out, size_t size);

double it_now(void);
int it_count_lines(const char *path);

#endif
