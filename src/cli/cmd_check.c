/*
 * unifiedctl check: the configuration as the module would build it, every
 * file it would read, and every backend it would reach, one line each
 * (like sshd -t).  Exit 0 only if every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/redis/users.h"
#include "backends/replay/entry.h"
#include "cli/cli.h"
#include "common/file.h"
#include "common/hash.h"
#include "common/net.h"
#include "common/secret.h"

struct report {
	int failed;
};

static void report(struct report *r, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void report(struct report *r, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "OK  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		r->failed++;
}

#define METHOD_SAMPLE 100000

struct mix {
	struct pu_redis *r;
	const struct pu_options *o;
	long users, counts[8];
	enum pu_status st;
	struct pu_err err;
};

static const char *const method_names[8] = {
	"yescrypt", "gost-yescrypt", "scrypt", "sha512crypt", "sha256crypt",
	"bcrypt", "empty", "other",
};

static bool count_method(const char *name, size_t len, void *arg)
{
	struct mix *m = arg;
	struct pu_deadline dl;
	struct pu_user u;
	struct pu_failures f;
	char *user = strndup(name, len);
	const char *method;
	size_t k;

	if (user == NULL)
		return false;
	pu_deadline_start(&dl, m->o->timeout_ms);
	m->st = pu_users_fetch(m->r, &dl, m->o->prefix, NULL, user, &u, &f,
			       &m->err);
	free(user);
	if (m->st != PU_OK)
		return false;
	method = pu_hash_method(u.has_password ? u.password : NULL);
	explicit_bzero(u.password, sizeof(u.password));
	for (k = 0; k < 7 && strcmp(method_names[k], method) != 0; k++)
		;
	m->counts[k]++;
	return ++m->users < METHOD_SAMPLE;
}

/* The mix of hash methods in the store: the work done for an unknown
 * user costs what the last verified hash costs, so one method is best
 * (rehash= converges a store on hash=). */
static void check_methods(struct report *rep, const struct pu_options *o,
			  struct pu_redis *r)
{
	struct mix m = { r, o, 0, { 0 }, PU_OK, { PU_OK, "" } };
	char line[512];
	size_t used = 0;
	int kinds = 0;

	if (pu_users_scan(r, o->timeout_ms, o->prefix, "user", count_method, &m,
			  &m.err) != PU_OK || m.st != PU_OK) {
		/* the module's least-privilege ACL user may not SCAN (it
		 * never needs to): the login path was checked all the same */
		if (strstr(m.err.msg, "NOPERM") != NULL)
			report(rep, true, "redis users: not sampled (this ACL "
			       "user may not SCAN: an administrator's may)");
		else
			report(rep, false, "redis users: %s", m.err.msg);
		return;
	}
	line[0] = '\0';
	for (int k = 0; k < 8; k++) {
		int n;

		if (m.counts[k] == 0)
			continue;
		kinds++;
		n = snprintf(line + used, sizeof(line) - used, "%s%s %ld",
			     used ? ", " : "", method_names[k], m.counts[k]);
		if (n > 0 && (size_t)n < sizeof(line) - used)
			used += (size_t)n;
	}
	report(rep, true, "redis users: %ld%s%s%s; new hashes: %s%s", m.users,
	       m.users >= METHOD_SAMPLE ? " (sampled)" : "",
	       used ? ": " : "", line, pu_hash_prefix(o->policy.hash),
	       kinds > 1 ? " (mixed methods: rehash= converges them)" : "");
}

static void check_redis(struct report *rep, const struct pu_options *o,
			const char *why)
{
	const struct pu_redis_conn *conn = &o->conn;
	struct pu_deadline dl;
	struct pu_redis *r = NULL;
	struct pu_err err = { PU_OK, "" };
	struct pu_redis_cmd cmd;
	redisReply *reply = NULL;

	if (conn->password_file[0] != '\0') {
		char *sec = NULL;
		size_t len = 0;

		if (pu_secret_read(conn->password_file, &sec, &len, &err) == PU_OK)
			report(rep, true, "redis password file %s: root-owned, private",
			       conn->password_file);
		else
			report(rep, false, "%s", err.msg);
		pu_secret_free(sec);
	}
	pu_deadline_start(&dl, o->timeout_ms);
	if (pu_redis_connect(conn, &dl, &r, &err) != PU_OK) {
		report(rep, false, "redis (%s): %s", why, err.msg);
		return;
	}
	pu_cmd_init(&cmd, "PING");
	if (pu_redis_run(r, &dl, 1, &cmd, &reply, &err) == PU_OK &&
	    reply->type == REDIS_REPLY_STATUS) {
		char tls[512];

		pu_redis_describe(r, tls, sizeof(tls));
		report(rep, true, "redis (%s): connected to %s%s, PING answered (%s)",
		       why, pu_redis_peer(r),
		       conn->sentinel[0] ? " (primary from sentinel)" : "", tls);
		if (o->backend == PU_BACKEND_REDIS)
			check_methods(rep, o, r);
	} else
		report(rep, false, "redis (%s): %s", why,
		       reply && reply->str ? reply->str : err.msg);
	if (reply)
		freeReplyObject(reply);
	pu_redis_free(r);
}

