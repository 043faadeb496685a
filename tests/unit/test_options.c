/* Options: defaults -> file -> services.<svc> -> argv, one setter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/options.h"

static char tmpdir[64];

static const char *write_conf(const char *name, mode_t mode, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pu-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static void defaults(void **state)
{
	struct pu_options o;

	(void)state;
	pu_options_defaults(&o);
	assert_int_equal(o.backend, PU_BACKEND_NONE);
	assert_string_equal(o.config, PU_DEFAULT_CONFIG);
	assert_false(o.config_explicit);
	assert_false(o.debug);
	assert_false(o.quiet);
	assert_false(o.use_first_pass);
	assert_false(o.try_first_pass);
	assert_false(o.use_authtok);
	assert_false(o.nullok);
	assert_int_equal(o.timeout_ms, 2000);
	assert_int_equal(o.unsupported, PU_UNSUP_DEFAULT);
	assert_string_equal(o.socket.path, "");
	assert_int_equal(o.socket.protocol, PU_PROTO_REDIRECTOR);
	assert_int_equal(o.socket.peer_uid, 0);
	assert_string_equal(o.conn.redis, "");
	assert_string_equal(o.conn.sentinel, "");
	assert_string_equal(o.conn.sentinel_master, "");
	assert_string_equal(o.conn.user, "");
	assert_string_equal(o.conn.password_file, "");
	assert_int_equal(o.conn.db, 0);
	assert_int_equal(o.conn.auth, PU_RAUTH_PASSWORD);
	assert_string_equal(o.prefix, "pam:");
	assert_int_equal(o.lock.deny, 0);
	assert_int_equal(o.lock.fail_interval, 900);
	assert_int_equal(o.lock.unlock_time, 600);
	assert_int_equal(o.policy.max_age, 0);
	assert_int_equal(o.policy.warn_age, 7);
	assert_int_equal(o.policy.minlen, 8);
	assert_int_equal(o.policy.hash, PU_HASH_DEFAULT);
	assert_int_equal(o.replay.window, 0);
	assert_int_equal(o.replay.remember, 0);
	assert_int_equal(o.replay.commit, PU_COMMIT_SESSION);
	assert_int_equal(o.replay.pending_ttl, 300);
	assert_string_equal(o.replay.key_file, PU_DEFAULT_KEY_FILE);
	assert_int_equal(o.replay.store, PU_STORE_FILE);
	assert_string_equal(o.replay.dir, PU_DEFAULT_REPLAY_DIR);
}

/* Every option, set through the file to something that is not its
 * default; every field must have moved. */
static const char flip_conf[] =
	"backend = \"socket\";\n"
	"debug = true;\n"
	"quiet = true;\n"
	"use_first_pass = true;\n"
	"try_first_pass = true;\n"
	"use_authtok = true;\n"
	"nullok = true;\n"
	"timeout = 750;\n"
	"unsupported = \"error\";\n"
	"nodelay = true;\n"
	"managed_group = \"pam-unified\";\n"
	"managed_uid = \"1000-59999\";\n"
	"socket = \"/run/pu/test.sock\";\n"
	"protocol = \"v1\";\n"
	"peer_uid = 4242;\n"
	"redis = [\"unix:/run/redis/redis.sock\", \"tcp://10.0.0.2:6379\"];\n"
	"sentinel = \"127.0.0.1:26379,127.0.0.1:26380\";\n"
	"redis_cluster = \"10.0.0.5:7000,10.0.0.6:7000\";\n"
	"sentinel_master = \"mymaster\";\n"
	"sentinel_user = \"watcher\";\n"
	"sentinel_password_file = \"/etc/security/sentinel.secret\";\n"
	"redis_user = \"pam\";\n"
	"redis_password_file = \"/etc/security/redis.secret\";\n"
	"redis_db = 3;\n"
	"redis_auth = \"hmac\";\n"
	"redis_owner = \"valkey\";\n"
	"redis_tls_ca = \"/etc/ssl/redis-ca.pem\";\n"
	"redis_tls_cert = \"/etc/ssl/pam.crt\";\n"
	"redis_tls_key = \"/etc/ssl/pam.key\";\n"
	"redis_tls_server_name = \"redis.example.net\";\n"
	"redis_tls_resume = false;\n"
	"prefix = \"auth:\";\n"
	"deny = 5;\n"
	"fail_interval = 60;\n"
	"unlock_time = 0;\n"
	"max_age = 90;\n"
	"warn_age = 14;\n"
	"minlen = 12;\n"
	"hash = \"sha512\";\n"
	"rehash = true;\n"
	"window = 5;\n"
	"remember = 3;\n"
	"commit = \"auth\";\n"
	"pending_ttl = 60;\n"
	"key_file = \"/etc/security/other.key\";\n"
	"store = \"redis\";\n"
	"dir = \"/var/lib/other\";\n";

