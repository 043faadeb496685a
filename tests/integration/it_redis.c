/*
 * redis backend through the real libpam against real redis-server (and
 * redis-sentinel) processes started on private sockets and loopback ports.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <crypt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static char sock[PATH_MAX], sock_hang[PATH_MAX], sock_auth[PATH_MAX];
static pid_t srv, srv_hang, srv_auth;
static int port_p1, port_p2, port_s;
static char ctl_path[PATH_MAX];

#define AUTH_PASS "correct-horse-battery-staple"

/* redis-cli against a unix socket, argv form (hashes hold '$') */
static char cli_out[65536];

static const char *rcli_argv(const char *const *args, int n)
{
	char *argv[40];
	int k = 0;

	argv[k++] = "redis-cli";
	for (int i = 0; i < n && k < 38; i++)
		argv[k++] = (char *)args[i];
	argv[k] = NULL;
	if (it_run(argv, NULL, cli_out, sizeof(cli_out)) != 0)
		return NULL;
	{
		size_t l = strlen(cli_out);

		while (l > 0 && cli_out[l - 1] == '\n')
			cli_out[--l] = '\0';
	}
	return cli_out;
}

#define RCLI(...) rcli_argv((const char *const[]){ __VA_ARGS__ }, \
	(int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)))

static char *hash_of(const char *prefix, const char *pw, char *out, size_t size)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn(prefix, 0, NULL, 0, setting,
					 sizeof(setting)));
	assert_non_null(crypt_r(pw, setting, &cd));
	snprintf(out, size, "%s", cd.output);
	return out;
}

static void mkuser_on(const char *s, const char *user, const char *pw,
		      const char *method)
{
	char h[512];

	hash_of(method, pw, h, sizeof(h));
	char key[2048];

	snprintf(key, sizeof(key), "pam:user:{%s}", user);
	assert_non_null(RCLI("-s", s, "DEL", key));
	assert_non_null(RCLI("-s", s, "HSET", key, "password", h));
}

static void mkuser_auth(const char *user, const char *pw)
{
	char h[512], key[256];

	hash_of("$6$", pw, h, sizeof(h));
	snprintf(key, sizeof(key), "pam:user:{%s}", user);
	assert_non_null(RCLI("-s", sock_auth, "-a", AUTH_PASS, "--no-auth-warning",
			     "HSET", key, "password", h));
}

static void mkuser(const char *user, const char *pw)
{
	mkuser_on(sock, user, pw, "$6$");
}

static void setf(const char *user, const char *field, const char *value)
{
	char key[2048];

	snprintf(key, sizeof(key), "pam:user:{%s}", user);
	assert_non_null(RCLI("-s", sock, "HSET", key, field, value));
}

static pid_t start_redis(const char *s, const char *extra1, const char *extra2)
{
	char *argv[] = { "redis-server", "--port", "0", "--unixsocket", (char *)s,
			 "--unixsocketperm", "700", "--save", "", "--appendonly",
			 "no", "--dir", (char *)it_dir(), (char *)extra1,
			 (char *)extra2, NULL };

	if (extra1 == NULL)
		argv[13] = NULL;
	return it_spawn(argv, s, 0);
}

