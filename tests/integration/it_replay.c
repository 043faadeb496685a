/*
 * replay backend through the real libpam, with store=file and store=redis
 * (a real redis-server on a private socket).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char sock[PATH_MAX], key[PATH_MAX], store[PATH_MAX];
static pid_t srv;
static const char *const stores[2] = { "f", "r" };

/* "f" or "r" + name: the same stack over the file or the redis store */
static void stack(const char *name, const char *opts, const char *extra)
{
	for (int s = 0; s < 2; s++) {
		char svc[64], text[8192], args[4096];

		snprintf(args, sizeof(args), "backend=replay key_file=%s %s%s %s",
			 key, s == 0 ? "store=file dir=" : "store=redis redis=unix:",
			 s == 0 ? store : sock, opts);
		snprintf(text, sizeof(text),
			 "auth requisite %%M %s\n"
			 "auth required pam_permit.so\n"
			 "session required %%M %s\n"
			 "session required pam_permit.so\n"
			 "password requisite %%M %s\n"
			 "password required pam_permit.so\n"
			 "account [ignore=1 default=die] %%M %s\n"
			 "account required pam_deny.so\n"
			 "account required pam_permit.so\n%s",
			 args, args, args, args, extra ? extra : "");
		snprintf(svc, sizeof(svc), "%s-%s", stores[s], name);
		it_service(svc, text);
	}
}

static int group_setup(void **state)
{
	char extra[4096];

	(void)state;
	it_init();
	snprintf(sock, sizeof(sock), "%s", it_path("redis.sock"));
	snprintf(key, sizeof(key), "%s", it_path("replay.key"));
	snprintf(store, sizeof(store), "%s", it_path("store"));
	assert_int_equal(mkdir(store, 0700), 0);
	it_write_file(key, 0600, "6f1d0c3b5a7e9f2b4d6c8a0e1f3b5d7c9e0a2c4e6f8b0d2f4a6c8e0b2d4f6a8c\n");

	stack("w2", "window=2", NULL);
	stack("w100", "window=100", NULL);
	stack("w0", "window=0 remember=0", NULL);
	stack("wauth", "window=2 commit=auth", NULL);
	stack("rem2", "remember=2", NULL);
	stack("ttl1", "window=2 pending_ttl=1", NULL);
	{
		char t[4096];

		snprintf(t, sizeof(t), "window=2 key_file=%s", it_path("loose.key"));
		stack("looskey", t, NULL);
		snprintf(t, sizeof(t), "window=2 key_file=%s", it_path("short.key"));
		stack("shortkey", t, NULL);
		snprintf(t, sizeof(t), "window=2 key_file=%s", it_path("none.key"));
		stack("nokey", t, NULL);
		snprintf(t, sizeof(t), "window=2 key_file=%s", it_path("other.key"));
		stack("otherkey", t, NULL);
	}
	/* replay in front of the redis credential backend, and behind it */
	snprintf(extra, sizeof(extra),
		 "auth requisite %%M backend=replay window=2 key_file=%s store=file dir=%s\n"
		 "auth required %%M backend=redis redis=unix:%s\n"
		 "session required %%M backend=replay window=2 key_file=%s store=file dir=%s\n",
		 key, store, sock, key, store);
	it_service("front", extra);
	snprintf(extra, sizeof(extra),
		 "auth required %%M backend=redis redis=unix:%s\n"
		 "auth requisite %%M backend=replay window=2 key_file=%s store=redis redis=unix:%s\n"
		 "session required %%M backend=replay window=2 key_file=%s store=redis redis=unix:%s\n",
		 sock, key, sock, key, sock);
	it_service("behind", extra);

	it_write_file(it_path("loose.key"), 0644,
		   "6f1d0c3b5a7e9f2b4d6c8a0e1f3b5d7c9e0a2c4e6f8b0d2f4a6c8e0b2d4f6a8c\n");
	it_write_file(it_path("short.key"), 0600, "too-short-a-key\n");
	it_write_file(it_path("other.key"), 0600,
		   "00000000000000000000000000000000000000000000000000000000000000ff\n");
	{
		char *argv[] = { "redis-server", "--port", "0", "--unixsocket", sock,
				 "--unixsocketperm", "700", "--save", "",
				 "--appendonly", "no", "--dir", (char *)it_dir(), NULL };

		srv = it_spawn(argv, sock, 0);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	it_stop(srv);
	it_cleanup();
	return 0;
}

/* authenticate (and open a session when asked) in one handle */
static int login(const char *svc, const char *user, const char *pw,
		 bool session)
{
	struct it_conv c;
	struct pam_testcase t[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
	};

	memset(&c, 0, sizeof(c));
	c.answers[0] = pw;
	it_ops(svc, user, t, session ? 2 : 1, &c);
	if (t[0].op_rv != PAM_SUCCESS || !session)
		return t[0].op_rv;
	return t[1].op_rv;
}

static const char *svc_of(int s, const char *name)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s-%s", stores[s], name);
	return buf;
}

