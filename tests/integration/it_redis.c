/*
 * redis backend through the real libpam against real redis-server (and
 * redis-sentinel) processes started on private sockets and loopback
 * ports.  The group's server is {dir}/redis.sock; a test that needs
 * another (hung, password-protected, QuarkDB, Sentinel) starts it and
 * the harness stops it after the test.  Keys come from the store's own
 * key function (it_key -> pu_users_key).
 */
#define _GNU_SOURCE
#include "harness.h"

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

#define AUTH_PASS "correct-horse-battery-staple"
#define DAY 86400LL

static char sock[PATH_MAX], ctl_path[PATH_MAX];

static const char *hash_of(const char *method, const char *pw)
{
	static char out[CRYPT_OUTPUT_SIZE];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	assert_non_null(crypt_gensalt_rn(method, 0, NULL, 0, setting,
					 sizeof(setting)));
	assert_non_null(crypt_r(pw, setting, &cd));
	snprintf(out, sizeof(out), "%s", cd.output);
	return out;
}

/* a user record holding only a password hash, on the server at s */
static void mkuser_on(const char *s, const char *user, const char *pw,
		      const char *method)
{
	const char *key = it_key("user", user);

	assert_non_null(it_redis_cli("-s", s, "DEL", key, NULL));
	assert_non_null(it_redis_cli("-s", s, "HSET", key, "password",
				     hash_of(method, pw), NULL));
}

static void mkuser(const char *user, const char *pw)
{
	mkuser_on(sock, user, pw, "$6$");
}

static void setf(const char *user, const char *field, const char *value)
{
	assert_non_null(it_redis_cli("-s", sock, "HSET", it_key("user", user),
				     field, value, NULL));
}

static int group_setup(void **state)
{
	(void)state;
	it_init();
	snprintf(ctl_path, sizeof(ctl_path), "%s/unifiedctl", it_build());
	snprintf(sock, sizeof(sock), "%s", it_path("redis.sock"));
	it_redis_start(sock, NULL); /* stopped by it_cleanup */
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_cleanup();
	return 0;
}

/* ---- groups ---- */

static void authenticate_codes(void **state)
{
	static const struct it_case cases[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS,
		  .prompts = IT_PROMPTS(1) },
		{ "alice", IT_AUTHENTICATE, { "wonderlanD" }, PAM_AUTH_ERR },
		{ "nosuchuser", IT_AUTHENTICATE, { "x" }, PAM_USER_UNKNOWN },
		{ "alice", IT_AUTHENTICATE, { "" }, PAM_AUTH_ERR },
		{ "alice", IT_SETCRED, { 0 }, PAM_SUCCESS },
		/* disabled: the right password does not open it */
		{ "dis", IT_AUTHENTICATE, { "disabled1" }, PAM_AUTH_ERR },
		/* a record without a password never authenticates */
		{ "nopw", IT_AUTHENTICATE, { "" }, PAM_AUTH_ERR },
		{ "nopw", IT_AUTHENTICATE, { "anything" }, PAM_AUTH_ERR },
		/* an empty stored password opens only with nullok and "" */
		{ "empty", IT_AUTHENTICATE, { "" }, PAM_AUTH_ERR },
		{ "empty", IT_AUTHENTICATE, { "" }, PAM_SUCCESS, .svc = "r-nullok" },
		{ "empty", IT_AUTHENTICATE, { "x" }, PAM_AUTH_ERR, .svc = "r-nullok" },
		/* a locked crypt string ("!") never matches */
		{ "bang", IT_AUTHENTICATE, { "!" }, PAM_AUTH_ERR },
	};

	(void)state;
	mkuser("alice", "wonderland");
	mkuser("dis", "disabled1");
	setf("dis", "disabled", "1");
	assert_non_null(it_redis_cli("-s", sock, "DEL", it_key("user", "nopw"),
				     NULL));
	setf("nopw", "disabled", "0");
	setf("empty", "password", "");
	setf("bang", "password", "!");
	it_stack("r", "auth required {module} backend=redis "
		      "redis=unix:{dir}/redis.sock\n");
	it_stack("r-nullok", "auth required {module} backend=redis "
			     "redis=unix:{dir}/redis.sock nullok\n");
	it_assert_cases("r", cases);
}

static void every_prefix(void **state)
{
	static const char *const methods[] = { "$y$", "$gy$", "$7$", "$6$",
					       "$5$", "$2b$" };

	(void)state;
	it_stack("r", "auth required {module} backend=redis "
		      "redis=unix:{dir}/redis.sock\n");
	for (size_t i = 0; i < IT_NELEM(methods); i++) {
		char user[32];
		struct it_conv right = IT_CONV("pr3fix-pass");
		struct it_conv wrong = IT_CONV("pr3fix-pasS");

		snprintf(user, sizeof(user), "m%zu", i);
		mkuser_on(sock, user, "pr3fix-pass", methods[i]);
		assert_non_null(it_redis_cli("-s", sock, "HGET",
					     it_key("user", user), "password",
					     NULL));
		assert_memory_equal(it_redis_cli("-s", sock, "HGET",
						 it_key("user", user), "password",
						 NULL),
				    methods[i], strlen(methods[i]));
		it_assert_code(it_op("r", user, IT_AUTHENTICATE, 0, &right),
			       PAM_SUCCESS, "%s, right password", methods[i]);
		it_assert_code(it_op("r", user, IT_AUTHENTICATE, 0, &wrong),
			       PAM_AUTH_ERR, "%s, wrong password", methods[i]);
	}
}

