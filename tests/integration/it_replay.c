/*
 * replay backend through the real libpam, with store=file and store=redis
 * (a real redis-server on {dir}/redis.sock).  Most tests run the same
 * stack over both stores; each writes that stack where it uses it.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/replay/store.h"

#define KEY_HEX "6f1d0c3b5a7e9f2b4d6c8a0e1f3b5d7c9e0a2c4e6f8b0d2f4a6c8e0b2d4f6a8c\n"

static char sock[PATH_MAX], store[PATH_MAX];

/* the two stores, as module arguments */
static const struct {
	const char *name;
	const char *args;
} stores[] = {
	{ "file", "key_file={dir}/replay.key store=file dir={dir}/store" },
	{ "redis", "key_file={dir}/replay.key store=redis redis=unix:{dir}/redis.sock" },
};

static int group_setup(void **state)
{
	(void)state;
	it_init();
	snprintf(sock, sizeof(sock), "%s", it_path("redis.sock"));
	snprintf(store, sizeof(store), "%s", it_path("store"));
	assert_int_equal(mkdir(store, 0700), 0);
	it_write_file(it_path("replay.key"), 0600, KEY_HEX);
	it_redis_start(sock, NULL); /* stopped by it_cleanup */
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_cleanup();
	return 0;
}

/* authenticate, and open a session when asked, in one handle: the code
 * of the first step that failed, or PAM_SUCCESS */
static int login(const char *svc, const char *user, const char *pw,
		 bool session)
{
	struct it_conv c = IT_CONV(pw);
	pam_handle_t *ph = it_begin(svc, user, &c);
	int rv = it_call(ph, IT_AUTHENTICATE, 0);

	if (rv == PAM_SUCCESS && session)
		rv = it_call(ph, IT_OPEN_SESSION, 0);
	it_end(ph, rv);
	return rv;
}

struct login_case {
	const char *user, *password;
	bool session;
	int code;
};

/* every row in turn; prints each row that differs, then fails */
#define assert_logins(svc, cases) \
	assert_logins_at((svc), (cases), IT_NELEM(cases), __LINE__)
static void assert_logins_at(const char *svc, const struct login_case *cases,
			     size_t n, int line)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		int rv = login(svc, cases[i].user, cases[i].password,
			       cases[i].session);

		if (rv == cases[i].code)
			continue;
		print_error("line %d: %s cases[%zu]: %s with \"%s\"%s: got %s, "
			    "want %s\n", line, svc, i, cases[i].user,
			    cases[i].password, cases[i].session ? " + session" : "",
			    it_code_name(rv), it_code_name(cases[i].code));
		bad++;
	}
	if (bad > 0)
		fail_msg("%s: %d of %zu logins failed", svc, bad, n);
}

/* ReplayShield's own example: three valid passwords, window 2 */
static void replayshield_scenario(void **state)
{
	static const struct login_case cases[] = {
		{ "rs", "pass-A", true, PAM_SUCCESS },
		{ "rs", "pass-A", true, PAM_AUTH_ERR },
		{ "rs", "pass-B", true, PAM_SUCCESS },
		{ "rs", "pass-C", true, PAM_SUCCESS },
		/* the window holds B and C now */
		{ "rs", "pass-A", true, PAM_SUCCESS },
		{ "rs", "pass-C", true, PAM_AUTH_ERR },
		{ "rs", "pass-B", true, PAM_SUCCESS },
		/* another user's history is separate */
		{ "rs2", "pass-B", true, PAM_SUCCESS },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 %s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=2 %s\n",
			 stores[s].args, stores[s].args);
		assert_logins(stores[s].name, cases);
	}
}

static void refused_message_and_log(void **state)
{
	static const struct it_case cases[] = {
		{ "msg", IT_AUTHENTICATE, { "same-pw" }, PAM_AUTH_ERR,
		  "E:This password was used recently. Use another one.\n" },
		{ "msg", IT_AUTHENTICATE, { "same-pw" }, PAM_AUTH_ERR, "",
		  PAM_SILENT },
	};

	(void)state;
	it_stack("w2",
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "auth    required  pam_permit.so\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[0].args);
	it_assert_code(login("w2", "msg", "same-pw", true), PAM_SUCCESS, "first");
	it_assert_cases("w2", cases);
	assert_true(it_log_has("op=authenticate user=\"msg\" rhost=\"\" "
			       "backend=replay result=denied reason=\"password "
			       "among the last 2 used or in use by another login\""));
}

/* the redis store keeps a history as a sorted set; a list written by an
 * earlier version is folded in on first use, not taken for "no history" */
static void redis_list_folded(void **state)
{
	static const struct login_case fill[] = {
		{ "idx", "idx-1", true, PAM_SUCCESS },
		{ "idx", "idx-2", true, PAM_SUCCESS },
		{ "idx", "idx-3", true, PAM_SUCCESS },
	};
	static const struct login_case after[] = {
		{ "idx", "idx-2", false, PAM_AUTH_ERR },
	};
	static const struct login_case fell_out[] = {
		{ "idx", "idx-1", true, PAM_SUCCESS },
	};
	const char *hist = it_key("replayhist", "idx");
	const char *list = it_key("replay", "idx");

	(void)state;
	it_stack("w2",
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "auth    required  pam_permit.so\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[1].args);
	assert_logins("w2", fill);
	/* trimmed to the window */
	assert_string_equal(it_redis_cli("-s", sock, "ZCARD", hist, NULL), "2");
	/* as an earlier version left it: a list, newest first */
	assert_string_equal(it_redis_cli("-s", sock, "EVAL",
		"local m = redis.call('ZREVRANGE', KEYS[1], 0, -1) "
		"for _, x in ipairs(m) do redis.call('RPUSH', KEYS[2], x) end "
		"redis.call('DEL', KEYS[1]) return #m", "2", hist, list, NULL), "2");
	assert_logins("w2", after);
	assert_string_equal(it_redis_cli("-s", sock, "ZCARD", hist, NULL), "2");
	assert_string_equal(it_redis_cli("-s", sock, "EXISTS", list, NULL), "0");
	assert_logins("w2", fell_out);
}

static void pending_without_session(void **state)
{
	/* authenticated, no session yet: the password is in use by that
	 * login, refused to every other one, until that login commits */
	static const struct login_case cases[] = {
		{ "pend", "pw-1", false, PAM_SUCCESS },
		{ "pend", "pw-1", false, PAM_AUTH_ERR },
		{ "pend", "pw-1b", true, PAM_SUCCESS },
		{ "pend", "pw-1b", false, PAM_AUTH_ERR },
	};
	static const struct login_case pending[] = {
		{ "pend2", "pw-2", false, PAM_SUCCESS },
	};
	/* a login that never reached its session did not use its password
	 * up: past pending_ttl it is free again, and another login's
	 * session does not commit it */
	static const struct login_case later[] = {
		{ "pend2", "other-pw", true, PAM_SUCCESS },
		{ "pend2", "pw-2", false, PAM_SUCCESS },
	};
	char svc[2][32];

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=2 %1$s\n",
			 stores[s].args);
		assert_logins(stores[s].name, cases);
		snprintf(svc[s], sizeof(svc[s]), "ttl1-%s", stores[s].name);
		it_stack(svc[s],
			 "auth    requisite {module} backend=replay window=2 pending_ttl=1 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=2 pending_ttl=1 %1$s\n",
			 stores[s].args);
		assert_logins(svc[s], pending);
	}
	sleep(2);
	for (size_t s = 0; s < IT_NELEM(stores); s++)
		assert_logins(svc[s], later);
}

