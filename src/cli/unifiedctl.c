/*
 * unifiedctl — pam_unified's admin command (like pam_faillock's faillock):
 * the same option parser, Redis client and store code as the module.
 *
 *   unifiedctl [--config F] [--service S] [KEY=VALUE ...] COMMAND ...
 *
 * Passwords come from the terminal without echo, or from one line of
 * standard input with --password-stdin; never from the command line.
 * Exit status: 0 done, 1 failed (backend, no such user), 2 usage/config.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/options.h"
#include "common/redis_client.h"
#include "backends/replay/entry.h"
#include "common/secret.h"
#include "common/net.h"
#include "backends/redis/users.h"
#include "common/version.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct ctl {
	struct pu_options o;
	struct pu_redis *r;
	struct pu_deadline dl;
	bool password_stdin;
};

static const struct {
	const char *cmd;
	const char *text;
} helps[] = {
	{ "check", "unifiedctl check [--config FILE] [--service NAME] [MODULE-ARGS ...]\n"
	  "  Parses the config file and the arguments exactly as the module does,\n"
	  "  checks key and secret files, and reaches every configured backend\n"
	  "  (socket trust checks, Redis AUTH, Sentinel).  One line per check;\n"
	  "  exit 0 only if every check passed.\n" },
	{ "user", "unifiedctl [OPTIONS] user add|passwd USER [--password-stdin]\n"
	  "unifiedctl [OPTIONS] user lock|unlock|del|show USER\n"
	  "unifiedctl [OPTIONS] user expire USER [--at UNIXTIME]\n"
	  "unifiedctl [OPTIONS] user list\n"
	  "  Manage users in the Redis store (redis= or sentinel= options).\n" },
	{ "faillock", "unifiedctl [OPTIONS] faillock show|reset USER\n"
	  "  Show or clear USER's recent failures (the fleet-wide lockout).\n" },
	{ "sessions", "unifiedctl [OPTIONS] sessions [USER]\n"
	  "  Open sessions recorded by the redis backend.\n" },
	{ "init", "unifiedctl [OPTIONS] init\n"
	  "  Create the replay key (key_file=, root, 0600) and store directory\n"
	  "  (dir=, 0700); an existing key is checked and kept.\n" },
	{ "history", "unifiedctl [OPTIONS] history show|clear USER\n"
	  "  Replay entries of USER: counts and times, never secrets.\n" },
};

static bool command_help(const char *cmd)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		if (strcmp(helps[i].cmd, cmd) == 0) {
			fputs(helps[i].text, stdout);
			return true;
		}
	}
	return false;
}

static void usage(FILE *fp)
{
	fputs("usage: unifiedctl [--config FILE] [--service NAME] [KEY=VALUE ...] COMMAND\n"
	      "       unifiedctl --version | --help | COMMAND --help\n"
	      "\n"
	      "  check [MODULE-ARGS...]               validate config, reach backends\n"
	      "  user add USER [--password-stdin]     create USER with a password\n"
	      "  user passwd USER [--password-stdin]  set USER's password\n"
	      "  user lock USER | user unlock USER    disable / enable the account\n"
	      "  user expire USER [--at UNIXTIME]     force a password change, or\n"
	      "                                       expire the account at UNIXTIME\n"
	      "  user del USER                        delete USER, failures, sessions\n"
	      "  user show USER | user list           show (never the hash itself)\n"
	      "  faillock show USER | faillock reset USER\n"
	      "  sessions [USER]                      open sessions\n"
	      "  init                                 create key_file= and dir= (replay)\n"
	      "  history show USER | history clear USER   replay entries (never secrets)\n"
	      "\n"
	      "KEY=VALUE are module options (redis=, sentinel=, prefix=, hash=, ...);\n"
	      "they override the config file, as on a /etc/pam.d line.\n", fp);
}

static int fail(const char *what, const struct pu_err *err)
{
	fprintf(stderr, "unifiedctl: %s: %s\n", what, err->msg);
	return err->status == PU_CONFIG ? EXIT_USAGE : EXIT_FAIL;
}

/* One line from stdin, or twice from the terminal without echo. */
static char *read_password(bool from_stdin)
{
	char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	ssize_t la, lb;
	struct termios old, noecho;
	FILE *tty;

	if (from_stdin) {
		la = getline(&a, &na, stdin);
		if (la <= 0) {
			free(a);
			return NULL;
		}
		a[strcspn(a, "\r\n")] = '\0';
		return a;
	}
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		fprintf(stderr, "unifiedctl: no terminal; use --password-stdin\n");
		return NULL;
	}
	tcgetattr(fileno(tty), &old);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	fputs("New password: ", tty);
	fflush(tty);
	la = getline(&a, &na, tty);
	fputs("\nRetype new password: ", tty);
	fflush(tty);
	lb = getline(&b, &nb, tty);
	fputs("\n", tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	if (la <= 0 || lb <= 0 || strcmp(a, b) != 0) {
		fprintf(stderr, "unifiedctl: passwords do not match\n");
		if (a) explicit_bzero(a, na);
		if (b) explicit_bzero(b, nb);
		free(a);
		free(b);
		return NULL;
	}
	explicit_bzero(b, nb);
	free(b);
	a[strcspn(a, "\r\n")] = '\0';
	return a;
}