static void svc(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void svc(const char *name, const char *fmt, ...)
{
	char args[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	it_service_all(name, args);
}

static int group_setup(void **state)
{
	(void)state;
	it_init();
	snprintf(ctl_path, sizeof(ctl_path), "%s/unifiedctl",
		 getenv("PU_BUILD") ? getenv("PU_BUILD") : "build");
	snprintf(sock, sizeof(sock), "%s", it_path("redis.sock"));
	snprintf(sock_hang, sizeof(sock_hang), "%s", it_path("hang.sock"));
	snprintf(sock_auth, sizeof(sock_auth), "%s", it_path("auth.sock"));
	port_p1 = 21000 + (int)(getpid() % 3000) * 3;
	port_p2 = port_p1 + 1;
	port_s = port_p1 + 2;

	svc("r", "backend=redis redis=unix:%s", sock);
	svc("r-quiet", "backend=redis redis=unix:%s quiet", sock);
	svc("r-nullok", "backend=redis redis=unix:%s nullok", sock);
	svc("r-locka", "backend=redis redis=unix:%s deny=3 unlock_time=2", sock);
	svc("r-lockb", "backend=redis redis=unix:%s deny=3 unlock_time=2", sock);
	svc("r-lock0", "backend=redis redis=unix:%s deny=2 unlock_time=0", sock);
	svc("r-maxage", "backend=redis redis=unix:%s max_age=30 warn_age=7", sock);
	svc("r-bcrypt", "backend=redis redis=unix:%s hash=bcrypt", sock);
	svc("r-prefix", "backend=redis redis=unix:%s prefix=other:", sock);
	svc("r-db", "backend=redis redis=unix:%s redis_db=5", sock);
	svc("r-list", "backend=redis redis=unix:%s,unix:%s", it_path("absent.sock"),
	    sock);
	svc("r-absent", "backend=redis redis=unix:%s", it_path("absent.sock"));
	svc("r-refused", "backend=redis redis=tcp://127.0.0.1:1");
	svc("r-hang", "backend=redis redis=unix:%s timeout=500", sock_hang);
	svc("r-auth-ok", "backend=redis redis=unix:%s redis_password_file=%s",
	    sock_auth, it_path("good.secret"));
	svc("r-auth-bad", "backend=redis redis=unix:%s redis_password_file=%s",
	    sock_auth, it_path("bad.secret"));
	svc("r-auth-loose", "backend=redis redis=unix:%s redis_password_file=%s",
	    sock_auth, it_path("loose.secret"));
	svc("r-auth-none", "backend=redis redis=unix:%s", sock_auth);
	svc("r-acl", "backend=redis redis=unix:%s redis_user=pamacl "
	    "redis_password_file=%s", sock_auth, it_path("acl.secret"));
	svc("r-hmac", "backend=redis redis=unix:%s redis_auth=hmac "
	    "redis_password_file=%s", it_path("quarkdb.sock"),
	    it_path("hmac.secret"));
	svc("r-hmac-bad", "backend=redis redis=unix:%s redis_auth=hmac "
	    "redis_password_file=%s", it_path("quarkdb.sock"),
	    it_path("hmac-bad.secret"));
	svc("r-hmac-short", "backend=redis redis=unix:%s redis_auth=hmac "
	    "redis_password_file=%s", it_path("quarkdb.sock"),
	    it_path("hmac-short.secret"));
	svc("r-hmac-plain", "backend=redis redis=unix:%s redis_password_file=%s",
	    it_path("quarkdb.sock"), it_path("hmac.secret"));
	svc("r-sentinel", "backend=redis sentinel=127.0.0.1:%d "
	    "sentinel_master=pumaster timeout=1500", port_s);

	it_write_file(it_path("good.secret"), 0600, AUTH_PASS "\r\n  \n");
	it_write_file(it_path("bad.secret"), 0400, "not-the-password\n");
	it_write_file(it_path("loose.secret"), 0644, AUTH_PASS "\n");
	it_write_file(it_path("acl.secret"), 0600, "acl-user-secret\n");

	srv = start_redis(sock, NULL, NULL);
	srv_hang = start_redis(sock_hang, NULL, NULL);
	srv_auth = start_redis(sock_auth, "--requirepass", AUTH_PASS);
	assert_non_null(RCLI("-s", sock_auth, "-a", AUTH_PASS, "--no-auth-warning",
			     "ACL", "SETUSER", "pamacl", "on", ">acl-user-secret",
			     "~*", "+@all"));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_stop(srv);
	it_stop(srv_hang);
	it_stop(srv_auth);
	it_cleanup();
	return 0;
}

static int auth(const char *svcname, const char *user, const char *pw)
{
	struct it_conv c = it_conv1(pw);

	return it_op(svcname, user, PAMTEST_AUTHENTICATE, 0, &c);
}

/* ---- groups ---- */

static void authenticate_codes(void **state)
{
	(void)state;
	mkuser("alice", "wonderland");
	assert_int_equal(auth("r", "alice", "wonderland"), PAM_SUCCESS);
	assert_int_equal(auth("r", "alice", "wonderlanD"), PAM_AUTH_ERR);
	assert_int_equal(auth("r", "nosuchuser", "x"), PAM_USER_UNKNOWN);
	assert_int_equal(auth("r", "alice", ""), PAM_AUTH_ERR);
	mkuser("dis", "disabled1");
	setf("dis", "disabled", "1");
	assert_int_equal(auth("r", "dis", "disabled1"), PAM_AUTH_ERR);
	assert_int_equal(it_op("r", "alice", PAMTEST_SETCRED, 0, NULL), PAM_SUCCESS);
	/* a record without a password never authenticates */
	assert_non_null(RCLI("-s", sock, "HSET", "pam:user:{nopw}", "disabled", "0"));
	assert_int_equal(auth("r", "nopw", ""), PAM_AUTH_ERR);
	assert_int_equal(auth("r", "nopw", "anything"), PAM_AUTH_ERR);
	/* an empty stored password opens only with nullok and "" */
	assert_non_null(RCLI("-s", sock, "HSET", "pam:user:{empty}", "password", ""));
	assert_int_equal(auth("r", "empty", ""), PAM_AUTH_ERR);
	assert_int_equal(auth("r-nullok", "empty", ""), PAM_SUCCESS);
	assert_int_equal(auth("r-nullok", "empty", "x"), PAM_AUTH_ERR);
	/* a locked crypt string ("!") never matches */
	assert_non_null(RCLI("-s", sock, "HSET", "pam:user:{bang}", "password", "!"));
	assert_int_equal(auth("r", "bang", "!"), PAM_AUTH_ERR);
}

static void every_prefix(void **state)
{
	static const char *const methods[] = { "$y$", "$gy$", "$7$", "$6$",
					       "$5$", "$2b$" };
	(void)state;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char user[32], out[512];

		snprintf(user, sizeof(user), "m%zu", i);
		mkuser_on(sock, user, "pr3fix-pass", methods[i]);
		snprintf(out, sizeof(out), "pam:user:{%s}", user);
		assert_non_null(RCLI("-s", sock, "HGET", out, "password"));
		assert_memory_equal(cli_out, methods[i], strlen(methods[i]));
		if (auth("r", user, "pr3fix-pass") != PAM_SUCCESS)
			fail_msg("%s did not verify", methods[i]);
		assert_int_equal(auth("r", user, "pr3fix-pasS"), PAM_AUTH_ERR);
	}
}

static void account_codes(void **state)
{
	char when[32];
	struct it_conv c;

	(void)state;
	mkuser("acct", "acctpass1");
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL), PAM_SUCCESS);
	assert_int_equal(it_op("r", "nosuchuser", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_USER_UNKNOWN);
	setf("acct", "disabled", "1");
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_PERM_DENIED);
	setf("acct", "disabled", "0");
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL) - 10);
	setf("acct", "expires", when);
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_ACCT_EXPIRED);
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL) + 86400);
	setf("acct", "expires", when);
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL), PAM_SUCCESS);
	setf("acct", "must_change", "1");
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_NEW_AUTHTOK_REQD);
	setf("acct", "must_change", "0");
	/* changed 40 days ago, max_age 30 (option) -> must change */
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL) - 40 * 86400);
	setf("acct", "changed", when);
	assert_int_equal(it_op("r-maxage", "acct", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_NEW_AUTHTOK_REQD);
	/* ... the record's own max_age wins over the option */
	setf("acct", "max_age", "60");
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("r-maxage", "acct", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "");
	/* 25 days ago with max_age 30: within warn_age 7 -> a warning */
	assert_non_null(RCLI("-s", sock, "HDEL", "pam:user:{acct}", "max_age"));
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL) - 25 * 86400);
	setf("acct", "changed", when);
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("r-maxage", "acct", PAMTEST_ACCOUNT, 0, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "I:Warning: your password will expire in 5 days.\n");
	memset(&c, 0, sizeof(c));
	assert_int_equal(it_op("r-maxage", "acct", PAMTEST_ACCOUNT, PAM_SILENT, &c),
			 PAM_SUCCESS);
	assert_string_equal(c.out, "");
	/* garbage in the record fails closed */
	setf("acct", "expires", "next tuesday");
	assert_int_equal(it_op("r", "acct", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(auth("r", "acct", "acctpass1"), PAM_AUTHINFO_UNAVAIL);
}

static void full_transaction_one_connection(void **state)
{
	struct it_conv c = it_conv1("wonderland");
	struct pam_testcase t[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	long before, after;

	(void)state;
	mkuser("alice", "wonderland");
	assert_non_null(RCLI("-s", sock, "INFO", "stats"));
	before = atol(strstr(cli_out, "total_connections_received:") + 27);
	it_ops("r", "alice", t, 5, &c);
	for (int i = 0; i < 5; i++)
		assert_int_equal(t[i].op_rv, PAM_SUCCESS);
	assert_non_null(RCLI("-s", sock, "INFO", "stats"));
	after = atol(strstr(cli_out, "total_connections_received:") + 27);
	/* one connection from auth to open_session, none held while the
	 * session lasts, one for close; plus the INFO call itself */
	assert_int_equal(after - before, 3);
}

static pam_handle_t *open_one(struct pam_conv *pc, const char *rhost)
{
	pam_handle_t *ph = NULL;

	assert_int_equal(it_start("r", "sess", pc, &ph), PAM_SUCCESS);
	pam_set_item(ph, PAM_TTY, "ssh");
	pam_set_item(ph, PAM_RHOST, rhost);
	pam_set_item(ph, PAM_RUSER, "invoker");
	assert_int_equal(pam_open_session(ph, 0), PAM_SUCCESS);
	return ph;
}

static void sessions(void **state)
{
	struct it_conv c;
	pam_handle_t *ph[3] = { NULL, NULL, NULL }, *other = NULL;
	struct pam_conv pc;

	(void)state;
	mkuser("sess", "sesspass1");
	memset(&c, 0, sizeof(c));
	pc.conv = it_conv_fn;
	pc.appdata_ptr = &c;
	/* three sessions with the same items (sshd: every tty is "ssh")
	 * are three records */
	for (int i = 0; i < 3; i++)
		ph[i] = open_one(&pc, "203.0.113.7");
	assert_non_null(RCLI("-s", sock, "HLEN", "pam:sessions:{sess}"));
	assert_string_equal(cli_out, "3");
	assert_non_null(RCLI("-s", sock, "HVALS", "pam:sessions:{sess}"));
	assert_non_null(strstr(cli_out, "tty=ssh rhost=203.0.113.7 ruser=invoker"));
	/* closing one removes exactly that one */
	assert_int_equal(pam_close_session(ph[1], 0), PAM_SUCCESS);
	pam_end(ph[1], PAM_SUCCESS);
	assert_non_null(RCLI("-s", sock, "HLEN", "pam:sessions:{sess}"));
	assert_string_equal(cli_out, "2");
	/* a handle that opened nothing has nothing to close */
	assert_int_equal(it_start("r", "sess", &pc, &other), PAM_SUCCESS);
	assert_int_equal(pam_close_session(other, 0), PAM_SESSION_ERR);
	pam_end(other, PAM_SUCCESS);
	for (int i = 0; i < 3; i += 2) {
		assert_int_equal(pam_close_session(ph[i], 0), PAM_SUCCESS);
		pam_end(ph[i], PAM_SUCCESS);
	}
	assert_non_null(RCLI("-s", sock, "HLEN", "pam:sessions:{sess}"));
	assert_string_equal(cli_out, "0");
	/* each appended an event */
	assert_non_null(RCLI("-s", sock, "XREVRANGE", "pam:events:{sess}", "+", "-",
			     "COUNT", "2"));
	assert_non_null(strstr(cli_out, "session_close"));
	/* an rhost cannot forge a field of the record */
	ph[0] = open_one(&pc, "evil host=forged pid=1");
	assert_non_null(RCLI("-s", sock, "HVALS", "pam:sessions:{sess}"));
	assert_non_null(strstr(cli_out, "rhost=evil%20host%3Dforged%20pid%3D1 "));
	assert_int_equal(pam_close_session(ph[0], 0), PAM_SUCCESS);
	pam_end(ph[0], PAM_SUCCESS);
}

static void chauthtok_root(void **state)
{
	struct it_conv c;
	char h[512];

	(void)state;
	mkuser("pw", "oldpass12");
	setf("pw", "must_change", "1");
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "newpass34";
	assert_int_equal(it_op("r", "pw", PAMTEST_CHAUTHTOK, 0, &c), PAM_SUCCESS);
	assert_int_equal(c.prompts, 2);
	assert_int_equal(auth("r", "pw", "newpass34"), PAM_SUCCESS);
	assert_int_equal(auth("r", "pw", "oldpass12"), PAM_AUTH_ERR);
	assert_non_null(RCLI("-s", sock, "HEXISTS", "pam:user:{pw}", "must_change"));
	assert_string_equal(cli_out, "0");
	assert_non_null(RCLI("-s", sock, "HGET", "pam:user:{pw}", "changed"));
	assert_true(atoll(cli_out) >= (long long)time(NULL) - 5);
	/* minlen, same as old */
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "short";
	assert_int_equal(it_op("r", "pw", PAMTEST_CHAUTHTOK, 0, &c), PAM_AUTHTOK_ERR);
	assert_non_null(strstr(c.out, "shorter than 8"));
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "newpass34";
	assert_int_equal(it_op("r", "pw", PAMTEST_CHAUTHTOK, 0, &c), PAM_AUTHTOK_ERR);
	assert_non_null(strstr(c.out, "must differ"));
	/* hash= picks the method */
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "bcrypted9";
	assert_int_equal(it_op("r-bcrypt", "pw", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_SUCCESS);
	assert_non_null(RCLI("-s", sock, "HGET", "pam:user:{pw}", "password"));
	snprintf(h, sizeof(h), "%s", cli_out);
	assert_memory_equal(h, "$2b$", 4);
	assert_int_equal(it_op("r", "nosuchuser", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_USER_UNKNOWN);
}

static void chauthtok_user(void **state)
{
	(void)state;
	mkuser("usr", "userpass1");
	assert_int_equal(it_chauthtok_as_user("r", "usr", "wrong-old", "userpass2"),
			 PAM_AUTHTOK_ERR);
	assert_int_equal(it_chauthtok_as_user("r", "usr", "userpass1", "userpass2"),
			 PAM_SUCCESS);
	assert_int_equal(auth("r", "usr", "userpass2"), PAM_SUCCESS);
}

/* While this chauthtok waits at its "New password" prompt (after it read
 * the stored hash), unifiedctl changes the password: the compare-and-set
 * must refuse to overwrite it. */
static void change_behind_our_back(int n, void *arg)
{
	char *argv[] = { ctl_path, arg, "user", "passwd", "race",
			 "--password-stdin", NULL };

	if (n == 0 && it_run(argv, "fromctl99\n", NULL, 0) != 0)
		fprintf(stderr, "unifiedctl failed\n");
}

static void chauthtok_concurrent(void **state)
{
	struct it_conv c;
	char redisarg[PATH_MAX + 16];

	(void)state;
	mkuser("race", "racepass1");
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "mine12345";
	c.on_prompt = change_behind_our_back;
	c.arg = redisarg;
	assert_int_equal(it_op("r", "race", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_AUTHTOK_ERR);
	assert_non_null(strstr(c.out, "changed elsewhere"));
	assert_int_equal(auth("r", "race", "fromctl99"), PAM_SUCCESS);
	assert_int_equal(auth("r", "race", "mine12345"), PAM_AUTH_ERR);
}

/* ---- lockout shared by two "hosts" ---- */

static void lockout_shared(void **state)
{
	struct it_conv c;
	char redisarg[PATH_MAX + 16];
	char *reset[] = { ctl_path, redisarg, "faillock", "reset", "lock", NULL };

	(void)state;
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	mkuser("lock", "lockpass1");
	/* success clears earlier failures */
	assert_int_equal(auth("r-locka", "lock", "bad"), PAM_AUTH_ERR);
	assert_int_equal(auth("r-lockb", "lock", "lockpass1"), PAM_SUCCESS);
	assert_non_null(RCLI("-s", sock, "EXISTS", "pam:fail:{lock}"));
	assert_string_equal(cli_out, "0");
	/* three failures on host A lock the account on host B */
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth("r-locka", "lock", "bad"), PAM_AUTH_ERR);
	c = it_conv1("lockpass1");
	assert_int_equal(it_op("r-lockb", "lock", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_non_null(strstr(c.out, "locked due to 3 failed logins"));
	assert_true(it_log_has("locked out after 3 failures"));
	/* an administrator's reset unlocks it */
	assert_int_equal(it_run(reset, NULL, NULL, 0), 0);
	assert_int_equal(auth("r-lockb", "lock", "lockpass1"), PAM_SUCCESS);
	/* unlock_time=2 lets it go by itself */
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth("r-lockb", "lock", "bad"), PAM_AUTH_ERR);
	assert_int_equal(auth("r-locka", "lock", "lockpass1"), PAM_AUTH_ERR);
	sleep(3);
	assert_int_equal(auth("r-locka", "lock", "lockpass1"), PAM_SUCCESS);
	/* unlock_time=0: locked until reset */
	for (int i = 0; i < 2; i++)
		assert_int_equal(auth("r-lock0", "lock", "bad"), PAM_AUTH_ERR);
	assert_int_equal(auth("r-lock0", "lock", "lockpass1"), PAM_AUTH_ERR);
	assert_non_null(RCLI("-s", sock, "TTL", "pam:fail:{lock}"));
	assert_string_equal(cli_out, "-1");
	assert_int_equal(it_run(reset, NULL, NULL, 0), 0);
	assert_int_equal(auth("r-lock0", "lock", "lockpass1"), PAM_SUCCESS);
}

/* ---- user names, keys, options ---- */

static void odd_user_names(void **state)
{
	char longname[1025];

	(void)state;
	mkuser("with space", "spacepass");
	assert_int_equal(auth("r", "with space", "spacepass"), PAM_SUCCESS);
	mkuser("br{ac}es", "bracepass");
	assert_int_equal(auth("r", "br{ac}es", "bracepass"), PAM_SUCCESS);
	assert_int_equal(auth("r", "br", "bracepass"), PAM_USER_UNKNOWN);
	assert_int_equal(auth("r", "cr\r\nlf", "x"), PAM_USER_UNKNOWN);
	memset(longname, 'u', 1024);
	longname[1024] = '\0';
	mkuser(longname, "longpass1");
	assert_int_equal(auth("r", longname, "longpass1"), PAM_SUCCESS);
	/* key layout: prefix= and redis_db= move the store */
	assert_int_equal(auth("r-prefix", "alice", "wonderland"), PAM_USER_UNKNOWN);
	assert_non_null(RCLI("-s", sock, "HSET", "other:user:{alice}", "password",
			     "!"));
	assert_int_equal(auth("r-prefix", "alice", "wonderland"), PAM_AUTH_ERR);
	assert_int_equal(auth("r-db", "alice", "wonderland"), PAM_USER_UNKNOWN);
}

static void wrongtype(void **state)
{
	(void)state;
	assert_non_null(RCLI("-s", sock, "SET", "pam:user:{wt}", "a string"));
	it_log_clear();
	assert_int_equal(auth("r", "wt", "x"), PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("WRONGTYPE"));
	assert_int_equal(it_op("r", "wt", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_AUTHINFO_UNAVAIL);
	assert_non_null(RCLI("-s", sock, "SET", "pam:sessions:{wt}", "a string"));
	assert_int_equal(it_op("r", "wt", PAMTEST_OPEN_SESSION, 0, NULL),
			 PAM_SESSION_ERR);
}

/* unifiedctl against the same store: every command, its exit status and
 * what it did */
static int ctl(const char *input, char *out, size_t size, ...)
{
	char redisarg[PATH_MAX + 16], *argv[16];
	va_list ap;
	int n = 0;
	char *a;

	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	argv[n++] = ctl_path;
	argv[n++] = redisarg;
	va_start(ap, size);
	while ((a = va_arg(ap, char *)) != NULL && n < 15)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return it_run(argv, input, out, size);
}

static void unifiedctl_commands(void **state)
{
	char out[8192];

	(void)state;
	assert_int_equal(ctl("ctlpass12\n", out, sizeof(out), "user", "add", "cu",
			     "--password-stdin", NULL), 0);
	assert_int_equal(auth("r", "cu", "ctlpass12"), PAM_SUCCESS);
	/* exists already; too short; no such user */
	assert_int_equal(ctl("ctlpass12\n", out, sizeof(out), "user", "add", "cu",
			     "--password-stdin", NULL), 1);
	assert_int_equal(ctl("short\n", out, sizeof(out), "user", "passwd", "cu",
			     "--password-stdin", NULL), 1);
	assert_int_equal(ctl("ctlpass34\n", out, sizeof(out), "user", "passwd",
			     "nobody-here", "--password-stdin", NULL), 1);
	assert_int_equal(ctl("ctlpass34\n", out, sizeof(out), "user", "passwd",
			     "cu", "--password-stdin", NULL), 0);
	assert_int_equal(auth("r", "cu", "ctlpass34"), PAM_SUCCESS);
	/* no terminal and no --password-stdin: refused, nothing read */
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "passwd", "cu", NULL),
			 1);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "lock", "cu", NULL), 0);
	assert_int_equal(it_op("r", "cu", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_PERM_DENIED);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "unlock", "cu", NULL),
			 0);
	assert_int_equal(it_op("r", "cu", PAMTEST_ACCOUNT, 0, NULL), PAM_SUCCESS);
	assert_string_equal(out, "cu: unlocked\n");
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "must-change", "cu",
			     NULL), 0);
	assert_int_equal(it_op("r", "cu", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_NEW_AUTHTOK_REQD);
	/* expire needs a date */
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "expire", "cu", NULL),
			 2);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "expire", "cu", "--at",
			     "1970-01-02", NULL), 0);
	assert_string_equal(out, "cu: expires 1970-01-02\n");
	assert_int_equal(it_op("r", "cu", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_ACCT_EXPIRED);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "expire", "cu", "--at",
			     "soon", NULL), 2);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "expire", "cu", "--at",
			     "2025-02-30", NULL), 2);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "show", "cu", NULL), 0);
	assert_non_null(strstr(out, "password: yescrypt"));
	assert_non_null(strstr(out, "expires: 1970-01-02"));
	assert_non_null(strstr(out, "must_change: yes"));
	{
		char stored[512];

		/* the method is shown, the hash itself never */
		assert_non_null(RCLI("-s", sock, "HGET", "pam:user:{cu}", "password"));
		snprintf(stored, sizeof(stored), "%s", cli_out);
		assert_null(strstr(out, stored + 4));
	}
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "list", NULL), 0);
	assert_true(strstr(out, "\ncu\n") != NULL || strncmp(out, "cu\n", 3) == 0);
	assert_int_equal(auth("r-locka", "cu", "bad"), PAM_AUTH_ERR);
	assert_int_equal(ctl(NULL, out, sizeof(out), "faillock", "show", "cu", NULL),
			 0);
	assert_non_null(strstr(out, "cu: 1 recent failure(s)"));
	assert_int_equal(ctl(NULL, out, sizeof(out), "sessions", "sess", NULL), 0);
	/* an empty stored password is shown as such (it once read past
	 * the end of the value) */
	setf("cu", "password", "");
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "show", "cu", NULL), 0);
	assert_non_null(strstr(out, "password: empty"));
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "del", "cu", NULL), 0);
	assert_string_equal(out, "cu: deleted (record, failures, sessions)\n");
	assert_int_equal(auth("r", "cu", "ctlpass34"), PAM_USER_UNKNOWN);
	assert_int_equal(ctl(NULL, out, sizeof(out), "user", "show", "cu", NULL), 1);
	assert_int_equal(ctl(NULL, out, sizeof(out), "bogus", NULL), 2);
	assert_int_equal(ctl(NULL, out, sizeof(out), "--help", NULL), 0);
	/* an unknown option fails like the module: usage/config status */
	assert_int_equal(ctl(NULL, out, sizeof(out), "nosuch=1", "user", "list",
			     NULL), 2);
}

