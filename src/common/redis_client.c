#define _GNU_SOURCE
#include "redis_client.h"

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include "secret.h"
#include "net.h"

struct pu_redis {
	int fd;
	bool dead;
	redisReader *reader;
	char peer[160];
	/* hiredis 0.14 allocates an aggregate's declared element count
	 * before any element arrives (`*2147483647` is 17 GB): the reader
	 * gets our own createArray, which counts the elements of the reply
	 * being read and refuses past a cap */
	redisReplyObjectFunctions fns;
	const redisReplyObjectFunctions *dflt;
	size_t elements;
	bool too_big;
};

void pu_cmd_init(struct pu_redis_cmd *c, const char *name)
{
	c->argc = 0;
	pu_cmd_add(c, name);
}

void pu_cmd_addn(struct pu_redis_cmd *c, const char *s, size_t len)
{
	if (c->argc >= PU_REDIS_MAXARGS) {
		c->argc = PU_REDIS_MAXARGS + 1; /* refused by pu_redis_run */
		return;
	}
	c->argv[c->argc] = s;
	c->len[c->argc] = len;
	c->argc++;
}

void pu_cmd_add(struct pu_redis_cmd *c, const char *s)
{
	pu_cmd_addn(c, s, strlen(s));
}

void pu_redis_free(struct pu_redis *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->reader != NULL)
		redisReaderFree(r->reader);
	free(r);
}

bool pu_redis_alive(const struct pu_redis *r)
{
	return r != NULL && !r->dead;
}

bool pu_redis_usable(struct pu_redis *r)
{
	struct pollfd p;
	char b;

	if (r == NULL || r->dead)
		return false;
	p.fd = r->fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) == 0)
		return true;
	/* an idle connection has nothing to read: EOF, an error or stray
	 * bytes all mean it cannot be trusted with a request */
	if (!(p.revents & POLLIN) ||
	    recv(r->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != -1 ||
	    (errno != EAGAIN && errno != EWOULDBLOCK)) {
		r->dead = true;
		return false;
	}
	return true;
}

const char *pu_redis_peer(const struct pu_redis *r)
{
	return r ? r->peer : "";
}

void pu_redis_replies_free(redisReply **replies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (replies[i] != NULL)
			freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
}

static enum pu_status dead(struct pu_redis *r, struct pu_err *err,
			   enum pu_status st)
{
	r->dead = true;
	return st == PU_OK ? pu_fail(err, PU_UNAVAIL, "redis: connection lost")
			   : st;
}

void pu_redis_wire_free(struct pu_redis_wire *w)
{
	if (w->data != NULL) {
		explicit_bzero(w->data, w->len);
		free(w->data);
	}
	w->data = NULL;
	w->len = 0;
}

enum pu_status pu_redis_format(size_t n, const struct pu_redis_cmd *cmds,
			       struct pu_redis_wire *out, struct pu_err *err)
{
	out->data = NULL;
	out->len = 0;
	for (size_t i = 0; i < n; i++) {
		char *one = NULL, *nb;
		int len;

		if (cmds[i].argc < 1 || cmds[i].argc > PU_REDIS_MAXARGS) {
			pu_redis_wire_free(out);
			return pu_fail(err, PU_CONFIG, "redis: bad command");
		}
		len = redisFormatCommandArgv(&one, cmds[i].argc,
					     (const char **)cmds[i].argv,
					     cmds[i].len);
		if (len < 0 || one == NULL) {
			pu_redis_wire_free(out);
			return pu_fail(err, PU_NOMEM, "out of memory");
		}
		/* concatenated by hand so every copy can be wiped (AUTH) */
		nb = malloc(out->len + (size_t)len);
		if (nb != NULL) {
			if (out->data != NULL)
				memcpy(nb, out->data, out->len);
			memcpy(nb + out->len, one, (size_t)len);
		}
		explicit_bzero(one, (size_t)len);
		free(one);
		if (nb == NULL) {
			pu_redis_wire_free(out);
			return pu_fail(err, PU_NOMEM, "out of memory");
		}
		if (out->data != NULL) {
			explicit_bzero(out->data, out->len);
			free(out->data);
		}
		out->data = nb;
		out->len += (size_t)len;
	}
	return PU_OK;
}