static int run1(struct ctl *c, struct pu_redis_cmd *cmd, redisReply **rep,
		const char *what)
{
	struct pu_err err = { PU_OK, "" };

	if (pu_redis_run(c->r, &c->dl, 1, cmd, rep, &err) != PU_OK)
		return fail(what, &err);
	if ((*rep)->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "unifiedctl: %s: %s\n", what, (*rep)->str);
		freeReplyObject(*rep);
		*rep = NULL;
		return EXIT_FAIL;
	}
	return 0;
}

static int simple(struct ctl *c, struct pu_redis_cmd *cmd, const char *what)
{
	redisReply *rep = NULL;
	int rc = run1(c, cmd, &rep, what);

	if (rep != NULL)
		freeReplyObject(rep);
	return rc;
}

static bool user_key(struct ctl *c, char *buf, const char *kind,
		     const char *user)
{
	if (strpbrk(user, "\r\n") != NULL || user[0] == '\0' ||
	    !pu_redis_key(buf, PU_KEY_MAX, c->o.prefix, kind, user)) {
		fprintf(stderr, "unifiedctl: bad user name\n");
		return false;
	}
	return true;
}

static int user_exists(struct ctl *c, const char *ukey)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	int rc, exists;

	pu_cmd_init(&cmd, "EXISTS");
	pu_cmd_add(&cmd, ukey);
	rc = run1(c, &cmd, &rep, "EXISTS");
	if (rc != 0)
		return -1;
	exists = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return exists;
}

static int set_password(struct ctl *c, const char *user, bool create)
{
	char ukey[PU_KEY_MAX], hash[PU_HASH_MAX], now[24];
	struct pu_redis_cmd cmd;
	struct pu_err err = { PU_OK, "" };
	redisReply *rep = NULL;
	char *pw;
	int rc, ex;

	if (!user_key(c, ukey, "user", user))
		return EXIT_USAGE;
	ex = user_exists(c, ukey);
	if (ex < 0)
		return EXIT_FAIL;
	if (create && ex) {
		fprintf(stderr, "unifiedctl: user %s exists\n", user);
		return EXIT_FAIL;
	}
	if (!create && !ex) {
		fprintf(stderr, "unifiedctl: no such user %s\n", user);
		return EXIT_FAIL;
	}
	pw = read_password(c->password_stdin);
	if (pw == NULL)
		return EXIT_FAIL;
	if ((long)strlen(pw) < c->o.minlen) {
		fprintf(stderr, "unifiedctl: password shorter than minlen=%ld\n",
			c->o.minlen);
		explicit_bzero(pw, strlen(pw));
		free(pw);
		return EXIT_FAIL;
	}
	if (pu_hash_make(pw, c->o.hash, hash, sizeof(hash), &err) != PU_OK) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
		return fail("hash", &err);
	}
	explicit_bzero(pw, strlen(pw));
	free(pw);
	/* the deadline covered the prompt: writes get a fresh one */
	pu_deadline_start(&c->dl, c->o.timeout_ms);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	pu_cmd_init(&cmd, "HSET");
	pu_cmd_add(&cmd, ukey);
	pu_cmd_add(&cmd, "password");
	pu_cmd_add(&cmd, hash);
	pu_cmd_add(&cmd, "changed");
	pu_cmd_add(&cmd, now);
	rc = run1(c, &cmd, &rep, "HSET");
	explicit_bzero(hash, sizeof(hash));
	if (rep)
		freeReplyObject(rep);
	if (rc == 0 && !create) {
		pu_cmd_init(&cmd, "HDEL");
		pu_cmd_add(&cmd, ukey);
		pu_cmd_add(&cmd, "must_change");
		rc = simple(c, &cmd, "HDEL");
	}
	if (rc == 0)
		printf("%s: password %s\n", user, create ? "set, user created" : "changed");
	return rc;
}