/*
 * Authenticate in a child process and the session in the parent, as sshd
 * does with keyboard-interactive: the child works on a copy of the
 * parent's handle and sends its PAM environment back, which the parent
 * puts into its own handle (OpenSSH's import_environments).  The login's
 * id travels that way, and that login's session commits its password.
 * A session of another handle has nothing of this login to commit.
 */
static void auth_and_session_in_two_processes(void **state)
{
	static const struct it_case other[] = {
		{ "split", IT_OPEN_SESSION, { 0 }, PAM_SUCCESS },
	};
	static const struct login_case again[] = {
		{ "split", "split-pw", false, PAM_AUTH_ERR },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		struct it_conv c = IT_CONV("split-pw");
		char env[4096] = "";
		int fds[2], status;
		pam_handle_t *ph;
		ssize_t n;
		pid_t pid;

		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=2 %1$s\n"
			 "session required  pam_permit.so\n",
			 stores[s].args);
		/* another handle's session first: nothing to commit */
		assert_int_equal(login(stores[s].name, "split2", "split-pw2", false),
				 PAM_SUCCESS);
		it_assert_cases(stores[s].name, other);
		ph = it_begin(stores[s].name, "split", &c);
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int rv = it_call(ph, IT_AUTHENTICATE, 0);
			char **list = pam_getenvlist(ph);

			for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
				if (write(fds[1], list[i], strlen(list[i]) + 1) < 0)
					rv = 99;
				free(list[i]);
			}
			free(list);
			/* as a forking application's child does */
			pam_end(ph, rv | PAM_DATA_SILENT);
			_exit(rv);
		}
		close(fds[1]);
		n = read(fds[0], env, sizeof(env) - 1);
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		it_assert_code(WEXITSTATUS(status), PAM_SUCCESS, "%s: authenticate "
			       "in a child", stores[s].name);
		assert_true(n > 0 && strncmp(env, "PAM_UNIFIED_REPLAY_LOGIN=", 25) == 0);
		assert_int_equal(pam_putenv(ph, env), PAM_SUCCESS);
		it_assert_code(it_call(ph, IT_OPEN_SESSION, 0), PAM_SUCCESS,
			       "%s: session in the parent", stores[s].name);
		/* committed, and the variable does not reach the session */
		assert_null(pam_getenv(ph, "PAM_UNIFIED_REPLAY_LOGIN"));
		it_end(ph, PAM_SUCCESS);
		assert_logins(stores[s].name, again);
	}
}

static void commit_at_auth(void **state)
{
	static const struct it_case cases[] = {
		{ "ca", IT_AUTHENTICATE, { "ca-pw" }, PAM_SERVICE_ERR },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		/* in front of any credential check it would record typos:
		 * the configuration is refused */
		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 commit=auth %1$s\n"
			 "auth    required  pam_permit.so\n",
			 stores[s].args);
		it_log_clear();
		it_assert_cases(stores[s].name, cases);
		assert_true(it_log_has("commit=auth needs the replay line after"));
	}
}