/* one record, changed field by field; each row checks the account */
static void account_codes(void **state)
{
	enum how { NONE, SET, AT, UNSET };
	static const struct {
		const char *field;
		enum how how;
		const char *value;   /* SET */
		long long offset;    /* AT: now + offset seconds */
		const char *svc;
		enum it_op op;
		int flags;
		int code;
		const char *out;     /* NULL: not checked */
	} rows[] = {
		{ NULL, NONE, NULL, 0, "r", IT_ACCT_MGMT, 0, PAM_SUCCESS, "" },
		{ "disabled", SET, "1", 0, "r", IT_ACCT_MGMT, 0, PAM_PERM_DENIED },
		{ "disabled", SET, "0", 0, "r", IT_ACCT_MGMT, 0, PAM_SUCCESS },
		{ "expires", AT, NULL, -10, "r", IT_ACCT_MGMT, 0, PAM_ACCT_EXPIRED },
		{ "expires", AT, NULL, DAY, "r", IT_ACCT_MGMT, 0, PAM_SUCCESS },
		{ "must_change", SET, "1", 0, "r", IT_ACCT_MGMT, 0,
		  PAM_NEW_AUTHTOK_REQD },
		{ "must_change", SET, "0", 0, "r", IT_ACCT_MGMT, 0, PAM_SUCCESS },
		/* changed 40 days ago, max_age 30 (option): must change */
		{ "changed", AT, NULL, -40 * DAY, "r-maxage", IT_ACCT_MGMT, 0,
		  PAM_NEW_AUTHTOK_REQD },
		/* the record's own max_age wins over the option */
		{ "max_age", SET, "60", 0, "r-maxage", IT_ACCT_MGMT, 0, PAM_SUCCESS,
		  "" },
		/* 25 days ago with max_age 30: within warn_age 7, a warning */
		{ "max_age", UNSET, NULL, 0, "r-maxage", IT_ACCT_MGMT, 0,
		  PAM_NEW_AUTHTOK_REQD },
		{ "changed", AT, NULL, -25 * DAY, "r-maxage", IT_ACCT_MGMT, 0,
		  PAM_SUCCESS, "I:Warning: your password will expire in 5 days.\n" },
		{ NULL, NONE, NULL, 0, "r-maxage", IT_ACCT_MGMT, PAM_SILENT,
		  PAM_SUCCESS, "" },
		/* garbage in the record fails closed, in every group */
		{ "expires", SET, "next tuesday", 0, "r", IT_ACCT_MGMT, 0,
		  PAM_AUTHINFO_UNAVAIL },
		{ NULL, NONE, NULL, 0, "r", IT_AUTHENTICATE, 0,
		  PAM_AUTHINFO_UNAVAIL },
	};

	(void)state;
	it_stack("r",
		 "auth    required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	it_stack("r-maxage",
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock "
		 "max_age=30 warn_age=7\n");
	it_stack("r-unknown",
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	it_assert_code(it_op("r-unknown", "nosuchuser", IT_ACCT_MGMT, 0, NULL),
		       PAM_USER_UNKNOWN, "nosuchuser");
	mkuser("acct", "acctpass1");
	for (size_t i = 0; i < IT_NELEM(rows); i++) {
		struct it_conv c = IT_CONV("acctpass1");
		char when[32];
		int rv;

		snprintf(when, sizeof(when), "%lld",
			 (long long)time(NULL) + rows[i].offset);
		if (rows[i].how == SET)
			setf("acct", rows[i].field, rows[i].value);
		else if (rows[i].how == AT)
			setf("acct", rows[i].field, when);
		else if (rows[i].how == UNSET)
			assert_non_null(it_redis_cli("-s", sock, "HDEL",
						     it_key("user", "acct"),
						     rows[i].field, NULL));
		rv = it_op(rows[i].svc, "acct", rows[i].op, rows[i].flags, &c);
		it_assert_code(rv, rows[i].code, "rows[%zu]: %s %s, then %s %s", i,
			       rows[i].field ? rows[i].field : "(no change)",
			       rows[i].how == SET ? rows[i].value :
			       rows[i].how == AT ? when : "", rows[i].svc,
			       it_op_name(rows[i].op));
		if (rows[i].out != NULL)
			assert_string_equal(c.out, rows[i].out);
	}
}

static void full_transaction_one_connection(void **state)
{
	static const struct it_step login[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_SETCRED, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_SUCCESS },
		{ IT_OPEN_SESSION, PAM_SUCCESS },
		{ IT_CLOSE_SESSION, PAM_SUCCESS },
	};
	struct it_conv c = IT_CONV("wonderland");
	long before, after;

	(void)state;
	mkuser("alice", "wonderland");
	it_stack("r",
		 "auth    required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "session required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	before = it_redis_connections(sock);
	it_assert_steps("r", "alice", &c, login);
	after = it_redis_connections(sock);
	/* one connection from auth to open_session, none held while the
	 * session lasts, one for close (plus the second INFO's) */
	assert_int_equal(after - before - 1, 2);
}

/* A redis line and a replay line (store=redis) share the handle's
 * connection when their connection options are the same, and keep one
 * each when they differ: at most one connection per distinct option set
 * per handle. */
static void connections_per_option_set(void **state)
{
	static const struct {
		const char *replay;   /* the replay lines' connection options */
		long connections;
	} cases[] = {
		{ "redis=unix:{dir}/redis.sock", 1 },
		/* prefix= picks keys, not a connection */
		{ "redis=unix:{dir}/redis.sock prefix=other:", 1 },
		/* the same server, another database: another connection */
		{ "redis=unix:{dir}/redis.sock redis_db=1", 2 },
	};
	/* up to open_session: close connects again (none is held while
	 * the session lasts, full_transaction_one_connection) */
	static const struct it_step login[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_SUCCESS },
		{ IT_OPEN_SESSION, PAM_SUCCESS },
	};
	int bad = 0;

	(void)state;
	it_write_file(it_path("replay.key"), 0600,
		      "6f1d0c3b5a7e9f2b4d6c8a0e1f3b5d7c"
		      "9e0a2c4e6f8b0d2f4a6c8e0b2d4f6a8c\n");
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV("conn-pass1");
		char user[32];
		long before, after;

		snprintf(user, sizeof(user), "conn%zu", i);
		mkuser(user, "conn-pass1");
		it_stack("redis+replay",
			 "auth     requisite {module} backend=redis redis=unix:{dir}/redis.sock\n"
			 "auth     required  {module} backend=replay window=2 "
			 "key_file={dir}/replay.key store=redis %1$s\n"
			 "account  required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
			 "session  required  {module} backend=replay window=2 "
			 "key_file={dir}/replay.key store=redis %1$s\n"
			 "session  required  {module} backend=redis redis=unix:{dir}/redis.sock\n",
			 cases[i].replay);
		before = it_redis_connections(sock);
		it_assert_steps("redis+replay", user, &c, login);
		after = it_redis_connections(sock);
		/* minus the second INFO's own connection */
		if (after - before - 1 != cases[i].connections) {
			print_error("cases[%zu]: replay lines with %s: %ld "
				    "connections, want %ld\n", i, cases[i].replay,
				    after - before - 1, cases[i].connections);
			bad++;
		}
	}
	if (bad > 0)
		fail_msg("%d of %zu cases failed", bad, IT_NELEM(cases));
}

static pam_handle_t *open_one(const char *rhost)
{
	pam_handle_t *ph = it_begin("r", "sess", NULL);

	pam_set_item(ph, PAM_TTY, "ssh");
	pam_set_item(ph, PAM_RHOST, rhost);
	pam_set_item(ph, PAM_RUSER, "invoker");
	it_assert_code(it_call(ph, IT_OPEN_SESSION, 0), PAM_SUCCESS,
		       "open_session");
	return ph;
}

static void sessions(void **state)
{
	pam_handle_t *ph[3], *other;

	(void)state;
	mkuser("sess", "sesspass1");
	it_stack("r", "session required {module} backend=redis "
		      "redis=unix:{dir}/redis.sock\n");
	/* three sessions with the same items (sshd: every tty is "ssh")
	 * are three records */
	for (int i = 0; i < 3; i++)
		ph[i] = open_one("203.0.113.7");
	assert_string_equal(it_redis_cli("-s", sock, "HLEN",
					 it_key("sessions", "sess"), NULL), "3");
	assert_non_null(strstr(it_redis_cli("-s", sock, "HVALS",
					    it_key("sessions", "sess"), NULL),
			       "tty=ssh rhost=203.0.113.7 ruser=invoker"));
	/* closing one removes exactly that one */
	it_assert_code(it_call(ph[1], IT_CLOSE_SESSION, 0), PAM_SUCCESS,
		       "close_session");
	it_end(ph[1], PAM_SUCCESS);
	assert_string_equal(it_redis_cli("-s", sock, "HLEN",
					 it_key("sessions", "sess"), NULL), "2");
	/* a handle that opened nothing has nothing to close */
	other = it_begin("r", "sess", NULL);
	it_assert_code(it_call(other, IT_CLOSE_SESSION, 0), PAM_SESSION_ERR,
		       "close_session of another handle");
	it_end(other, PAM_SUCCESS);
	for (int i = 0; i < 3; i += 2) {
		it_assert_code(it_call(ph[i], IT_CLOSE_SESSION, 0), PAM_SUCCESS,
			       "close_session");
		it_end(ph[i], PAM_SUCCESS);
	}
	assert_string_equal(it_redis_cli("-s", sock, "HLEN",
					 it_key("sessions", "sess"), NULL), "0");
	/* each appended an event: the newest two are close, then close */
	{
		const char *ev = it_redis_cli("-s", sock, "XREVRANGE",
					      it_key("events", "sess"), "+", "-",
					      "COUNT", "2", NULL);

		assert_non_null(ev);
		assert_non_null(strstr(ev, "session_close"));
	}
	/* an rhost cannot forge a field of the record */
	ph[0] = open_one("evil host=forged pid=1");
	assert_non_null(strstr(it_redis_cli("-s", sock, "HVALS",
					    it_key("sessions", "sess"), NULL),
			       "rhost=evil%20host%3Dforged%20pid%3D1 "));
	it_assert_code(it_call(ph[0], IT_CLOSE_SESSION, 0), PAM_SUCCESS,
		       "close_session");
	it_end(ph[0], PAM_SUCCESS);
}