static void file_flips_every_default(void **state)
{
	struct pu_options o;
	struct pu_config *cfg = NULL;
	struct pu_err err = { PU_OK, "" };
	const char *path = write_conf("flip.conf", 0644, flip_conf);

	(void)state;
	/* the file names every option the module knows */
	for (size_t i = 0; pu_option_name(i) != NULL; i++) {
		char key[80];

		snprintf(key, sizeof(key), "\n%s =", pu_option_name(i));
		if (i == 0)
			snprintf(key, sizeof(key), "%s =", pu_option_name(i));
		assert_non_null(strstr(flip_conf, key));
	}
	assert_int_equal(pu_config_load(path, true, &cfg, &err), PU_OK);
	/* refused at validation (use_first_pass with try_first_pass), after
	 * every setting was applied: check each field the file set */
	assert_int_equal(pu_options_build_with(&o, cfg, 0, NULL, NULL, &err),
			 PU_CONFIG);
	pu_config_free(cfg);
	assert_int_equal(o.backend, PU_BACKEND_SOCKET);
	assert_true(o.debug);
	assert_true(o.quiet);
	assert_true(o.use_first_pass);
	assert_true(o.try_first_pass);
	assert_true(o.use_authtok);
	assert_true(o.nullok);
	assert_int_equal(o.timeout_ms, 750);
	assert_int_equal(o.unsupported, PU_UNSUP_ERROR);
	assert_true(o.nodelay);
	assert_string_equal(o.managed_group, "pam-unified");
	assert_string_equal(o.managed_uid, "1000-59999");
	assert_string_equal(o.socket.path, "/run/pu/test.sock");
	assert_int_equal(o.socket.protocol, PU_PROTO_V1);
	assert_int_equal(o.socket.peer_uid, 4242);
	assert_string_equal(o.conn.redis,
			    "unix:/run/redis/redis.sock,tcp://10.0.0.2:6379");
	assert_string_equal(o.conn.sentinel, "127.0.0.1:26379,127.0.0.1:26380");
	assert_string_equal(o.conn.cluster, "10.0.0.5:7000,10.0.0.6:7000");
	assert_string_equal(o.conn.sentinel_master, "mymaster");
	assert_string_equal(o.conn.sentinel_user, "watcher");
	assert_string_equal(o.conn.sentinel_password_file,
			    "/etc/security/sentinel.secret");
	assert_string_equal(o.conn.user, "pam");
	assert_string_equal(o.conn.password_file, "/etc/security/redis.secret");
	assert_int_equal(o.conn.db, 3);
	assert_int_equal(o.conn.auth, PU_RAUTH_HMAC);
	assert_string_equal(o.conn.owner, "valkey");
	assert_string_equal(o.conn.tls_ca, "/etc/ssl/redis-ca.pem");
	assert_string_equal(o.conn.tls_cert, "/etc/ssl/pam.crt");
	assert_string_equal(o.conn.tls_key, "/etc/ssl/pam.key");
	assert_string_equal(o.conn.tls_server_name, "redis.example.net");
	assert_false(o.conn.tls_resume);
	assert_string_equal(o.prefix, "auth:");
	assert_int_equal(o.lock.deny, 5);
	assert_int_equal(o.lock.fail_interval, 60);
	assert_int_equal(o.lock.unlock_time, 0);
	assert_int_equal(o.policy.max_age, 90);
	assert_int_equal(o.policy.warn_age, 14);
	assert_int_equal(o.policy.minlen, 12);
	assert_int_equal(o.policy.hash, PU_HASH_SHA512);
	assert_true(o.policy.rehash);
	assert_int_equal(o.replay.window, 5);
	assert_int_equal(o.replay.remember, 3);
	assert_int_equal(o.replay.commit, PU_COMMIT_AUTH);
	assert_int_equal(o.replay.pending_ttl, 60);
	assert_string_equal(o.replay.key_file, "/etc/security/other.key");
	assert_int_equal(o.replay.store, PU_STORE_REDIS);
	assert_string_equal(o.replay.dir, "/var/lib/other");
	/* both first_pass flags at once is a contradiction */
	assert_int_equal(pu_options_validate(&o, &err), PU_CONFIG);
}

