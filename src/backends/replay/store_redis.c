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
#define PU_STR_(x) #x
#define PU_STR(x) PU_STR_(x)

/* hist and pw are sorted sets (score: microseconds, server time);
 * old_hist/old_set/old_pw are the lists of earlier versions, folded in
 * on first use */
struct rkeys {
	char hist[RKEY], pend[RKEY], pw[RKEY];
	char old_hist[RKEY], old_set[RKEY], old_pw[RKEY];
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
	if (!one_key(k->hist, c->prefix, "replayhist", user) ||
	    !one_key(k->pend, c->prefix, "replayinflight", user) ||
	    !one_key(k->pw, c->prefix, "pwhistory", user) ||
	    !one_key(k->old_hist, c->prefix, "replay", user) ||
	    !one_key(k->old_set, c->prefix, "replayset", user) ||
	    !one_key(k->old_pw, c->prefix, "pwhist", user))
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

/* Shared Lua.  A history is a sorted set of MACs scored by when they were
 * used (microseconds of the server's clock): the check is one ZREVRANK,
 * O(log n) at any window, and the times are kept.  A list written by an
 * earlier version is folded in once (oldest first, scores 1..n). */
#define LUA_LIB \
	"local function now_us() local t = redis.call('TIME') " \
	"  return tonumber(t[1]) * 1000000 + tonumber(t[2]) end " \
	"local function fold(z, l, extra) " \
	"  if redis.call('EXISTS', l) == 1 then " \
	"    local m = redis.call('LRANGE', l, 0, -1) " \
	"    for i = #m, 1, -1 do redis.call('ZADD', z, 'NX', #m - i + 1, m[i]) end " \
	"    redis.call('DEL', l) end " \
	"  if extra then redis.call('DEL', extra) end end " \
	"local function seen(z, mac, w) " \
	"  local r = redis.call('ZREVRANK', z, mac) " \
	"  return r ~= false and r < w end " \
	"local function push(z, mac, w) " \
	"  redis.call('ZADD', z, now_us(), mac) " \
	"  redis.call('ZREMRANGEBYRANK', z, 0, -(w + 1)) end "

/* KEYS history, in-flight hash, old list, old set; ARGV mac, window, now,
 * ttl, login id ('' for commit=auth).  1 = refused (among the last window,
 * or pending for a login in flight), 0 = recorded. */
static const char lua_login[] = LUA_LIB
	"fold(KEYS[1], KEYS[3], KEYS[4]) "
	"local w, now = tonumber(ARGV[2]), tonumber(ARGV[3]) "
	"if w > 0 and seen(KEYS[1], ARGV[1], w) then return 1 end "
	"local p, live = redis.call('HGETALL', KEYS[2]), {} "
	"for i = 1, #p, 2 do "
	"  local mac, exp = string.match(p[i + 1], '^(%x+):(%d+)$') "
	"  if not mac or tonumber(exp) <= now then "
	"    redis.call('HDEL', KEYS[2], p[i]) "
	"  elseif mac == ARGV[1] then return 1 "
	"  else live[#live + 1] = { p[i], tonumber(exp) } end "
	"end "
	"if ARGV[5] == '' then "
	"  if w > 0 then push(KEYS[1], ARGV[1], w) end "
	"  return 0 end "
	"if #live >= " PU_STR(PU_PENDING_MAX) " then "
	"  table.sort(live, function(a, b) return a[2] < b[2] end) "
	"  redis.call('HDEL', KEYS[2], live[1][1]) end "
	"redis.call('HSET', KEYS[2], ARGV[5], ARGV[1] .. ':' .. (now + tonumber(ARGV[4]))) "
	"redis.call('EXPIRE', KEYS[2], ARGV[4]) "
	"return 0";

/* KEYS history, in-flight hash, old list, old set; ARGV login id, window,
 * now.  1 when that login's entry became history. */
static const char lua_commit[] = LUA_LIB
	"fold(KEYS[1], KEYS[3], KEYS[4]) "
	"local v = redis.call('HGET', KEYS[2], ARGV[1]) "
	"if not v then return 0 end "
	"redis.call('HDEL', KEYS[2], ARGV[1]) "
	"local mac, exp = string.match(v, '^(%x+):(%d+)$') "
	"if not mac or tonumber(exp) <= tonumber(ARGV[3]) then return 0 end "
	"local w = tonumber(ARGV[2]) "
	"if w > 0 then push(KEYS[1], mac, w) end "
	"return 1";

/* KEYS password history, old list; ARGV mac, remember, record.
 * 1 = used before. */
static const char lua_pwhist[] = LUA_LIB
	"fold(KEYS[1], KEYS[2], nil) "
	"local r = tonumber(ARGV[2]) "
	"if seen(KEYS[1], ARGV[1], r) then return 1 end "
	"if ARGV[3] == '1' then push(KEYS[1], ARGV[1], r) end "
	"return 0";

static enum pu_status redis_login(const struct pu_replay_ctx *c,
				  const char *user,
				  const unsigned char mac[PU_MAC_LEN],
				  long long now, const unsigned char *id,
				  bool *replayed, struct pu_err *err)
{
	struct rkeys k;
	char hm[2 * PU_MAC_LEN + 1], w[24], n[24], ttl[24], hid[2 * PU_ID_LEN + 1];
	const char *keys[4] = { k.hist, k.pend, k.old_hist, k.old_set };
	const char *args[5] = { hm, w, n, ttl, hid };
	long long r = 0;
	enum pu_status st;

	*replayed = false;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	pu_hex_encode(mac, PU_MAC_LEN, hm);
	if (id != NULL)
		pu_hex_encode(id, PU_ID_LEN, hid);
	else
		hid[0] = '\0';
	snprintf(w, sizeof(w), "%ld", c->o->window);
	snprintf(n, sizeof(n), "%lld", now);
	snprintf(ttl, sizeof(ttl), "%ld", c->o->pending_ttl);
	st = script(c, lua_login, 4, keys, 5, args, &r, err);
	*replayed = st == PU_OK && r == 1;
	return st;
}

static enum pu_status redis_commit(const struct pu_replay_ctx *c,
				   const char *user,
				   const unsigned char id[PU_ID_LEN], long long now,
				   bool *committed, struct pu_err *err)
{
	struct rkeys k;
	char w[24], n[24], hid[2 * PU_ID_LEN + 1];
	const char *keys[4] = { k.hist, k.pend, k.old_hist, k.old_set };
	const char *args[3] = { hid, w, n };
	long long r = 0;
	enum pu_status st;

	*committed = false;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	pu_hex_encode(id, PU_ID_LEN, hid);
	snprintf(w, sizeof(w), "%ld", c->o->window);
	snprintf(n, sizeof(n), "%lld", now);
	st = script(c, lua_commit, 4, keys, 3, args, &r, err);
	*committed = st == PU_OK && r == 1;
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
	const char *keys[2] = { k.pw, k.old_pw };
	const char *args[3] = { hm, r, record ? "1" : "0" };
	long long res = 0;
	enum pu_status st;

	(void)now;
	*used = false;
	if ((st = rkeys(c, user, &k, err)) != PU_OK)
		return st;
	pu_hex_encode(mac, PU_MAC_LEN, hm);
	snprintf(r, sizeof(r), "%ld", c->o->remember);
	st = script(c, lua_pwhist, 2, keys, 3, args, &res, err);
	*used = st == PU_OK && res == 1;
	return st;
}

/* A history (ZREVRANGE WITHSCORES: newest first) into l; a member that
 * is not a hex MAC, or a score that is not a number, is garbage. */
static enum pu_status load_zset(const struct pu_replay_ctx *c, const char *key,
				struct pu_rlist_data *l, struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	pu_cmd_init(&cmd, "ZREVRANGE");
	pu_cmd_add(&cmd, key);
	pu_cmd_add(&cmd, "0");
	pu_cmd_add(&cmd, "-1");
	pu_cmd_add(&cmd, "WITHSCORES");
	st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "redis: %s is not a sorted set", key);
	}
	for (size_t i = 0; i < rep->elements && l->n < PU_REPLAY_MAX; i += 2) {
		const redisReply *m = rep->element[i], *sc = rep->element[i + 1];
		char *end = NULL;
		double us;

		if (m->type != REDIS_REPLY_STRING || sc->type != REDIS_REPLY_STRING ||
		    !pu_hex_decode(m->str, m->len, l->e[l->n].mac, PU_MAC_LEN) ||
		    (us = strtod(sc->str, &end), end == sc->str || *end != '\0') ||
		    us < 0) {
			freeReplyObject(rep);
			return pu_fail(err, PU_UNAVAIL, "redis: %s holds garbage", key);
		}
		l->e[l->n++].t = (long long)(us / 1e6);
	}
	freeReplyObject(rep);
	return PU_OK;
}

