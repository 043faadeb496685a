/*
 * Socket backend through the real libpam: every group of both protocols
 * against the reference server, and every fault against misbehaving
 * servers, each asserting the exact PAM code.  Each test writes the stack
 * it uses; {dir}/ref.sock is the reference server the group starts.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534

static char ref_sock[PATH_MAX], ref_log[PATH_MAX], users_file[PATH_MAX];

static pid_t start_ref(const char *sock, uid_t uid)
{
	char *argv[] = { (char *)it_python(), "contrib/pam_unified_server.py",
			 "--socket", (char *)sock, "--users", users_file,
			 "--log", ref_log, NULL };

	return it_spawn(argv, sock, uid);
}

static pid_t start_fault(const char *sock, const char *mode)
{
	char *argv[] = { (char *)it_python(), "tests/fault/fault_server.py",
			 "--socket", (char *)sock, "--mode", (char *)mode, NULL };

	return it_spawn(argv, sock, 0);
}

static int group_setup(void **state)
{
	(void)state;
	it_init();
	snprintf(users_file, sizeof(users_file), "%s", it_path("users"));
	it_write_file(users_file, 0644,
		   "# test users\n"
		   "alice plain:wonderland\n"
		   "bob plain:builder12 disabled\n"
		   "carol plain:carolpass expired\n"
		   "dave plain:davepass must_change\n"
		   "erin plain:erinpass warn=3\n"
		   "frank plain:frankpass1\n"
		   "gina plain:ginapass1\n"
		   "nina plain:\n");
	snprintf(ref_sock, sizeof(ref_sock), "%s", it_path("ref.sock"));
	snprintf(ref_log, sizeof(ref_log), "%s", it_path("requests.log"));
	start_ref(ref_sock, 0); /* stopped by it_cleanup */
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_cleanup();
	return 0;
}

/* ---- redirector protocol ---- */

static void redirector_auth(void **state)
{
	/* pam_redirector's drop-in form: a bare socket path */
	static const struct it_case cases[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS,
		  .prompts = IT_PROMPTS(1) },
		{ "alice", IT_AUTHENTICATE, { "wrong" }, PAM_AUTH_ERR },
		/* the redirector wire cannot say "unknown user" */
		{ "nosuchuser", IT_AUTHENTICATE, { "whatever" }, PAM_AUTH_ERR },
		{ "alice", IT_SETCRED, { 0 }, PAM_SUCCESS },
	};

	(void)state;
	it_stack("redir", "auth required {module} {dir}/ref.sock\n");
	it_assert_cases("redir", cases);
	assert_true(it_log_has("user=\"alice\""));
}

static void redirector_stubs(void **state)
{
	/* acct_mgmt and sessions are PAM_IGNORE stubs: the stack passes
	 * only if the module line said PAM_IGNORE; the same construction
	 * does not pass what is not */
	static const struct it_case ignored[] = {
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS },
		{ "alice", IT_OPEN_SESSION, { 0 }, PAM_SUCCESS },
		{ "alice", IT_CLOSE_SESSION, { 0 }, PAM_SUCCESS },
		{ "alice", IT_AUTHENTICATE, { "wrong" }, PAM_AUTH_ERR },
	};
	/* chauthtok is PAM_SERVICE_ERR, asks nothing, logs at LOG_ERR */
	static const struct it_case error[] = {
		{ "alice", IT_CHAUTHTOK, { "x", "x", "x" }, PAM_SERVICE_ERR,
		  .prompts = IT_PROMPTS(0) },
	};

	(void)state;
	it_stack("redir-ignore",
		 "auth    [ignore=1 default=die] {module} {dir}/ref.sock\n"
		 "auth    required pam_deny.so\n"
		 "auth    required pam_permit.so\n"
		 "account [ignore=1 default=die] {module} {dir}/ref.sock\n"
		 "account required pam_deny.so\n"
		 "account required pam_permit.so\n"
		 "session [ignore=1 default=die] {module} {dir}/ref.sock\n"
		 "session required pam_deny.so\n"
		 "session required pam_permit.so\n");
	it_assert_cases("redir-ignore", ignored);

	it_stack("redir-password", "password required {module} {dir}/ref.sock\n");
	it_assert_cases("redir-password", error);
	assert_true(it_log_has("does not implement chauthtok"));
}