/* ReplayShield's own example: three valid passwords, window 2 */
static void replayshield_scenario(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "w2");

		assert_int_equal(login(svc, "rs", "pass-A", true), PAM_SUCCESS);
		assert_int_equal(login(svc, "rs", "pass-A", true), PAM_AUTH_ERR);
		assert_int_equal(login(svc, "rs", "pass-B", true), PAM_SUCCESS);
		assert_int_equal(login(svc, "rs", "pass-C", true), PAM_SUCCESS);
		assert_int_equal(login(svc, "rs", "pass-A", true), PAM_SUCCESS);
		/* B is now the oldest of the last two? no: A, C are */
		assert_int_equal(login(svc, "rs", "pass-C", true), PAM_AUTH_ERR);
		assert_int_equal(login(svc, "rs", "pass-B", true), PAM_SUCCESS);
		/* another user's history is separate */
		assert_int_equal(login(svc, "rs2", "pass-B", true), PAM_SUCCESS);
	}
}

/* the redis store keeps a history as a sorted set; a list written by an
 * earlier version is folded in on first use, not taken for "no history" */
static void redis_list_folded(void **state)
{
	char *card[] = { "redis-cli", "-s", sock, "ZCARD", "pam:replayhist:{idx}",
			 NULL };
	char *to_list[] = { "redis-cli", "-s", sock, "EVAL",
		"local m = redis.call('ZREVRANGE', KEYS[1], 0, -1) "
		"for _, x in ipairs(m) do redis.call('RPUSH', KEYS[2], x) end "
		"redis.call('DEL', KEYS[1]) return #m", "2", "pam:replayhist:{idx}",
		"pam:replay:{idx}", NULL };
	char *exists[] = { "redis-cli", "-s", sock, "EXISTS", "pam:replay:{idx}",
			   NULL };
	char out[64];

	(void)state;
	assert_int_equal(login("r-w2", "idx", "idx-1", true), PAM_SUCCESS);
	assert_int_equal(login("r-w2", "idx", "idx-2", true), PAM_SUCCESS);
	assert_int_equal(login("r-w2", "idx", "idx-3", true), PAM_SUCCESS);
	assert_int_equal(it_run(card, NULL, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 2); /* trimmed to the window */
	/* as an older version would have left it: a list, newest first */
	assert_int_equal(it_run(to_list, NULL, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 2);
	assert_int_equal(login("r-w2", "idx", "idx-2", false), PAM_AUTH_ERR);
	assert_int_equal(it_run(card, NULL, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 2);
	assert_int_equal(it_run(exists, NULL, out, sizeof(out)), 0);
	assert_int_equal(atoi(out), 0);
	/* idx-1 fell out of the window before the fold: free again */
	assert_int_equal(login("r-w2", "idx", "idx-1", true), PAM_SUCCESS);
}

static void refused_message_and_log(void **state)
{
	struct it_conv c;

	(void)state;
	assert_int_equal(login("f-w2", "msg", "same-pw", true), PAM_SUCCESS);
	memset(&c, 0, sizeof(c));
	c.answers[0] = "same-pw";
	it_log_clear();
	assert_int_equal(it_op("f-w2", "msg", PAMTEST_AUTHENTICATE, 0, &c),
			 PAM_AUTH_ERR);
	assert_string_equal(c.out, "E:This password was used recently. Use another one.\n");
	assert_true(it_log_has("password among the last 2 used"));
	memset(&c, 0, sizeof(c));
	c.answers[0] = "same-pw";
	assert_int_equal(it_op("f-w2", "msg", PAMTEST_AUTHENTICATE, PAM_SILENT, &c),
			 PAM_AUTH_ERR);
	assert_string_equal(c.out, "");
}

static void pending_without_session(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "w2");

		/* authenticated, no session yet: the password is in use by
		 * that login, refused to every other one */
		assert_int_equal(login(svc, "pend", "pw-1", false), PAM_SUCCESS);
		assert_int_equal(login(svc, "pend", "pw-1", false), PAM_AUTH_ERR);
		assert_int_equal(login(svc, "pend", "pw-1b", true), PAM_SUCCESS);
		assert_int_equal(login(svc, "pend", "pw-1b", false), PAM_AUTH_ERR);
		/* a login that never reached its session did not use its
		 * password up: past pending_ttl it is free again, and another
		 * login's session does not commit it */
		svc = svc_of(s, "ttl1");
		assert_int_equal(login(svc, "pend2", "pw-2", false), PAM_SUCCESS);
		sleep(2);
		assert_int_equal(login(svc, "pend2", "other-pw", true), PAM_SUCCESS);
		assert_int_equal(login(svc, "pend2", "pw-2", false), PAM_SUCCESS);
	}
}

/* auth in one process, open_session in another (as sshd's privsep does) */
static void auth_and_session_in_two_processes(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "w2");
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0)
			_exit(login(svc, "split", "split-pw", false));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_int_equal(WEXITSTATUS(status), PAM_SUCCESS);
		assert_int_equal(it_op(svc, "split", PAMTEST_OPEN_SESSION, 0, NULL),
				 PAM_SUCCESS);
		assert_int_equal(login(svc, "split", "split-pw", false), PAM_AUTH_ERR);
	}
}

