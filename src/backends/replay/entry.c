#define _GNU_SOURCE
#include "entry.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secret.h"

#define MAGIC "PUREPLAY1\n"
#define MAGIC_LEN 10
#define REC_LEN (1 + 8 + PU_MAC_LEN)

enum pu_status pu_replay_key(const char *path, char **key, size_t *len,
			     struct pu_err *err)
{
	enum pu_status st = pu_secret_read(path, key, len, err);

	if (st == PU_OK && *len < PU_KEY_MIN) {
		pu_secret_free(*key);
		*key = NULL;
		return pu_fail(err, PU_CONFIG, "key %s: shorter than %d bytes",
			       path, PU_KEY_MIN);
	}
	return st;
}

bool pu_replay_mac(const struct pu_replay_ctx *c, const char *user,
		   const char *password, unsigned char mac[PU_MAC_LEN])
{
	bool ok;
	size_t ul = strlen(user), pl = strlen(password);
	unsigned char *msg = malloc(ul + 1 + pl);
	unsigned int len = 0;

	/* HMAC(key, user || 0x00 || password): the NUL keeps ("ab","c")
	 * and ("a","bc") apart */
	if (msg == NULL)
		return false;
	memcpy(msg, user, ul);
	msg[ul] = 0;
	memcpy(msg + ul + 1, password, pl);
	ok = HMAC(EVP_sha256(), c->key, (int)c->keylen, msg, ul + 1 + pl, mac,
		  &len) != NULL && len == PU_MAC_LEN;
	explicit_bzero(msg, ul + 1 + pl);
	free(msg);
	return ok;
}

bool pu_rlist_has(const struct pu_rlist_data *l, size_t limit,
		  const unsigned char mac[PU_MAC_LEN])
{
	bool found = false;

	/* visit every entry: the time does not tell which one matched */
	for (size_t i = 0; i < l->n && i < limit; i++)
		found |= pu_ct_equal(l->e[i].mac, mac, PU_MAC_LEN);
	return found;
}

void pu_rlist_push(struct pu_rlist_data *l, const unsigned char *mac,
		   long long t, size_t keep)
{
	size_t i, j;

	for (i = 0, j = 0; i < l->n; i++)
		if (!pu_ct_equal(l->e[i].mac, mac, PU_MAC_LEN))
			l->e[j++] = l->e[i];
	l->n = j;
	if (keep > PU_REPLAY_MAX)
		keep = PU_REPLAY_MAX;
	if (keep == 0) {
		l->n = 0;
		return;
	}
	if (l->n >= keep)
		l->n = keep - 1;
	memmove(&l->e[1], &l->e[0], l->n * sizeof(l->e[0]));
	memcpy(l->e[0].mac, mac, PU_MAC_LEN);
	l->e[0].t = t;
	l->n++;
}

static void drop_expired(struct pu_rlist_data *l, long long now)
{
	size_t j = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].t > now)
			l->e[j++] = l->e[i];
	l->n = j;
}