static void redirector_unsupported_option(void **state)
{
	static const struct it_case ignore[] = {
		{ "alice", IT_CHAUTHTOK, { "x", "x", "x" }, PAM_SUCCESS },
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS },
		{ "alice", IT_OPEN_SESSION, { 0 }, PAM_SUCCESS },
	};
	static const struct it_case error[] = {
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_SERVICE_ERR },
		{ "alice", IT_OPEN_SESSION, { 0 }, PAM_SERVICE_ERR },
		{ "alice", IT_CLOSE_SESSION, { 0 }, PAM_SERVICE_ERR },
		/* what the backend implements is not affected */
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
	};

	(void)state;
	/* unsupported=ignore: every stub is PAM_IGNORE, chauthtok too */
	it_stack("redir-unsup-ignore",
		 "password [ignore=1 default=die] {module} {dir}/ref.sock unsupported=ignore\n"
		 "password required pam_deny.so\n"
		 "password required pam_permit.so\n"
		 "account  [ignore=1 default=die] {module} {dir}/ref.sock unsupported=ignore\n"
		 "account  required pam_deny.so\n"
		 "account  required pam_permit.so\n"
		 "session  [ignore=1 default=die] {module} {dir}/ref.sock unsupported=ignore\n"
		 "session  required pam_deny.so\n"
		 "session  required pam_permit.so\n");
	it_assert_cases("redir-unsup-ignore", ignore);
	/* unsupported=error: every stub is PAM_SERVICE_ERR */
	it_stack("redir-unsup-error",
		 "auth    required {module} {dir}/ref.sock unsupported=error\n"
		 "account required {module} {dir}/ref.sock unsupported=error\n"
		 "session required {module} {dir}/ref.sock unsupported=error\n");
	it_assert_cases("redir-unsup-error", error);
}

/* ---- v1 protocol ---- */

static void v1_authenticate(void **state)
{
	static const struct it_case cases[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS, "",
		  .prompts = IT_PROMPTS(1) },
		/* the server's message reaches the user */
		{ "alice", IT_AUTHENTICATE, { "nope" }, PAM_AUTH_ERR,
		  "E:Authentication failed\n" },
		{ "nosuchuser", IT_AUTHENTICATE, { "nope" }, PAM_USER_UNKNOWN },
		/* disabled */
		{ "bob", IT_AUTHENTICATE, { "builder12" }, PAM_AUTH_ERR,
		  "E:Account disabled\n" },
		/* PAM_SILENT suppresses the message */
		{ "alice", IT_AUTHENTICATE, { "nope" }, PAM_AUTH_ERR, "",
		  PAM_SILENT },
	};
	static const struct it_case quiet[] = {
		{ "alice", IT_AUTHENTICATE, { "nope" }, PAM_AUTH_ERR, "" },
	};

	(void)state;
	it_stack("v1", "auth required {module} backend=socket protocol=v1 "
		       "socket={dir}/ref.sock\n");
	it_assert_cases("v1", cases);
	/* so does quiet */
	it_stack("v1-quiet", "auth required {module} backend=socket protocol=v1 "
			     "socket={dir}/ref.sock quiet\n");
	it_assert_cases("v1-quiet", quiet);
}

static void v1_setcred_account(void **state)
{
	static const struct it_case cases[] = {
		{ "alice", IT_SETCRED, { 0 }, PAM_SUCCESS },
		{ "nosuchuser", IT_SETCRED, { 0 }, PAM_USER_UNKNOWN },
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS, "" },
		{ "bob", IT_ACCT_MGMT, { 0 }, PAM_PERM_DENIED },
		{ "carol", IT_ACCT_MGMT, { 0 }, PAM_ACCT_EXPIRED },
		{ "dave", IT_ACCT_MGMT, { 0 }, PAM_NEW_AUTHTOK_REQD },
		{ "nosuchuser", IT_ACCT_MGMT, { 0 }, PAM_USER_UNKNOWN },
		{ "erin", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS,
		  "I:Your password expires in 3 days\n" },
	};
	static const struct it_case quiet[] = {
		{ "erin", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS, "" },
	};

	(void)state;
	it_stack("v1",
		 "auth    required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "account required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	it_assert_cases("v1", cases);
	it_stack("v1-quiet",
		 "account required {module} backend=socket protocol=v1 socket={dir}/ref.sock quiet\n");
	it_assert_cases("v1-quiet", quiet);
}

static void v1_full_transaction(void **state)
{
	static const struct it_step login[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_SETCRED, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_SUCCESS },
		{ IT_OPEN_SESSION, PAM_SUCCESS },
		{ IT_CLOSE_SESSION, PAM_SUCCESS },
	};
	static const struct it_case unknown[] = {
		{ "nosuchuser", IT_OPEN_SESSION, { 0 }, PAM_SESSION_ERR },
		{ "nosuchuser", IT_CLOSE_SESSION, { 0 }, PAM_SESSION_ERR },
	};
	struct it_conv c = IT_CONV("wonderland");

	(void)state;
	it_stack("v1",
		 "auth    required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "account required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "session required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	it_assert_steps("v1", "alice", &c, login);
	it_assert_cases("v1", unknown);
}