static void chauthtok_root(void **state)
{
	static const struct it_case change[] = {
		/* root: no current password, the new one twice */
		{ "pw", IT_CHAUTHTOK, { "newpass34", "newpass34" }, PAM_SUCCESS,
		  .prompts = IT_PROMPTS(2) },
		{ "pw", IT_AUTHENTICATE, { "newpass34" }, PAM_SUCCESS },
		{ "pw", IT_AUTHENTICATE, { "oldpass12" }, PAM_AUTH_ERR },
	};
	static const struct it_case refused[] = {
		{ "pw", IT_CHAUTHTOK, { "short", "short" }, PAM_AUTHTOK_ERR,
		  "E:The password is shorter than 8 characters.\n" },
		{ "pw", IT_CHAUTHTOK, { "newpass34", "newpass34" }, PAM_AUTHTOK_ERR,
		  "E:The new password must differ from the old one.\n" },
		{ "nosuchuser", IT_CHAUTHTOK, { "newpass56", "newpass56" },
		  PAM_USER_UNKNOWN },
		/* hash= picks the method */
		{ "pw", IT_CHAUTHTOK, { "bcrypted9", "bcrypted9" }, PAM_SUCCESS,
		  .svc = "r-bcrypt" },
	};

	(void)state;
	mkuser("pw", "oldpass12");
	setf("pw", "must_change", "1");
	it_stack("r",
		 "auth     required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "password required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	it_stack("r-bcrypt", "password required {module} backend=redis "
			     "redis=unix:{dir}/redis.sock hash=bcrypt\n");
	it_assert_cases("r", change);
	/* the change clears must_change and sets changed */
	assert_string_equal(it_redis_cli("-s", sock, "HEXISTS",
					 it_key("user", "pw"), "must_change",
					 NULL), "0");
	assert_true(atoll(it_redis_cli("-s", sock, "HGET", it_key("user", "pw"),
				       "changed", NULL)) >=
		    (long long)time(NULL) - 5);
	it_assert_cases("r", refused);
	assert_memory_equal(it_redis_cli("-s", sock, "HGET", it_key("user", "pw"),
					 "password", NULL), "$2b$", 4);
}

static void chauthtok_user(void **state)
{
	static const struct {
		const char *old, *newpw;
		int code;
	} changes[] = {
		{ "wrong-old", "userpass2", PAM_AUTHTOK_ERR },
		{ "userpass1", "userpass2", PAM_SUCCESS },
	};
	static const struct it_case after[] = {
		{ "usr", IT_AUTHENTICATE, { "userpass2" }, PAM_SUCCESS },
		{ "usr", IT_AUTHENTICATE, { "userpass1" }, PAM_AUTH_ERR },
	};

	(void)state;
	mkuser("usr", "userpass1");
	it_stack("r",
		 "auth     required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "password required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	for (size_t i = 0; i < IT_NELEM(changes); i++)
		it_assert_code(it_chauthtok_as_user("r", "usr", changes[i].old,
						    changes[i].newpw),
			       changes[i].code, "changes[%zu]: %s -> %s", i,
			       changes[i].old, changes[i].newpw);
	it_assert_cases("r", after);
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
	static const struct it_case after[] = {
		{ "race", IT_AUTHENTICATE, { "fromctl99" }, PAM_SUCCESS },
		{ "race", IT_AUTHENTICATE, { "mine12345" }, PAM_AUTH_ERR },
	};
	struct it_conv c = IT_CONV("mine12345", "mine12345");
	char redisarg[PATH_MAX + 16];

	(void)state;
	mkuser("race", "racepass1");
	it_stack("r",
		 "auth     required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "password required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	c.on_prompt = change_behind_our_back;
	c.arg = redisarg;
	it_assert_code(it_op("r", "race", IT_CHAUTHTOK, 0, &c), PAM_AUTHTOK_ERR,
		       "chauthtok racing unifiedctl");
	assert_non_null(strstr(c.out, "changed elsewhere"));
	it_assert_cases("r", after);
}

/* ---- lockout shared by two "hosts" ---- */

static void faillock_reset(const char *user)
{
	char redisarg[PATH_MAX + 16];
	char *argv[] = { ctl_path, redisarg, "faillock", "reset", (char *)user,
			 NULL };

	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	assert_int_equal(it_run(argv, NULL, NULL, 0), 0);
}

static void lockout_shared(void **state)
{
	/* success clears earlier failures */
	static const struct it_case clears[] = {
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_SUCCESS,
		  .svc = "host-b" },
	};
	/* three failures on host A lock the account on host B */
	static const struct it_case locks[] = {
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
	};
	static const struct it_case unlocked[] = {
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_SUCCESS,
		  .svc = "host-b" },
	};
	/* unlock_time=2 lets it go by itself */
	static const struct it_case relock[] = {
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR, .svc = "host-b" },
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR, .svc = "host-b" },
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR, .svc = "host-b" },
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_AUTH_ERR },
	};
	static const struct it_case expired[] = {
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_SUCCESS },
	};
	/* unlock_time=0: locked until reset */
	static const struct it_case forever[] = {
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
		{ "lock", IT_AUTHENTICATE, { "bad" }, PAM_AUTH_ERR },
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_AUTH_ERR },
	};
	static const struct it_case reset[] = {
		{ "lock", IT_AUTHENTICATE, { "lockpass1" }, PAM_SUCCESS },
	};

	(void)state;
	mkuser("lock", "lockpass1");
	it_stack("host-a", "auth required {module} backend=redis "
			   "redis=unix:{dir}/redis.sock deny=3 unlock_time=2\n");
	it_stack("host-b", "auth required {module} backend=redis "
			   "redis=unix:{dir}/redis.sock deny=3 unlock_time=2\n");
	it_stack("host-c", "auth required {module} backend=redis "
			   "redis=unix:{dir}/redis.sock deny=2 unlock_time=0\n");

	it_assert_cases("host-a", clears);
	assert_string_equal(it_redis_cli("-s", sock, "EXISTS",
					 it_key("fail", "lock"), NULL), "0");
	it_assert_cases("host-a", locks);
	{
		struct it_conv c = IT_CONV("lockpass1");

		it_assert_code(it_op("host-b", "lock", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTH_ERR, "the right password, locked");
		/* "(N seconds left to unlock)" follows */
		assert_non_null(strstr(c.out, "E:The account is locked due to 3 "
					      "failed logins"));
	}
	assert_true(it_log_has("locked out after 3 failures"));
	/* an administrator's reset unlocks it */
	faillock_reset("lock");
	it_assert_cases("host-b", unlocked);

	it_assert_cases("host-a", relock);
	sleep(3);
	it_assert_cases("host-a", expired);

	it_assert_cases("host-c", forever);
	assert_string_equal(it_redis_cli("-s", sock, "TTL",
					 it_key("fail", "lock"), NULL), "-1");
	faillock_reset("lock");
	it_assert_cases("host-c", reset);
}

/* ---- user names, keys, options ---- */

static char longname[1025];

