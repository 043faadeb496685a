#define _GNU_SOURCE
#include "redis_node.h"

#include <errno.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "secret.h"
#include "stream.h"

struct pu_node {
	struct pu_stream *s;
	bool dead;
	redisReader *reader;
	char peer[300];
	/* hiredis 0.14 allocates an aggregate's declared element count
	 * before any element arrives (`*2147483647` is 17 GB): the reader
	 * gets our own createArray, which counts the elements of the reply
	 * being read and refuses past a cap */
	redisReplyObjectFunctions fns;
	const redisReplyObjectFunctions *dflt;
	size_t elements;
	bool too_big;
	bool first_byte_seen;
	unsigned char first_byte;
};

void pu_cmd_init(struct pu_redis_cmd *c, const char *name)
{
	c->argc = 0;
	c->tryagain_reply = false;
	pu_cmd_add(c, name);
}

void pu_cmd_addn(struct pu_redis_cmd *c, const char *s, size_t len)
{
	if (c->argc >= PU_REDIS_MAXARGS) {
		c->argc = PU_REDIS_MAXARGS + 1; /* refused by pu_redis_format */
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

void pu_redis_replies_free(redisReply **replies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (replies[i] != NULL)
			freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
}

void pu_node_free(struct pu_node *nd)
{
	if (nd == NULL)
		return;
	pu_stream_free(nd->s);
	if (nd->reader != NULL)
		redisReaderFree(nd->reader);
	free(nd);
}

bool pu_node_alive(const struct pu_node *nd)
{
	return nd != NULL && !nd->dead;
}

bool pu_node_usable(struct pu_node *nd)
{
	if (nd == NULL || nd->dead)
		return false;
	if (!pu_stream_idle_ok(nd->s))
		nd->dead = true;
	return !nd->dead;
}

const char *pu_node_peer(const struct pu_node *nd)
{
	return nd ? nd->peer : "";
}

void pu_node_describe(const struct pu_node *nd, char *buf, size_t size)
{
	pu_stream_describe(nd ? nd->s : NULL, buf, size);
}

static enum pu_status dead(struct pu_node *nd, struct pu_err *err,
			   enum pu_status st)
{
	nd->dead = true;
	return st == PU_OK ? pu_fail(err, PU_UNAVAIL, "redis: connection lost")
			   : st;
}

/* ---------------- format / write / read ---------------- */

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

enum pu_status pu_node_write(struct pu_node *nd, const struct pu_deadline *dl,
			     const struct pu_redis_wire *w, struct pu_err *err)
{
	enum pu_status st;

	if (nd == NULL || nd->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	st = pu_stream_write(nd->s, w->data, w->len, dl, err);
	return st == PU_OK ? PU_OK : dead(nd, err, st);
}

/* the reader failed: say why as precisely as the bytes allow */
static enum pu_status reader_failed(struct pu_node *nd, struct pu_err *err)
{
	if (nd->too_big)
		return dead(nd, err, pu_fail(err, PU_UNAVAIL,
					     "redis: reply of more than %d elements",
					     PU_REDIS_MAXELEMENTS));
	if (!pu_stream_is_tls(nd->s) && nd->first_byte_seen &&
	    (nd->first_byte == 0x15 || nd->first_byte == 0x16))
		return dead(nd, err, pu_fail(err, PU_UNAVAIL,
					     "redis %s: the server speaks TLS "
					     "(rediss:// expected)", nd->peer));
	return dead(nd, err, pu_fail(err, PU_UNAVAIL, "redis: protocol error: %s",
				     nd->reader->errstr));
}

static void *capped_array(const redisReadTask *task, int n)
{
	struct pu_node *nd = task->privdata;

	if (nd == NULL || n < 0 ||
	    (size_t)n > PU_REDIS_MAXELEMENTS - nd->elements) {
		if (nd != NULL)
			nd->too_big = true;
		return NULL; /* the reader fails: no allocation happened */
	}
	nd->elements += (size_t)n;
	return nd->dflt->createArray(task, n);
}

enum pu_status pu_node_read(struct pu_node *nd, const struct pu_deadline *dl,
			    size_t n, redisReply **replies, struct pu_err *err)
{
	char buf[16384];
	size_t got = 0, total = 0;
	enum pu_status st = PU_OK;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (nd == NULL || nd->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	while (got < n) {
		void *reply = NULL;
		size_t k = 0;

		if (redisReaderGetReply(nd->reader, &reply) != REDIS_OK) {
			st = reader_failed(nd, err);
			break;
		}
		if (reply != NULL) {
			replies[got++] = reply;
			nd->elements = 0; /* the next reply has its own budget */
			/* a reply nobody asked for would answer the next
			 * command: the connection cannot be trusted */
			if (got == n && nd->reader->pos < nd->reader->len) {
				st = dead(nd, err, pu_fail(err, PU_UNAVAIL,
							   "redis %s: more replies "
							   "than commands", nd->peer));
				break;
			}
			continue;
		}
		st = pu_stream_read(nd->s, buf, sizeof(buf), &k, dl, err);
		if ((st != PU_OK && st != PU_UNAVAIL) ||
		    (st == PU_UNAVAIL && pu_deadline_left_ms(dl) == 0)) {
			st = dead(nd, err, st);
			break;
		}
		if (st != PU_OK && pu_stream_is_tls(nd->s)) {
			/* the stream named it (a TLS alert, a reset) */
			st = dead(nd, err, st);
			break;
		}
		if (st != PU_OK || k == 0) {
			/* closed or reset before a byte of a reply: a TLS
			 * server drops a plain-text client so */
			bool first = !nd->first_byte_seen &&
				     !pu_stream_is_tls(nd->s);

			st = dead(nd, err, pu_fail(err, PU_UNAVAIL,
						   "redis %s: connection %s%s",
						   nd->peer, st != PU_OK ? "reset" :
						   "closed", first ?
						   " before any reply (a TLS port? "
						   "rediss:// speaks TLS)" : ""));
			break;
		}
		if (!nd->first_byte_seen) {
			nd->first_byte_seen = true;
			nd->first_byte = (unsigned char)buf[0];
		}
		total += k;
		if (total > PU_REDIS_MAXREPLY) {
			st = dead(nd, err, pu_fail(err, PU_UNAVAIL,
						   "redis: oversized reply"));
			break;
		}
		if (redisReaderFeed(nd->reader, buf, k) != REDIS_OK) {
			st = reader_failed(nd, err);
			break;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	if (st != PU_OK)
		pu_redis_replies_free(replies, n);
	return st;
}

enum pu_status pu_node_run(struct pu_node *nd, const struct pu_deadline *dl,
			   size_t n, const struct pu_redis_cmd *cmds,
			   redisReply **replies, struct pu_err *err)
{
	struct pu_redis_wire w;
	enum pu_status st;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (nd == NULL || nd->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	st = pu_redis_format(n, cmds, &w, err);
	if (st != PU_OK)
		return st;
	st = pu_node_write(nd, dl, &w, err);
	pu_redis_wire_free(&w);
	if (st != PU_OK)
		return st;
	return pu_node_read(nd, dl, n, replies, err);
}

/* ---------------- connecting ---------------- */

/* Who besides root may own a Redis UNIX socket and run the server:
 * redis_owner= (a name or a uid), by default the system user "redis"
 * (Debian's redis-server runs as it) when it exists, else root only. */
static enum pu_status socket_owner(const struct pu_redis_conn *o,
				   struct pu_unix_owner *own, struct pu_err *err)
{
	char *end;
	unsigned long v;

	own->uid = 0;
	own->name = o->owner[0] != '\0' ? o->owner : "redis";
	own->name_optional = o->owner[0] == '\0';
	own->what = "redis_owner";
	if (o->owner[0] >= '0' && o->owner[0] <= '9') {
		errno = 0;
		v = strtoul(o->owner, &end, 10);
		if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
			return pu_fail(err, PU_CONFIG, "redis_owner=%.40s: bad uid",
				       o->owner);
		own->uid = (uid_t)v;
		own->name = NULL;
	}
	return PU_OK;
}

static enum pu_status open_stream(const struct pu_endpoint *ep,
				  const struct pu_redis_conn *o,
				  const struct pu_deadline *dl,
				  struct pu_stream **s, struct pu_err *err)
{
	const struct pu_tls_opts tls = {
		o->tls_ca, o->tls_cert, o->tls_key, o->tls_server_name,
		o->tls_resume,
	};
	enum pu_status st;
	struct pu_unix_owner owner;
	int fd = -1;

	if (ep->is_unix) {
		/* the socket backend's checks: whoever listens here receives
		 * the AUTH secret and answers for every user */
		st = socket_owner(o, &owner, err);
		if (st == PU_OK)
			st = pu_unix_connect_owned(ep->path, &owner, dl, &fd,
						   err);
	} else {
		st = pu_tcp_connect(ep->host, ep->port, dl, &fd, err);
	}
	if (st != PU_OK)
		return st;
	if (ep->tls)
		return pu_stream_tls(fd, &tls, ep->host, ep->port, dl, s, err);
	return pu_stream_plain(fd, s, err);
}

static struct pu_node *new_node(struct pu_stream *s, const struct pu_endpoint *ep)
{
	struct pu_node *nd = calloc(1, sizeof(*nd));

	if (nd == NULL)
		return NULL;
	nd->s = s;
	nd->reader = redisReaderCreate();
	if (nd->reader == NULL) {
		free(nd);
		return NULL;
	}
	nd->dflt = nd->reader->fn;
	nd->fns = *nd->dflt;
	nd->fns.createArray = capped_array;
	nd->reader->fn = &nd->fns;
	nd->reader->privdata = nd;
	if (ep->is_unix)
		snprintf(nd->peer, sizeof(nd->peer), "unix:%s", ep->path);
	else
		snprintf(nd->peer, sizeof(nd->peer), "%s%s%s%s:%s",
			 ep->tls ? "rediss://" : "", strchr(ep->host, ':') ? "[" : "",
			 ep->host, strchr(ep->host, ':') ? "]" : "", ep->port);
	return nd;
}

/*
 * QuarkDB's challenge instead of sending the secret:
 *   HMAC-AUTH-GENERATE-CHALLENGE <64 random bytes>
 *     -> C64 "---" milliseconds "---" S64   (must start with our 64 bytes)
 *   HMAC-AUTH-VALIDATE-CHALLENGE <HMAC-SHA256(secret, challenge), 32 raw bytes>
 *     -> +OK
 * A peer that merely echoes the challenge learns nothing and is not
 * trusted for it: only TLS authenticates the server (see the man page).
 */
#define HMAC_RANDOM 64
#define HMAC_MIN_SECRET 32

static enum pu_status hmac_auth(struct pu_node *nd, const char *secret,
				size_t slen, const struct pu_deadline *dl,
				struct pu_err *err)
{
	unsigned char mine[HMAC_RANDOM], mac[32];
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	struct pu_bytes part;
	enum pu_status st;

	if (slen < HMAC_MIN_SECRET)
		return pu_fail(err, PU_CONFIG,
			       "redis_auth=hmac: the secret needs at least %d characters",
			       HMAC_MIN_SECRET);
	if (RAND_bytes(mine, sizeof(mine)) != 1)
		return pu_fail(err, PU_UNAVAIL, "RAND_bytes failed");
	pu_cmd_init(&cmd, "HMAC-AUTH-GENERATE-CHALLENGE");
	pu_cmd_addn(&cmd, (const char *)mine, sizeof(mine));
	st = pu_node_run(nd, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_STRING || rep->len < HMAC_RANDOM + 6 ||
	    rep->len > 4096 || memcmp(rep->str, mine, HMAC_RANDOM) != 0 ||
	    memcmp(rep->str + HMAC_RANDOM, "---", 3) != 0) {
		st = pu_fail(err, PU_UNAVAIL,
			     "redis %s: bad HMAC challenge (%s)", nd->peer,
			     rep->type == REDIS_REPLY_ERROR ? rep->str
							     : "not ours");
		freeReplyObject(rep);
		return st;
	}
	part.p = rep->str;
	part.len = rep->len;
	if (!pu_hmac_sha256(secret, slen, &part, 1, mac)) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "HMAC-SHA256 failed");
	}
	freeReplyObject(rep);
	rep = NULL;
	pu_cmd_init(&cmd, "HMAC-AUTH-VALIDATE-CHALLENGE");
	pu_cmd_addn(&cmd, (const char *)mac, sizeof(mac));
	st = pu_node_run(nd, dl, 1, &cmd, &rep, err);
	explicit_bzero(mac, sizeof(mac));
	if (st != PU_OK)
		return st;
	if (!(rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0))
		st = pu_fail(err, PU_UNAVAIL, "redis %s: HMAC-AUTH refused: %.80s",
			     nd->peer, rep->str ? rep->str : "?");
	freeReplyObject(rep);
	return st;
}

static bool reply_is_ok(const redisReply *rep)
{
	return rep != NULL && rep->type == REDIS_REPLY_STATUS &&
	       strcmp(rep->str, "OK") == 0;
}

/* ROLE answered "slave"/"replica": a server that refuses writes.  A
 * server that does not know ROLE ("unknown command") is taken at its
 * word; any other error (NOAUTH, NOPERM) is a refusal. */
static const char *role_problem(const redisReply *rep)
{
	if (rep == NULL)
		return "no reply to ROLE";
	if (rep->type == REDIS_REPLY_ERROR)
		return strstr(rep->str, "unknown command") != NULL ? NULL : rep->str;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 ||
	    rep->element[0]->type != REDIS_REPLY_STRING)
		return "ROLE: unexpected reply";
	if (strcmp(rep->element[0]->str, "master") != 0)
		return "a replica, not a primary";
	return NULL;
}

/* AUTH, ROLE and SELECT in one round trip (as the node's kind wants) */
static enum pu_status handshake(struct pu_node *nd, const struct pu_redis_conn *o,
				enum pu_node_kind kind,
				const struct pu_deadline *dl, struct pu_err *err)
{
	const char *pwfile = kind == PU_NODE_SENTINEL ? o->sentinel_password_file :
			     o->password_file;
	const char *user = kind == PU_NODE_SENTINEL ? o->sentinel_user : o->user;
	struct pu_redis_cmd cmds[3];
	redisReply *rep[3] = { NULL, NULL, NULL };
	char *secret = NULL, db[24];
	size_t slen = 0, n = 0, role = 3;
	enum pu_status st;

	if (pwfile[0] != '\0') {
		st = pu_secret_read(pwfile, &secret, &slen, err);
		if (st != PU_OK)
			return st;
	}
	if (kind != PU_NODE_SENTINEL && o->auth == PU_RAUTH_HMAC) {
		st = hmac_auth(nd, secret, slen, dl, err);
		pu_secret_free(secret);
		secret = NULL;
		if (st != PU_OK)
			return st;
	} else if (secret != NULL) {
		pu_cmd_init(&cmds[n], "AUTH");
		if (user[0] != '\0')
			pu_cmd_add(&cmds[n], user);
		pu_cmd_addn(&cmds[n], secret, slen);
		n++;
	}
	if (kind == PU_NODE_DATA) {
		role = n;
		pu_cmd_init(&cmds[n++], "ROLE");
	}
	if ((kind == PU_NODE_DATA || kind == PU_NODE_DATA_ONLY) && o->db != 0) {
		snprintf(db, sizeof(db), "%ld", o->db);
		pu_cmd_init(&cmds[n], "SELECT");
		pu_cmd_add(&cmds[n], db);
		n++;
	}
	if (n == 0)
		return PU_OK;
	st = pu_node_run(nd, dl, n, cmds, rep, err);
	pu_secret_free(secret);
	if (st != PU_OK)
		return st;
	for (size_t i = 0; i < n && st == PU_OK; i++) {
		if (i == role) {
			const char *why = role_problem(rep[i]);

			if (why != NULL)
				st = pu_fail(err, PU_UNAVAIL, "redis %s: %.100s",
					     nd->peer, why);
		} else if (!reply_is_ok(rep[i])) {
			st = pu_fail(err, PU_UNAVAIL, "%s %s: %s refused: %.80s",
				     kind == PU_NODE_SENTINEL ? "sentinel" : "redis",
				     nd->peer, cmds[i].argv[0],
				     rep[i] && rep[i]->str ? rep[i]->str : "?");
		}
	}
	pu_redis_replies_free(rep, n);
	return st;
}

enum pu_status pu_node_connect(const struct pu_endpoint *ep,
			       const struct pu_redis_conn *o,
			       enum pu_node_kind kind,
			       const struct pu_deadline *dl,
			       struct pu_node **out, struct pu_err *err)
{
	struct pu_stream *s = NULL;
	struct pu_node *nd;
	enum pu_status st;

	*out = NULL;
	st = open_stream(ep, o, dl, &s, err);
	if (st != PU_OK)
		return st;
	nd = new_node(s, ep);
	if (nd == NULL) {
		pu_stream_free(s);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	st = handshake(nd, o, kind, dl, err);
	if (st != PU_OK) {
		pu_node_free(nd);
		return st;
	}
	*out = nd;
	return PU_OK;
}