/* PAM items reach the server; the password never reaches its log */
static void v1_items_sent(void **state)
{
	struct it_conv c = IT_CONV("wonderland");
	pam_handle_t *ph;
	FILE *fp;
	char line[2048];
	bool seen = false;

	(void)state;
	it_stack("v1-items",
		 "auth    required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "session required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	ph = it_begin("v1-items", "alice", &c);
	assert_int_equal(pam_set_item(ph, PAM_RHOST, "client.example"), PAM_SUCCESS);
	assert_int_equal(pam_set_item(ph, PAM_RUSER, "remoteuser"), PAM_SUCCESS);
	assert_int_equal(pam_set_item(ph, PAM_TTY, "pts/7"), PAM_SUCCESS);
	it_assert_code(it_call(ph, IT_AUTHENTICATE, 0), PAM_SUCCESS, "authenticate");
	it_assert_code(it_call(ph, IT_OPEN_SESSION, 0), PAM_SUCCESS, "open_session");
	it_end(ph, PAM_SUCCESS);

	fp = fopen(ref_log, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_null(strstr(line, "wonderland"));
		if (strstr(line, "\"op\": \"open_session\"") &&
		    strstr(line, "\"rhost\": \"client.example\"") &&
		    strstr(line, "\"ruser\": \"remoteuser\"") &&
		    strstr(line, "\"tty\": \"pts/7\"") &&
		    strstr(line, "\"service\": \"v1-items\""))
			seen = true;
	}
	fclose(fp);
	assert_true(seen);
	/* the summary line is there, the password is not */
	assert_true(it_log_has("op=authenticate user=\"alice\" "
			       "rhost=\"client.example\" backend=socket result=ok"));
	assert_false(it_log_has_quiet("wonderland"));
}

static void v1_chauthtok_root(void **state)
{
	static const struct it_case cases[] = {
		/* root: no current-password prompt, the new one twice */
		{ "frank", IT_CHAUTHTOK, { "frankNEW12", "frankNEW12" }, PAM_SUCCESS,
		  "I:Password changed\n", .prompts = IT_PROMPTS(2) },
		{ "frank", IT_AUTHENTICATE, { "frankNEW12" }, PAM_SUCCESS },
		{ "frank", IT_AUTHENTICATE, { "frankpass1" }, PAM_AUTH_ERR },
		/* refused by the server: too short */
		{ "frank", IT_CHAUTHTOK, { "abc", "abc" }, PAM_AUTHTOK_ERR,
		  "E:Password shorter than 8 characters\n" },
		/* a mismatched retype: the update phase never reaches the server */
		{ "frank", IT_CHAUTHTOK, { "first-try1", "second-try" },
		  PAM_AUTHTOK_ERR, "E:Sorry, passwords do not match.\n" },
		/* the server knows no such user at the first phase: no prompt */
		{ "nosuchuser", IT_CHAUTHTOK, { "whatever12", "whatever12" },
		  PAM_USER_UNKNOWN, "", .prompts = IT_PROMPTS(0) },
	};
	/* requests per row: prelim + update, one each authenticate, prelim
	 * + update, the mismatch's prelim, the unknown user's prelim */
	const int requests = 2 + 1 + 1 + 2 + 1 + 1;
	int before;

	(void)state;
	it_stack("v1",
		 "auth     required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "password required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	before = it_count_lines(ref_log);
	it_assert_cases("v1", cases);
	assert_int_equal(it_count_lines(ref_log) - before, requests);
}

static void v1_chauthtok_user(void **state)
{
	static const struct {
		const char *old, *newpw;
		int code;
	} changes[] = {
		{ "wrongold", "ginaNEW123", PAM_AUTHTOK_ERR },
		{ "ginapass1", "ginapass1", PAM_AUTHTOK_ERR }, /* must differ */
		{ "ginapass1", "ginaNEW123", PAM_SUCCESS },
	};
	static const struct it_case after[] = {
		{ "gina", IT_AUTHENTICATE, { "ginaNEW123" }, PAM_SUCCESS },
		{ "gina", IT_AUTHENTICATE, { "ginapass1" }, PAM_AUTH_ERR },
	};

	(void)state;
	it_stack("v1",
		 "auth     required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "password required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	for (size_t i = 0; i < IT_NELEM(changes); i++)
		it_assert_code(it_chauthtok_as_user("v1", "gina", changes[i].old,
						    changes[i].newpw),
			       changes[i].code, "row %zu: gina %s -> %s", i,
			       changes[i].old, changes[i].newpw);
	it_assert_cases("v1", after);
}

static void v1_password_options(void **state)
{
	static const struct {
		const char *svc, *password;
		int code, prompts;
		int requests; /* what reached the server */
	} cases[] = {
		/* use_first_pass with nothing stacked: refused, no prompt */
		{ "v1-ufp", "wonderland", PAM_AUTH_ERR, 0, 0 },
		/* an empty password: refused without asking the server... */
		{ "v1", "", PAM_AUTH_ERR, 1, 0 },
		/* ...unless nullok, then the server decides */
		{ "v1-nullok", "", PAM_AUTH_ERR, 1, 1 },
	};

	(void)state;
	it_stack("v1", "auth required {module} backend=socket protocol=v1 "
		       "socket={dir}/ref.sock\n");
	it_stack("v1-ufp", "auth required {module} backend=socket protocol=v1 "
			   "socket={dir}/ref.sock use_first_pass\n");
	it_stack("v1-nullok", "auth required {module} backend=socket protocol=v1 "
			      "socket={dir}/ref.sock nullok\n");
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV(cases[i].password);
		int before = it_count_lines(ref_log);

		it_assert_code(it_op(cases[i].svc, "alice", IT_AUTHENTICATE, 0, &c),
			       cases[i].code, "row %zu: %s", i, cases[i].svc);
		assert_int_equal(c.prompts, cases[i].prompts);
		assert_int_equal(it_count_lines(ref_log) - before,
				 cases[i].requests);
	}
}

/* Issue 10, finding 9: with nullok, an empty password goes to the
 * server (which accepts nina's), but never when the application passes
 * PAM_DISALLOW_NULL_AUTHTOK: refused before anything is sent, in both
 * protocols. */
static void disallow_null_authtok(void **state)
{
	static const struct {
		const char *svc;
		int flags, code;
		int requests; /* what reached the server */
	} cases[] = {
		{ "v1-nullok", 0, PAM_SUCCESS, 1 },
		{ "v1-nullok", PAM_DISALLOW_NULL_AUTHTOK, PAM_AUTH_ERR, 0 },
		{ "redir-nullok", 0, PAM_SUCCESS, 1 },
		{ "redir-nullok", PAM_DISALLOW_NULL_AUTHTOK, PAM_AUTH_ERR, 0 },
	};

	(void)state;
	it_stack("v1-nullok", "auth required {module} backend=socket protocol=v1 "
			      "socket={dir}/ref.sock nullok\n");
	it_stack("redir-nullok", "auth required {module} backend=socket "
				 "protocol=redirector socket={dir}/ref.sock "
				 "nullok\n");
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV("");
		int before = it_count_lines(ref_log);

		it_assert_code(it_op(cases[i].svc, "nina", IT_AUTHENTICATE,
				     cases[i].flags, &c),
			       cases[i].code, "row %zu: %s, flags 0x%x", i,
			       cases[i].svc, (unsigned)cases[i].flags);
		assert_int_equal(it_count_lines(ref_log) - before,
				 cases[i].requests);
	}
}

/* debug adds detail to syslog, never a password (right or wrong) */
static void debug_never_logs_passwords(void **state)
{
	static const struct it_case v1[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
		{ "alice", IT_AUTHENTICATE, { "Wr0ngSecret!" }, PAM_AUTH_ERR },
		{ "alice", IT_CHAUTHTOK, { "NewSecret77", "NewSecret77" }, PAM_SUCCESS },
		{ "alice", IT_CHAUTHTOK, { "wonderland", "wonderland" }, PAM_SUCCESS },
	};
	static const struct it_case redir[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
		{ "alice", IT_AUTHENTICATE, { "Wr0ngSecret!" }, PAM_AUTH_ERR },
	};

	(void)state;
	it_stack("v1-debug",
		 "auth     required {module} backend=socket protocol=v1 socket={dir}/ref.sock debug\n"
		 "password required {module} backend=socket protocol=v1 socket={dir}/ref.sock debug\n");
	it_stack("redir-debug", "auth required {module} {dir}/ref.sock debug\n");
	it_assert_cases("v1-debug", v1);
	it_assert_cases("redir-debug", redir);
	assert_true(it_log_has("op=authenticate"));
	assert_true(it_log_has("protocol=redirector op=authenticate"));
	assert_false(it_log_has_quiet("wonderland"));
	assert_false(it_log_has_quiet("Wr0ngSecret"));
	assert_false(it_log_has_quiet("NewSecret77"));
}

/* separate handles in separate threads: no shared mutable state */
static void *thread_logins(void *arg)
{
	long id = (long)arg;
	long bad = 0;

	for (int i = 0; i < 10; i++) {
		bool right = ((i + id) % 2) == 0;
		struct it_conv c = IT_CONV(right ? "wonderland" : "nope");
		pam_handle_t *ph = it_begin("v1-threads", "alice", &c);
		int rv = it_call(ph, IT_AUTHENTICATE, 0);

		if (rv != (right ? PAM_SUCCESS : PAM_AUTH_ERR))
			bad++;
		if (right && (rv = it_call(ph, IT_ACCT_MGMT, 0)) != PAM_SUCCESS)
			bad++;
		it_end(ph, rv);
	}
	return (void *)bad;
}

static void threads_separate_handles(void **state)
{
	pthread_t th[4];

	(void)state;
	it_stack("v1-threads",
		 "auth    required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "account required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_logins,
						(void *)i), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((long)bad, 0);
	}
}