static int print_hash(struct ctl *c, const char *key, bool hide_password)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	int rc;

	pu_cmd_init(&cmd, "HGETALL");
	pu_cmd_add(&cmd, key);
	rc = run1(c, &cmd, &rep, "HGETALL");
	if (rc != 0)
		return rc;
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const char *f = rep->element[i]->str, *v = rep->element[i + 1]->str;

		if (hide_password && strcmp(f, "password") == 0) {
			/* the method only: "$y$", "$6$", ... */
			const char *end = strchr(v + 1, '$');
			int n = end ? (int)(end - v + 1) : 1;

			printf("  password: set (%.*s)\n", n, v);
		} else {
			printf("  %s: %s\n", f, v);
		}
	}
	freeReplyObject(rep);
	return 0;
}

static int set_field(struct ctl *c, const char *user, const char *field,
		     const char *value)
{
	char ukey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	int ex;

	if (!user_key(c, ukey, "user", user))
		return EXIT_USAGE;
	ex = user_exists(c, ukey);
	if (ex <= 0) {
		if (ex == 0)
			fprintf(stderr, "unifiedctl: no such user %s\n", user);
		return EXIT_FAIL;
	}
	pu_cmd_init(&cmd, value ? "HSET" : "HDEL");
	pu_cmd_add(&cmd, ukey);
	pu_cmd_add(&cmd, field);
	if (value)
		pu_cmd_add(&cmd, value);
	return simple(c, &cmd, value ? "HSET" : "HDEL");
}