enum pu_status pu_redis_write(struct pu_redis *r, const struct pu_deadline *dl,
			      const struct pu_redis_wire *w, struct pu_err *err)
{
	enum pu_status st;

	if (r == NULL || r->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	st = pu_io_write_all(r->fd, w->data, w->len, dl, err);
	return st == PU_OK ? PU_OK : dead(r, err, st);
}

enum pu_status pu_redis_read(struct pu_redis *r, const struct pu_deadline *dl,
			     size_t n, redisReply **replies, struct pu_err *err)
{
	char buf[16384];
	size_t got = 0, total = 0;
	enum pu_status st = PU_OK;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (r == NULL || r->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	while (got < n) {
		void *reply = NULL;
		ssize_t k;

		if (redisReaderGetReply(r->reader, &reply) != REDIS_OK) {
			if (r->too_big)
				st = dead(r, err, pu_fail(err, PU_UNAVAIL,
							  "redis: reply of more than %d elements",
							  PU_REDIS_MAXELEMENTS));
			else
				st = dead(r, err, pu_fail(err, PU_UNAVAIL,
							  "redis: protocol error: %s",
							  r->reader->errstr));
			break;
		}
		if (reply != NULL) {
			replies[got++] = reply;
			r->elements = 0; /* the next reply has its own budget */
			continue;
		}
		st = pu_io_wait_readable(r->fd, dl, err);
		if (st != PU_OK) {
			st = dead(r, err, st);
			break;
		}
		k = recv(r->fd, buf, sizeof(buf), 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			st = dead(r, err, pu_fail(err, PU_UNAVAIL, "redis: %s",
						  k == 0 ? "connection closed"
							 : strerror(errno)));
			break;
		}
		total += (size_t)k;
		if (total > PU_REDIS_MAXREPLY) {
			st = dead(r, err, pu_fail(err, PU_UNAVAIL,
						  "redis: oversized reply"));
			break;
		}
		if (redisReaderFeed(r->reader, buf, (size_t)k) != REDIS_OK) {
			st = dead(r, err, pu_fail(err, PU_UNAVAIL,
						  "redis: protocol error"));
			break;
		}
	}
	if (st != PU_OK)
		pu_redis_replies_free(replies, n);
	return st;
}

enum pu_status pu_redis_run(struct pu_redis *r, const struct pu_deadline *dl,
			    size_t n, const struct pu_redis_cmd *cmds,
			    redisReply **replies, struct pu_err *err)
{
	struct pu_redis_wire w;
	enum pu_status st;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (r == NULL || r->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	st = pu_redis_format(n, cmds, &w, err);
	if (st != PU_OK)
		return st;
	st = pu_redis_write(r, dl, &w, err);
	pu_redis_wire_free(&w);
	if (st != PU_OK)
		return st;
	return pu_redis_read(r, dl, n, replies, err);
}

/* The uid trusted besides root to own a Redis UNIX socket and run the
 * server: redis_owner= (a name or a uid), by default the system user
 * "redis" (Debian's redis-server runs as it) when it exists, else none. */
static enum pu_status socket_owner(const struct pu_redis_conn *o, uid_t *uid,
				   struct pu_err *err)
{
	const char *name = o->owner[0] != '\0' ? o->owner : "redis";
	struct passwd pw, *res = NULL;
	char buf[1024], *end;
	unsigned long v;

	*uid = 0;
	if (o->owner[0] >= '0' && o->owner[0] <= '9') {
		errno = 0;
		v = strtoul(o->owner, &end, 10);
		if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
			return pu_fail(err, PU_CONFIG, "redis_owner=%.40s: bad uid",
				       o->owner);
		*uid = (uid_t)v;
		return PU_OK;
	}
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
		if (o->owner[0] != '\0')
			return pu_fail(err, PU_CONFIG,
				       "redis_owner=%.40s: no such user", o->owner);
		return PU_OK; /* no "redis" user: root only */
	}
	*uid = pw.pw_uid;
	return PU_OK;
}

static enum pu_status open_fd(const char *uri, const struct pu_redis_conn *o,
			      const struct pu_deadline *dl, int *fd,
			      struct pu_err *err)
{
	struct pu_endpoint ep;
	enum pu_status st = pu_endpoint_parse(uri, &ep, err);
	uid_t owner;

	if (st != PU_OK)
		return st;
	if (!ep.is_unix)
		return pu_tcp_connect(ep.host, ep.port, dl, fd, err);
	/* the socket backend's checks: whoever listens here receives the
	 * AUTH secret and answers for every user */
	st = socket_owner(o, &owner, err);
	if (st == PU_OK)
		st = pu_unix_connect(ep.path, owner, dl, fd, err);
	return st;
}

static void *capped_array(const redisReadTask *task, int n)
{
	struct pu_redis *r = task->privdata;

	if (r == NULL || n < 0 || (size_t)n > PU_REDIS_MAXELEMENTS - r->elements) {
		if (r != NULL)
			r->too_big = true;
		return NULL; /* the reader fails: no allocation happened */
	}
	r->elements += (size_t)n;
	return r->dflt->createArray(task, n);
}

static struct pu_redis *new_conn(int fd, const char *peer)
{
	struct pu_redis *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->reader = redisReaderCreate();
	if (r->reader == NULL) {
		free(r);
		return NULL;
	}
	r->dflt = r->reader->fn;
	r->fns = *r->dflt;
	r->fns.createArray = capped_array;
	r->reader->fn = &r->fns;
	r->reader->privdata = r;
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	return r;
}

static bool reply_is_ok(const redisReply *rep)
{
	return rep != NULL && rep->type == REDIS_REPLY_STATUS &&
	       strcmp(rep->str, "OK") == 0;
}

/*
 * QuarkDB's challenge instead of sending the secret:
 *   HMAC-AUTH-GENERATE-CHALLENGE <64 random bytes>
 *     -> C64 "---" milliseconds "---" S64   (must start with our 64 bytes)
 *   HMAC-AUTH-VALIDATE-CHALLENGE <HMAC-SHA256(secret, challenge), 32 raw bytes>
 *     -> +OK
 */
#define HMAC_RANDOM 64
#define HMAC_MIN_SECRET 32

static enum pu_status hmac_auth(struct pu_redis *r, const char *secret,
				size_t slen, const struct pu_deadline *dl,
				struct pu_err *err)
{
	unsigned char mine[HMAC_RANDOM], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	if (slen < HMAC_MIN_SECRET)
		return pu_fail(err, PU_CONFIG,
			       "redis_auth=hmac: the secret needs at least %d characters",
			       HMAC_MIN_SECRET);
	if (RAND_bytes(mine, sizeof(mine)) != 1)
		return pu_fail(err, PU_UNAVAIL, "RAND_bytes failed");
	pu_cmd_init(&cmd, "HMAC-AUTH-GENERATE-CHALLENGE");
	pu_cmd_addn(&cmd, (const char *)mine, sizeof(mine));
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_STRING || rep->len < HMAC_RANDOM + 6 ||
	    rep->len > 4096 || memcmp(rep->str, mine, HMAC_RANDOM) != 0 ||
	    memcmp(rep->str + HMAC_RANDOM, "---", 3) != 0) {
		st = pu_fail(err, PU_UNAVAIL,
			     "redis %s: bad HMAC challenge (%s)", r->peer,
			     rep->type == REDIS_REPLY_ERROR ? rep->str
							     : "not ours");
		freeReplyObject(rep);
		return st;
	}
	if (HMAC(EVP_sha256(), secret, (int)slen, (unsigned char *)rep->str,
		 rep->len, mac, &maclen) == NULL || maclen != 32) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "HMAC-SHA256 failed");
	}
	freeReplyObject(rep);
	rep = NULL;
	pu_cmd_init(&cmd, "HMAC-AUTH-VALIDATE-CHALLENGE");
	pu_cmd_addn(&cmd, (const char *)mac, maclen);
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	explicit_bzero(mac, sizeof(mac));
	if (st != PU_OK)
		return st;
	if (!(rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0))
		st = pu_fail(err, PU_UNAVAIL, "redis %s: HMAC-AUTH refused: %.80s",
			     r->peer, rep->str ? rep->str : "?");
	freeReplyObject(rep);
	return st;
}