static void odd_user_names(void **state)
{
	static const struct it_case cases[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
		{ "with space", IT_AUTHENTICATE, { "spacepass" }, PAM_SUCCESS },
		/* the hash tag cannot be broken out of */
		{ "br{ac}es", IT_AUTHENTICATE, { "bracepass" }, PAM_SUCCESS },
		{ "br", IT_AUTHENTICATE, { "bracepass" }, PAM_USER_UNKNOWN },
		{ "cr\r\nlf", IT_AUTHENTICATE, { "x" }, PAM_USER_UNKNOWN },
		{ longname, IT_AUTHENTICATE, { "longpass1" }, PAM_SUCCESS },
		/* key layout: prefix= and redis_db= move the store */
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN,
		  .svc = "r-db" },
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_USER_UNKNOWN,
		  .svc = "r-prefix" },
	};
	static const struct it_case other_prefix[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_AUTH_ERR },
	};

	(void)state;
	memset(longname, 'u', 1024);
	mkuser("alice", "wonderland");
	mkuser("with space", "spacepass");
	mkuser("br{ac}es", "bracepass");
	mkuser(longname, "longpass1");
	it_stack("r", "auth required {module} backend=redis "
		      "redis=unix:{dir}/redis.sock\n");
	it_stack("r-prefix", "auth required {module} backend=redis "
			     "redis=unix:{dir}/redis.sock prefix=other:\n");
	it_stack("r-db", "auth required {module} backend=redis "
			 "redis=unix:{dir}/redis.sock redis_db=5\n");
	it_assert_cases("r", cases);
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("other:", "user", "alice"),
				     "password", "!", NULL));
	it_assert_cases("r-prefix", other_prefix);
}

static void wrongtype(void **state)
{
	static const struct it_case cases[] = {
		{ "wt", IT_AUTHENTICATE, { "x" }, PAM_AUTHINFO_UNAVAIL },
		{ "wt", IT_ACCT_MGMT, { 0 }, PAM_AUTHINFO_UNAVAIL },
	};
	static const struct it_case session[] = {
		{ "wt2", IT_OPEN_SESSION, { 0 }, PAM_SESSION_ERR },
	};

	(void)state;
	it_stack("r",
		 "auth    required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "session required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	assert_non_null(it_redis_cli("-s", sock, "SET", it_key("user", "wt"),
				     "a string", NULL));
	it_assert_cases("r", cases);
	assert_true(it_log_has("WRONGTYPE"));
	mkuser("wt2", "wt2pass12");
	assert_non_null(it_redis_cli("-s", sock, "SET", it_key("sessions", "wt2"),
				     "a string", NULL));
	it_assert_cases("r", session);
}

/* unifiedctl against the same store: every command, its exit status,
 * what it printed, and what the module then says */
static int ctl(const char *input, char *out, size_t size, char *err,
	       size_t errsize, const char *const *args)
{
	char redisarg[PATH_MAX + 16], *argv[16];
	int n = 0;

	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	argv[n++] = ctl_path;
	argv[n++] = redisarg;
	for (int i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return it_run_io(argv, input, out, size, err, errsize);
}

#define CTL(out, ...) ctl(NULL, (out), sizeof(out), NULL, 0, \
			  (const char *const[]){ __VA_ARGS__, NULL })

static void unifiedctl_commands(void **state)
{
	static const struct {
		const char *input;        /* stdin */
		const char *args[6];      /* after redis=unix:SOCK */
		int status;
		const char *out;          /* stdout, exactly; NULL: not checked */
		const char *err;          /* in stderr; NULL: nothing there */
		enum it_op op;            /* then cu's PAM result, when */
		const char *password;     /* not NULL */
		int code;
	} rows[] = {
		{ "ctlpass12\n", { "user", "add", "cu", "--password-stdin" }, 0,
		  "cu: created\n", NULL, IT_AUTHENTICATE, "ctlpass12", PAM_SUCCESS },
		{ "ctlpass12\n", { "user", "add", "cu", "--password-stdin" }, 1, "",
		  "cu: user exists" },
		{ "short\n", { "user", "passwd", "cu", "--password-stdin" }, 1, "",
		  "password shorter than minlen=8" },
		{ "ctlpass34\n", { "user", "passwd", "nobody-here",
				   "--password-stdin" }, 1, "",
		  "nobody-here: no such user" },
		{ "ctlpass34\n", { "user", "passwd", "cu", "--password-stdin" }, 0,
		  "cu: password changed\n", NULL, IT_AUTHENTICATE, "ctlpass34",
		  PAM_SUCCESS },
		/* no terminal and no --password-stdin: refused, nothing read */
		{ NULL, { "user", "passwd", "cu" }, 1, "",
		  "no terminal; use --password-stdin" },
		{ NULL, { "user", "lock", "cu" }, 0, "cu: locked\n", NULL,
		  IT_ACCT_MGMT, "", PAM_PERM_DENIED },
		{ NULL, { "user", "unlock", "cu" }, 0, "cu: unlocked\n", NULL,
		  IT_ACCT_MGMT, "", PAM_SUCCESS },
		{ NULL, { "user", "must-change", "cu" }, 0,
		  "cu: must change the password at the next login\n", NULL,
		  IT_ACCT_MGMT, "", PAM_NEW_AUTHTOK_REQD },
		/* expire needs a date, a real one */
		{ NULL, { "user", "expire", "cu" }, 2, "",
		  "user expire needs --at YYYY-MM-DD or --at never" },
		{ NULL, { "user", "expire", "cu", "--at", "1970-01-02" }, 0,
		  "cu: expires 1970-01-02\n", NULL, IT_ACCT_MGMT, "",
		  PAM_ACCT_EXPIRED },
		{ NULL, { "user", "expire", "cu", "--at", "soon" }, 2, "",
		  "--at soon: expected YYYY-MM-DD or never" },
		{ NULL, { "user", "expire", "cu", "--at", "2025-02-30" }, 2, "",
		  "--at 2025-02-30: expected YYYY-MM-DD or never" },
		{ NULL, { "bogus" }, 2, "", "usage: unifiedctl" },
		{ NULL, { "--help" }, 0, NULL, "" },
		/* an unknown option fails like the module: usage/config status */
		{ NULL, { "nosuch=1", "user", "list" }, 2, "",
		  "configuration: argument nosuch: unknown option \"nosuch\"" },
	};
	char out[8192], stored[512];

	(void)state;
	it_stack("r",
		 "auth    required {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock\n");
	it_stack("r-deny", "auth required {module} backend=redis "
			   "redis=unix:{dir}/redis.sock deny=3\n");
	for (size_t i = 0; i < IT_NELEM(rows); i++) {
		char err[4096];
		int st = ctl(rows[i].input, out, sizeof(out), err, sizeof(err),
			     rows[i].args);
		struct it_conv c = IT_CONV(rows[i].password);

		if (st != rows[i].status ||
		    (rows[i].out != NULL && strcmp(out, rows[i].out) != 0) ||
		    (rows[i].err == NULL ? err[0] != '\0'
					 : strstr(err, rows[i].err) == NULL))
			fail_msg("rows[%zu]: unifiedctl %s %s %s: status %d, want %d; "
				 "printed \"%s\", want \"%s\"; stderr \"%s\", "
				 "want \"%s\"", i, rows[i].args[0],
				 rows[i].args[1] ? rows[i].args[1] : "",
				 rows[i].args[2] ? rows[i].args[2] : "", st,
				 rows[i].status, it_show(out), it_show(rows[i].out),
				 it_show(err), it_show(rows[i].err));
		if (rows[i].password != NULL)
			it_assert_code(it_op("r", "cu", rows[i].op, 0, &c),
				       rows[i].code, "rows[%zu]: then %s", i,
				       it_op_name(rows[i].op));
	}

	/* show: the method, never the hash itself */
	assert_int_equal(CTL(out, "user", "show", "cu"), 0);
	assert_non_null(strstr(out, "password: yescrypt"));
	assert_non_null(strstr(out, "expires: 1970-01-02"));
	assert_non_null(strstr(out, "must_change: yes"));
	snprintf(stored, sizeof(stored), "%s",
		 it_redis_cli("-s", sock, "HGET", it_key("user", "cu"), "password",
			      NULL));
	assert_null(strstr(out, stored + 4));
	assert_int_equal(CTL(out, "user", "list"), 0);
	assert_true(strstr(out, "\ncu\n") != NULL || strncmp(out, "cu\n", 3) == 0);
	{
		struct it_conv c = IT_CONV("bad");

		it_assert_code(it_op("r-deny", "cu", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTH_ERR, "a failure to show");
	}
	assert_int_equal(CTL(out, "faillock", "show", "cu"), 0);
	assert_non_null(strstr(out, "cu: 1 recent failure(s)"));
	assert_int_equal(CTL(out, "sessions", "sess"), 0);
	/* an empty stored password is shown as such (it once read past
	 * the end of the value) */
	setf("cu", "password", "");
	assert_int_equal(CTL(out, "user", "show", "cu"), 0);
	assert_non_null(strstr(out, "password: empty"));
	assert_int_equal(CTL(out, "user", "del", "cu"), 0);
	assert_string_equal(out, "cu: deleted (record, failures, sessions)\n");
	{
		struct it_conv c = IT_CONV("ctlpass34");

		it_assert_code(it_op("r", "cu", IT_AUTHENTICATE, 0, &c),
			       PAM_USER_UNKNOWN, "after user del");
	}
	assert_int_equal(CTL(out, "user", "show", "cu"), 1);
}

/* ---- issue 10: the security findings, one test each ---- */

/* Finding 3: the deadline covers I/O, not crypt(3).  A yescrypt cost
 * whose check takes at least 100 ms here, under timeout=40 (under
 * valgrind, where the module's own I/O code runs ~30 times slower: 1 s
 * under timeout=400): a wrong password is a plain failure, and the right
 * one after it logs in.  A prefix of its own keeps this costly setting
 * out of the other tests' dummy work. */
static void deadline_excludes_crypt(void **state)
{
	static const struct it_case cases[] = {
		{ "ycr", IT_AUTHENTICATE, { "yescrypt-wrong" }, PAM_AUTH_ERR },
		{ "ycr", IT_AUTHENTICATE, { "yescrypt-right" }, PAM_SUCCESS },
		{ "ycr", IT_AUTHENTICATE, { "yescrypt-wrong" }, PAM_AUTH_ERR },
		{ "ycr", IT_AUTHENTICATE, { "yescrypt-right" }, PAM_SUCCESS },
		/* the dummy work on an unknown name is not I/O either */
		{ "ycr-none", IT_AUTHENTICATE, { "yescrypt-right" },
		  PAM_USER_UNKNOWN },
	};
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];
	struct crypt_data cd;
	bool vg = getenv("PU_UNDER_VALGRIND") != NULL;
	int timeout_ms = vg ? 400 : 40;
	double took = 0, want = vg ? 1.0 : 0.1;

	(void)state;
	for (unsigned long cost = 5; cost <= 11 && took < want; cost++) {
		double t0;

		assert_non_null(crypt_gensalt_rn("$y$", cost, NULL, 0, setting,
						 sizeof(setting)));
		memset(&cd, 0, sizeof(cd));
		t0 = it_now();
		assert_non_null(crypt_r("yescrypt-right", setting, &cd));
		took = it_now() - t0;
		snprintf(hash, sizeof(hash), "%s", cd.output);
	}
	if (took < want)
		fail_msg("no yescrypt cost takes %.0f ms here (%.0f ms)",
			 want * 1000, took * 1000);
	fprintf(stderr, "    yescrypt check: %.0f ms, timeout=%d\n",
		took * 1000, timeout_ms);
	assert_non_null(it_redis_cli("-s", sock, "DEL",
				     it_key_prefix("ycr:", "user", "ycr"),
				     it_key_prefix("ycr:", "fail", "ycr"),
				     "ycr:dummy", NULL));
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("ycr:", "user", "ycr"),
				     "password", hash, NULL));
	it_stack("r-y40", "auth required {module} backend=redis "
			  "redis=unix:{dir}/redis.sock prefix=ycr: timeout=%d\n",
		 timeout_ms);
	it_assert_cases("r-y40", cases);
}