static void commit_at_auth(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "wauth");

		/* in front of any credential check it would record typos:
		 * the configuration is refused */
		it_log_clear();
		assert_int_equal(login(svc, "ca", "ca-pw", false), PAM_SERVICE_ERR);
		assert_true(it_log_has("commit=auth needs the replay line after"));
	}
}

static int chpw(const char *svc, const char *user, const char *pw,
		struct it_conv *out)
{
	struct it_conv c;
	int rv;

	memset(&c, 0, sizeof(c));
	c.answers[0] = c.answers[1] = pw;
	rv = it_op(svc, user, PAMTEST_CHAUTHTOK, 0, &c);
	if (out)
		*out = c;
	return rv;
}

static void password_history(void **state)
{
	struct it_conv c;

	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "rem2");

		assert_int_equal(chpw(svc, "ph", "hist-P1", NULL), PAM_SUCCESS);
		assert_int_equal(chpw(svc, "ph", "hist-P1", &c), PAM_AUTHTOK_ERR);
		assert_non_null(strstr(c.out, "already used"));
		assert_int_equal(chpw(svc, "ph", "hist-P2", NULL), PAM_SUCCESS);
		assert_int_equal(chpw(svc, "ph", "hist-P3", NULL), PAM_SUCCESS);
		/* remember=2: P1 fell out */
		assert_int_equal(chpw(svc, "ph", "hist-P1", NULL), PAM_SUCCESS);
		assert_int_equal(chpw(svc, "ph", "hist-P3", NULL), PAM_AUTHTOK_ERR);
		/* remember= has no say at login */
		assert_int_equal(login(svc, "ph", "hist-P3", true), PAM_SUCCESS);
	}
}

static void zero_disables(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "w0");

		for (int i = 0; i < 3; i++) {
			assert_int_equal(login(svc, "zero", "zero-pw", true), PAM_SUCCESS);
			assert_int_equal(chpw(svc, "zero", "zero-pw", NULL), PAM_SUCCESS);
		}
	}
	/* acct_mgmt is a PAM_IGNORE stub (the stack passes only if so) */
	assert_int_equal(it_op("f-w2", "zero", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SUCCESS);
	assert_int_equal(it_op("r-w2", "zero", PAMTEST_ACCOUNT, 0, NULL),
			 PAM_SUCCESS);
}