/* the logins in flight: id -> "mac:expiry" */
static enum pu_status load_inflight(const struct pu_replay_ctx *c,
				    const char *key, struct pu_rlist_data *l,
				    struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	pu_cmd_init(&cmd, "HGETALL");
	pu_cmd_add(&cmd, key);
	st = pu_redis_run(c->redis, c->dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2 != 0) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "redis: %s is not a hash", key);
	}
	for (size_t i = 0; i < rep->elements && l->n < PU_REPLAY_MAX; i += 2) {
		const redisReply *id = rep->element[i], *v = rep->element[i + 1];
		struct pu_rentry *e = &l->e[l->n];
		char *end = NULL;

		if (id->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    v->len < 2 * PU_MAC_LEN + 2 || v->str[2 * PU_MAC_LEN] != ':' ||
		    !pu_hex_decode(id->str, id->len, e->id, PU_ID_LEN) ||
		    !pu_hex_decode(v->str, 2 * PU_MAC_LEN, e->mac, PU_MAC_LEN) ||
		    v->len - 2 * PU_MAC_LEN - 1 > 18 ||
		    strspn(v->str + 2 * PU_MAC_LEN + 1, "0123456789") !=
		    v->len - 2 * PU_MAC_LEN - 1 ||
		    (e->t = strtoll(v->str + 2 * PU_MAC_LEN + 1, &end, 10),
		     *end != '\0')) {
			freeReplyObject(rep);
			return pu_fail(err, PU_UNAVAIL, "redis: %s holds garbage", key);
		}
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
		st = load_zset(c, k.hist, &d->hist, err);
	if (st == PU_OK)
		st = load_inflight(c, k.pend, &d->pend, err);
	if (st == PU_OK)
		st = load_zset(c, k.pw, &d->pw, err);
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
	pu_cmd_add(&cmd, k.pend);
	pu_cmd_add(&cmd, k.pw);
	pu_cmd_add(&cmd, k.old_hist);
	pu_cmd_add(&cmd, k.old_set);
	pu_cmd_add(&cmd, k.old_pw);
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
	.commit = redis_commit,
	.pwhist = redis_pwhist,
	.load = redis_load,
	.clear = redis_clear,
};