/* Finding 5: chauthtok's old-password check is a login attempt: each
 * wrong one counts, and a locked account cannot test passwords there,
 * not even the right one. */
static void chauthtok_under_lockout(void **state)
{
	static const struct it_case locked[] = {
		{ "cpl", IT_AUTHENTICATE, { "cplpass12" }, PAM_AUTH_ERR },
	};
	static const struct it_case reset[] = {
		{ "cpl", IT_AUTHENTICATE, { "cplpass34" }, PAM_SUCCESS },
	};
	char fkey[PATH_MAX];

	(void)state;
	mkuser("cpl", "cplpass12");
	snprintf(fkey, sizeof(fkey), "%s", it_key("fail", "cpl"));
	assert_non_null(it_redis_cli("-s", sock, "DEL", fkey, NULL));
	it_stack("r-cpl",
		 "auth     required {module} backend=redis redis=unix:{dir}/redis.sock "
		 "deny=3 unlock_time=600\n"
		 "password required {module} backend=redis redis=unix:{dir}/redis.sock "
		 "deny=3 unlock_time=600\n");
	for (int i = 0; i < 10; i++) {
		char old[32];

		snprintf(old, sizeof(old), "wrong-old-%d", i);
		it_assert_code(it_chauthtok_as_user("r-cpl", "cpl", old,
						    "cplpass34"),
			       PAM_AUTHTOK_ERR, "wrong old password %d", i);
	}
	/* three counted, then locked: the locked ones are not checked */
	assert_string_equal(it_redis_cli("-s", sock, "ZCARD", fkey, NULL), "3");
	it_assert_code(it_chauthtok_as_user("r-cpl", "cpl", "cplpass12",
					    "cplpass34"),
		       PAM_AUTHTOK_ERR, "the right old password, locked");
	it_assert_cases("r-cpl", locked);
	faillock_reset("cpl");
	it_assert_code(it_chauthtok_as_user("r-cpl", "cpl", "cplpass12",
					    "cplpass34"),
		       PAM_SUCCESS, "the right old password after a reset");
	it_assert_cases("r-cpl", reset);
}

/* the conversation's messages with every digit as '#' (the seconds left
 * to unlock may differ by one between two calls) */
static const char *digitless(const char *s)
{
	static char out[2][4096];
	static int k;
	char *o = out[k++ % 2];
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sizeof(out[0]); i++)
		o[i] = s[i] >= '0' && s[i] <= '9' ? '#' : s[i];
	o[i] = '\0';
	return o;
}

static long long ttl_of(const char *k)
{
	return atoll(it_redis_cli("-s", sock, "TTL", k, NULL));
}

/* Finding 7: after deny failures a known and an unknown name see the same
 * messages and prompts, attempt by attempt; the code stays
 * PAM_USER_UNKNOWN for the unknown one.  What an unknown name leaves in
 * the store is bounded: at most deny failure entries, and every key of
 * it expires (a known user's failures stay until reset when
 * unlock_time=0). */