/* 50 logins of one user at once, distinct passwords: none lost.  Each is
 * its own process running tests/integration/pam_login.c, a real libpam
 * application on the same private service directory (pam_start_confdir:
 * 50 pam_wrapper instances at once would collide on their /tmp copies). */
static void concurrent_logins(void **state)
{
	char helper[PATH_MAX], svcdir[PATH_MAX];

	(void)state;
	snprintf(helper, sizeof(helper), "%s/tests/pam_login",
		 getenv("PU_BUILD") ? getenv("PU_BUILD") : "build");
	snprintf(svcdir, sizeof(svcdir), "%s/pam.d", it_dir());
	for (int s = 0; s < 2; s++) {
		const char *svc = svc_of(s, "w100");
		pid_t pids[50];

		for (int i = 0; i < 50; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				char pw[32];
				char *argv[] = { helper, svcdir, (char *)svc, "conc", pw,
						 "session", NULL };

				snprintf(pw, sizeof(pw), "conc-%d", i);
				execv(helper, argv);
				_exit(127);
			}
		}
		for (int i = 0; i < 50; i++) {
			int status;

			assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), PAM_SUCCESS);
		}
		for (int i = 0; i < 50; i++) {
			char pw[32];

			snprintf(pw, sizeof(pw), "conc-%d", i);
			if (login(svc, "conc", pw, false) != PAM_AUTH_ERR)
				fail_msg("store %s lost the entry of %s", stores[s], pw);
		}
		fprintf(stderr, "    store=%s: 50 concurrent logins, 50 entries kept\n",
			s == 0 ? "file" : "redis");
	}
}

static void key_file_faults(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		it_log_clear();
		assert_int_equal(login(svc_of(s, "looskey"), "kf", "kf-pw", false),
				 PAM_SERVICE_ERR);
		assert_true(it_log_has("mode 0400 or 0600"));
		assert_int_equal(login(svc_of(s, "shortkey"), "kf", "kf-pw", false),
				 PAM_SERVICE_ERR);
		assert_int_equal(login(svc_of(s, "nokey"), "kf", "kf-pw", false),
				 PAM_SERVICE_ERR);
	}
}

static void user_file(const char *user, char *path, size_t size)
{
	char *argv[] = { "sh", "-c", NULL, NULL };
	char cmd[512], out[128];

	/* the file is named by the SHA-256 of the user name */
	snprintf(cmd, sizeof(cmd), "printf %%s '%s' | sha256sum | cut -c1-64", user);
	argv[2] = cmd;
	assert_int_equal(it_run(argv, NULL, out, sizeof(out)), 0);
	out[strcspn(out, "\n")] = '\0';
	snprintf(path, size, "%s/%s", store, out);
}