/* SCAN for PREFIX KIND:{*} and print the user names */
static int list_keys(struct ctl *c, const char *kind, bool show_sessions)
{
	char pattern[PU_KEY_MAX], cursor[32] = "0";
	size_t plen;

	snprintf(pattern, sizeof(pattern), "%s%s:{*}", c->o.prefix, kind);
	plen = strlen(c->o.prefix) + strlen(kind) + 2;
	do {
		struct pu_redis_cmd cmd;
		redisReply *rep = NULL;
		int rc;

		pu_deadline_start(&c->dl, c->o.timeout_ms);
		pu_cmd_init(&cmd, "SCAN");
		pu_cmd_add(&cmd, cursor);
		pu_cmd_add(&cmd, "MATCH");
		pu_cmd_add(&cmd, pattern);
		pu_cmd_add(&cmd, "COUNT");
		pu_cmd_add(&cmd, "1000");
		rc = run1(c, &cmd, &rep, "SCAN");
		if (rc != 0)
			return rc;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			freeReplyObject(rep);
			return EXIT_FAIL;
		}
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		for (size_t i = 0; i < rep->element[1]->elements; i++) {
			const char *k = rep->element[1]->element[i]->str;
			size_t kl = strlen(k);

			if (kl > plen)
				printf("%.*s\n", (int)(kl - plen - 1), k + plen);
			if (show_sessions)
				print_hash(c, k, false);
		}
		freeReplyObject(rep);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static int cmd_user(struct ctl *c, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	const char *user = argc > 1 ? argv[1] : NULL;
	char ukey[PU_KEY_MAX], fkey[PU_KEY_MAX], skey[PU_KEY_MAX];

	if (strcmp(sub, "list") == 0)
		return list_keys(c, "user", false);
	if (user == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--password-stdin") == 0)
			c->password_stdin = true;
	if (strcmp(sub, "add") == 0)
		return set_password(c, user, true);
	if (strcmp(sub, "passwd") == 0)
		return set_password(c, user, false);
	if (strcmp(sub, "lock") == 0)
		return set_field(c, user, "disabled", "1");
	if (strcmp(sub, "unlock") == 0)
		return set_field(c, user, "disabled", NULL);
	if (strcmp(sub, "expire") == 0) {
		if (argc == 4 && strcmp(argv[2], "--at") == 0) {
			char *end;

			errno = 0;
			(void)strtoll(argv[3], &end, 10);
			if (errno || *end || argv[3][0] == '\0' || argv[3][0] == '-') {
				fprintf(stderr, "unifiedctl: --at takes unix seconds\n");
				return EXIT_USAGE;
			}
			return set_field(c, user, "expires", argv[3]);
		}
		return set_field(c, user, "must_change", "1");
	}
	if (!user_key(c, ukey, "user", user) || !user_key(c, fkey, "fail", user) ||
	    !user_key(c, skey, "sessions", user))
		return EXIT_USAGE;
	if (strcmp(sub, "del") == 0) {
		struct pu_redis_cmd cmd;

		pu_cmd_init(&cmd, "DEL");
		pu_cmd_add(&cmd, ukey);
		pu_cmd_add(&cmd, fkey);
		pu_cmd_add(&cmd, skey);
		return simple(c, &cmd, "DEL");
	}
	if (strcmp(sub, "show") == 0) {
		int ex = user_exists(c, ukey);

		if (ex <= 0) {
			if (ex == 0)
				fprintf(stderr, "unifiedctl: no such user %s\n", user);
			return EXIT_FAIL;
		}
		printf("%s\n", user);
		return print_hash(c, ukey, true);
	}
	usage(stderr);
	return EXIT_USAGE;
}

static int cmd_faillock(struct ctl *c, int argc, char **argv)
{
	char fkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	int rc;

	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!user_key(c, fkey, "fail", argv[1]))
		return EXIT_USAGE;
	if (strcmp(argv[0], "reset") == 0) {
		pu_cmd_init(&cmd, "DEL");
		pu_cmd_add(&cmd, fkey);
		return simple(c, &cmd, "DEL");
	}
	if (strcmp(argv[0], "show") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	pu_cmd_init(&cmd, "ZRANGE");
	pu_cmd_add(&cmd, fkey);
	pu_cmd_add(&cmd, "0");
	pu_cmd_add(&cmd, "-1");
	pu_cmd_add(&cmd, "WITHSCORES");
	rc = run1(c, &cmd, &rep, "ZRANGE");
	if (rc != 0)
		return rc;
	printf("%s: %zu recent failure(s)\n", argv[1], rep->elements / 2);
	for (size_t i = 1; i < rep->elements; i += 2) {
		time_t t = (time_t)strtoll(rep->element[i]->str, NULL, 10);
		char when[64];
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime_r(&t, &tm));
		printf("  %s\n", when);
	}
	freeReplyObject(rep);
	return 0;
}

/* mkdir -p with the last component 0700 */
static int make_dirs(const char *path)
{
	char buf[PU_PATH_LEN];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int cmd_init(struct ctl *c)
{
	unsigned char raw[32];
	char hex[65];
	struct stat st;
	int fd;

	if (make_dirs(c->o.dir) != 0) {
		fprintf(stderr, "unifiedctl: %s: %s\n", c->o.dir, strerror(errno));
		return EXIT_FAIL;
	}
	chmod(c->o.dir, 0700);
	printf("store directory %s: ready (0700)\n", c->o.dir);
	if (lstat(c->o.key_file, &st) == 0) {
		char *key = NULL;
		size_t len = 0;
		struct pu_err err = { PU_OK, "" };

		if (pu_replay_key(c->o.key_file, &key, &len, &err) != PU_OK)
			return fail("existing key", &err);
		pu_secret_free(key);
		printf("key %s: exists, kept\n", c->o.key_file);
		return 0;
	}
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		fprintf(stderr, "unifiedctl: no randomness\n");
		return EXIT_FAIL;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	fd = open(c->o.key_file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		  O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		fprintf(stderr, "unifiedctl: %s: %s\n", c->o.key_file,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	fchmod(fd, 0600);
	close(fd);
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(hex, sizeof(hex));
	printf("key %s: created (root, 0600)\n", c->o.key_file);
	return 0;
}

static void print_times(const char *title, const struct pu_rlist_data *l,
			const char *verb)
{
	printf("  %s: %zu\n", title, l->n);
	for (size_t i = 0; i < l->n; i++) {
		time_t t = (time_t)l->e[i].t;
		char when[64];
		struct tm tm;

		if (t == 0)
			continue; /* the redis lists keep no times */
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime_r(&t, &tm));
		printf("    %s %s\n", verb, when);
	}
}

static int cmd_history(struct ctl *c, int argc, char **argv)
{
	struct pu_replay_ctx x;
	struct pu_replay_data *d;
	struct pu_err err = { PU_OK, "" };
	char *key = NULL;
	size_t klen = 0;
	int rc = 0;

	if (argc != 2 || (strcmp(argv[0], "show") && strcmp(argv[0], "clear"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (pu_replay_key(c->o.key_file, &key, &klen, &err) != PU_OK)
		return fail("key", &err);
	memset(&x, 0, sizeof(x));
	x.o = &c->o;
	x.key = (const unsigned char *)key;
	x.keylen = klen;
	x.redis = c->r;
	x.dl = &c->dl;
	if (strcmp(argv[0], "clear") == 0) {
		if (pu_replay_clear(&x, argv[1], &err) != PU_OK)
			rc = fail("history clear", &err);
		else
			printf("%s: history cleared\n", argv[1]);
		pu_secret_free(key);
		return rc;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL || pu_replay_load(&x, argv[1], d, &err) != PU_OK) {
		rc = d ? fail("history", &err) : EXIT_FAIL;
	} else {
		printf("%s\n", argv[1]);
		print_times("login window entries", &d->hist, "used");
		print_times("pending logins", &d->pend, "expires");
		print_times("password history entries", &d->pw, "set");
	}
	free(d);
	pu_secret_free(key);
	return rc;
}

/* ---- check: like sshd -t ---- */

static int checks_failed;

static void report(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "OK  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		checks_failed++;
}

static void check_redis(const struct pu_options *o, const char *why)
{
	struct pu_deadline dl;
	struct pu_redis *r = NULL;
	struct pu_err err = { PU_OK, "" };

	if (o->redis_password_file[0] != '\0') {
		char *sec = NULL;
		size_t len = 0;

		if (pu_secret_read(o->redis_password_file, &sec, &len, &err) == PU_OK)
			report(true, "redis password file %s: root-owned, private",
			       o->redis_password_file);
		else
			report(false, "%s", err.msg);
		pu_secret_free(sec);
	}
	pu_deadline_start(&dl, o->timeout_ms);
	if (pu_redis_connect(o, &dl, &r, &err) == PU_OK) {
		struct pu_redis_cmd cmd;
		redisReply *rep = NULL;

		pu_cmd_init(&cmd, "PING");
		if (pu_redis_run(r, &dl, 1, &cmd, &rep, &err) == PU_OK &&
		    rep->type == REDIS_REPLY_STATUS)
			report(true, "redis (%s): connected to %s%s, PING answered",
			       why, pu_redis_peer(r),
			       o->sentinel[0] ? " (primary from sentinel)" : "");
		else
			report(false, "redis (%s): %s", why,
			       rep && rep->str ? rep->str : err.msg);
		if (rep)
			freeReplyObject(rep);
	} else {
		report(false, "redis (%s): %s", why, err.msg);
	}
	pu_redis_free(r);
}

static int cmd_check(int nargs, const char **args, const char *service)
{
	struct pu_options o;
	struct pu_err err = { PU_OK, "" };

	if (pu_options_build(&o, nargs, args, service, &err) != PU_OK) {
		report(false, "configuration: %s", err.msg);
		return EXIT_FAIL;
	}
	report(true, "configuration: %s%s, backend=%s%s%s",
	       o.config, o.config_explicit ? "" : " (default path)",
	       pu_backend_name(o.backend), service ? ", service " : "",
	       service ? service : "");
	switch (o.backend) {
	case PU_BACKEND_SOCKET: {
		struct pu_deadline dl;
		int fd = -1;

		if (pu_unix_check_path(o.socket_path, (uid_t)o.peer_uid, &err) ==
		    PU_OK)
			report(true, "socket %s: a socket, trusted owner and directory",
			       o.socket_path);
		else
			report(false, "%s", err.msg);
		pu_deadline_start(&dl, o.timeout_ms);
		if (pu_unix_connect(o.socket_path, (uid_t)o.peer_uid, &dl, &fd,
				    &err) == PU_OK) {
			report(true, "socket %s: connected, peer uid trusted (protocol %s)",
			       o.socket_path,
			       o.protocol == PU_PROTO_V1 ? "v1" : "redirector");
			close(fd);
		} else {
			report(false, "%s", err.msg);
		}
		break;
	}
	case PU_BACKEND_REDIS:
		check_redis(&o, "credentials");
		break;
	case PU_BACKEND_REPLAY: {
		char *key = NULL;
		size_t klen = 0;

		if (pu_replay_key(o.key_file, &key, &klen, &err) == PU_OK)
			report(true, "replay key %s: root-owned, private, %zu bytes",
			       o.key_file, klen);
		else
			report(false, "%s", err.msg);
		pu_secret_free(key);
		if (o.window == 0 && o.remember == 0)
			report(false, "replay: window=0 and remember=0: the line does nothing");
		if (o.store == PU_STORE_REDIS) {
			check_redis(&o, "replay store");
		} else {
			struct stat st;

			if (stat(o.dir, &st) != 0)
				report(false, "replay store %s: %s (run unifiedctl init)",
				       o.dir, strerror(errno));
			else if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
				 (st.st_mode & (S_IWGRP | S_IWOTH)))
				report(false, "replay store %s: must be a root-owned "
				       "directory not writable by group or others", o.dir);
			else
				report(true, "replay store %s: root-owned directory", o.dir);
		}
		break;
	}
	case PU_BACKEND_NONE:
		break;
	}
	printf("%s: %d check(s) failed\n", checks_failed ? "FAIL" : "OK",
	       checks_failed);
	return checks_failed ? EXIT_FAIL : 0;
}

int main(int argc, char **argv)
{
	struct ctl c;
	struct pu_err err = { PU_OK, "" };
	const char *service = NULL, *config = NULL;
	const char *opts[64];
	char cfgarg[PU_PATH_LEN + 8];
	int nopts = 0, i = 1, rc;

	memset(&c, 0, sizeof(c));
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("unifiedctl (pam_unified) %s\n", PU_VERSION);
		return 0;
	}
	for (int k = 1; k + 1 < argc; k++)
		if (argv[k][0] != '-' && strchr(argv[k], '=') == NULL &&
		    (strcmp(argv[k + 1], "--help") == 0 ||
		     (k + 2 < argc && strcmp(argv[k + 2], "--help") == 0)))
			return command_help(argv[k]) ? 0 : (usage(stderr), EXIT_USAGE);
	/* check takes module arguments as the /etc/pam.d line would,
	 * including a bare socket path, and no implied backend */
	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "check") == 0) {
			const char *svc = NULL;
			char cfg[PU_PATH_LEN + 8];

			for (int j = 1; j < argc; j++) {
				if (j == k)
					continue;
				if ((strcmp(argv[j], "--config") == 0 ||
				     strcmp(argv[j], "--service") == 0) && j + 1 < argc) {
					if (argv[j][2] == 'c') {
						snprintf(cfg, sizeof(cfg), "config=%s",
							 argv[j + 1]);
						opts[nopts++] = cfg;
					} else {
						svc = argv[j + 1];
					}
					j++;
				} else if (nopts < 60) {
					opts[nopts++] = argv[j];
				}
			}
			return cmd_check(nopts, opts, svc);
		}
		if (argv[k][0] != '-' && strchr(argv[k], '=') == NULL &&
		    argv[k][0] != '/' &&
		    (k == 1 || (strcmp(argv[k - 1], "--config") &&
				strcmp(argv[k - 1], "--service"))))
			break;
	}
	opts[nopts++] = "backend=redis";
	/* replay commands build replay options (no redis needed for
	 * store=file); the rest work on the redis store */
	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "init") == 0 || strcmp(argv[k], "history") == 0) {
			opts[0] = "backend=replay";
			break;
		}
		if (argv[k][0] != '-' && strchr(argv[k], '=') == NULL &&
		    (k == 1 || (strcmp(argv[k - 1], "--config") &&
				strcmp(argv[k - 1], "--service"))))
			break;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) {
			service = argv[++i];
		} else if (strchr(argv[i], '=') != NULL && nopts < 60) {
			opts[nopts++] = argv[i];
		} else {
			break;
		}
	}
	if (config != NULL) {
		snprintf(cfgarg, sizeof(cfgarg), "config=%s", config);
		opts[nopts++] = cfgarg;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (pu_options_build(&c.o, nopts, opts, service, &err) != PU_OK)
		return fail("configuration", &err);
	/* argv's backend=redis wins over the file; the file may be a
	 * socket-backend file that still names the redis servers */
	pu_deadline_start(&c.dl, c.o.timeout_ms);
	if ((c.o.backend == PU_BACKEND_REDIS || c.o.store == PU_STORE_REDIS) &&
	    strcmp(argv[i], "init") != 0 &&
	    pu_redis_connect(&c.o, &c.dl, &c.r, &err) != PU_OK)
		return fail("redis", &err);

	if (strcmp(argv[i], "init") == 0)
		rc = cmd_init(&c);
	else if (strcmp(argv[i], "history") == 0)
		rc = cmd_history(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "user") == 0)
		rc = cmd_user(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "faillock") == 0)
		rc = cmd_faillock(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "sessions") == 0) {
		char skey[PU_KEY_MAX];

		if (i + 1 < argc) {
			rc = user_key(&c, skey, "sessions", argv[i + 1]) ?
			     print_hash(&c, skey, false) : EXIT_USAGE;
		} else {
			rc = list_keys(&c, "sessions", true);
		}
	} else {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	pu_redis_free(c.r);
	return rc;
}