static void argv_overrides_file_and_service(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	char cfg[300];
	const char *path = write_conf("svc.conf", 0644,
		"backend = \"socket\";\nsocket = \"/run/a.sock\";\n"
		"timeout = 100;\nquiet = true;\n"
		"services: { sshd: { timeout = 200; protocol = \"v1\"; };\n"
		"            other-svc: { timeout = 300; }; };\n");
	const char *argv[] = { cfg, "timeout=400", "quiet=false" };

	(void)state;
	snprintf(cfg, sizeof(cfg), "config=%s", path);
	assert_int_equal(pu_options_build(&o, 1, argv, "login", &err), PU_OK);
	assert_int_equal(o.timeout_ms, 100);
	assert_int_equal(o.socket.protocol, PU_PROTO_REDIRECTOR);
	assert_int_equal(pu_options_build(&o, 1, argv, "sshd", &err), PU_OK);
	assert_int_equal(o.timeout_ms, 200);
	assert_int_equal(o.socket.protocol, PU_PROTO_V1);
	assert_true(o.quiet);
	assert_int_equal(pu_options_build(&o, 3, argv, "sshd", &err), PU_OK);
	assert_int_equal(o.timeout_ms, 400);
	assert_false(o.quiet);
	assert_true(o.config_explicit);
}