/* AUTH and SELECT in one round trip */
static enum pu_status handshake(struct pu_redis *r, const struct pu_redis_conn *o,
				const struct pu_deadline *dl, struct pu_err *err)
{
	struct pu_redis_cmd cmds[2];
	redisReply *rep[2] = { NULL, NULL };
	char *secret = NULL, db[24];
	size_t slen = 0, n = 0;
	enum pu_status st;

	if (o->password_file[0] != '\0') {
		st = pu_secret_read(o->password_file, &secret, &slen, err);
		if (st != PU_OK)
			return st;
	}
	if (o->auth == PU_RAUTH_HMAC) {
		st = hmac_auth(r, secret, slen, dl, err);
		pu_secret_free(secret);
		secret = NULL;
		if (st != PU_OK)
			return st;
	} else if (secret != NULL) {
		pu_cmd_init(&cmds[n], "AUTH");
		if (o->user[0] != '\0')
			pu_cmd_add(&cmds[n], o->user);
		pu_cmd_addn(&cmds[n], secret, slen);
		n++;
	}
	if (o->db != 0) {
		snprintf(db, sizeof(db), "%ld", o->db);
		pu_cmd_init(&cmds[n], "SELECT");
		pu_cmd_add(&cmds[n], db);
		n++;
	}
	if (n == 0)
		return PU_OK;
	st = pu_redis_run(r, dl, n, cmds, rep, err);
	pu_secret_free(secret);
	if (st != PU_OK)
		return st;
	for (size_t i = 0; i < n && st == PU_OK; i++)
		if (!reply_is_ok(rep[i]))
			st = pu_fail(err, PU_UNAVAIL, "redis %s: %s refused: %.80s",
				     r->peer, cmds[i].argv[0],
				     rep[i] && rep[i]->str ? rep[i]->str : "?");
	pu_redis_replies_free(rep, n);
	return st;
}

