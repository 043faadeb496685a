/*
 * Socket backend through the real libpam (pam_wrapper + libpamtest):
 * every group of both protocols against the reference server, and every
 * fault against misbehaving servers, each asserting the exact PAM code.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define NOBODY 65534

static char ref_sock[PATH_MAX], ref_log[PATH_MAX], users_file[PATH_MAX];
static pid_t ref_pid;

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

/* group lines whose result is PAM_SUCCESS only if the module said CODE */
static void service_expect(const char *name, const char *code,
			   const char *args)
{
	char text[4096];
	size_t used = 0;
	static const char *const groups[] = { "auth", "account", "password",
					      "session" };

	for (int g = 0; g < 4; g++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
			"%s [%s=1 default=die] %%M %s\n%s required pam_deny.so\n"
			"%s required pam_permit.so\n",
			groups[g], code, args, groups[g], groups[g]);
	it_service(name, text);
}

/* pam_wrapper copies the service directory when it starts: every
 * service the tests use is written before the first PAM call */
static void define_services(void)
{
	static const char *const modes[] = { "garbage", "empty", "oversized",
					     "truncated" };
	char args[2048], name[64];

	snprintf(args, sizeof(args), "backend=socket protocol=v1 socket=%s",
		 it_path("absent.sock"));
	it_service_all("f-absent", args);
	snprintf(args, sizeof(args), "%s", it_path("absent.sock"));
	it_service_all("f-absent-r", args);
	snprintf(args, sizeof(args), "backend=socket protocol=v1 socket=%s",
		 it_path("dead.sock"));
	it_service_all("f-refused", args);
	snprintf(args, sizeof(args),
		 "backend=socket protocol=v1 timeout=500 socket=%s",
		 it_path("hang.sock"));
	it_service_all("f-hang", args);
	snprintf(args, sizeof(args), "timeout=500 %s", it_path("hang.sock"));
	it_service_all("f-hang-r", args);
	snprintf(args, sizeof(args),
		 "backend=socket protocol=v1 timeout=500 socket=%s",
		 it_path("noaccept.sock"));
	it_service_all("f-noaccept", args);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char sock[64];

		snprintf(sock, sizeof(sock), "%s.sock", modes[i]);
		snprintf(args, sizeof(args),
			 "backend=socket protocol=v1 socket=%s", it_path(sock));
		snprintf(name, sizeof(name), "f-%s", modes[i]);
		it_service_all(name, args);
		snprintf(args, sizeof(args), "%s", it_path(sock));
		snprintf(name, sizeof(name), "f-%s-r", modes[i]);
		it_service_all(name, args);
	}
	snprintf(args, sizeof(args), "backend=socket protocol=v1 socket=%s",
		 it_path("owner.sock"));
	it_service_all("t-owner", args);
	snprintf(args, sizeof(args),
		 "backend=socket protocol=v1 peer_uid=12345 socket=%s",
		 it_path("owner.sock"));
	it_service_all("t-owner-ok", args);
	snprintf(args, sizeof(args), "backend=socket protocol=v1 socket=%s",
		 it_path("ww/s.sock"));
	it_service_all("t-dir", args);
	snprintf(args, sizeof(args), "backend=socket protocol=v1 socket=%s",
		 it_path("nobody/s.sock"));
	it_service_all("t-peer", args);
	snprintf(args, sizeof(args),
		 "backend=socket protocol=v1 peer_uid=65534 socket=%s",
		 it_path("nobody/s.sock"));
	it_service_all("t-peer-ok", args);

	snprintf(args, sizeof(args), "backend=socket socket=%s bogus=1", ref_sock);
	it_service_all("o-unknown", args);
	snprintf(args, sizeof(args), "backend=socket socket=%s timeout=abc",
		 ref_sock);
	it_service_all("o-malformed", args);
	it_service_all("o-nobackend", "debug");
	it_service_all("o-relative", "backend=socket socket=relative.sock");
	snprintf(args, sizeof(args), "%s config=%s", ref_sock,
		 it_path("missing.conf"));
	it_service_all("o-missing-conf", args);

	snprintf(args, sizeof(args), "config=%s", it_path("good.conf"));
	it_service_all("c-good", args);
	it_service_all("c-quiet", args);
	snprintf(args, sizeof(args), "config=%s protocol=redirector",
		 it_path("good.conf"));
	service_expect("c-argv-wins", "ignore", args);
	snprintf(args, sizeof(args), "config=%s", it_path("bad.conf"));
	it_service_all("c-bad", args);
	snprintf(args, sizeof(args), "config=%s", it_path("loose.conf"));
	it_service_all("c-loose", args);
}