static void unknown_looks_known(void **state)
{
	static const struct {
		const char *svc;
		long long ttl_max;   /* an unknown name's failure record */
	} stacks[] = {
		{ "r-enum", 900 },          /* max(unlock_time, fail_interval) */
		{ "r-enum-forever", 86400 }, /* unlock_time=0: a day */
	};

	(void)state;
	it_stack("r-enum", "auth required {module} backend=redis "
			   "redis=unix:{dir}/redis.sock deny=3 unlock_time=600 "
			   "fail_interval=900\n");
	it_stack("r-enum-forever", "auth required {module} backend=redis "
				   "redis=unix:{dir}/redis.sock deny=3 "
				   "unlock_time=0\n");
	for (size_t s = 0; s < IT_NELEM(stacks); s++) {
		char known[32], ghost[32];
		const char *kfail, *gfail, *gev;

		snprintf(known, sizeof(known), "known7-%zu", s);
		snprintf(ghost, sizeof(ghost), "ghost7-%zu", s);
		mkuser(known, "knownpass7");
		for (int i = 0; i < 6; i++) {
			struct it_conv k = IT_CONV("wrong-pass"),
				       g = IT_CONV("wrong-pass");
			int kc = it_op(stacks[s].svc, known, IT_AUTHENTICATE, 0, &k);
			int gc = it_op(stacks[s].svc, ghost, IT_AUTHENTICATE, 0, &g);

			it_assert_code(kc, PAM_AUTH_ERR, "%s attempt %d, %s",
				       stacks[s].svc, i + 1, known);
			it_assert_code(gc, PAM_USER_UNKNOWN, "%s attempt %d, %s",
				       stacks[s].svc, i + 1, ghost);
			if (strcmp(digitless(k.out), digitless(g.out)) != 0 ||
			    k.prompts != g.prompts)
				fail_msg("%s attempt %d: a known user saw \"%s\" "
					 "(%d prompts), an unknown one \"%s\" "
					 "(%d prompts)", stacks[s].svc, i + 1,
					 it_show(k.out), k.prompts, it_show(g.out),
					 g.prompts);
			if (i >= 3 && strstr(g.out, "E:The account is locked due "
						    "to 3 failed logins") == NULL)
				fail_msg("%s attempt %d: no lock message for %s: "
					 "\"%s\"", stacks[s].svc, i + 1, ghost,
					 it_show(g.out));
		}
		kfail = it_key("fail", known);
		gfail = it_key("fail", ghost);
		gev = it_key("events", ghost);
		assert_string_equal(it_redis_cli("-s", sock, "ZCARD", gfail, NULL),
				    "3");
		if (ttl_of(gfail) <= 0 || ttl_of(gfail) > stacks[s].ttl_max)
			fail_msg("%s: %s expires in %lld s, want 1..%lld",
				 stacks[s].svc, gfail, ttl_of(gfail),
				 stacks[s].ttl_max);
		if (ttl_of(gev) <= 0 || ttl_of(gev) > 86400)
			fail_msg("%s: %s expires in %lld s, want 1..86400",
				 stacks[s].svc, gev, ttl_of(gev));
		if (s == 1 && ttl_of(kfail) != -1)
			fail_msg("a known user's lock with unlock_time=0 "
				 "expires (%lld s)", ttl_of(kfail));
		assert_string_equal(it_redis_cli("-s", sock, "EXISTS",
						 it_key("user", ghost), NULL),
				    "0");
	}
}

/* Finding 9: with nullok and an empty stored password, an application
 * that passes PAM_DISALLOW_NULL_AUTHTOK gets PAM_AUTH_ERR, as with
 * pam_unix. */
static void disallow_null_authtok(void **state)
{
	static const struct it_case cases[] = {
		{ "empty9", IT_AUTHENTICATE, { "" }, PAM_SUCCESS },
		{ "empty9", IT_AUTHENTICATE, { "" }, PAM_AUTH_ERR,
		  .flags = PAM_DISALLOW_NULL_AUTHTOK },
		{ "empty9", IT_AUTHENTICATE, { "" }, PAM_AUTH_ERR,
		  .flags = PAM_DISALLOW_NULL_AUTHTOK | PAM_SILENT },
		{ "empty9", IT_AUTHENTICATE, { "x" }, PAM_AUTH_ERR,
		  .flags = PAM_DISALLOW_NULL_AUTHTOK },
		{ "empty9", IT_AUTHENTICATE, { "" }, PAM_SUCCESS },
	};

	(void)state;
	assert_non_null(it_redis_cli("-s", sock, "DEL", it_key("user", "empty9"),
				     NULL));
	setf("empty9", "password", "");
	it_stack("r-nullok9", "auth required {module} backend=redis "
			      "redis=unix:{dir}/redis.sock nullok\n");
	it_assert_cases("r-nullok9", cases);
}

/* Finding 10: the record an auth line fetched under prefix=corp: is not
 * the account line's under prefix=vpn:, in one handle. */
static void record_cache_per_prefix(void **state)
{
	static const struct it_step steps[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_PERM_DENIED },
	};
	static const struct it_step absent[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_USER_UNKNOWN },
	};
	static const struct it_step both[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_SUCCESS },
	};
	struct it_conv c1 = IT_CONV("corp-pass1"), c2 = IT_CONV("corp-pass1"),
		       c3 = IT_CONV("corp-pass1");

	(void)state;
	/* pfx1: enabled under corp:, disabled under vpn: */
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("corp:", "user", "pfx1"),
				     "password", hash_of("$6$", "corp-pass1"),
				     NULL));
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("vpn:", "user", "pfx1"),
				     "password", "!", "disabled", "1", NULL));
	/* pfx2: under corp: only */
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("corp:", "user", "pfx2"),
				     "password", hash_of("$6$", "corp-pass1"),
				     NULL));
	assert_non_null(it_redis_cli("-s", sock, "DEL",
				     it_key_prefix("vpn:", "user", "pfx2"), NULL));
	/* pfx3: enabled under both (the control) */
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("corp:", "user", "pfx3"),
				     "password", hash_of("$6$", "corp-pass1"),
				     NULL));
	assert_non_null(it_redis_cli("-s", sock, "HSET",
				     it_key_prefix("vpn:", "user", "pfx3"),
				     "password", "!", NULL));
	it_stack("corp-vpn",
		 "auth    required {module} backend=redis redis=unix:{dir}/redis.sock "
		 "prefix=corp:\n"
		 "account required {module} backend=redis redis=unix:{dir}/redis.sock "
		 "prefix=vpn:\n");
	it_assert_steps("corp-vpn", "pfx1", &c1, steps);
	it_assert_steps("corp-vpn", "pfx2", &c2, absent);
	it_assert_steps("corp-vpn", "pfx3", &c3, both);
}

/* Finding 17: key names with control characters are listed escaped */
static void user_list_escapes(void **state)
{
	static const char *const names[] = {
		"ctl\x1b[2Jred", "bell\a\r\nfake-user", "del\x7f",
		"c1\xc2\x9b" "31mX", "raw\x9b" "31mY",
	};
	char out[8192];

	(void)state;
	for (size_t i = 0; i < IT_NELEM(names); i++)
		mkuser(names[i], "escapes12");
	out[0] = '\n';
	assert_int_equal(ctl(NULL, out + 1, sizeof(out) - 1, NULL, 0,
			     (const char *const[]){ "user", "list", NULL }), 0);
	for (size_t i = 0; i < strlen(out); i++) {
		unsigned char ch = (unsigned char)out[i];

		if ((ch < 0x20 && ch != '\n') || ch == 0x7f || ch == 0x9b)
			fail_msg("user list printed 0x%02x raw: \"%s\"", ch,
				 it_show(out));
	}
	assert_non_null(strstr(out, "\nctl?[2Jred\n"));
	assert_non_null(strstr(out, "\nbell???fake-user\n"));
	assert_null(strstr(out, "\nfake-user\n"));
	assert_non_null(strstr(out, "\nc1??31mX\n"));
	assert_non_null(strstr(out, "\nraw?31mY\n"));
	for (size_t i = 0; i < IT_NELEM(names); i++)
		assert_non_null(it_redis_cli("-s", sock, "DEL",
					     it_key("user", names[i]), NULL));
}

/* Finding 6 (the parts that are not timing, which is make bench's):
 * rehash= upgrades a hash of another method than hash= at a successful
 * login only (compare-and-set; changed stays), and unifiedctl check
 * reports the mix of methods in the store.  A prefix of its own makes the
 * mix exact. */