static void check_socket(struct report *rep, const struct pu_options *o)
{
	const struct pu_socket_opts *s = &o->socket;
	struct pu_err err = { PU_OK, "" };
	struct pu_deadline dl;
	int fd = -1;

	if (pu_unix_check_path(s->path, (uid_t)s->peer_uid, &err) == PU_OK)
		report(rep, true, "socket %s: a socket, trusted owner and directory",
		       s->path);
	else
		report(rep, false, "%s", err.msg);
	pu_deadline_start(&dl, o->timeout_ms);
	if (pu_unix_connect(s->path, (uid_t)s->peer_uid, &dl, &fd, &err) ==
	    PU_OK) {
		report(rep, true, "socket %s: connected, peer uid trusted (protocol %s)",
		       s->path, s->protocol == PU_PROTO_V1 ? "v1" : "redirector");
		close(fd);
	} else {
		report(rep, false, "%s", err.msg);
	}
}

static void check_replay(struct report *rep, const struct pu_options *o)
{
	const struct pu_replay_opts *r = &o->replay;
	struct pu_err err = { PU_OK, "" };
	char *key = NULL;
	size_t klen = 0;

	if (pu_replay_key(r->key_file, &key, &klen, &err) == PU_OK)
		report(rep, true, "replay key %s: root-owned, private, %zu bytes",
		       r->key_file, klen);
	else
		report(rep, false, "%s", err.msg);
	pu_secret_free(key);
	if (r->window == 0 && r->remember == 0)
		report(rep, false,
		       "replay: window=0 and remember=0: the line does nothing");
	if (r->store == PU_STORE_REDIS) {
		check_redis(rep, o, "replay store");
		return;
	}
	if (access(r->dir, F_OK) != 0)
		report(rep, false, "replay store %s: %s (run unifiedctl init)",
		       r->dir, strerror(errno));
	else if (pu_dir_check_private(r->dir, PU_CONFIG, &err) != PU_OK)
		report(rep, false, "replay store %s", err.msg);
	else
		report(rep, true, "replay store %s: root-owned directory, 0700",
		       r->dir);
}

int cmd_check(struct ctl *c, int argc, char **argv)
{
	struct report rep = { 0 };
	struct pu_err err = { PU_OK, "" };
	const char **args = calloc((size_t)(c->nmod + argc + 1), sizeof(*args));
	struct pu_options *o = &c->o;
	char *cfg = NULL;
	int n = 0;

	if (args == NULL)
		return ctl_error(EXIT_FAIL, "out of memory");
	for (int i = 0; i < c->nmod; i++)
		args[n++] = c->mod[i];
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	if (c->config != NULL && asprintf(&cfg, "config=%s", c->config) >= 0)
		args[n++] = cfg;
	if (pu_options_build(o, n, args, c->service, &err) != PU_OK) {
		report(&rep, false, "configuration: %s", err.msg);
	} else {
		report(&rep, true, "configuration: %s%s, backend=%s%s%s", o->config,
		       o->config_explicit ? "" :
		       access(o->config, F_OK) == 0 ? " (default path)" :
		       " (default path, absent: built-in defaults)",
		       pu_backend_name(o->backend), c->service ? ", service " : "",
		       c->service ? c->service : "");
		if (o->backend == PU_BACKEND_SOCKET)
			check_socket(&rep, o);
		else if (o->backend == PU_BACKEND_REDIS)
			check_redis(&rep, o, "credentials");
		else if (o->backend == PU_BACKEND_REPLAY)
			check_replay(&rep, o);
	}
	printf("%s: %d check(s) failed\n", rep.failed ? "FAIL" : "OK", rep.failed);
	free(cfg);
	free(args);
	return rep.failed ? EXIT_FAIL : EXIT_OK;
}