/* a user name or password with CR, LF (or NUL) never reaches the server */
static void crlf_refused(void **state)
{
	static const struct it_case v1[] = {
		{ "ali\nce", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN },
		{ "ali\rce", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN },
		{ "ali\nce", IT_ACCT_MGMT, { 0 }, PAM_USER_UNKNOWN },
		{ "ali\rce", IT_ACCT_MGMT, { 0 }, PAM_USER_UNKNOWN },
		{ "alice", IT_AUTHENTICATE, { "wonder\nland" }, PAM_AUTH_ERR },
	};
	static const struct it_case redir[] = {
		{ "ali\nce", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN },
		{ "ali\rce", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN },
		{ "alice", IT_AUTHENTICATE, { "wonder\rland" }, PAM_AUTH_ERR },
	};
	/* NUL cannot cross PAM's C-string API: what arrives is the prefix,
	 * a wrong password the server is asked about */
	static const struct it_case nul[] = {
		{ "alice", IT_AUTHENTICATE, { "wonder\0land" }, PAM_AUTH_ERR },
	};
	int before = it_count_lines(ref_log);

	(void)state;
	it_stack("v1",
		 "auth    required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n"
		 "account required {module} backend=socket protocol=v1 socket={dir}/ref.sock\n");
	it_stack("redir", "auth required {module} {dir}/ref.sock\n");
	it_assert_cases("v1", v1);
	it_assert_cases("redir", redir);
	assert_int_equal(it_count_lines(ref_log), before);
	it_assert_cases("v1", nul);
	assert_int_equal(it_count_lines(ref_log), before + 1);
}

