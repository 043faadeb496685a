/*
 * store=redis: the user's lists in Redis (layout in store.h), each
 * operation one Lua script, so concurrent logins on every host see one
 * order.  Keys carry the user's hash tag: one script, one slot.
 */
#define _GNU_SOURCE
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

#define RKEY 1400

struct rkeys {
	char hist[RKEY], set[RKEY], pend[RKEY], pw[RKEY];
};

static bool one_key(char *buf, const char *prefix, const char *kind,
		    const char *user)
{
	int n = snprintf(buf, RKEY, "%s%s:{%s}", prefix, kind, user);

	return n > 0 && n < RKEY;
}

static enum pu_status rkeys(const struct pu_replay_ctx *c, const char *user,
			    struct rkeys *k, struct pu_err *err)
{
	if (!one_key(k->hist, c->prefix, "replay", user) ||
	    !one_key(k->set, c->prefix, "replayset", user) ||
	    !one_key(k->pend, c->prefix, "replaypending", user) ||
	    !one_key(k->pw, c->prefix, "pwhist", user))
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

static enum pu_status redis_login(const struct pu_replay_ctx *c,
				  const char *user,
				  const unsigned char mac[PU_MAC_LEN],
				  long long now, bool *replayed,
				  struct pu_err *err)
{
	struct rkeys k;
	char hm[2 * PU_MAC_LEN + 1], w[24], n[24], ttl[24];
	const char *keys[3] = { k.hist, k.pend, k.set };
	const char *args[5] = { hm, w, n, ttl,
				c->o->commit == PU_COMMIT_AUTH ? "1" : "0" };
	long long r = 0;
	enum pu_status st;

	*replayed = false;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	pu_hex_encode(mac, PU_MAC_LEN, hm);
	snprintf(w, sizeof(w), "%ld", c->o->window);
	snprintf(n, sizeof(n), "%lld", now);
	snprintf(ttl, sizeof(ttl), "%ld", c->o->pending_ttl);
	st = script(c, lua_login, 3, keys, 5, args, &r, err);
	*replayed = st == PU_OK && r == 1;
	return st;
}

static enum pu_status redis_promote(const struct pu_replay_ctx *c,
				    const char *user, long long now,
				    size_t *promoted, struct pu_err *err)
{
	struct rkeys k;
	char w[24], n[24];
	const char *keys[3] = { k.hist, k.pend, k.set };
	const char *args[2] = { w, n };
	long long r = 0;
	enum pu_status st;

	*promoted = 0;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	snprintf(w, sizeof(w), "%ld", c->o->window);
	snprintf(n, sizeof(n), "%lld", now);
	st = script(c, lua_promote, 3, keys, 2, args, &r, err);
	*promoted = st == PU_OK && r > 0 ? (size_t)r : 0;
	return st;
}

static enum pu_status redis_pwhist(const struct pu_replay_ctx *c,
				   const char *user,
				   const unsigned char mac[PU_MAC_LEN],
				   long long now, bool record, bool *used,
				   struct pu_err *err)
{
	struct rkeys k;
	char hm[2 * PU_MAC_LEN + 1], r[24];
	const char *keys[1] = { k.pw };
	const char *args[3] = { hm, r, record ? "1" : "0" };
	long long res = 0;
	enum pu_status st;

	(void)now;
	*used = false;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	pu_hex_encode(mac, PU_MAC_LEN, hm);
	snprintf(r, sizeof(r), "%ld", c->o->remember);
	st = script(c, lua_pwhist, 1, keys, 3, args, &res, err);
	*used = st == PU_OK && res == 1;
	return st;
}

/* One list (LRANGE) or sorted set (ZRANGE WITHSCORES) into l.  Members
 * are hex MACs; a member that is not one is garbage. */
static enum pu_status load_list(const struct pu_replay_ctx *c, const char *key,
				bool zset, struct pu_rlist_data *l,
				struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	size_t step = zset ? 2 : 1;
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
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % step != 0) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "redis: %s is not a %s", key,
			       zset ? "sorted set" : "list");
	}
	for (size_t i = 0; i < rep->elements && l->n < PU_REPLAY_MAX; i += step) {
		const redisReply *m = rep->element[i];
		const redisReply *s = zset ? rep->element[i + 1] : NULL;
		char *end = NULL;

		if (m->type != REDIS_REPLY_STRING ||
		    !pu_hex_decode(m->str, m->len, l->e[l->n].mac, PU_MAC_LEN) ||
		    (s != NULL && (s->type != REDIS_REPLY_STRING ||
				   (l->e[l->n].t = strtoll(s->str, &end, 10),
				    end == s->str || *end != '\0')))) {
			freeReplyObject(rep);
			return pu_fail(err, PU_UNAVAIL, "redis: %s holds garbage", key);
		}
		if (s == NULL)
			l->e[l->n].t = 0; /* lists keep no times */
		l->n++;
	}
	freeReplyObject(rep);
	return PU_OK;
}

static enum pu_status redis_load(const struct pu_replay_ctx *c,
				 const char *user, struct pu_replay_data *d,
				 struct pu_err *err)
{
	struct rkeys k;
	enum pu_status st;

	memset(d, 0, sizeof(*d));
	st = rkeys(c, user, &k, err);
	if (st == PU_OK)
		st = load_list(c, k.hist, false, &d->hist, err);
	if (st == PU_OK)
		st = load_list(c, k.pend, true, &d->pend, err);
	if (st == PU_OK)
		st = load_list(c, k.pw, false, &d->pw, err);
	return st;
}

static enum pu_status redis_clear(const struct pu_replay_ctx *c,
				  const char *user, struct pu_err *err)
{
	struct rkeys k;
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st = rkeys(c, user, &k, err);

	if (st != PU_OK)
		return st;
	pu_cmd_init(&cmd, "DEL");
	pu_cmd_add(&cmd, k.hist);
	pu_cmd_add(&cmd, k.set);
	pu_cmd_add(&cmd, k.pend);
	pu_cmd_add(&cmd, k.pw);
	st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
	if (st == PU_OK) {
		if (rep->type == REDIS_REPLY_ERROR)
			st = pu_fail(err, PU_UNAVAIL, "redis DEL: %.80s", rep->str);
		freeReplyObject(rep);
	}
	return st;
}

const struct pu_replay_store pu_replay_store_redis = {
	.name = "redis",
	.login = redis_login,
	.promote = redis_promote,
	.pwhist = redis_pwhist,
	.load = redis_load,
	.clear = redis_clear,
};