void pu_replay_file_name(const char *user, char hex[65])
{
	unsigned char d[32];
	unsigned int len = 0;

	EVP_Digest(user, strlen(user), d, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* ---------------- file store ---------------- */

struct fpaths {
	char data[PU_PATH_LEN + 80];
	char lock[PU_PATH_LEN + 80];
	char tmp[PU_PATH_LEN + 100];
};

static void file_paths(const struct pu_replay_ctx *c, const char *user,
		       struct fpaths *p)
{
	char hex[65];

	pu_replay_file_name(user, hex);
	snprintf(p->data, sizeof(p->data), "%s/%s", c->o->dir, hex);
	snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", c->o->dir, hex);
	snprintf(p->tmp, sizeof(p->tmp), "%s/%s.tmp.%ld", c->o->dir, hex,
		 (long)getpid());
}

static void trailer(const struct pu_replay_ctx *c, const unsigned char *buf,
		    size_t len, unsigned char out[32])
{
	unsigned int l = 0;

	if (HMAC(EVP_sha256(), c->key, (int)c->keylen, buf, len, out, &l) ==
	    NULL)
		memset(out, 0, 32);
}

static struct pu_rlist_data *list_of(struct pu_replay_data *d, int kind)
{
	switch (kind) {
	case PU_RL_HISTORY: return &d->hist;
	case PU_RL_PENDING: return &d->pend;
	case PU_RL_PWHIST: return &d->pw;
	default: return NULL;
	}
}

static enum pu_status parse_file(const struct pu_replay_ctx *c,
				 const unsigned char *buf, size_t len,
				 struct pu_replay_data *d, const char *path,
				 struct pu_err *err)
{
	unsigned char want[32];
	size_t nrec;

	if (len < MAGIC_LEN + 32 || (len - MAGIC_LEN - 32) % REC_LEN != 0 ||
	    memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		return pu_fail(err, PU_UNAVAIL, "replay store %s: corrupt (shape)",
			       path);
	trailer(c, buf, len - 32, want);
	if (!pu_ct_equal(want, buf + len - 32, 32))
		return pu_fail(err, PU_UNAVAIL,
			       "replay store %s: corrupt (does not verify with the key)",
			       path);
	nrec = (len - MAGIC_LEN - 32) / REC_LEN;
	for (size_t i = 0; i < nrec; i++) {
		const unsigned char *r = buf + MAGIC_LEN + i * REC_LEN;
		struct pu_rlist_data *l = list_of(d, r[0]);
		unsigned long long t = 0;

		if (l == NULL || l->n >= PU_REPLAY_MAX)
			return pu_fail(err, PU_UNAVAIL, "replay store %s: corrupt "
				       "(record %zu)", path, i);
		for (int k = 0; k < 8; k++)
			t = (t << 8) | r[1 + k];
		l->e[l->n].t = (long long)t;
		memcpy(l->e[l->n].mac, r + 9, PU_MAC_LEN);
		l->n++;
	}
	return PU_OK;
}

static enum pu_status read_file(const struct pu_replay_ctx *c, const char *path,
				struct pu_replay_data *d, struct pu_err *err)
{
	size_t cap = MAGIC_LEN + 32 + 3 * PU_REPLAY_MAX * REC_LEN + 1, len = 0;
	unsigned char *buf;
	struct stat st;
	enum pu_status s;
	int fd;

	memset(d, 0, sizeof(*d));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return PU_OK; /* no history yet */
		return pu_fail(err, PU_UNAVAIL, "replay store %s: %s", path,
			       strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pu_fail(err, PU_UNAVAIL, "replay store %s: not a file", path);
	}
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s = pu_fail(err, PU_UNAVAIL, "replay store %s: %s", path,
				    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			s = pu_fail(err, PU_UNAVAIL, "replay store %s: too large", path);
			goto out;
		}
	}
	s = parse_file(c, buf, len, d, path, err);
out:
	free(buf);
	close(fd);
	return s;
}

static enum pu_status write_file(const struct pu_replay_ctx *c,
				 const struct fpaths *p,
				 const struct pu_replay_data *d,
				 struct pu_err *err)
{
	const struct pu_rlist_data *lists[3] = { &d->hist, &d->pend, &d->pw };
	size_t n = d->hist.n + d->pend.n + d->pw.n;
	size_t len = MAGIC_LEN + n * REC_LEN + 32, off = MAGIC_LEN;
	unsigned char *buf = malloc(len);
	enum pu_status s = PU_OK;
	int fd, dfd;

	if (buf == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	memcpy(buf, MAGIC, MAGIC_LEN);
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			unsigned long long t = (unsigned long long)lists[k]->e[i].t;

			buf[off] = (unsigned char)(k + 1);
			for (int b = 0; b < 8; b++)
				buf[off + 1 + b] = (unsigned char)(t >> (56 - 8 * b));
			memcpy(buf + off + 9, lists[k]->e[i].mac, PU_MAC_LEN);
			off += REC_LEN;
		}
	}
	trailer(c, buf, off, buf + off);

	fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		free(buf);
		return pu_fail(err, PU_UNAVAIL, "replay store %s: %s", p->tmp,
			       strerror(errno));
	}
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			s = pu_fail(err, PU_UNAVAIL, "replay store write: %s",
				    strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	if (s == PU_OK && fsync(fd) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store fsync: %s",
			    strerror(errno));
	close(fd);
	free(buf);
	if (s == PU_OK && rename(p->tmp, p->data) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store rename: %s",
			    strerror(errno));
	if (s != PU_OK) {
		unlink(p->tmp);
		return s;
	}
	dfd = open(c->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return PU_OK;
}

typedef bool (*mutate_fn)(struct pu_replay_data *d, void *arg);

/* lock, read, mutate, write if changed, unlock */
static enum pu_status file_update(const struct pu_replay_ctx *c,
				  const char *user, mutate_fn fn, void *arg,
				  struct pu_err *err)
{
	struct pu_replay_data *d = calloc(1, sizeof(*d));
	struct fpaths p;
	enum pu_status s;
	int lfd;

	if (d == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	file_paths(c, user, &p);
	lfd = open(p.lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0) {
		free(d);
		return pu_fail(err, PU_UNAVAIL, "replay store %s: %s", p.lock,
			       strerror(errno));
	}
	while (flock(lfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(lfd);
			free(d);
			return pu_fail(err, PU_UNAVAIL, "flock: %s", strerror(errno));
		}
	}
	s = read_file(c, p.data, d, err);
	if (s == PU_OK && fn(d, arg))
		s = write_file(c, &p, d, err);
	close(lfd); /* releases the lock */
	explicit_bzero(d, sizeof(*d));
	free(d);
	return s;
}

/* ---------------- operations, file store ---------------- */

struct login_arg {
	const struct pu_replay_ctx *c;
	const unsigned char *mac;
	long long now;
	bool replayed;
	bool record;
	size_t promoted;
};

static bool do_login(struct pu_replay_data *d, void *a)
{
	struct login_arg *l = a;

	l->replayed = pu_rlist_has(&d->hist, (size_t)l->c->o->window, l->mac);
	if (l->replayed)
		return false;
	if (l->c->o->commit == PU_COMMIT_AUTH) {
		pu_rlist_push(&d->hist, l->mac, l->now, (size_t)l->c->o->window);
	} else {
		drop_expired(&d->pend, l->now);
		pu_rlist_push(&d->pend, l->mac, l->now + l->c->o->pending_ttl,
			      PU_REPLAY_MAX);
	}
	return true;
}

static bool do_promote(struct pu_replay_data *d, void *a)
{
	struct login_arg *l = a;
	size_t n;

	drop_expired(&d->pend, l->now);
	n = d->pend.n;
	/* oldest first, so the newest ends up at the front */
	for (size_t i = n; i-- > 0;)
		pu_rlist_push(&d->hist, d->pend.e[i].mac, l->now,
			      (size_t)l->c->o->window);
	l->promoted = n;
	d->pend.n = 0;
	return true;
}

static bool do_pwhist(struct pu_replay_data *d, void *a)
{
	struct login_arg *l = a;

	l->replayed = pu_rlist_has(&d->pw, (size_t)l->c->o->remember, l->mac);
	if (l->replayed || !l->record)
		return false;
	pu_rlist_push(&d->pw, l->mac, l->now, (size_t)l->c->o->remember);
	return true;
}

static bool do_clear(struct pu_replay_data *d, void *a)
{
	(void)a;
	memset(d, 0, sizeof(*d));
	return true;
}

/* ---------------- redis store ---------------- */

static void hexmac(const unsigned char *mac, char out[2 * PU_MAC_LEN + 1])
{
	for (int i = 0; i < PU_MAC_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

#define RKEY 1400

static enum pu_status rkeys(const struct pu_replay_ctx *c, const char *user,
			    char *hist, char *set, char *pend, char *pw,
			    struct pu_err *err)
{
	if (!pu_redis_key(hist, RKEY, c->o->prefix, "replay", user) ||
	    !pu_redis_key(set, RKEY, c->o->prefix, "replayset", user) ||
	    !pu_redis_key(pend, RKEY, c->o->prefix, "replaypending", user) ||
	    !pu_redis_key(pw, RKEY, c->o->prefix, "pwhist", user))
		return pu_fail(err, PU_USER_UNKNOWN, "user name too long for a key");
	return PU_OK;
}

/* runs one script; *result gets its integer reply */
static enum pu_status script(const struct pu_replay_ctx *c, const char *body,
			     int nkeys, const char *const *keys, int nargs,
			     const char *const *args, long long *result,
			     struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	char nk[8];
	enum pu_status st;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	pu_cmd_init(&cmd, "EVAL");
	pu_cmd_add(&cmd, body);
	pu_cmd_add(&cmd, nk);
	for (int i = 0; i < nkeys; i++)
		pu_cmd_add(&cmd, keys[i]);
	for (int i = 0; i < nargs; i++)
		pu_cmd_add(&cmd, args[i]);
	st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type == REDIS_REPLY_ERROR)
		st = pu_fail(err, PU_UNAVAIL, "redis EVAL: %.80s", rep->str);
	else if (rep->type != REDIS_REPLY_INTEGER)
		st = pu_fail(err, PU_UNAVAIL, "redis EVAL: unexpected reply");
	else
		*result = rep->integer;
	freeReplyObject(rep);
	return st;
}

/* Shared Lua: the history list (newest first) and a set of the same
 * members, so that the check is one SISMEMBER whatever the window.  A
 * list written before the set existed is indexed once. */
#define LUA_HIST_LIB \
	"local function index(l, set) " \
	"  if redis.call('EXISTS', set) == 0 and redis.call('LLEN', l) > 0 then " \
	"    for _, m in ipairs(redis.call('LRANGE', l, 0, -1)) do " \
	"      redis.call('SADD', set, m) end end end " \
	"local function seen(l, set, mac, w) " \
	"  index(l, set) " \
	"  if redis.call('LLEN', l) <= w then " \
	"    return redis.call('SISMEMBER', set, mac) == 1 end " \
	"  for _, m in ipairs(redis.call('LRANGE', l, 0, w - 1)) do " \
	"    if m == mac then return true end end return false end " \
	"local function push(l, set, mac, w) " \
	"  index(l, set) " \
	"  redis.call('LREM', l, 0, mac) redis.call('LPUSH', l, mac) " \
	"  redis.call('SADD', set, mac) " \
	"  for _, m in ipairs(redis.call('LRANGE', l, w, -1)) do " \
	"    redis.call('SREM', set, m) end " \
	"  redis.call('LTRIM', l, 0, w - 1) end "

/* KEYS history, pending, history set; ARGV mac, window, now, ttl,
 * commit_auth.  1 = replayed, 0 = recorded. */
static const char lua_login[] = LUA_HIST_LIB
	"local w = tonumber(ARGV[2]) "
	"if w > 0 and seen(KEYS[1], KEYS[3], ARGV[1], w) then return 1 end "
	"if ARGV[5] == '1' then "
	"  if w > 0 then push(KEYS[1], KEYS[3], ARGV[1], w) end "
	"else "
	"  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3]) "
	"  redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1]) "
	"  redis.call('EXPIRE', KEYS[2], ARGV[4]) "
	"end return 0";

/* KEYS history, pending, history set; ARGV window, now.  Returns how many
 * pending logins were committed. */
static const char lua_promote[] = LUA_HIST_LIB
	"local w = tonumber(ARGV[1]) "
	"local p = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf') "
	"redis.call('DEL', KEYS[2]) "
	"if w == 0 then return #p end "
	"for _, m in ipairs(p) do push(KEYS[1], KEYS[3], m, w) end "
	"return #p";

/* KEYS pwhist; ARGV mac, remember, record.  1 = used before. */
static const char lua_pwhist[] =
	"local r = tonumber(ARGV[2]) "
	"for _, m in ipairs(redis.call('LRANGE', KEYS[1], 0, r - 1)) do "
	"  if m == ARGV[1] then return 1 end end "
	"if ARGV[3] == '1' then redis.call('LREM', KEYS[1], 0, ARGV[1]) "
	"  redis.call('LPUSH', KEYS[1], ARGV[1]) redis.call('LTRIM', KEYS[1], 0, r - 1) end "
	"return 0";

/* ---------------- public operations ---------------- */

enum pu_status pu_replay_login(const struct pu_replay_ctx *c, const char *user,
			       const unsigned char mac[PU_MAC_LEN], long long now,
			       bool *replayed, struct pu_err *err)
{
	struct login_arg a = { c, mac, now, false, true, 0 };
	enum pu_status st;

	*replayed = false;
	if (c->o->store == PU_STORE_REDIS) {
		char hk[RKEY], sk[RKEY], pk[RKEY], wk[RKEY], hm[65], w[24], n[24], ttl[24];
		const char *keys[3] = { hk, pk, sk };
		const char *args[5] = { hm, w, n, ttl,
					c->o->commit == PU_COMMIT_AUTH ? "1" : "0" };
		long long r = 0;

		if ((st = rkeys(c, user, hk, sk, pk, wk, err)) != PU_OK)
			return st;
		hexmac(mac, hm);
		snprintf(w, sizeof(w), "%ld", c->o->window);
		snprintf(n, sizeof(n), "%lld", now);
		snprintf(ttl, sizeof(ttl), "%ld", c->o->pending_ttl);
		st = script(c, lua_login, 3, keys, 5, args, &r, err);
		*replayed = st == PU_OK && r == 1;
		return st;
	}
	st = file_update(c, user, do_login, &a, err);
	*replayed = a.replayed;
	return st;
}

enum pu_status pu_replay_promote(const struct pu_replay_ctx *c,
				 const char *user, long long now,
				 size_t *promoted, struct pu_err *err)
{
	struct login_arg a = { c, NULL, now, false, true, 0 };
	enum pu_status st;

	*promoted = 0;
	if (c->o->store == PU_STORE_REDIS) {
		char hk[RKEY], sk[RKEY], pk[RKEY], wk[RKEY], w[24], n[24];
		const char *keys[3] = { hk, pk, sk };
		const char *args[2] = { w, n };
		long long r = 0;

		if ((st = rkeys(c, user, hk, sk, pk, wk, err)) != PU_OK)
			return st;
		snprintf(w, sizeof(w), "%ld", c->o->window);
		snprintf(n, sizeof(n), "%lld", now);
		st = script(c, lua_promote, 3, keys, 2, args, &r, err);
		*promoted = (size_t)r;
		return st;
	}
	st = file_update(c, user, do_promote, &a, err);
	*promoted = a.promoted;
	return st;
}

enum pu_status pu_replay_pwhist(const struct pu_replay_ctx *c, const char *user,
				const unsigned char mac[PU_MAC_LEN], long long now,
				bool record, bool *used, struct pu_err *err)
{
	struct login_arg a = { c, mac, now, false, record, 0 };
	enum pu_status st;

	*used = false;
	if (c->o->store == PU_STORE_REDIS) {
		char hk[RKEY], sk[RKEY], pk[RKEY], wk[RKEY], hm[65], r[24];
		const char *keys[1] = { wk };
		const char *args[3] = { hm, r, record ? "1" : "0" };
		long long res = 0;

		if ((st = rkeys(c, user, hk, sk, pk, wk, err)) != PU_OK)
			return st;
		hexmac(mac, hm);
		snprintf(r, sizeof(r), "%ld", c->o->remember);
		st = script(c, lua_pwhist, 1, keys, 3, args, &res, err);
		*used = st == PU_OK && res == 1;
		return st;
	}
	st = file_update(c, user, do_pwhist, &a, err);
	*used = a.replayed;
	return st;
}

static enum pu_status redis_list(const struct pu_replay_ctx *c, const char *key,
				 bool zset, struct pu_rlist_data *l,
				 struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	pu_cmd_init(&cmd, zset ? "ZRANGE" : "LRANGE");
	pu_cmd_add(&cmd, key);
	pu_cmd_add(&cmd, "0");
	pu_cmd_add(&cmd, "-1");
	if (zset)
		pu_cmd_add(&cmd, "WITHSCORES");
	st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "redis: %s is not a %s", key,
			       zset ? "sorted set" : "list");
	}
	for (size_t i = 0; i < rep->elements && l->n < PU_REPLAY_MAX;
	     i += zset ? 2 : 1) {
		l->e[l->n].t = zset ? atoll(rep->element[i + 1]->str) : 0;
		l->n++;
	}
	freeReplyObject(rep);
	return PU_OK;
}

enum pu_status pu_replay_load(const struct pu_replay_ctx *c, const char *user,
			      struct pu_replay_data *d, struct pu_err *err)
{
	memset(d, 0, sizeof(*d));
	if (c->o->store == PU_STORE_REDIS) {
		char hk[RKEY], sk[RKEY], pk[RKEY], wk[RKEY];
		enum pu_status st = rkeys(c, user, hk, sk, pk, wk, err);

		if (st == PU_OK)
			st = redis_list(c, hk, false, &d->hist, err);
		if (st == PU_OK)
			st = redis_list(c, pk, true, &d->pend, err);
		if (st == PU_OK)
			st = redis_list(c, wk, false, &d->pw, err);
		return st;
	} else {
		struct fpaths p;

		file_paths(c, user, &p);
		return read_file(c, p.data, d, err);
	}
}

enum pu_status pu_replay_clear(const struct pu_replay_ctx *c, const char *user,
			       struct pu_err *err)
{
	if (c->o->store == PU_STORE_REDIS) {
		char hk[RKEY], sk[RKEY], pk[RKEY], wk[RKEY];
		struct pu_redis_cmd cmd;
		redisReply *rep = NULL;
		enum pu_status st = rkeys(c, user, hk, sk, pk, wk, err);

		if (st != PU_OK)
			return st;
		pu_cmd_init(&cmd, "DEL");
		pu_cmd_add(&cmd, hk);
		pu_cmd_add(&cmd, sk);
		pu_cmd_add(&cmd, pk);
		pu_cmd_add(&cmd, wk);
		st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
		if (st == PU_OK)
			freeReplyObject(rep);
		return st;
	}
	return file_update(c, user, do_clear, NULL, err);
}