static enum pu_status connect_uri(const char *uri, const struct pu_redis_conn *o,
				  const struct pu_deadline *dl,
				  struct pu_redis **out, struct pu_err *err)
{
	struct pu_redis *r;
	enum pu_status st;
	int fd = -1;

	st = open_fd(uri, o, dl, &fd, err);
	if (st != PU_OK)
		return st;
	r = new_conn(fd, uri);
	if (r == NULL) {
		close(fd);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	st = handshake(r, o, dl, err);
	if (st != PU_OK) {
		pu_redis_free(r);
		return st;
	}
	*out = r;
	return PU_OK;
}

/* Calls fn for each comma-separated item of list until one succeeds. */
static enum pu_status each_item(const char *list,
				enum pu_status (*fn)(const char *item,
						     const struct pu_redis_conn *o,
						     const struct pu_deadline *dl,
						     struct pu_redis **out,
						     struct pu_err *err),
				const struct pu_redis_conn *o,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err)
{
	enum pu_status st = PU_CONFIG;
	const char *p = list;

	if (*p == '\0')
		return pu_fail(err, PU_CONFIG, "empty server list");
	while (*p != '\0') {
		char item[256];
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item))
			return pu_fail(err, PU_CONFIG, "bad server list %.80s", list);
		memcpy(item, p, len);
		item[len] = '\0';
		st = fn(item, o, dl, out, err);
		/* a configuration mistake (loose secret, bad URI) is not a
		 * reason to try the next server */
		if (st == PU_OK || st == PU_CONFIG || st == PU_NOMEM ||
		    pu_deadline_left_ms(dl) == 0)
			return st;
		p += len;
		if (*p == ',')
			p++;
	}
	return st;
}

static enum pu_status via_sentinel(const char *sentinel,
				   const struct pu_redis_conn *o,
				   const struct pu_deadline *dl,
				   struct pu_redis **out, struct pu_err *err)
{
	struct pu_redis *s = NULL, *r = NULL;
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	char uri[200];
	enum pu_status st;
	int fd = -1;

	st = open_fd(sentinel, o, dl, &fd, err);
	if (st != PU_OK)
		return st;
	s = new_conn(fd, sentinel);
	if (s == NULL) {
		close(fd);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	pu_cmd_init(&cmd, "SENTINEL");
	pu_cmd_add(&cmd, "get-master-addr-by-name");
	pu_cmd_add(&cmd, o->sentinel_master);
	st = pu_redis_run(s, dl, 1, &cmd, &rep, err);
	pu_redis_free(s);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[1]->type != REDIS_REPLY_STRING) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "sentinel %s: no primary for %.60s",
			       sentinel, o->sentinel_master);
	}
	snprintf(uri, sizeof(uri), "%s%s%s:%s",
		 strchr(rep->element[0]->str, ':') ? "[" : "",
		 rep->element[0]->str,
		 strchr(rep->element[0]->str, ':') ? "]" : "",
		 rep->element[1]->str);
	freeReplyObject(rep);

	st = connect_uri(uri, o, dl, &r, err);
	if (st != PU_OK)
		return st;
	/* a sentinel can lag behind a failover: ask the server itself */
	pu_cmd_init(&cmd, "ROLE");
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	if (st == PU_OK) {
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    strcmp(rep->element[0]->str, "master") != 0)
			st = pu_fail(err, PU_UNAVAIL,
				     "sentinel %s named %s, which is not a primary",
				     sentinel, uri);
		freeReplyObject(rep);
	}
	if (st != PU_OK) {
		pu_redis_free(r);
		return st;
	}
	*out = r;
	return PU_OK;
}

bool pu_redis_conn_same(const struct pu_redis_conn *a,
			const struct pu_redis_conn *b)
{
	return strcmp(a->redis, b->redis) == 0 &&
	       strcmp(a->sentinel, b->sentinel) == 0 &&
	       strcmp(a->sentinel_master, b->sentinel_master) == 0 &&
	       strcmp(a->user, b->user) == 0 &&
	       strcmp(a->owner, b->owner) == 0 &&
	       strcmp(a->password_file, b->password_file) == 0 &&
	       a->db == b->db && a->auth == b->auth;
}

enum pu_status pu_redis_connect(const struct pu_redis_conn *o,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err)
{
	*out = NULL;
	if (o->sentinel[0] != '\0')
		return each_item(o->sentinel, via_sentinel, o, dl, out, err);
	return each_item(o->redis, connect_uri, o, dl, out, err);
}