/* ---- faults: every group fails closed, with its own code ---- */

static const struct {
	enum it_op op;
	int code;
} unavailable[] = {
	{ IT_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL },
	{ IT_SETCRED, PAM_CRED_UNAVAIL },
	{ IT_ACCT_MGMT, PAM_AUTHINFO_UNAVAIL },
	{ IT_OPEN_SESSION, PAM_SESSION_ERR },
	{ IT_CLOSE_SESSION, PAM_SESSION_ERR },
	{ IT_CHAUTHTOK, PAM_AUTHTOK_ERR },
};

/* the stack "fault": v1 on sock, every group; and "fault-r": the
 * redirector wire on sock (authenticate, its only real group) */
static void fault_stacks(const char *sock, const char *extra)
{
	it_stack("fault",
		 "auth     required {module} backend=socket protocol=v1 socket=%1$s %2$s\n"
		 "account  required {module} backend=socket protocol=v1 socket=%1$s %2$s\n"
		 "password required {module} backend=socket protocol=v1 socket=%1$s %2$s\n"
		 "session  required {module} backend=socket protocol=v1 socket=%1$s %2$s\n",
		 sock, extra);
	it_stack("fault-r", "auth required {module} %s %s\n", extra, sock);
}

/* every (group, code) row against "fault", authenticate against
 * "fault-r"; prints each row that differs */