/* ---- faults ---- */

static void fault_down(void **state)
{
	struct it_conv c;

	(void)state;
	assert_int_equal(auth("r-absent", "alice", "wonderland"),
			 PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(it_op("r-absent", "alice", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(it_op("r-absent", "alice", PAMTEST_OPEN_SESSION, 0, NULL),
			 PAM_SESSION_ERR);
	assert_int_equal(it_op("r-absent", "alice", PAMTEST_CLOSE_SESSION, 0, NULL),
			 PAM_SESSION_ERR);
	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = "whatever1";
	assert_int_equal(it_op("r-absent", "alice", PAMTEST_CHAUTHTOK, 0, &c),
			 PAM_AUTHTOK_ERR);
	it_log_clear();
	assert_int_equal(auth("r-refused", "alice", "wonderland"),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("Connection refused"));
	/* first URI dead, second used */
	assert_int_equal(auth("r-list", "alice", "wonderland"), PAM_SUCCESS);
}

static void fault_hung(void **state)
{
	double t0, dt, slack = getenv("PU_UNDER_VALGRIND") ? 3.0 : 0.5;

	(void)state;
	mkuser_on(sock_hang, "alice", "wonderland", "$6$");
	assert_int_equal(auth("r-hang", "alice", "wonderland"), PAM_SUCCESS);
	kill(srv_hang, SIGSTOP);
	t0 = it_now();
	assert_int_equal(auth("r-hang", "alice", "wonderland"),
			 PAM_AUTHINFO_UNAVAIL);
	dt = it_now() - t0;
	fprintf(stderr, "    hung redis: returned after %.3f s (timeout 0.5 s)\n", dt);
	assert_true(dt >= 0.49);
	assert_true(dt < 0.5 + slack);
	kill(srv_hang, SIGCONT);
	assert_int_equal(auth("r-hang", "alice", "wonderland"), PAM_SUCCESS);
}

static void redis_auth(void **state)
{
	(void)state;
	mkuser_auth("alice", "wonderland");
	assert_int_equal(auth("r-auth-ok", "alice", "wonderland"), PAM_SUCCESS);
	assert_int_equal(auth("r-acl", "alice", "wonderland"), PAM_SUCCESS);
	it_log_clear();
	assert_int_equal(auth("r-auth-bad", "alice", "wonderland"),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("AUTH refused"));
	assert_int_equal(auth("r-auth-none", "alice", "wonderland"),
			 PAM_AUTHINFO_UNAVAIL);
	it_log_clear();
	assert_int_equal(auth("r-auth-loose", "alice", "wonderland"),
			 PAM_SERVICE_ERR);
	assert_true(it_log_has("mode 0400 or 0600"));
	chmod(it_path("good.secret"), 0640);
	assert_int_equal(auth("r-auth-ok", "alice", "wonderland"), PAM_SERVICE_ERR);
	chmod(it_path("good.secret"), 0600);
	it_write_file(it_path("good.secret"), 0600, "\n \r\n");
	assert_int_equal(auth("r-auth-ok", "alice", "wonderland"), PAM_SERVICE_ERR);
	it_write_file(it_path("good.secret"), 0600, AUTH_PASS);
	assert_int_equal(auth("r-auth-ok", "alice", "wonderland"), PAM_SUCCESS);
}

/* QuarkDB's HMAC challenge, through a proxy that speaks it in front of
 * the real redis-server (QuarkDB is not packaged) */
static void redis_auth_hmac(void **state)
{
	const char *qsock = it_path("quarkdb.sock");
	char *argv[] = { (char *)it_python(), "tests/fault/quarkdb_proxy.py",
			 "--listen", (char *)qsock, "--upstream", sock,
			 "--secret-file", (char *)it_path("hmac.secret"), NULL };
	pid_t proxy;

	(void)state;
	it_write_file(it_path("hmac.secret"), 0600,
		   "0123456789abcdef0123456789abcdef-quarkdb\n");
	it_write_file(it_path("hmac-bad.secret"), 0600,
		   "fedcba9876543210fedcba9876543210-wrong\n");
	it_write_file(it_path("hmac-short.secret"), 0600, "too-short\n");
	proxy = it_spawn(argv, qsock, 0);
	mkuser("qdb", "quarkpass1");
	assert_int_equal(auth("r-hmac", "qdb", "quarkpass1"), PAM_SUCCESS);
	assert_int_equal(auth("r-hmac", "qdb", "wrong"), PAM_AUTH_ERR);
	it_log_clear();
	assert_int_equal(auth("r-hmac-bad", "qdb", "quarkpass1"),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("HMAC-AUTH refused"));
	assert_int_equal(auth("r-hmac-short", "qdb", "quarkpass1"),
			 PAM_SERVICE_ERR);
	/* a plain AUTH is not what this server speaks */
	assert_int_equal(auth("r-hmac-plain", "qdb", "quarkpass1"),
			 PAM_AUTHINFO_UNAVAIL);
	it_stop(proxy);
}

/* ---- sentinel: the primary dies, the next login reaches the replica ---- */

static const char *tcp_cli(int port, const char *a, const char *b,
			   const char *c3, const char *d)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", port);
	if (d)
		return RCLI("-p", p, a, b, c3, d);
	if (c3)
		return RCLI("-p", p, a, b, c3);
	return RCLI("-p", p, a, b);
}

static void sentinel_failover(void **state)
{
	char p1[16], p2[16], conf[512], *cfgpath;
	double t0;
	pid_t primary, replica, sentinel;
	bool ok = false;

	(void)state;
	snprintf(p1, sizeof(p1), "%d", port_p1);
	snprintf(p2, sizeof(p2), "%d", port_p2);
	{
		char *a1[] = { "redis-server", "--port", p1, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", "--dir",
			       (char *)it_dir(), NULL };
		char *a2[] = { "redis-server", "--port", p2, "--bind", "127.0.0.1",
			       "--save", "", "--appendonly", "no", "--dir",
			       (char *)it_dir(), "--replicaof", "127.0.0.1", p1,
			       NULL };

		primary = it_spawn(a1, NULL, 0);
		usleep(200000);
		replica = it_spawn(a2, NULL, 0);
	}
	cfgpath = (char *)it_path("sentinel.conf");
	snprintf(conf, sizeof(conf),
		 "port %d\nbind 127.0.0.1\ndir %s\n"
		 "sentinel monitor pumaster 127.0.0.1 %d 1\n"
		 "sentinel down-after-milliseconds pumaster 500\n"
		 "sentinel failover-timeout pumaster 3000\n", port_s, it_dir(),
		 port_p1);
	it_write_file(cfgpath, 0644, conf);
	{
		char *a3[] = { "redis-sentinel", cfgpath, NULL };

		sentinel = it_spawn(a3, NULL, 0);
	}
	/* wait for replication and for the sentinel to know the replica */
	for (int i = 0; i < 150 && !ok; i++) {
		const char *r = tcp_cli(port_s, "SENTINEL", "replicas", "pumaster",
					NULL);

		ok = r != NULL && strstr(cli_out, p2) != NULL;
		if (!ok)
			usleep(100000);
	}
	if (!ok)
		fail_msg("the sentinel never saw the replica");
	{
		char h[512];

		hash_of("$6$", "sentinel1", h, sizeof(h));
		assert_non_null(RCLI("-p", p1, "HSET", "pam:user:{sen}", "password",
				     h));
		/* the replica must hold the user before the primary dies */
		ok = false;
		for (int i = 0; i < 50 && !ok; i++) {
			ok = RCLI("-p", p1, "WAIT", "1", "200") != NULL &&
			     strcmp(cli_out, "1") == 0;
		}
		if (!ok)
			fail_msg("the replica never acknowledged the write");
	}
	assert_int_equal(auth("r-sentinel", "sen", "sentinel1"), PAM_SUCCESS);

	kill(primary, SIGKILL);
	waitpid(primary, NULL, 0);
	ok = false;
	t0 = it_now();
	for (int i = 0; i < 300 && !ok; i++) {
		tcp_cli(port_s, "SENTINEL", "get-master-addr-by-name", "pumaster",
			NULL);
		ok = strstr(cli_out, p2) != NULL;
		if (!ok)
			usleep(100000);
	}
	if (!ok)
		fail_msg("no failover within 30 s");
	fprintf(stderr, "    sentinel promoted the replica after %.1f s\n",
		it_now() - t0);
	/* the promoted replica answers ROLE master once it takes over */
	ok = false;
	for (int i = 0; i < 100 && !ok; i++) {
		ok = auth("r-sentinel", "sen", "sentinel1") == PAM_SUCCESS;
		if (!ok)
			usleep(100000);
	}
	if (!ok)
		fail_msg("no login through the promoted replica:\n%s", it_log_text());
	assert_int_equal(auth("r-sentinel", "sen", "wrong"), PAM_AUTH_ERR);
	it_stop(sentinel);
	it_stop(replica);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(authenticate_codes),
		cmocka_unit_test(every_prefix),
		cmocka_unit_test(account_codes),
		cmocka_unit_test(full_transaction_one_connection),
		cmocka_unit_test(sessions),
		cmocka_unit_test(chauthtok_root),
		cmocka_unit_test(chauthtok_user),
		cmocka_unit_test(chauthtok_concurrent),
		cmocka_unit_test(lockout_shared),
		cmocka_unit_test(odd_user_names),
		cmocka_unit_test(wrongtype),
		cmocka_unit_test(unifiedctl_commands),
		cmocka_unit_test(fault_down),
		cmocka_unit_test(fault_hung),
		cmocka_unit_test(redis_auth),
		cmocka_unit_test(redis_auth_hmac),
		cmocka_unit_test(sentinel_failover),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("redis backend (libpam)", tests,
					   group_setup, group_teardown);
}