static void password_history(void **state)
{
	/* root: the new password, twice */
	static const struct it_case changes[] = {
		{ "ph", IT_CHAUTHTOK, { "hist-P1", "hist-P1" }, PAM_SUCCESS },
		{ "ph", IT_CHAUTHTOK, { "hist-P1", "hist-P1" }, PAM_AUTHTOK_ERR,
		  "E:Password has been already used. Choose another.\n" },
		{ "ph", IT_CHAUTHTOK, { "hist-P2", "hist-P2" }, PAM_SUCCESS },
		{ "ph", IT_CHAUTHTOK, { "hist-P3", "hist-P3" }, PAM_SUCCESS },
		/* remember=2: P1 fell out */
		{ "ph", IT_CHAUTHTOK, { "hist-P1", "hist-P1" }, PAM_SUCCESS },
		{ "ph", IT_CHAUTHTOK, { "hist-P3", "hist-P3" }, PAM_AUTHTOK_ERR },
	};
	/* remember= has no say at login */
	static const struct login_case login_ok[] = {
		{ "ph", "hist-P3", true, PAM_SUCCESS },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		it_stack(stores[s].name,
			 "auth     requisite {module} backend=replay remember=2 %1$s\n"
			 "auth     required  pam_permit.so\n"
			 "session  required  {module} backend=replay remember=2 %1$s\n"
			 "session  required  pam_permit.so\n"
			 "password requisite {module} backend=replay remember=2 %1$s\n"
			 "password required  pam_permit.so\n",
			 stores[s].args);
		it_assert_cases(stores[s].name, changes);
		assert_logins(stores[s].name, login_ok);
	}
}

static void zero_disables(void **state)
{
	static const struct login_case logins[] = {
		{ "zero", "zero-pw", true, PAM_SUCCESS },
		{ "zero", "zero-pw", true, PAM_SUCCESS },
		{ "zero", "zero-pw", true, PAM_SUCCESS },
	};
	static const struct it_case changes[] = {
		{ "zero", IT_CHAUTHTOK, { "zero-pw", "zero-pw" }, PAM_SUCCESS },
		{ "zero", IT_CHAUTHTOK, { "zero-pw", "zero-pw" }, PAM_SUCCESS },
		{ "zero", IT_CHAUTHTOK, { "zero-pw", "zero-pw" }, PAM_SUCCESS },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		it_stack(stores[s].name,
			 "auth     requisite {module} backend=replay window=0 remember=0 %1$s\n"
			 "auth     required  pam_permit.so\n"
			 "session  required  {module} backend=replay window=0 remember=0 %1$s\n"
			 "session  required  pam_permit.so\n"
			 "password requisite {module} backend=replay window=0 remember=0 %1$s\n"
			 "password required  pam_permit.so\n",
			 stores[s].args);
		assert_logins(stores[s].name, logins);
		it_assert_cases(stores[s].name, changes);
	}
}

/* The replay line verifies nothing: a password that is no replay is
 * PAM_IGNORE, never PAM_SUCCESS; acct_mgmt and close_session are
 * PAM_IGNORE stubs, setcred PAM_SUCCESS.  Each stack passes only if the
 * module line said PAM_IGNORE. */
static void ignore_and_stubs(void **state)
{
	static const struct it_case cases[] = {
		{ "ign", IT_AUTHENTICATE, { "ign-pw" }, PAM_SUCCESS },
		{ "ign", IT_ACCT_MGMT, { 0 }, PAM_SUCCESS },
		{ "ign", IT_CLOSE_SESSION, { 0 }, PAM_SUCCESS },
	};
	static const struct it_case setcred[] = {
		{ "ign", IT_SETCRED, { 0 }, PAM_SUCCESS },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		char svc[32];

		it_stack(stores[s].name,
			 "auth    [ignore=1 default=die] {module} backend=replay window=2 %1$s\n"
			 "auth    required pam_deny.so\n"
			 "auth    required pam_permit.so\n"
			 "account [ignore=1 default=die] {module} backend=replay window=2 %1$s\n"
			 "account required pam_deny.so\n"
			 "account required pam_permit.so\n"
			 "session [ignore=1 default=die] {module} backend=replay window=2 %1$s\n"
			 "session required pam_deny.so\n"
			 "session required pam_permit.so\n",
			 stores[s].args);
		it_assert_cases(stores[s].name, cases);
		snprintf(svc, sizeof(svc), "setcred-%s", stores[s].name);
		it_stack(svc, "auth required {module} backend=replay window=2 %s\n",
			 stores[s].args);
		it_assert_cases(svc, setcred);
	}
}

/* 50 logins of one user at once, distinct passwords: none lost.  Each is
 * its own process running tests/integration/pam_login.c, a real libpam
 * application on the same private service directory. */
static void concurrent_logins(void **state)
{
	char helper[PATH_MAX];

	(void)state;
	snprintf(helper, sizeof(helper), "%s/tests/pam_login", it_build());
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		const char *svc = stores[s].name;
		pid_t pids[50];
		int lost = 0;

		/* 50 processes queue on one user's lock: on a loaded machine
		 * (valgrind, ASan, 2 cores) the wait outlasts the default 2 s
		 * deadline; this test is about losing nothing, not latency */
		it_stack(svc,
			 "auth    requisite {module} backend=replay window=100 timeout=20000 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=100 timeout=20000 %1$s\n",
			 stores[s].args);
		for (int i = 0; i < 50; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char pw[32];
				char *argv[] = { helper, (char *)it_confdir(),
						 (char *)svc, "conc", pw, "session",
						 NULL };

				snprintf(pw, sizeof(pw), "conc-%d", i);
				execv(helper, argv);
				_exit(127);
			}
		}
		for (int i = 0; i < 50; i++) {
			int status;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			if (WEXITSTATUS(status) != PAM_SUCCESS)
				print_error("%s", it_log_text());
			it_assert_code(WEXITSTATUS(status), PAM_SUCCESS,
				       "store=%s: concurrent login %d", svc, i);
		}
		for (int i = 0; i < 50; i++) {
			char pw[32];

			snprintf(pw, sizeof(pw), "conc-%d", i);
			if (login(svc, "conc", pw, false) != PAM_AUTH_ERR) {
				print_error("store=%s lost the entry of %s\n", svc, pw);
				lost++;
			}
		}
		if (lost > 0)
			fail_msg("store=%s lost %d of 50 entries", svc, lost);
		fprintf(stderr, "    store=%s: 50 concurrent logins, 50 entries kept\n",
			svc);
	}
}

