/*
 * Integration harness: the real libpam (pam_start_confdir on a private
 * service directory, as Linux-PAM's own tst-pam_faillock-retval.c does),
 * real servers on private sockets that the tests start and stop, syslog
 * captured on /dev/log.
 *
 * A test writes the stack it uses with it_stack() right before its PAM
 * calls, and states what it expects as a table: it_case rows (one
 * operation in a fresh handle each) or it_step rows (several operations
 * in one handle).  Every row asserts the exact PAM code; a failing row is
 * printed with its user, operation, and what came back.
 */
#ifndef IT_HARNESS_H
#define IT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <security/pam_appl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#define IT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define IT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the private directory, the module, files ---- */

void it_init(void);
void it_cleanup(void);          /* stops every server still running */
const char *it_dir(void);       /* private 0755 directory */
const char *it_confdir(void);   /* it_dir()/pam.d, for pam_start_confdir */
const char *it_module(void);    /* absolute path of pam_unified.so */
const char *it_build(void);     /* $PU_BUILD or "build" */
const char *it_python(void);
/* it_dir()/name, from a small ring of buffers (valid for a few calls) */
const char *it_path(const char *name);
void it_write_file(const char *path, mode_t mode, const char *text);

/* Writes the stack of service into the private confdir, printf-style;
 * in the formatted text "{module}" becomes the module's path and "{dir}"
 * it_dir().  Written just before the PAM calls that use it:
 * pam_start_confdir reads it at each pam_start. */
void it_stack(const char *service, const char *fmt, ...) IT_PRINTF(2, 3);

/* ---- the conversation ---- */

#define IT_MAX_ANSWERS 8

struct it_conv {
	const char *answers[IT_MAX_ANSWERS + 1]; /* NULL-terminated */
	int next;
	int prompts;          /* echo-off/on prompts seen */
	char out[4096];       /* info and error messages: "I:..\n", "E:..\n" */
	/* called before answering prompt number n (0-based), if set */
	void (*on_prompt)(int n, void *arg);
	void *arg;
};

/* A conversation answering the prompts with the arguments, in order:
 * struct it_conv c = IT_CONV("old", "new", "new"); */
#define IT_CONV(...) ((struct it_conv){ .answers = { __VA_ARGS__ } })

int it_conv_fn(int num_msg, const struct pam_message **msg,
	       struct pam_response **resp, void *appdata);

/* ---- PAM calls ---- */

enum it_op {
	IT_AUTHENTICATE,
	IT_SETCRED,
	IT_ACCT_MGMT,
	IT_OPEN_SESSION,
	IT_CLOSE_SESSION,
	IT_CHAUTHTOK,
};

const char *it_op_name(enum it_op op);
const char *it_code_name(int code);   /* "PAM_AUTH_ERR" */

/* The longest delay a failed transaction asked libpam for since the last
 * call (the harness's PAM_FAIL_DELAY function does not sleep it). */
unsigned int it_fail_delay_take(void);

/* pam_start_confdir on the private directory (aborts if it fails);
 * conv may be NULL (no answers) and must outlive the handle. */
pam_handle_t *it_begin(const char *svc, const char *user, struct it_conv *conv);
int it_call(pam_handle_t *ph, enum it_op op, int flags);
void it_end(pam_handle_t *ph, int last_status);

/* One operation in a fresh handle; returns the PAM code. */
int it_op(const char *svc, const char *user, enum it_op op, int flags,
	  struct it_conv *conv);

/* One operation in a fresh handle per row. */
struct it_case {
	const char *user;
	enum it_op op;
	const char *answers[3];   /* the prompts' answers, in order */
	int code;                 /* the exact PAM code */
	const char *out;          /* NULL: not checked; else exactly the
				     conversation's messages ("" = none) */
	int flags;
	int prompts;              /* IT_PROMPTS(n): exactly n prompts;
				     0: not checked */
	const char *svc;          /* NULL: the service it_assert_cases got */
};
#define IT_PROMPTS(n) ((n) + 1)

/* Runs every row against svc; prints each row that differs, then fails. */
#define it_assert_cases(svc, cases) \
	it_assert_cases_at((svc), (cases), IT_NELEM(cases), __FILE__, __LINE__)