static int group_setup(void **state)
{
	char args[1024];

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
		   "gina plain:ginapass1\n");
	snprintf(ref_sock, sizeof(ref_sock), "%s", it_path("ref.sock"));
	snprintf(ref_log, sizeof(ref_log), "%s", it_path("requests.log"));
	ref_pid = start_ref(ref_sock, 0);

	/* pam_redirector drop-in: a bare socket path */
	snprintf(args, sizeof(args), "%s", ref_sock);
	it_service_all("redir", args);
	service_expect("redir-ignore", "ignore", args);
	snprintf(args, sizeof(args), "%s unsupported=ignore", ref_sock);
	service_expect("redir-unsup-ignore", "ignore", args);
	snprintf(args, sizeof(args), "%s unsupported=error", ref_sock);
	it_service_all("redir-unsup-error", args);

	snprintf(args, sizeof(args), "backend=socket socket=%s protocol=v1",
		 ref_sock);
	it_service_all("v1", args);
	snprintf(args, sizeof(args), "backend=socket socket=%s protocol=v1 quiet",
		 ref_sock);
	it_service_all("v1-quiet", args);
	snprintf(args, sizeof(args),
		 "backend=socket socket=%s protocol=v1 use_first_pass", ref_sock);
	it_service_all("v1-ufp", args);
	snprintf(args, sizeof(args),
		 "backend=socket socket=%s protocol=v1 nullok", ref_sock);
	it_service_all("v1-nullok", args);
	snprintf(args, sizeof(args), "backend=socket socket=%s protocol=v1 debug",
		 ref_sock);
	it_service_all("v1-debug", args);
	snprintf(args, sizeof(args), "%s debug", ref_sock);
	it_service_all("redir-debug", args);
	define_services();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_stop(ref_pid);
	it_cleanup();
	return 0;
}

/* ---- redirector protocol ---- */