static void key_file_faults(void **state)
{
	static const struct {
		const char *key;      /* {dir}/bad.key's content */
		mode_t mode;
		const char *log;
	} cases[] = {
		{ KEY_HEX, 0644, "mode 0400 or 0600" },     /* readable by others */
		{ "too-short-a-key\n", 0600, NULL },
		{ NULL, 0, NULL },                          /* no key file */
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		for (size_t i = 0; i < IT_NELEM(cases); i++) {
			unlink(it_path("bad.key"));
			if (cases[i].key != NULL)
				it_write_file(it_path("bad.key"), cases[i].mode,
					      cases[i].key);
			/* key_file= after the store's arguments wins */
			it_stack("badkey",
				 "auth    requisite {module} backend=replay window=2 %1$s "
				 "key_file={dir}/bad.key\n"
				 "auth    required  pam_permit.so\n"
				 "session required  {module} backend=replay window=2 %1$s "
				 "key_file={dir}/bad.key\n",
				 stores[s].args);
			it_log_clear();
			it_assert_code(login("badkey", "kf", "kf-pw", false),
				       PAM_SERVICE_ERR, "store=%s, cases[%zu]",
				       stores[s].name, i);
			it_assert_code(it_op("badkey", "kf", IT_OPEN_SESSION, 0, NULL),
				       PAM_SERVICE_ERR, "store=%s, cases[%zu], session",
				       stores[s].name, i);
			if (cases[i].log != NULL)
				assert_true(it_log_has(cases[i].log));
		}
	}
}