void it_assert_cases_at(const char *svc, const struct it_case *cases,
			size_t n, const char *file, int line);

/* Several operations in one handle, in order. */
struct it_step {
	enum it_op op;
	int code;
	int flags;
};

#define it_assert_steps(svc, user, conv, steps) \
	it_assert_steps_at((svc), (user), (conv), (steps), IT_NELEM(steps), \
			   __FILE__, __LINE__)
void it_assert_steps_at(const char *svc, const char *user,
			struct it_conv *conv, const struct it_step *steps,
			size_t n, const char *file, int line);

/* Asserts one code; on a mismatch prints the formatted row name. */
#define it_assert_code(got, want, ...) \
	it_assert_code_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)
void it_assert_code_at(int got, int want, const char *file, int line,
		       const char *fmt, ...) IT_PRINTF(5, 6);

/* chauthtok as passwd(1) runs it: a child with the real uid of nobody and
 * effective uid root; answers old, new, new.  Returns the PAM code. */
int it_chauthtok_as_user(const char *svc, const char *user, const char *old,
			 const char *newpw);

/* ---- servers ---- */

/* fork+exec argv in the foreground, output to it_dir()/servers.log;
 * waits until sock exists (when not NULL).  uid != 0 runs the child as
 * that uid/gid.  Every server is remembered: one started by a test is
 * stopped by it_test_teardown, one started by a group setup by
 * it_cleanup, whatever the test's outcome (and PR_SET_PDEATHSIG kills it
 * should the test itself die). */
pid_t it_spawn(char *const argv[], const char *sock, uid_t uid);
/* SIGTERM, then SIGKILL after 2 s; reaped and forgotten.  A pid the
 * harness did not start, or stopped already, is left alone. */
void it_stop(pid_t pid);
/* SIGKILL at once (a crash); reaped and forgotten */
void it_kill(pid_t pid);

/* per-test setup/teardown: a clean log; the test's servers stopped, and
 * the group's servers checked (one that died fails the test that saw it) */
int it_test_setup(void **state);
int it_test_teardown(void **state);
/* IT_FILTER=PATTERN runs only the tests whose names match (cmocka's
 * filter: '*' and '?'); called by main before the group runs */
void it_filter_tests(void);
#define IT_TEST(f) cmocka_unit_test_setup_teardown(f, it_test_setup, \
						    it_test_teardown)

/* redis-server on a private unix socket (no TCP, no persistence), with
 * extra arguments (NULL-terminated) */
pid_t it_redis_start(const char *sock, ...) __attribute__((sentinel));

/* redis-cli ARGS..., argv form (hashes hold '$'): its output without
 * trailing newlines (a static buffer), or NULL when it exits non-zero */
const char *it_redis_cli(const char *first, ...) __attribute__((sentinel));

/* INFO stats total_connections_received of the server on sock, which
 * counts the INFO's own connection: between two calls with nothing else
 * connecting, it grows by 1 */
long it_redis_connections(const char *sock);

/* The store's own key (pu_users_key): PREFIX KIND:{USER}, from a small
 * ring of buffers.  it_key uses the module's default prefix=. */
const char *it_key_prefix(const char *prefix, const char *kind,
			  const char *user);
const char *it_key(const char *kind, const char *user);

/* ---- syslog capture ---- */

void it_log_clear(void);
bool it_log_has(const char *needle);
/* like it_log_has, without printing the log when absent */
bool it_log_has_quiet(const char *needle);
const char *it_log_text(void);

/* ---- processes ---- */

/* fork+exec, wait; returns the exit status (-1 if it did not exit).
 * out (may be NULL) receives up to size-1 bytes of its stdout. */
int it_run(char *const argv[], const char *input, char *out, size_t size);
/* it_run, and err (when not NULL) receives up to errsize-1 bytes of its
 * stderr */
int it_run_io(char *const argv[], const char *input, char *out, size_t size,
	      char *err, size_t errsize);

double it_now(void);
int it_count_lines(const char *path);
/* a string with control characters escaped, for messages (ring buffer) */
const char *it_show(const char *s);

#endif