static void bare_path_is_redirector(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	const char *argv[] = { "/var/run/pam_redirector/socket",
			       "config=/nonexistent/but/unused" };

	(void)state;
	/* the default config file may be absent: built-in defaults */
	assert_int_equal(pu_options_build(&o, 1, argv, "sshd", &err), PU_OK);
	assert_int_equal(o.backend, PU_BACKEND_SOCKET);
	assert_int_equal(o.socket.protocol, PU_PROTO_REDIRECTOR);
	assert_string_equal(o.socket.path, "/var/run/pam_redirector/socket");
	/* a named file that is missing is an error */
	assert_int_equal(pu_options_build(&o, 2, argv, "sshd", &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/but/unused"));
}

static void bad_arguments(void **state)
{
	static const char *const bad[] = {
		"bogus", "bogus=1", "timeout=abc", "timeout=", "timeout=0",
		"timeout=600001", "timeout=-5", "timeout=+5", "timeout=10ms",
		"debug=maybe", "protocol=v2", "backend=ldap", "backend=",
		"unsupported=sometimes", "socket=relative", "socket=",
		"peer_uid=-1", "peer_uid=x", "=x", "", "config=relative",
		"hash=md5", "deny=-1", "minlen=0", "redis_db=70000",
		"redis_password_file=relative", "prefix=a b", "redis=",
		"redis_auth=plain", "window=1001", "commit=later", "store=ldap",
		"pending_ttl=0", "dir=relative", "key_file=",
		"/a/path/far/too/long/for/sun_path/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pu_options o;
		struct pu_err err = { PU_OK, "" };
		const char *argv[] = { "backend=socket", "socket=/run/x.sock",
				       bad[i] };

		if (pu_options_build(&o, 3, argv, NULL, &err) != PU_CONFIG)
			fail_msg("argument \"%s\" was accepted", bad[i]);
		assert_true(err.msg[0] != '\0');
	}
}

static void good_arguments(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	const char *argv[] = { "backend=socket", "socket=/run/x.sock", "debug",
			       "nullok=yes", "quiet=0", "timeout=1",
			       "unsupported=ignore", "protocol=v1" };

	(void)state;
	assert_int_equal(pu_options_build(&o, 8, argv, NULL, &err), PU_OK);
	assert_true(o.debug);
	assert_true(o.nullok);
	assert_false(o.quiet);
	assert_int_equal(o.timeout_ms, 1);
	assert_int_equal(o.unsupported, PU_UNSUP_IGNORE);
}

static void redis_validation(void **state)
{
	static const char *sets[][3] = {
		{ "backend=redis", NULL, NULL },
		{ "backend=redis", "sentinel=127.0.0.1:26379", NULL },
		{ "backend=redis", "redis=unix:/r.sock", "redis_auth=hmac" },
	};
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	const char *ok[] = { "backend=redis", "sentinel=127.0.0.1:26379",
			     "sentinel_master=m" };

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		int n = sets[i][2] ? 3 : sets[i][1] ? 2 : 1;

		assert_int_equal(pu_options_build(&o, n, sets[i], NULL, &err),
				 PU_CONFIG);
	}
	assert_int_equal(pu_options_build(&o, 3, ok, NULL, &err), PU_OK);
}

/* the file alone: load, then apply with only backend=replay (which
 * validates with the defaults) on the module line */
static enum pu_status load_file(struct pu_options *o, const char *path,
				bool explicit_path, const char *service,
				struct pu_err *err)
{
	const char *argv[] = { "backend=replay" };
	struct pu_config *cfg = NULL;
	enum pu_status st = pu_config_load(path, explicit_path, &cfg, err);

	if (st == PU_OK)
		st = pu_options_build_with(o, cfg, 1, argv, service, err);
	pu_config_free(cfg);
	return st;
}

static void file_errors(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	const char *p;

	(void)state;
	p = write_conf("syntax.conf", 0644, "debug = true;\ntimeout = ;\n");
	pu_options_defaults(&o);
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "syntax.conf:2"));

	p = write_conf("unknown.conf", 0644, "debug = true;\n\nbogus = 1;\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "unknown.conf:3"));
	assert_non_null(strstr(err.msg, "bogus"));

	p = write_conf("type.conf", 0644, "timeout = \"soon\";\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);

	p = write_conf("float.conf", 0644, "timeout = 1.5;\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);

	p = write_conf("self.conf", 0644, "config = \"/etc/x\";\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);

	p = write_conf("svcgroup.conf", 0644, "services = 5;\n");
	assert_int_equal(load_file(&o, p, true, "sshd", &err),
			 PU_CONFIG);

	p = write_conf("svcbad.conf", 0644,
		       "services: { sshd: { nonsense = 1; }; };\n");
	/* another service's typo fails closed too: the file is wrong */
	assert_int_equal(load_file(&o, p, true, "login", &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "svcbad.conf:1"));
	assert_int_equal(load_file(&o, p, true, "sshd", &err),
			 PU_CONFIG);

	p = write_conf("include.conf", 0644, "debug = true;\n  @include \"/tmp/x\"\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "include.conf:2: @include"));

	p = write_conf("loose.conf", 0666, "debug = true;\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_CONFIG);
	assert_non_null(strstr(err.msg, "group/other-writable"));

	/* a directory is not a config file; a missing default is fine */
	assert_int_equal(load_file(&o, tmpdir, true, NULL, &err),
			 PU_CONFIG);
	assert_int_equal(load_file(&o, "/nonexistent.conf", false,
					      NULL, &err), PU_OK);
	assert_int_equal(load_file(&o, "/nonexistent.conf", true,
					      NULL, &err), PU_CONFIG);
}

static void symlinked_file_refused(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	char link[300];
	const char *p = write_conf("real.conf", 0644, "debug = true;\n");

	(void)state;
	snprintf(link, sizeof(link), "%s/link.conf", tmpdir);
	assert_int_equal(symlink(p, link), 0);
	pu_options_defaults(&o);
	assert_int_equal(load_file(&o, link, true, NULL, &err),
			 PU_CONFIG);
}

static void list_values(void **state)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };
	/* a list becomes "a,b": no list option takes one yet, so a list
	 * for a path option is joined and then refused as relative */
	const char *p = write_conf("list.conf", 0644,
				   "socket = [\"/a.sock\"];\n");

	(void)state;
	pu_options_defaults(&o);
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_OK);
	assert_string_equal(o.socket.path, "/a.sock");
	p = write_conf("list2.conf", 0644, "socket = [\"/a.sock\", \"/b\"];\n");
	assert_int_equal(load_file(&o, p, true, NULL, &err), PU_OK);
	assert_string_equal(o.socket.path, "/a.sock,/b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(file_flips_every_default),
		cmocka_unit_test(argv_overrides_file_and_service),
		cmocka_unit_test(bare_path_is_redirector),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(good_arguments),
		cmocka_unit_test(redis_validation),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(symlinked_file_refused),
		cmocka_unit_test(list_values),
	};

	return cmocka_run_group_tests_name("options", tests, setup, teardown);
}