/* a damaged store file is an error, never "no history" */
static void corrupt_store(void **state)
{
	static const struct login_case first[] = {
		{ "cor", "cor-pw", true, PAM_SUCCESS },
	};
	static const struct login_case unavailable[] = {
		{ "cor", "cor-pw", false, PAM_AUTHINFO_UNAVAIL },
	};
	/* a session with no login of its own to commit reads nothing */
	static const struct it_case session[] = {
		{ "cor", IT_OPEN_SESSION, { 0 }, PAM_SUCCESS },
	};
	/* the refused logins did not reset the history */
	static const struct login_case recovered[] = {
		{ "cor", "cor-pw", true, PAM_SUCCESS },
		{ "cor", "cor-pw", false, PAM_AUTH_ERR },
	};
	char path[PATH_MAX], hex[65];
	struct stat st;

	(void)state;
	it_stack("w2",
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "auth    required  pam_permit.so\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[0].args);
	it_write_file(it_path("other.key"), 0600,
		      "00000000000000000000000000000000"
		      "000000000000000000000000000000ff\n");
	it_stack("otherkey",
		 "auth    requisite {module} backend=replay window=2 %s "
		 "key_file={dir}/other.key\n"
		 "auth    required  pam_permit.so\n", stores[0].args);
	assert_logins("w2", first);
	pu_replay_file_name("cor", hex);
	snprintf(path, sizeof(path), "%s/%s", store, hex);
	assert_int_equal(stat(path, &st), 0);
	/* a file made with another key does not verify */
	it_log_clear();
	it_assert_code(login("otherkey", "cor", "cor-pw2", false),
		       PAM_AUTHINFO_UNAVAIL, "another key");
	assert_true(it_log_has("does not verify"));
	/* truncated by one byte */
	assert_int_equal(truncate(path, st.st_size - 1), 0);
	assert_logins("w2", unavailable);
	it_assert_cases("w2", session);
	/* garbage of the right size */
	{
		char junk[10 + 41 + 32];
		FILE *fp = fopen(path, "w");

		memset(junk, 'x', sizeof(junk));
		memcpy(junk, "PUREPLAY1\n", 10);
		assert_non_null(fp);
		fwrite(junk, 1, sizeof(junk), fp);
		fclose(fp);
	}
	assert_logins("w2", unavailable);
	/* unreadable: a directory where the file should be */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_logins("w2", unavailable);
	rmdir(path);
	assert_logins("w2", recovered);
}

static bool file_has(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "rb");
	static char buf[1 << 20];
	size_t n;

	if (fp == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

static void no_plaintext(void **state)
{
	static const char canary[] = "Canary-Plaintext-7731";
	DIR *d;
	struct dirent *e;
	char rdb[PATH_MAX];
	int files = 0;

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		struct it_conv c = IT_CONV(canary, canary);

		it_stack(stores[s].name,
			 "auth     requisite {module} backend=replay window=2 remember=2 %1$s\n"
			 "auth     required  pam_permit.so\n"
			 "session  required  {module} backend=replay window=2 remember=2 %1$s\n"
			 "password requisite {module} backend=replay window=2 remember=2 %1$s\n"
			 "password required  pam_permit.so\n",
			 stores[s].args);
		it_assert_code(login(stores[s].name, "canary", canary, true),
			       PAM_SUCCESS, "store=%s: login", stores[s].name);
		it_assert_code(it_op(stores[s].name, "canary", IT_CHAUTHTOK, 0, &c),
			       PAM_SUCCESS, "store=%s: chauthtok", stores[s].name);
	}
	d = opendir(store);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char p[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", store, e->d_name);
		files++;
		if (file_has(p, canary) || file_has(p, "canary"))
			fail_msg("plaintext in %s", p);
	}
	closedir(d);
	assert_true(files > 0);
	assert_non_null(it_redis_cli("-s", sock, "SAVE", NULL));
	snprintf(rdb, sizeof(rdb), "%s/dump.rdb", it_dir());
	assert_true(file_has(rdb, it_key("replayhist", "canary"))); /* the dump is real */
	assert_false(file_has(rdb, canary));
	assert_false(it_log_has_quiet(canary));
}

/* with the redis credential backend, in front and behind */
static void stacked_with_credentials(void **state)
{
	static const struct login_case cases[] = {
		{ "stk", "wrong-pass", true, PAM_AUTH_ERR },
		{ "stk", "stack-pass1", true, PAM_SUCCESS },
		/* the right password, but just used */
		{ "stk", "stack-pass1", true, PAM_AUTH_ERR },
		{ "nobody-at-all", "x", true, PAM_USER_UNKNOWN },
	};
	char ctl[PATH_MAX], redisarg[PATH_MAX + 16];
	char *argv[] = { ctl, redisarg, "hash=sha512", "user", "add", "stk",
			 "--password-stdin", NULL };

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/unifiedctl", it_build());
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	assert_int_equal(it_run(argv, "stack-pass1\n", NULL, 0), 0);

	/* replay first (requisite), then the credential check */
	it_stack("front",
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "auth    required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[0].args);
	assert_logins("front", cases);
	/* the credential check first, then replay over the same server */
	it_stack("behind",
		 "auth    required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[1].args);
	assert_logins("behind", cases);
}

/* how many times needle stands in s */
static int count_of(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void history_cli(void **state)
{
	static const struct login_case two[] = {
		{ "hc", "pass-1", true, PAM_SUCCESS },
		{ "hc", "pass-2", true, PAM_SUCCESS },
	};
	static const struct login_case used[] = {
		{ "hc", "pass-2", true, PAM_AUTH_ERR },
	};
	static const struct login_case cleared[] = {
		{ "hc", "pass-2", true, PAM_SUCCESS },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		char out[4096], ctl[PATH_MAX], key[PATH_MAX + 16], where[PATH_MAX + 16];
		/* unifiedctl takes the module's arguments */
		char kind[32];
		char *show[] = { ctl, key, kind, where, "history", "show", "hc", NULL };
		char *clear[] = { ctl, key, kind, where, "history", "clear", "hc",
				  NULL };

		snprintf(ctl, sizeof(ctl), "%s/unifiedctl", it_build());
		snprintf(key, sizeof(key), "key_file=%s", it_path("replay.key"));
		snprintf(kind, sizeof(kind), "store=%s", stores[s].name);
		if (s == 0)
			snprintf(where, sizeof(where), "dir=%s", store);
		else
			snprintf(where, sizeof(where), "redis=unix:%s", sock);
		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=2 %1$s\n",
			 stores[s].args);
		assert_logins(stores[s].name, two);
		assert_int_equal(it_run(show, NULL, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "login window entries: 2"));
		/* both stores keep the time of each entry and show it */
		assert_int_equal(count_of(out, "\n    used 20"), 2);
		assert_null(strstr(out, "pass-"));
		assert_logins(stores[s].name, used);
		assert_int_equal(it_run(clear, NULL, out, sizeof(out)), 0);
		assert_string_equal(out, "hc: history cleared\n");
		assert_logins(stores[s].name, cleared);
	}
}

/* ---- issue 10: the security findings ---- */

/* Finding 18: a replay line that reached its store logs what happened,
 * never a stale "empty server list" (a redis= list nobody gave), in any
 * group, with either store, debug on (so PAM_IGNORE lines are logged). */
static void log_reason_is_own(void **state)
{
	static const struct it_step steps[] = {
		{ IT_AUTHENTICATE, PAM_SUCCESS },
		{ IT_ACCT_MGMT, PAM_SUCCESS },
		{ IT_OPEN_SESSION, PAM_SUCCESS },
		{ IT_CLOSE_SESSION, PAM_SUCCESS },
	};
	static const struct it_step reused[] = {
		{ IT_AUTHENTICATE, PAM_AUTH_ERR },
	};

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		struct it_conv c = IT_CONV("reason-pw1"), again = IT_CONV("reason-pw1");

		it_stack(stores[s].name,
			 "auth     requisite {module} backend=replay window=2 debug %1$s\n"
			 "auth     required  pam_permit.so\n"
			 "account  required  {module} backend=replay window=2 debug %1$s\n"
			 "account  required  pam_permit.so\n"
			 "session  required  {module} backend=replay window=2 debug %1$s\n"
			 "session  required  pam_permit.so\n",
			 stores[s].args);
		it_log_clear();
		it_assert_steps(stores[s].name, "reason18", &c, steps);
		it_assert_steps(stores[s].name, "reason18", &again, reused);
		if (!it_log_has_quiet("backend=replay"))
			fail_msg("%s: no summary line:\n%s", stores[s].name,
				 it_log_text());
		if (it_log_has_quiet("empty server list"))
			fail_msg("%s: a stale reason was logged:\n%s",
				 stores[s].name, it_log_text());
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	assert_non_null(in);
	out = fopen(to, "wb");
	assert_non_null(out);
	n = fread(buf, 1, sizeof(buf), in);
	assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	assert_int_equal(chmod(to, 0600), 0);
}

static const char *user_file(const char *user)
{
	static char path[2][PATH_MAX];
	static int k;
	char hex[65];
	char *p = path[k++ % 2];

	pu_replay_file_name(user, hex);
	snprintf(p, PATH_MAX, "%s/%s", store, hex);
	return p;
}

/* Finding 13: store=file trusts neither a store directory others can
 * write nor a file that is another user's.  A valid file of one user
 * swapped in for another's is corrupt (its MAC binds the user): the login
 * fails closed instead of being checked against the wrong history; a
 * store directory that is group-writable, or not root's, refuses every
 * login. */
static void file_store_binds_user_and_dir(void **state)
{
	static const struct login_case setup[] = {
		{ "swap-a", "swap-a-pw1", true, PAM_SUCCESS },
		{ "swap-b", "swap-b-pw1", true, PAM_SUCCESS },
	};
	/* swap-a's own used password would be refused (PAM_AUTH_ERR) and
	 * a fresh one accepted: with swap-b's file in place, neither is
	 * checked at all */
	static const struct login_case swapped[] = {
		{ "swap-a", "swap-a-pw1", true, PAM_AUTHINFO_UNAVAIL },
		{ "swap-a", "swap-a-pw2", true, PAM_AUTHINFO_UNAVAIL },
	};
	static const struct login_case restored[] = {
		{ "swap-a", "swap-a-pw1", true, PAM_AUTH_ERR },
		{ "swap-a", "swap-a-pw2", true, PAM_SUCCESS },
	};
	static const struct login_case refused[] = {
		{ "swap-c", "swap-c-pw1", true, PAM_AUTHINFO_UNAVAIL },
	};
	static const struct login_case open_again[] = {
		{ "swap-c", "swap-c-pw1", true, PAM_SUCCESS },
	};
	static const struct {
		mode_t mode;
		uid_t uid;
	} dirs[] = {
		{ 0770, 0 }, { 0730, 0 }, { 0703, 0 }, { 0755, 0 },
		{ 0700, 65534 },
	};
	char saved[PATH_MAX];

	(void)state;
	it_stack("w2",
		 "auth    requisite {module} backend=replay window=2 %1$s\n"
		 "auth    required  pam_permit.so\n"
		 "session required  {module} backend=replay window=2 %1$s\n",
		 stores[0].args);
	assert_logins("w2", setup);
	snprintf(saved, sizeof(saved), "%s", it_path("swap-a.saved"));
	copy_file(user_file("swap-a"), saved);
	copy_file(user_file("swap-b"), user_file("swap-a"));
	it_log_clear();
	assert_logins("w2", swapped);
	assert_true(it_log_has("corrupt"));
	copy_file(saved, user_file("swap-a"));
	assert_logins("w2", restored);

	for (size_t i = 0; i < IT_NELEM(dirs); i++) {
		assert_int_equal(chown(store, dirs[i].uid, 0), 0);
		assert_int_equal(chmod(store, dirs[i].mode), 0);
		it_log_clear();
		assert_logins("w2", refused);
		assert_true(it_log_has("must be owned by root and closed to group "
				       "and others"));
		assert_int_equal(chown(store, 0, 0), 0);
		assert_int_equal(chmod(store, 0700), 0);
	}
	assert_logins("w2", open_again);
}

/* Finding 17: unifiedctl init through a dir= that is a symbolic link
 * refuses, and leaves what the link points to as it was. */
static void init_refuses_symlinked_dir(void **state)
{
	char ctl[PATH_MAX], key[PATH_MAX + 16], dir[PATH_MAX + 16], err[1024];
	char *argv[] = { ctl, key, dir, "init", NULL };
	struct stat st;

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/unifiedctl", it_build());
	snprintf(key, sizeof(key), "key_file=%s", it_path("init.key"));
	snprintf(dir, sizeof(dir), "dir=%s", it_path("linked-store"));
	assert_int_equal(mkdir(it_path("target"), 0755), 0);
	assert_int_equal(symlink(it_path("target"), it_path("linked-store")), 0);
	assert_int_equal(it_run_io(argv, NULL, NULL, 0, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "not a directory (a symbolic link?)"));
	assert_int_equal(stat(it_path("target"), &st), 0);
	if ((st.st_mode & 07777) != 0755)
		fail_msg("init changed the link's target to %04o",
			 (unsigned)(st.st_mode & 07777));
	assert_int_equal(lstat(it_path("linked-store"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(it_path("linked-store"));
	rmdir(it_path("target"));
	unlink(it_path("init.key"));
}

/* Finding 17: history show with store=redis against a lying Redis: an
 * odd-length ZREVRANGE ... WITHSCORES reply and an integer score are
 * garbage (exit 1, "holds garbage" or "is not a sorted set"), never read
 * past the reply or crashed on; the control answers as a real one. */
static void history_show_lying_redis(void **state)
{
	static const char entry[] =
		"$64\r\n0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef\r\n";
	static const struct {
		const char *zrevrange;   /* the reply; E: a member */
		int status;
		const char *err;         /* in stderr; NULL: nothing there */
	} cases[] = {
		{ "*0\r\n", 0, NULL },
		{ "*3\r\nE$16\r\n1700000000000000\r\nE", 1, "is not a sorted set" },
		{ "*1\r\nE", 1, "is not a sorted set" },
		{ "*2\r\nE:1700000000000000\r\n", 1, "holds garbage" },
		{ "*2\r\nE*0\r\n", 1, "holds garbage" },
		{ "*2\r\nE$-1\r\n", 1, "holds garbage" },
	};
	char ctl[PATH_MAX], key[PATH_MAX + 16], where[PATH_MAX + 16];
	char *argv[] = { ctl, key, "store=redis", where, "history", "show",
			 "hs", NULL };
	char lsock[PATH_MAX];

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/unifiedctl", it_build());
	snprintf(key, sizeof(key), "key_file=%s", it_path("replay.key"));
	snprintf(lsock, sizeof(lsock), "%s", it_path("lying.sock"));
	snprintf(where, sizeof(where), "redis=unix:%s", lsock);
	for (size_t i = 0; i < IT_NELEM(cases); i++) {
		char reply[512], arg[600], out[4096], err[4096];
		char *srv[] = { (char *)it_python(), "tests/fault/resp_server.py",
				"--socket", lsock, "--reply", arg, NULL };
		pid_t pid;
		int st;

		reply[0] = '\0';
		for (const char *p = cases[i].zrevrange; *p != '\0'; p++)
			strncat(reply, *p == 'E' ? entry : (char[2]){ *p, 0 },
				sizeof(reply) - strlen(reply) - 1);
		snprintf(arg, sizeof(arg), "ZREVRANGE=%s", reply);
		pid = it_spawn(srv, lsock, 0);
		st = it_run_io(argv, NULL, out, sizeof(out), err, sizeof(err));
		it_stop(pid);
		unlink(lsock); /* the next server's is waited for */
		if (st != cases[i].status ||
		    (cases[i].err == NULL ? err[0] != '\0' :
		     strstr(err, cases[i].err) == NULL))
			fail_msg("cases[%zu] %s: status %d, want %d; stderr \"%s\"",
				 i, it_show(reply), st, cases[i].status,
				 it_show(err));
	}
}

/* Finding 2: store=file waits for its lock only until the deadline, and
 * opens nothing but a regular file at a data path: a lock held elsewhere
 * and a FIFO planted where a user's file goes each cost at most
 * timeout=500 (3 s allowed: the machine may be busy), then fail closed.
 * alarm(30) turns a wait without end into a failure of the suite. */
static void file_store_waits_bounded(void **state)
{
	char lock[PATH_MAX];
	double t0, took;
	int fd, rv;

	(void)state;
	it_stack("w500",
		 "auth    requisite {module} backend=replay window=2 timeout=500 %1$s\n"
		 "auth    required  pam_permit.so\n"
		 "session required  {module} backend=replay window=2 timeout=500 %1$s\n",
		 stores[0].args);
	snprintf(lock, sizeof(lock), "%s/.pending.lock", store);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	it_log_clear();
	alarm(30);
	t0 = it_now();
	rv = login("w500", "held", "held-pw1", true);
	took = it_now() - t0;
	alarm(0);
	close(fd);
	it_assert_code(rv, PAM_AUTHINFO_UNAVAIL, "a lock held elsewhere");
	assert_true(it_log_has("timed out waiting for the replay store lock"));
	if (took > 3.0)
		fail_msg("a held lock cost %.1f s with timeout=500", took);

	assert_int_equal(mkfifo(user_file("fifo-u"), 0600), 0);
	it_log_clear();
	alarm(30);
	t0 = it_now();
	rv = login("w500", "fifo-u", "fifo-pw1", true);
	took = it_now() - t0;
	alarm(0);
	unlink(user_file("fifo-u"));
	it_assert_code(rv, PAM_AUTHINFO_UNAVAIL, "a FIFO at the user's file");
	if (took > 3.0)
		fail_msg("a FIFO cost %.1f s with timeout=500", took);
	it_assert_code(login("w500", "fifo-u", "fifo-pw1", true), PAM_SUCCESS,
		       "the FIFO removed");
}

/* Finding 15: only passwords that authenticated enter the history, in
 * both documented layouts (the replay line in front of the credential
 * line and behind it), with either store.  Three junk logins by an
 * attacker, then the victim's: the victim's password stays in the window
 * of 2, so the attacker's replay of it is refused; and a junk password
 * was never used (once the credential module accepts it, and its pending
 * entry has expired, it logs in). */
static void junk_never_used(void **state)
{
	static const struct {
		const char *password;
		int code;
	} rows[] = {
		{ "junkpass-1", PAM_AUTH_ERR },
		{ "junkpass-2", PAM_AUTH_ERR },
		{ "junkpass-3", PAM_AUTH_ERR },
		{ "victim-pw1", PAM_SUCCESS },
		/* the attacker replays what it saw */
		{ "victim-pw1", PAM_AUTH_ERR },
	};
	/* written below: the replay line in front, then behind */
	static const char *const layouts[] = { "front", "behind" };
	char ctl[PATH_MAX], redisarg[PATH_MAX + 16], user[32];
	char *add[] = { ctl, redisarg, "hash=sha512", "user", "add", user,
			"--password-stdin", NULL };
	char *passwd[] = { ctl, redisarg, "hash=sha512", "user", "passwd", user,
			   "--password-stdin", NULL };
	int bad = 0;

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/unifiedctl", it_build());
	snprintf(redisarg, sizeof(redisarg), "redis=unix:%s", sock);
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		for (size_t l = 0; l < IT_NELEM(layouts); l++) {
			char svc[32];
			int rv;

			snprintf(svc, sizeof(svc), "%s-%s", layouts[l],
				 stores[s].name);
			snprintf(user, sizeof(user), "victim-%s", svc);
			if (l == 0)
				it_stack(svc,
					 "auth    requisite {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "auth    required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
					 "account required  {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "account required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
					 "session required  {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "session required  {module} backend=redis redis=unix:{dir}/redis.sock\n",
					 stores[s].args);
			else
				it_stack(svc,
					 "auth    requisite {module} backend=redis redis=unix:{dir}/redis.sock\n"
					 "auth    requisite {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "account required  {module} backend=redis redis=unix:{dir}/redis.sock\n"
					 "account required  {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "session required  {module} backend=replay window=2 pending_ttl=2 %1$s\n"
					 "session required  {module} backend=redis redis=unix:{dir}/redis.sock\n",
					 stores[s].args);
			assert_int_equal(it_run(add, "victim-pw1\n", NULL, 0), 0);
			for (size_t i = 0; i < IT_NELEM(rows); i++) {
				rv = login(svc, user, rows[i].password, true);
				if (rv == rows[i].code)
					continue;
				print_error("%s rows[%zu]: %s: got %s, want %s\n", svc,
					    i, rows[i].password, it_code_name(rv),
					    it_code_name(rows[i].code));
				bad++;
			}
			assert_int_equal(it_run(passwd, "junkpass-2\n", NULL, 0), 0);
			/* in front, a failed login's entry stays pending (refused
			 * to other logins) until pending_ttl=2 ends it */
			if (l == 0)
				sleep(3);
			rv = login(svc, user, "junkpass-2", true);
			if (rv != PAM_SUCCESS) {
				print_error("%s: junkpass-2 as the new password: got %s, "
					    "want PAM_SUCCESS\n", svc, it_code_name(rv));
				bad++;
			}
		}
	}
	if (bad > 0)
		fail_msg("%d logins differ", bad);
}

/* Finding 16: with commit=session, 20 logins at once with one password:
 * exactly one succeeds (a password pending for a login in flight is
 * refused to every other), with either store.  The children start
 * together: each waits for the parent to close a pipe. */
static void same_password_at_once(void **state)
{
	char helper[PATH_MAX];

	(void)state;
	snprintf(helper, sizeof(helper), "%s/tests/pam_login", it_build());
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		const char *svc = stores[s].name;
		pid_t pids[20];
		int gate[2], ok = 0, refused = 0;

		it_stack(svc,
			 "auth    requisite {module} backend=replay window=5 timeout=20000 %1$s\n"
			 "auth    required  pam_permit.so\n"
			 "session required  {module} backend=replay window=5 timeout=20000 %1$s\n",
			 stores[s].args);
		assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
		for (int i = 0; i < 20; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char *argv[] = { helper, (char *)it_confdir(),
						 (char *)svc, "same", "same-pw-1",
						 "session", NULL };
				char c;

				close(gate[1]);
				if (read(gate[0], &c, 1) < 0)
					_exit(126);
				execv(helper, argv);
				_exit(127);
			}
		}
		close(gate[0]);
		close(gate[1]); /* all go */
		for (int i = 0; i < 20; i++) {
			int status;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			if (WEXITSTATUS(status) == PAM_SUCCESS)
				ok++;
			else if (WEXITSTATUS(status) == PAM_AUTH_ERR)
				refused++;
		}
		if (ok != 1 || refused != 19)
			fail_msg("store=%s: 20 logins at once with one password: "
				 "%d succeeded, %d refused (want 1 and 19)", svc, ok,
				 refused);
		/* and the one that succeeded made it used */
		it_assert_code(login(svc, "same", "same-pw-1", true), PAM_AUTH_ERR,
			       "store=%s: after the race", svc);
	}
}

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Finding 14: names that never authenticate leave bounded, expiring
 * records.  100 logins of names nobody has, with the replay line in front
 * of the credential line: store=file gains at most the pending file and
 * its lock (no file per name); store=redis keeps nothing for them that
 * does not expire (the credential line's failure records and events
 * included). */
static void unknown_names_bounded(void **state)
{
	char out[65536];
	char *scan[] = { "redis-cli", "-s", sock, "--scan", "--pattern",
			 "*{unk14-*", NULL };
	int before, after, keys = 0;

	(void)state;
	for (size_t s = 0; s < IT_NELEM(stores); s++) {
		it_stack(stores[s].name,
			 "auth    requisite {module} backend=replay window=2 %1$s\n"
			 "auth    required  {module} backend=redis redis=unix:{dir}/redis.sock deny=3\n"
			 "session required  {module} backend=replay window=2 %1$s\n",
			 stores[s].args);
		before = dir_entries(store);
		for (int i = 0; i < 100; i++) {
			char user[32];

			snprintf(user, sizeof(user), "unk14-%zu-%d", s, i);
			it_assert_code(login(stores[s].name, user, "whatever1", true),
				       PAM_USER_UNKNOWN, "store=%s, %s",
				       stores[s].name, user);
		}
		after = dir_entries(store);
		if (after - before > 2)
			fail_msg("store=%s: 100 unknown names added %d files to "
				 "the store", stores[s].name, after - before);
	}
	assert_int_equal(it_run(scan, NULL, out, sizeof(out)), 0);
	for (char *k = strtok(out, "\n"); k != NULL; k = strtok(NULL, "\n")) {
		long long ttl = atoll(it_redis_cli("-s", sock, "TTL", k, NULL));

		keys++;
		if (ttl <= 0 || ttl > 86400)
			fail_msg("%s: expires in %lld s, want 1..86400", k, ttl);
	}
	fprintf(stderr, "    %d keys for unknown names, all expiring\n", keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(replayshield_scenario),
		IT_TEST(refused_message_and_log),
		IT_TEST(redis_list_folded),
		IT_TEST(pending_without_session),
		IT_TEST(auth_and_session_in_two_processes),
		IT_TEST(commit_at_auth),
		IT_TEST(password_history),
		IT_TEST(zero_disables),
		IT_TEST(ignore_and_stubs),
		IT_TEST(concurrent_logins),
		IT_TEST(key_file_faults),
		IT_TEST(corrupt_store),
		IT_TEST(no_plaintext),
		IT_TEST(stacked_with_credentials),
		IT_TEST(history_cli),
		IT_TEST(log_reason_is_own),
		IT_TEST(file_store_binds_user_and_dir),
		IT_TEST(init_refuses_symlinked_dir),
		IT_TEST(history_show_lying_redis),
		IT_TEST(file_store_waits_bounded),
		IT_TEST(junk_never_used),
		IT_TEST(same_password_at_once),
		IT_TEST(unknown_names_bounded),
	};

	signal(SIGPIPE, SIG_IGN);
	it_filter_tests();
	return cmocka_run_group_tests_name("replay backend (libpam)", tests,
					   group_setup, group_teardown);
}