static void assert_unavailable(const char *fault)
{
	int bad = 0, rv;

	for (size_t i = 0; i < IT_NELEM(unavailable); i++) {
		struct it_conv c = IT_CONV("wonderland", "wonderland", "wonderland");

		rv = it_op("fault", "alice", unavailable[i].op, 0, &c);
		if (rv != unavailable[i].code) {
			print_error("fault %s, v1, %s: got %s, want %s\n", fault,
				    it_op_name(unavailable[i].op), it_code_name(rv),
				    it_code_name(unavailable[i].code));
			bad++;
		}
	}
	{
		struct it_conv c = IT_CONV("wonderland");

		rv = it_op("fault-r", "alice", IT_AUTHENTICATE, 0, &c);
		if (rv != PAM_AUTHINFO_UNAVAIL) {
			print_error("fault %s, redirector, authenticate: got %s, "
				    "want PAM_AUTHINFO_UNAVAIL\n", fault,
				    it_code_name(rv));
			bad++;
		}
	}
	if (bad > 0)
		fail_msg("fault %s: %d rows failed", fault, bad);
}

static void fault_no_server(void **state)
{
	(void)state;
	fault_stacks(it_path("absent.sock"), "");
	assert_unavailable("no server");
	assert_true(it_log_has("No such file or directory"));
}

static void fault_refused(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	(void)state;
	/* a socket file nobody listens on: ECONNREFUSED */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", it_path("dead.sock"));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	fault_stacks(sa.sun_path, "");
	assert_unavailable("refused");
	assert_true(it_log_has("Connection refused"));
}

/* a server that never answers costs exactly the timeout */
static void fault_hung(void **state)
{
	static const struct {
		const char *mode, *svc;
	} cases[] = {
		{ "hang", "fault" },       /* reads the request, never answers */
		{ "hang", "fault-r" },
		{ "noaccept", "fault" },   /* never accepts */
	};
	double slack = getenv("PU_UNDER_VALGRIND") ? 3.0 : 0.5;

	(void)state;
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		const char *sock = it_path(cases[i].mode);
		pid_t p = start_fault(sock, cases[i].mode);
		struct it_conv c = IT_CONV("wonderland");
		double t0, dt;

		fault_stacks(sock, "timeout=500");
		it_log_clear();
		t0 = it_now();
		it_assert_code(it_op(cases[i].svc, "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTHINFO_UNAVAIL, "%s %s", cases[i].mode,
			       cases[i].svc);
		dt = it_now() - t0;
		fprintf(stderr, "    %s %s: returned after %.3f s (timeout 0.5 s)\n",
			cases[i].mode, cases[i].svc, dt);
		assert_true(dt >= 0.49);
		assert_true(dt < 0.5 + slack);
		assert_true(it_log_has("timed out"));
		it_stop(p);
	}
}

/* garbage, nothing, too much, half a reply: never success */
static void fault_bad_replies(void **state)
{
	static const char *const modes[] = { "garbage", "empty", "oversized",
					     "truncated" };

	(void)state;
	for (size_t i = 0; i < IT_NELEM(modes); i++) {
		const char *sock = it_path(modes[i]);
		pid_t p = start_fault(sock, modes[i]);

		fault_stacks(sock, "");
		assert_unavailable(modes[i]);
		it_stop(p);
	}
}

/* ---- trust: the socket, its directory, the peer ---- */