static void redirector_auth(void **state)
{
	struct it_conv c;

	(void)state;
	c = it_conv1("wonderland");
	assert_int_equal(it_op("redir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	c = it_conv1("wrong");
	assert_int_equal(it_op("redir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	/* the redirector wire cannot say "unknown user": a plain failure */
	c = it_conv1("whatever");
	assert_int_equal(it_op("redir", "nosuchuser", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_true(it_log_has("user=\"alice\""));
}

static void redirector_stubs(void **state)
{
	struct it_conv c = it_conv1("x");

	(void)state;
	assert_int_equal(it_op("redir", "alice", PAMTEST_SETCRED, 0, NULL),
			 PAM_SUCCESS);
	/* acct_mgmt and sessions are PAM_IGNORE stubs */
	assert_int_equal(it_op("redir-ignore", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SUCCESS);
	assert_int_equal(it_op("redir-ignore", "alice", PAMTEST_OPEN_SESSION, 0,
			       NULL), PAM_SUCCESS);
	assert_int_equal(it_op("redir-ignore", "alice", PAMTEST_CLOSE_SESSION, 0,
			       NULL), PAM_SUCCESS);
	/* the same construction does not pass what is not PAM_IGNORE */
	c = it_conv1("wrong");
	assert_int_equal(it_op("redir-ignore", "alice", PAMTEST_AUTHENTICATE, 0,
			       &c), PAM_AUTH_ERR);
	/* chauthtok is PAM_SERVICE_ERR with a LOG_ERR line */
	it_log_clear();
	c = it_conv1("x");
	assert_int_equal(it_op("redir", "alice", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_SERVICE_ERR);
	assert_true(it_log_has("does not implement chauthtok"));
	assert_int_equal(c.prompts, 0);
}

static void redirector_unsupported_option(void **state)
{
	struct it_conv c = it_conv1("x");

	(void)state;
	assert_int_equal(it_op("redir-unsup-ignore", "alice", PAMTEST_CHAUTHTOK,
			       0, &c), PAM_SUCCESS);
	assert_int_equal(it_op("redir-unsup-error", "alice", PAMTEST_ACCOUNT, 0,
			       NULL), PAM_SERVICE_ERR);
	assert_int_equal(it_op("redir-unsup-error", "alice",
			       PAMTEST_OPEN_SESSION, 0, NULL), PAM_SERVICE_ERR);
	c = it_conv1("wonderland");
	assert_int_equal(it_op("redir-unsup-error", "alice",
			       PAMTEST_AUTHENTICATE, 0, &c), PAM_SUCCESS);
}

/* ---- v1 protocol ---- */

static void v1_authenticate(void **state)
{
	struct it_conv c;

	(void)state;
	c = it_conv1("wonderland");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	c = it_conv1("nope");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_non_null(strstr(c.out, "E:Authentication failed"));
	c = it_conv1("nope");
	assert_int_equal(it_op("v1", "nosuchuser", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_USER_UNKNOWN);
	c = it_conv1("builder12");
	assert_int_equal(it_op("v1", "bob", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	/* quiet and PAM_SILENT suppress the server's message */
	c = it_conv1("nope");
	assert_int_equal(it_op("v1-quiet", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_string_equal(c.out, "");
	c = it_conv1("nope");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, PAM_SILENT,
			       &c), PAM_AUTH_ERR);
	assert_string_equal(c.out, "");
}

static void v1_setcred_account(void **state)
{
	struct it_conv c;

	(void)state;
	assert_int_equal(it_op("v1", "alice", PAMTEST_SETCRED, 0, NULL),
			 PAM_SUCCESS);
	assert_int_equal(it_op("v1", "nosuchuser", PAMTEST_SETCRED, 0, NULL),
			 PAM_USER_UNKNOWN);
	assert_int_equal(it_op("v1", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SUCCESS);
	assert_int_equal(it_op("v1", "bob", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_PERM_DENIED);
	assert_int_equal(it_op("v1", "carol", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_ACCT_EXPIRED);
	assert_int_equal(it_op("v1", "dave", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_NEW_AUTHTOK_REQD);
	assert_int_equal(it_op("v1", "nosuchuser", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_USER_UNKNOWN);
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("v1", "erin", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "I:Your password expires in 3 days\n");
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("v1-quiet", "erin", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "");
}

static void v1_full_transaction(void **state)
{
	struct it_conv c = it_conv1("wonderland");
	struct pam_testcase t[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};

	(void)state;
	it_ops("v1", "alice", t, 5, &c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(t[i].op_rv, PAM_SUCCESS);
	assert_int_equal(it_op("v1", "nosuchuser", PAMTEST_OPEN_SESSION, 0, NULL),
			 PAM_SESSION_ERR);
}

/* PAM items reach the server; the password never reaches its log */
static void v1_items_sent(void **state)
{
	struct it_conv c = it_conv1("wonderland");
	struct pam_conv pc = { it_conv_fn, &c };
	pam_handle_t *ph = NULL;
	FILE *fp;
	char line[2048];
	bool seen = false;

	(void)state;
	assert_int_equal(it_start("v1", "alice", &pc, &ph), PAM_SUCCESS);
	assert_int_equal(pam_set_item(ph, PAM_RHOST, "client.example"), PAM_SUCCESS);
	assert_int_equal(pam_set_item(ph, PAM_RUSER, "remoteuser"), PAM_SUCCESS);
	assert_int_equal(pam_set_item(ph, PAM_TTY, "pts/7"), PAM_SUCCESS);
	assert_int_equal(pam_authenticate(ph, 0), PAM_SUCCESS);
	assert_int_equal(pam_open_session(ph, 0), PAM_SUCCESS);
	assert_int_equal(pam_end(ph, PAM_SUCCESS), PAM_SUCCESS);

	fp = fopen(ref_log, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		assert_null(strstr(line, "wonderland"));
		if (strstr(line, "\"op\": \"open_session\"") &&
		    strstr(line, "\"rhost\": \"client.example\"") &&
		    strstr(line, "\"ruser\": \"remoteuser\"") &&
		    strstr(line, "\"tty\": \"pts/7\"") &&
		    strstr(line, "\"service\": \"v1\""))
			seen = true;
	}
	fclose(fp);
	assert_true(seen);
	/* the summary line is there, the password is not */
	assert_true(it_log_has("user=\"alice\" rhost=\"client.example\""));
	assert_false(it_log_has_quiet("wonderland"));
}

static void v1_chauthtok_root(void **state)
{
	struct it_conv c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.answers[0] = "frankNEW12";
	c.answers[1] = "frankNEW12";
	assert_int_equal(it_op("v1", "frank", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_SUCCESS);
	assert_int_equal(c.prompts, 2); /* root: no current-password prompt */
	assert_non_null(strstr(c.out, "I:Password changed"));
	c = it_conv1("frankNEW12");
	assert_int_equal(it_op("v1", "frank", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	c = it_conv1("frankpass1");
	assert_int_equal(it_op("v1", "frank", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	/* refused by the server: too short */
	memset(&c, 0, sizeof(c));
	c.answers[0] = "abc";
	c.answers[1] = "abc";
	assert_int_equal(it_op("v1", "frank", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_AUTHTOK_ERR);
	assert_non_null(strstr(c.out, "E:Password shorter"));
	/* mismatched retype never reaches the server */
	memset(&c, 0, sizeof(c));
	c.answers[0] = "first-try1";
	c.answers[1] = "second-try";
	assert_int_equal(it_op("v1", "frank", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_AUTHTOK_ERR);
	assert_int_equal(it_op("v1", "nosuchuser", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_USER_UNKNOWN);
}

static void v1_chauthtok_user(void **state)
{
	struct it_conv c;

	(void)state;
	assert_int_equal(it_chauthtok_as_user("v1", "gina", "wrongold", "ginaNEW123"),
			 PAM_AUTHTOK_ERR);
	assert_int_equal(it_chauthtok_as_user("v1", "gina", "ginapass1", "ginapass1"),
			 PAM_AUTHTOK_ERR);
	assert_int_equal(it_chauthtok_as_user("v1", "gina", "ginapass1", "ginaNEW123"),
			 PAM_SUCCESS);
	c = it_conv1("ginaNEW123");
	assert_int_equal(it_op("v1", "gina", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
}

static void v1_password_options(void **state)
{
	struct it_conv c;
	int before;

	(void)state;
	/* use_first_pass with nothing stacked: refused, no prompt */
	c = it_conv1("wonderland");
	assert_int_equal(it_op("v1-ufp", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 0);
	/* empty password: refused without contacting the server... */
	before = it_count_lines(ref_log);
	c = it_conv1("");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(it_count_lines(ref_log), before);
	/* ...unless nullok, then the server decides */
	c = it_conv1("");
	assert_int_equal(it_op("v1-nullok", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(it_count_lines(ref_log), before + 1);
}

/* debug adds detail to syslog, never a password (right or wrong) */
static void debug_never_logs_passwords(void **state)
{
	static const char *const pws[] = { "wonderland", "Wr0ngSecret!" };
	struct it_conv c;

	(void)state;
	it_log_clear();
	for (int i = 0; i < 2; i++) {
		c = it_conv1(pws[i]);
		assert_int_equal(it_op("v1-debug", "alice", PAMTEST_AUTHENTICATE, 0,
				       &c), i == 0 ? PAM_SUCCESS : PAM_AUTH_ERR);
		c = it_conv1(pws[i]);
		assert_int_equal(it_op("redir-debug", "alice", PAMTEST_AUTHENTICATE,
				       0, &c), i == 0 ? PAM_SUCCESS : PAM_AUTH_ERR);
	}
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "NewSecret77";
	assert_int_equal(it_op("v1-debug", "alice", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_SUCCESS);
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "wonderland";
	assert_int_equal(it_op("v1-debug", "alice", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_SUCCESS);
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
		struct it_conv c = it_conv1(right ? "wonderland" : "nope");
		struct pam_testcase t[] = {
			pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
			pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		};

		it_ops("v1", "alice", t, 2, &c);
		if (t[0].op_rv != (right ? PAM_SUCCESS : PAM_AUTH_ERR))
			bad++;
		if (right && t[1].op_rv != PAM_SUCCESS)
			bad++;
	}
	return (void *)bad;
}

static void threads_separate_handles(void **state)
{
	pthread_t th[4];

	(void)state;
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_logins,
						(void *)i), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((long)bad, 0);
	}
}

static void crlf_refused(void **state)
{
	static const char *const users[] = { "ali\nce", "ali\rce" };
	struct it_conv c;
	int before = it_count_lines(ref_log);

	(void)state;
	for (int i = 0; i < 2; i++) {
		c = it_conv1("wonderland");
		assert_int_equal(it_op("v1", users[i], PAMTEST_AUTHENTICATE, 0, &c),
				 PAM_USER_UNKNOWN);
		c = it_conv1("wonderland");
		assert_int_equal(it_op("redir", users[i], PAMTEST_AUTHENTICATE, 0,
				       &c), PAM_USER_UNKNOWN);
		assert_int_equal(it_op("v1", users[i], PAMTEST_ACCOUNT, 0, NULL),
				 PAM_USER_UNKNOWN);
	}
	c = it_conv1("wonder\nland");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	c = it_conv1("wonder\rland");
	assert_int_equal(it_op("redir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	/* NUL cannot cross PAM's C-string API: what arrives is the prefix */
	c = it_conv1("wonder\0land");
	assert_int_equal(it_op("v1", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_int_equal(it_count_lines(ref_log), before + 1);
}

/* ---- faults ---- */

struct group_codes {
	enum pamtest_ops op;
	int code;
};

static const struct group_codes unavail_codes[] = {
	{ PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL },
	{ PAMTEST_SETCRED, PAM_CRED_UNAVAIL },
	{ PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL },
	{ PAMTEST_OPEN_SESSION, PAM_SESSION_ERR },
	{ PAMTEST_CLOSE_SESSION, PAM_SESSION_ERR },
	{ PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR },
};

static void assert_all_unavail(const char *svc)
{
	for (size_t i = 0; i < sizeof(unavail_codes) / sizeof(unavail_codes[0]);
	     i++) {
		struct it_conv c;

		memset(&c, 0, sizeof(c));
		c.answers[0] = c.answers[1] = c.answers[2] = "wonderland";
		assert_int_equal(it_op(svc, "alice", unavail_codes[i].op, 0, &c),
				 unavail_codes[i].code);
	}
}

static void fault_no_server(void **state)
{
	struct it_conv c = it_conv1("wonderland");

	(void)state;
	assert_all_unavail("f-absent");
	assert_int_equal(it_op("f-absent-r", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
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
	it_log_clear();
	assert_all_unavail("f-refused");
	assert_true(it_log_has("Connection refused"));
}

static void expect_timeout(const char *svc, double timeout_s)
{
	struct it_conv c = it_conv1("wonderland");
	double t0 = it_now(), dt;
	double slack = getenv("PU_UNDER_VALGRIND") ? 3.0 : 0.5;

	assert_int_equal(it_op(svc, "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
	dt = it_now() - t0;
	fprintf(stderr, "    %s: returned after %.3f s (timeout %.3f s)\n", svc,
		dt, timeout_s);
	assert_true(dt >= timeout_s - 0.01);
	assert_true(dt < timeout_s + slack);
}

static void fault_hung(void **state)
{
	const char *sock = it_path("hang.sock");
	const char *sock2 = it_path("noaccept.sock");
	pid_t p1 = start_fault(sock, "hang"), p2 = start_fault(sock2, "noaccept");

	(void)state;
	it_log_clear();
	expect_timeout("f-hang", 0.5);
	expect_timeout("f-hang-r", 0.5);
	expect_timeout("f-noaccept", 0.5);
	assert_true(it_log_has("timed out"));
	it_stop(p1);
	it_stop(p2);
}

static void fault_bad_replies(void **state)
{
	static const char *const modes[] = { "garbage", "empty", "oversized",
					     "truncated" };

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char name[64], sock[PATH_MAX];
		struct it_conv c;
		pid_t p;

		snprintf(name, sizeof(name), "%s.sock", modes[i]);
		snprintf(sock, sizeof(sock), "%s", it_path(name));
		p = start_fault(sock, modes[i]);
		snprintf(name, sizeof(name), "f-%s", modes[i]);
		assert_all_unavail(name);
		/* the redirector wire: "OK partial" and the rest are not "0" */
		snprintf(name, sizeof(name), "f-%s-r", modes[i]);
		c = it_conv1("wonderland");
		assert_int_equal(it_op(name, "alice", PAMTEST_AUTHENTICATE, 0, &c),
				 PAM_AUTHINFO_UNAVAIL);
		it_stop(p);
	}
}

static void trust_socket_owner(void **state)
{
	const char *sock = it_path("owner.sock");
	pid_t p = start_ref(sock, 0);
	struct it_conv c;

	(void)state;
	assert_int_equal(chown(sock, 12345, 12345), 0);
	it_log_clear();
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-owner", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("owned by uid 12345"));
	/* peer_uid names the owner the administrator trusts */
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-owner-ok", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	it_stop(p);
}

static void trust_directory(void **state)
{
	const char *dir = it_path("ww");
	char sock[PATH_MAX];
	struct it_conv c;
	pid_t p;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	p = start_ref(sock, 0);
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-dir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	assert_int_equal(chmod(dir, 0777), 0);
	it_log_clear();
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-dir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("writable by group or others"));
	assert_int_equal(chmod(dir, 0775), 0);
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-dir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
	/* a regular file where the socket should be */
	assert_int_equal(chmod(dir, 0755), 0);
	it_stop(p);
	it_write_file(sock, 0600, "not a socket\n");
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-dir", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
}

static void trust_peer_uid(void **state)
{
	const char *dir = it_path("nobody");
	char sock[PATH_MAX];
	struct it_conv c;
	pid_t p;

	(void)state;
	/* a server running as nobody, behind a root-owned path: only
	 * SO_PEERCRED can tell */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	assert_int_equal(chmod(ref_log, 0666), 0);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	p = start_ref(sock, NOBODY);
	assert_int_equal(chown(sock, 0, 0), 0);
	assert_int_equal(chown(dir, 0, 0), 0);
	it_log_clear();
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-peer", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("untrusted peer"));
	c = it_conv1("wonderland");
	assert_int_equal(it_op("t-peer-ok", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SUCCESS);
	it_stop(p);
	chmod(ref_log, 0644);
}

/* ---- options and config ---- */

static void options_bad(void **state)
{
	struct it_conv c;

	(void)state;

	it_log_clear();
	c = it_conv1("wonderland");
	assert_int_equal(it_op("o-unknown", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SERVICE_ERR);
	assert_int_equal(c.prompts, 0);
	assert_true(it_log_has("unknown option \\\"bogus\\\""));
	assert_int_equal(it_op("o-unknown", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SERVICE_ERR);
	assert_int_equal(it_op("o-unknown", "alice", PAMTEST_OPEN_SESSION, 0, NULL),
			 PAM_SERVICE_ERR);
	assert_int_equal(it_op("o-malformed", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SERVICE_ERR);
	assert_true(it_log_has("timeout=abc"));
	assert_int_equal(it_op("o-nobackend", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SERVICE_ERR);
	assert_int_equal(it_op("o-relative", "alice", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_SERVICE_ERR);
	it_log_clear();
	assert_int_equal(it_op("o-missing-conf", "alice", PAMTEST_AUTHENTICATE, 0,
			       &c), PAM_SERVICE_ERR);
	assert_true(it_log_has("missing.conf: No such file or directory"));
}

static void config_file(void **state)
{
	char text[2048];
	const char *good = it_path("good.conf"), *bad = it_path("bad.conf");
	const char *loose = it_path("loose.conf");
	struct it_conv c;

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
	it_write_file(good, 0644, text);
	it_write_file(loose, 0666, text);
	it_write_file(bad, 0644, "backend = \"socket\";\nprotocol = v1;\n"
			      "timeout = ;\n");


	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("c-good", "erin", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "I:Your password expires in 3 days\n");
	/* services.c-quiet applies only to that service */
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("c-quiet", "erin", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "");
	/* argv overrides the file: redirector makes acct_mgmt a stub */
	assert_int_equal(it_op("c-argv-wins", "erin", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SUCCESS);

	it_log_clear();
	assert_int_equal(it_op("c-bad", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SERVICE_ERR);
	assert_true(it_log_has("bad.conf:2"));
	it_log_clear();
	assert_int_equal(it_op("c-loose", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SERVICE_ERR);
	assert_true(it_log_has("not group/other-writable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redirector_auth),
		cmocka_unit_test(redirector_stubs),
		cmocka_unit_test(redirector_unsupported_option),
		cmocka_unit_test(v1_authenticate),
		cmocka_unit_test(v1_setcred_account),
		cmocka_unit_test(v1_full_transaction),
		cmocka_unit_test(v1_items_sent),
		cmocka_unit_test(v1_chauthtok_root),
		cmocka_unit_test(v1_chauthtok_user),
		cmocka_unit_test(v1_password_options),
		cmocka_unit_test(debug_never_logs_passwords),
		cmocka_unit_test(threads_separate_handles),
		cmocka_unit_test(crlf_refused),
		cmocka_unit_test(fault_no_server),
		cmocka_unit_test(fault_refused),
		cmocka_unit_test(fault_hung),
		cmocka_unit_test(fault_bad_replies),
		cmocka_unit_test(trust_socket_owner),
		cmocka_unit_test(trust_directory),
		cmocka_unit_test(trust_peer_uid),
		cmocka_unit_test(options_bad),
		cmocka_unit_test(config_file),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("socket backend (libpam)", tests,
					   group_setup, group_teardown);
}