static void corrupt_store(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	(void)state;
	assert_int_equal(login("f-w2", "cor", "cor-pw", true), PAM_SUCCESS);
	user_file("cor", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	/* a file made with another key does not verify */
	it_log_clear();
	assert_int_equal(login("f-otherkey", "cor", "cor-pw2", false),
			 PAM_AUTHINFO_UNAVAIL);
	assert_true(it_log_has("does not verify"));
	/* truncated by one byte */
	assert_int_equal(truncate(path, st.st_size - 1), 0);
	assert_int_equal(login("f-w2", "cor", "cor-pw", false),
			 PAM_AUTHINFO_UNAVAIL);
	/* a session with no login of its own to commit reads nothing */
	assert_int_equal(it_op("f-w2", "cor", PAMTEST_OPEN_SESSION, 0, NULL),
			 PAM_SUCCESS);
	/* garbage of the right size */
	{
		char junk[10 + 41 + 32];

		memset(junk, 'x', sizeof(junk));
		memcpy(junk, "PUREPLAY1\n", 10);
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fwrite(junk, 1, sizeof(junk), fp);
		fclose(fp);
	}
	assert_int_equal(login("f-w2", "cor", "cor-pw", false),
			 PAM_AUTHINFO_UNAVAIL);
	/* unreadable: a directory where the file should be */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(login("f-w2", "cor", "cor-pw", false),
			 PAM_AUTHINFO_UNAVAIL);
	rmdir(path);
	/* never "empty history": the refused logins did not reset it */
	assert_int_equal(login("f-w2", "cor", "cor-pw", true), PAM_SUCCESS);
	assert_int_equal(login("f-w2", "cor", "cor-pw", false), PAM_AUTH_ERR);
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
	for (int s = 0; s < 2; s++) {
		assert_int_equal(login(svc_of(s, "w2"), "canary", canary, true),
				 PAM_SUCCESS);
		assert_int_equal(chpw(svc_of(s, "rem2"), "canary", canary, NULL),
				 PAM_SUCCESS);
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
	{
		char *argv[] = { "redis-cli", "-s", sock, "SAVE", NULL };

		assert_int_equal(it_run(argv, NULL, NULL, 0), 0);
	}
	snprintf(rdb, sizeof(rdb), "%s/dump.rdb", it_dir());
	assert_true(file_has(rdb, "pam:replayhist:{canary}")); /* the dump is real */
	assert_false(file_has(rdb, canary));
	assert_false(it_log_has_quiet(canary));
}

/* with the redis credential backend, in front and behind */
static void stacked_with_credentials(void **state)
{
	char h[512];

	(void)state;
	{
		char *argv[] = { "sh", "-c", NULL, NULL };
		char cmd[PATH_MAX + 256];

		snprintf(cmd, sizeof(cmd),
			 "echo 'stack-pass1' | %s/unifiedctl redis=unix:%s hash=sha512 "
			 "user add stk --password-stdin >/dev/null",
			 getenv("PU_BUILD") ? getenv("PU_BUILD") : "build", sock);
		argv[2] = cmd;
		assert_int_equal(it_run(argv, NULL, h, sizeof(h)), 0);
	}
	for (int k = 0; k < 2; k++) {
		const char *svc = k == 0 ? "front" : "behind";

		assert_int_equal(login(svc, "stk", "wrong-pass", true), PAM_AUTH_ERR);
		assert_int_equal(login(svc, "stk", "stack-pass1", true), PAM_SUCCESS);
		/* the right password, but just used */
		assert_int_equal(login(svc, "stk", "stack-pass1", true), PAM_AUTH_ERR);
		assert_int_equal(login(svc, "nobody-at-all", "x", true),
				 k == 0 ? PAM_USER_UNKNOWN : PAM_USER_UNKNOWN);
	}
}

static void history_cli(void **state)
{
	char out[4096], keyarg[PATH_MAX + 16], dirarg[PATH_MAX + 16];
	char ctl[PATH_MAX];
	char *show[] = { ctl, keyarg, dirarg, "history", "show", "rs", NULL };
	char *clear[] = { ctl, keyarg, dirarg, "history", "clear", "rs", NULL };

	(void)state;
	snprintf(ctl, sizeof(ctl), "%s/unifiedctl",
		 getenv("PU_BUILD") ? getenv("PU_BUILD") : "build");
	snprintf(keyarg, sizeof(keyarg), "key_file=%s", key);
	snprintf(dirarg, sizeof(dirarg), "dir=%s", store);
	assert_int_equal(it_run(show, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "login window entries: 2"));
	assert_null(strstr(out, "pass-"));
	assert_int_equal(login("f-w2", "rs", "pass-B", true), PAM_AUTH_ERR);
	assert_int_equal(it_run(clear, NULL, out, sizeof(out)), 0);
	assert_int_equal(login("f-w2", "rs", "pass-B", true), PAM_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replayshield_scenario),
		cmocka_unit_test(refused_message_and_log),
		cmocka_unit_test(redis_list_folded),
		cmocka_unit_test(pending_without_session),
		cmocka_unit_test(auth_and_session_in_two_processes),
		cmocka_unit_test(commit_at_auth),
		cmocka_unit_test(password_history),
		cmocka_unit_test(zero_disables),
		cmocka_unit_test(concurrent_logins),
		cmocka_unit_test(key_file_faults),
		cmocka_unit_test(corrupt_store),
		cmocka_unit_test(no_plaintext),
		cmocka_unit_test(stacked_with_credentials),
		cmocka_unit_test(history_cli),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("replay backend (libpam)", tests,
					   group_setup, group_teardown);
}