static void rehash_and_method_mix(void **state)
{
	static const struct it_case logins[] = {
		{ "rh-sha", IT_AUTHENTICATE, { "rehash-pw1x" }, PAM_AUTH_ERR },
		{ "rh-sha", IT_AUTHENTICATE, { "rehash-pw1" }, PAM_SUCCESS },
		{ "rh-bcr", IT_AUTHENTICATE, { "rehash-pw2" }, PAM_SUCCESS },
	};
	static const struct it_case after[] = {
		{ "rh-sha", IT_AUTHENTICATE, { "rehash-pw1" }, PAM_SUCCESS },
		{ "rh-sha", IT_AUTHENTICATE, { "rehash-pw1x" }, PAM_AUTH_ERR },
		{ "rh-bcr", IT_AUTHENTICATE, { "rehash-pw2" }, PAM_SUCCESS },
	};
	static const struct {
		const char *user, *pw, *method;
	} users[] = {
		{ "rh-sha", "rehash-pw1", "$6$" },
		{ "rh-bcr", "rehash-pw2", "$2b$" },
		{ "rh-yes", "rehash-pw3", "$y$" },
	};
	char out[8192], redisarg[PATH_MAX + 16];
	char *check[] = { ctl_path, "check", "backend=redis", redisarg,
			  "prefix=rh:", "hash=yescrypt", NULL };

	(void)state;
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	for (size_t i = 0; i < IT_NELEM(users); i++) {
		const char *k = it_key_prefix("rh:", "user", users[i].user);

		assert_non_null(it_redis_cli("-s", sock, "DEL", k, NULL));
		assert_non_null(it_redis_cli("-s", sock, "HSET", k, "password",
					     hash_of(users[i].method, users[i].pw),
					     "changed", "1700000000", NULL));
	}
	assert_int_equal(it_run(check, NULL, out, sizeof(out)), 0);
	if (strstr(out, "redis users: 3: yescrypt 1, sha512crypt 1, bcrypt 1; "
			"new hashes: $y$ (mixed methods: rehash= converges them)")
	    == NULL)
		fail_msg("check before: %s", it_show(out));
	it_stack("r-rehash", "auth required {module} backend=redis "
			     "redis=unix:{dir}/redis.sock prefix=rh: rehash "
			     "hash=yescrypt\n");
	it_assert_cases("r-rehash", logins);
	for (size_t i = 0; i < IT_NELEM(users); i++) {
		const char *k = it_key_prefix("rh:", "user", users[i].user);

		assert_memory_equal(it_redis_cli("-s", sock, "HGET", k, "password",
						 NULL), "$y$", 3);
		assert_string_equal(it_redis_cli("-s", sock, "HGET", k, "changed",
						 NULL), "1700000000");
	}
	it_assert_cases("r-rehash", after);
	assert_int_equal(it_run(check, NULL, out, sizeof(out)), 0);
	if (strstr(out, "redis users: 3: yescrypt 3; new hashes: $y$\n") == NULL)
		fail_msg("check after: %s", it_show(out));
}

/* ---- faults ---- */

/* no server at all: every group fails closed with its own code (setcred
 * asks the server nothing) */
static void fault_down(void **state)
{
	static const struct it_case absent[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_AUTHINFO_UNAVAIL },
		{ "alice", IT_SETCRED, { 0 }, PAM_SUCCESS },
		{ "alice", IT_ACCT_MGMT, { 0 }, PAM_AUTHINFO_UNAVAIL },
		{ "alice", IT_OPEN_SESSION, { 0 }, PAM_SESSION_ERR },
		{ "alice", IT_CLOSE_SESSION, { 0 }, PAM_SESSION_ERR },
		{ "alice", IT_CHAUTHTOK, { "whatever1", "whatever1" },
		  PAM_AUTHTOK_ERR },
	};
	static const struct it_case refused[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_AUTHINFO_UNAVAIL },
	};
	/* first URI dead, second used */
	static const struct it_case list[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
	};

	(void)state;
	mkuser("alice", "wonderland");
	it_stack("r-absent",
		 "auth     required {module} backend=redis redis=unix:{dir}/absent.sock\n"
		 "account  required {module} backend=redis redis=unix:{dir}/absent.sock\n"
		 "password required {module} backend=redis redis=unix:{dir}/absent.sock\n"
		 "session  required {module} backend=redis redis=unix:{dir}/absent.sock\n");
	it_assert_cases("r-absent", absent);
	it_stack("r-refused", "auth required {module} backend=redis "
			      "redis=tcp://127.0.0.1:1\n");
	it_log_clear();
	it_assert_cases("r-refused", refused);
	assert_true(it_log_has("Connection refused"));
	it_stack("r-list", "auth required {module} backend=redis "
			   "redis=unix:{dir}/absent.sock,unix:{dir}/redis.sock\n");
	it_assert_cases("r-list", list);
}

/* a server that stops answering costs exactly the timeout */
static void fault_hung(void **state)
{
	static const struct it_case up[] = {
		{ "alice", IT_AUTHENTICATE, { "wonderland" }, PAM_SUCCESS },
	};
	const char *hang = it_path("hang.sock");
	double t0, dt, slack = getenv("PU_UNDER_VALGRIND") ? 3.0 : 0.5;
	struct it_conv c = IT_CONV("wonderland");
	pid_t srv;

	(void)state;
	srv = it_redis_start(hang, NULL);
	mkuser_on(hang, "alice", "wonderland", "$6$");
	it_stack("r-hang", "auth required {module} backend=redis "
			   "redis=unix:{dir}/hang.sock timeout=500\n");
	it_assert_cases("r-hang", up);
	kill(srv, SIGSTOP);
	t0 = it_now();
	it_assert_code(it_op("r-hang", "alice", IT_AUTHENTICATE, 0, &c),
		       PAM_AUTHINFO_UNAVAIL, "server stopped");
	dt = it_now() - t0;
	fprintf(stderr, "    hung redis: returned after %.3f s (timeout 0.5 s)\n", dt);
	assert_true(dt >= 0.49);
	assert_true(dt < 0.5 + slack);
	kill(srv, SIGCONT);
	it_assert_cases("r-hang", up);
}

/* AUTH with a password (and an ACL user) from a root-only file */
static void redis_auth(void **state)
{
	static const struct {
		const char *args;     /* after redis=unix:{dir}/auth.sock */
		const char *secret;   /* {dir}/secret's content */
		mode_t mode;
		int code;
		const char *log;
	} cases[] = {
		/* trailing whitespace, CR and LF are trimmed */
		{ "redis_password_file={dir}/secret", AUTH_PASS "\r\n  \n", 0600,
		  PAM_SUCCESS },
		{ "redis_password_file={dir}/secret", AUTH_PASS, 0400, PAM_SUCCESS },
		{ "redis_user=pamacl redis_password_file={dir}/secret",
		  "acl-user-secret\n", 0600, PAM_SUCCESS },
		{ "redis_password_file={dir}/secret", "not-the-password\n", 0400,
		  PAM_AUTHINFO_UNAVAIL, "AUTH refused" },
		{ "", AUTH_PASS, 0600, PAM_AUTHINFO_UNAVAIL, "NOAUTH" },
		/* a secret readable by others, or empty: a configuration error */
		{ "redis_password_file={dir}/secret", AUTH_PASS "\n", 0644,
		  PAM_SERVICE_ERR, "mode 0400 or 0600" },
		{ "redis_password_file={dir}/secret", AUTH_PASS "\n", 0640,
		  PAM_SERVICE_ERR, "mode 0400 or 0600" },
		{ "redis_password_file={dir}/secret", "\n \r\n", 0600,
		  PAM_SERVICE_ERR },
		{ "redis_password_file={dir}/none", AUTH_PASS, 0600,
		  PAM_SERVICE_ERR },
	};
	const char *asock = it_path("auth.sock");

	(void)state;
	it_redis_start(asock, "--requirepass", AUTH_PASS, NULL);
	assert_non_null(it_redis_cli("-s", asock, "-a", AUTH_PASS,
				     "--no-auth-warning", "ACL", "SETUSER",
				     "pamacl", "on", ">acl-user-secret", "~*",
				     "+@all", NULL));
	assert_non_null(it_redis_cli("-s", asock, "-a", AUTH_PASS,
				     "--no-auth-warning", "HSET",
				     it_key("user", "alice"), "password",
				     hash_of("$6$", "wonderland"), NULL));
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV("wonderland");

		it_write_file(it_path("secret"), cases[i].mode, cases[i].secret);
		it_stack("r-auth", "auth required {module} backend=redis "
				   "redis=unix:{dir}/auth.sock %s\n", cases[i].args);
		it_log_clear();
		it_assert_code(it_op("r-auth", "alice", IT_AUTHENTICATE, 0, &c),
			       cases[i].code, "cases[%zu]: %s, secret \"%s\" mode %04o",
			       i, cases[i].args, it_show(cases[i].secret),
			       (unsigned)cases[i].mode);
		if (cases[i].log != NULL)
			assert_true(it_log_has(cases[i].log));
	}
}