static void trust_socket_owner(void **state)
{
	const char *sock = it_path("owner.sock");

	(void)state;
	start_ref(sock, 0);
	assert_int_equal(chown(sock, 12345, 12345), 0);
	it_stack("t-owner", "auth required {module} backend=socket protocol=v1 "
			    "socket={dir}/owner.sock\n");
	/* peer_uid names the owner the administrator trusts */
	it_stack("t-owner-ok", "auth required {module} backend=socket protocol=v1 "
			       "socket={dir}/owner.sock peer_uid=12345\n");
	{
		struct it_conv c = IT_CONV("wonderland");

		it_assert_code(it_op("t-owner", "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTHINFO_UNAVAIL, "socket owned by uid 12345");
		assert_true(it_log_has("owned by uid 12345"));
	}
	{
		struct it_conv c = IT_CONV("wonderland");

		it_assert_code(it_op("t-owner-ok", "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_SUCCESS, "peer_uid=12345");
	}
}

static void trust_directory(void **state)
{
	static const struct {
		mode_t mode;
		int code;
		const char *log;
	} modes[] = {
		{ 0755, PAM_SUCCESS, NULL },
		{ 0750, PAM_SUCCESS, NULL },
		{ 0777, PAM_AUTHINFO_UNAVAIL, "writable by group or others" },
		{ 0775, PAM_AUTHINFO_UNAVAIL, "writable by group or others" },
		{ 0757, PAM_AUTHINFO_UNAVAIL, "writable by group or others" },
	};
	const char *dir = it_path("ww");
	char sock[PATH_MAX];
	pid_t p;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	p = start_ref(sock, 0);
	it_stack("t-dir", "auth required {module} backend=socket protocol=v1 "
			  "socket={dir}/ww/s.sock\n");
	for (size_t i = 0; i < IT_NELEM(modes); i++) {
		struct it_conv c = IT_CONV("wonderland");

		assert_int_equal(chmod(dir, modes[i].mode), 0);
		it_log_clear();
		it_assert_code(it_op("t-dir", "alice", IT_AUTHENTICATE, 0, &c),
			       modes[i].code, "directory mode %04o",
			       (unsigned)modes[i].mode);
		if (modes[i].log != NULL)
			assert_true(it_log_has(modes[i].log));
	}
	/* a regular file where the socket should be */
	assert_int_equal(chmod(dir, 0755), 0);
	it_stop(p);
	it_write_file(sock, 0600, "not a socket\n");
	{
		struct it_conv c = IT_CONV("wonderland");

		it_assert_code(it_op("t-dir", "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTHINFO_UNAVAIL, "a regular file");
	}
}

static void trust_peer_uid(void **state)
{
	const char *dir = it_path("nobody");
	char sock[PATH_MAX];

	(void)state;
	/* a server running as nobody, behind a root-owned path: only
	 * SO_PEERCRED can tell */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	assert_int_equal(chmod(ref_log, 0666), 0);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	start_ref(sock, NOBODY);
	assert_int_equal(chown(sock, 0, 0), 0);
	assert_int_equal(chown(dir, 0, 0), 0);
	it_stack("t-peer", "auth required {module} backend=socket protocol=v1 "
			   "socket={dir}/nobody/s.sock\n");
	it_stack("t-peer-ok", "auth required {module} backend=socket protocol=v1 "
			      "socket={dir}/nobody/s.sock peer_uid=65534\n");
	{
		struct it_conv c = IT_CONV("wonderland");

		it_assert_code(it_op("t-peer", "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTHINFO_UNAVAIL, "server runs as nobody");
		assert_true(it_log_has("untrusted peer"));
	}
	{
		struct it_conv c = IT_CONV("wonderland");

		it_assert_code(it_op("t-peer-ok", "alice", IT_AUTHENTICATE, 0, &c),
			       PAM_SUCCESS, "peer_uid=65534");
	}
	chmod(ref_log, 0644);
}

/* ---- options and config ---- */

/* a typo in a policy fails closed, in every group, asking nothing */
static void options_bad(void **state)
{
	static const struct {
		const char *args;
		const char *log;
	} cases[] = {
		{ "backend=socket socket={dir}/ref.sock bogus=1",
		  "result=config-error reason=\"argument bogus: unknown option "
		  "\\\"bogus\\\"\"" },
		{ "backend=socket socket={dir}/ref.sock timeout=abc",
		  "result=config-error reason=\"argument timeout: timeout=abc: "
		  "expected an integer in 1..600000\"" },
		{ "debug",
		  "result=config-error reason=\"no backend= configured\"" },
		{ "backend=socket socket=relative.sock",
		  "result=config-error reason=\"argument socket: "
		  "socket=relative.sock: not an absolute path\"" },
		{ "{dir}/ref.sock config={dir}/missing.conf",
		  "missing.conf: No such file or directory\"" },
	};
	static const struct it_case refused[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SERVICE_ERR,
		  .prompts = IT_PROMPTS(0) },
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_SERVICE_ERR },
		{ "alice", IT_OPEN_SESSION, { 0 }, PAM_SERVICE_ERR },
		{ "alice", IT_CHAUTHTOK, { "wonderland", "wonderland" },
		  PAM_SERVICE_ERR, .prompts = IT_PROMPTS(0) },
	};

	(void)state;
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		it_stack("options",
			 "auth     required {module} %1$s\n"
			 "account  required {module} %1$s\n"
			 "password required {module} %1$s\n"
			 "session  required {module} %1$s\n", cases[i].args);
		it_log_clear();
		print_message("    options: %s\n", cases[i].args);
		it_assert_cases("options", refused);
		assert_true(it_log_has(cases[i].log));
	}
}

static void config_file(void **state)
{
	static const struct {
		const char *svc, *user;
		int code;
		const char *out, *log;
	} cases[] = {
		{ "c-good", "erin", PAM_SUCCESS,
		  "I:Your password expires in 3 days\n", NULL },
		/* services.c-quiet applies only to that service */
		{ "c-quiet", "erin", PAM_SUCCESS, "", NULL },
		/* argv overrides the file: redirector makes acct_mgmt a stub */
		{ "c-argv-wins", "erin", PAM_SUCCESS, "", NULL },
		{ "c-bad", "alice", PAM_SERVICE_ERR, "", "bad.conf:2" },
		{ "c-loose", "alice", PAM_SERVICE_ERR, "",
		  "not group/other-writable" },
	};
	char text[2048];

	(void)state;
	snprintf(text, sizeof(text),
		 "# pam_unified test config\n"
		 "backend = \"socket\";\n"
		 "socket = \"%s\";\n"
		 "protocol = \"v1\";\n"
		 "timeout = 1500;\n"
		 "services: {\n"
		 "  c-quiet: { quiet = true; };\n"
		 "};\n", ref_sock);
	it_write_file(it_path("good.conf"), 0644, text);
	it_write_file(it_path("loose.conf"), 0666, text);
	it_write_file(it_path("bad.conf"), 0644,
		      "backend = \"socket\";\nprotocol = v1;\ntimeout = ;\n");
	it_stack("c-good", "account required {module} config={dir}/good.conf\n");
	it_stack("c-quiet", "account required {module} config={dir}/good.conf\n");
	it_stack("c-argv-wins",
		 "account [ignore=1 default=die] {module} config={dir}/good.conf "
		 "protocol=redirector\n"
		 "account required pam_deny.so\n"
		 "account required pam_permit.so\n");
	it_stack("c-bad", "account required {module} config={dir}/bad.conf\n");
	it_stack("c-loose", "account required {module} config={dir}/loose.conf\n");
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV(NULL);

		it_log_clear();
		it_assert_code(it_op(cases[i].svc, cases[i].user, IT_ACCT_MGMT, 0,
				     &c), cases[i].code, "%s", cases[i].svc);
		assert_string_equal(c.out, cases[i].out);
		if (cases[i].log != NULL)
			assert_true(it_log_has(cases[i].log));
	}
}

/* A file with a syntax error, asked for by every handle of a long-running
 * host: it is parsed once per file version, so libconfig 1.5's 64 bytes
 * lost per failed parse (issue 10, finding 18) are lost once, not per
 * login.  Counted with mallinfo2 (zero under ASan and valgrind, whose
 * allocators answer for themselves: there their leak checks count). */
static void broken_config_parsed_once(void **state)
{
	enum { N = 300 };
	size_t before, after;

	(void)state;
	/* a string token where a setting should be: the one bison discards */
	it_write_file(it_path("leaky.conf"), 0644,
		      "backend = \"socket\";\n\"a string token\";\n");
	it_stack("c-leaky", "account required {module} config={dir}/leaky.conf\n");
	/* the first call parses (and loses its 64 bytes) */
	it_assert_code(it_op("c-leaky", "alice", IT_ACCT_MGMT, 0, NULL),
		       PAM_SERVICE_ERR, "first call");
	before = mallinfo2().uordblks;
	for (int i = 0; i < N; i++)
		it_assert_code(it_op("c-leaky", "alice", IT_ACCT_MGMT, 0, NULL),
			       PAM_SERVICE_ERR, "call %d", i);
	after = mallinfo2().uordblks;
	if (after > before + N * 64 / 4)
		fail_msg("%d logins with a broken config kept %zu bytes more "
			 "(a parse per login loses 64 bytes each)", N,
			 after - before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(redirector_auth),
		IT_TEST(redirector_stubs),
		IT_TEST(redirector_unsupported_option),
		IT_TEST(v1_authenticate),
		IT_TEST(v1_setcred_account),
		IT_TEST(v1_full_transaction),
		IT_TEST(v1_items_sent),
		IT_TEST(v1_chauthtok_root),
		IT_TEST(v1_chauthtok_user),
		IT_TEST(v1_password_options),
		IT_TEST(disallow_null_authtok),
		IT_TEST(debug_never_logs_passwords),
		IT_TEST(threads_separate_handles),
		IT_TEST(crlf_refused),
		IT_TEST(fault_no_server),
		IT_TEST(fault_refused),
		IT_TEST(fault_hung),
		IT_TEST(fault_bad_replies),
		IT_TEST(trust_socket_owner),
		IT_TEST(trust_directory),
		IT_TEST(trust_peer_uid),
		IT_TEST(options_bad),
		IT_TEST(config_file),
		IT_TEST(broken_config_parsed_once),
	};

	signal(SIGPIPE, SIG_IGN);
	it_filter_tests();
	return cmocka_run_group_tests_name("socket backend (libpam)", tests,
					   group_setup, group_teardown);
}