/* QuarkDB's HMAC challenge, through a proxy that speaks it in front of
 * the real redis-server (QuarkDB is not packaged) */
static void redis_auth_hmac(void **state)
{
	static const struct {
		const char *args;     /* after redis=unix:{dir}/quarkdb.sock */
		const char *secret;   /* {dir}/client.secret */
		const char *password;
		int code;
		const char *log;
	} cases[] = {
		{ "redis_auth=hmac", "0123456789abcdef0123456789abcdef-quarkdb\n",
		  "quarkpass1", PAM_SUCCESS },
		{ "redis_auth=hmac", "0123456789abcdef0123456789abcdef-quarkdb\n",
		  "wrong", PAM_AUTH_ERR },
		{ "redis_auth=hmac", "fedcba9876543210fedcba9876543210-wrong\n",
		  "quarkpass1", PAM_AUTHINFO_UNAVAIL, "HMAC-AUTH refused" },
		/* QuarkDB secrets are at least 32 characters */
		{ "redis_auth=hmac", "too-short\n", "quarkpass1", PAM_SERVICE_ERR },
		/* a plain AUTH is not what this server speaks */
		{ "", "0123456789abcdef0123456789abcdef-quarkdb\n", "quarkpass1",
		  PAM_AUTHINFO_UNAVAIL },
	};
	const char *qsock = it_path("quarkdb.sock");
	char *argv[] = { (char *)it_python(), "tests/fault/quarkdb_proxy.py",
			 "--listen", (char *)qsock, "--upstream", sock,
			 "--secret-file", (char *)it_path("hmac.secret"), NULL };

	(void)state;
	it_write_file(it_path("hmac.secret"), 0600,
		      "0123456789abcdef0123456789abcdef-quarkdb\n");
	it_spawn(argv, qsock, 0);
	mkuser("qdb", "quarkpass1");
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		struct it_conv c = IT_CONV(cases[i].password);

		it_write_file(it_path("client.secret"), 0600, cases[i].secret);
		it_stack("r-hmac", "auth required {module} backend=redis "
				   "redis=unix:{dir}/quarkdb.sock %s "
				   "redis_password_file={dir}/client.secret\n",
			 cases[i].args);
		it_log_clear();
		it_assert_code(it_op("r-hmac", "qdb", IT_AUTHENTICATE, 0, &c),
			       cases[i].code, "cases[%zu]: %s, secret %s", i,
			       cases[i].args, it_show(cases[i].secret));
		if (cases[i].log != NULL)
			assert_true(it_log_has(cases[i].log));
	}
}

/* ---- sentinel: the primary dies, the next login reaches the replica ---- */

static void sentinel_failover(void **state)
{
	int port_p1 = 21000 + (int)(getpid() % 3000) * 3;
	char p1[16], p2[16], ps[16], conf[512];
	const char *cfgpath = it_path("sentinel.conf");
	double t0;
	pid_t primary;
	bool ok = false;

	(void)state;
	snprintf(p1, sizeof(p1), "%d", port_p1);
	snprintf(p2, sizeof(p2), "%d", port_p1 + 1);
	snprintf(ps, sizeof(ps), "%d", port_p1 + 2);
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
		it_spawn(a2, NULL, 0);
	}
	snprintf(conf, sizeof(conf),
		 "port %s\nbind 127.0.0.1\ndir %s\n"
		 "sentinel monitor pumaster 127.0.0.1 %s 1\n"
		 "sentinel down-after-milliseconds pumaster 500\n"
		 "sentinel failover-timeout pumaster 3000\n", ps, it_dir(), p1);
	it_write_file(cfgpath, 0644, conf);
	{
		char *a3[] = { "redis-sentinel", (char *)cfgpath, NULL };

		it_spawn(a3, NULL, 0);
	}
	it_stack("r-sentinel", "auth required {module} backend=redis "
			       "sentinel=127.0.0.1:%s sentinel_master=pumaster "
			       "timeout=1500\n", ps);
	/* wait for replication and for the sentinel to know the replica */
	for (int i = 0; i < 150 && !ok; i++) {
		const char *r = it_redis_cli("-p", ps, "SENTINEL", "replicas",
					     "pumaster", NULL);

		ok = r != NULL && strstr(r, p2) != NULL;
		if (!ok)
			usleep(100000);
	}
	if (!ok)
		fail_msg("the sentinel never saw the replica");
	assert_non_null(it_redis_cli("-p", p1, "HSET", it_key("user", "sen"),
				     "password", hash_of("$6$", "sentinel1"),
				     NULL));
	/* the replica must hold the user before the primary dies */
	ok = false;
	for (int i = 0; i < 50 && !ok; i++) {
		const char *r = it_redis_cli("-p", p1, "WAIT", "1", "200", NULL);

		ok = r != NULL && strcmp(r, "1") == 0;
	}
	if (!ok)
		fail_msg("the replica never acknowledged the write");
	{
		struct it_conv c = IT_CONV("sentinel1");

		it_assert_code(it_op("r-sentinel", "sen", IT_AUTHENTICATE, 0, &c),
			       PAM_SUCCESS, "through the first primary");
	}

	it_kill(primary);
	ok = false;
	t0 = it_now();
	for (int i = 0; i < 300 && !ok; i++) {
		const char *r = it_redis_cli("-p", ps, "SENTINEL",
					     "get-master-addr-by-name", "pumaster",
					     NULL);

		ok = r != NULL && strstr(r, p2) != NULL;
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
		struct it_conv c = IT_CONV("sentinel1");

		ok = it_op("r-sentinel", "sen", IT_AUTHENTICATE, 0, &c) == PAM_SUCCESS;
		if (!ok)
			usleep(100000);
	}
	if (!ok)
		fail_msg("no login through the promoted replica:\n%s", it_log_text());
	{
		struct it_conv c = IT_CONV("wrong");

		it_assert_code(it_op("r-sentinel", "sen", IT_AUTHENTICATE, 0, &c),
			       PAM_AUTH_ERR, "wrong password, promoted replica");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(authenticate_codes),
		IT_TEST(every_prefix),
		IT_TEST(account_codes),
		IT_TEST(full_transaction_one_connection),
		IT_TEST(connections_per_option_set),
		IT_TEST(sessions),
		IT_TEST(chauthtok_root),
		IT_TEST(chauthtok_user),
		IT_TEST(chauthtok_concurrent),
		IT_TEST(lockout_shared),
		IT_TEST(odd_user_names),
		IT_TEST(wrongtype),
		IT_TEST(unifiedctl_commands),
		IT_TEST(deadline_excludes_crypt),
		IT_TEST(chauthtok_under_lockout),
		IT_TEST(unknown_looks_known),
		IT_TEST(disallow_null_authtok),
		IT_TEST(record_cache_per_prefix),
		IT_TEST(user_list_escapes),
		IT_TEST(rehash_and_method_mix),
		IT_TEST(fault_down),
		IT_TEST(fault_hung),
		IT_TEST(redis_auth),
		IT_TEST(redis_auth_hmac),
		IT_TEST(sentinel_failover),
	};

	signal(SIGPIPE, SIG_IGN);
	it_filter_tests();
	return cmocka_run_group_tests_name("redis backend (libpam)", tests,
					   group_setup, group_teardown);
}
