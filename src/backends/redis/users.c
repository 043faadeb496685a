#define _GNU_SOURCE
#include "users.h"

#include "common/hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVENTS_MAXLEN "200"      /* per user */
#define UNKNOWN_EVENTS_TTL "86400"

const char *const pu_user_fields[PU_USER_FIELDS] = {
	"password", "disabled", "expires", "must_change", "changed",
	"max_age", "warn_age",
};

enum { F_PASSWORD, F_DISABLED, F_EXPIRES, F_MUST_CHANGE, F_CHANGED,
       F_MAX_AGE, F_WARN_AGE };

bool pu_users_key(char *buf, size_t size, const char *prefix,
		  const char *kind, const char *user)
{
	int n = snprintf(buf, size, "%s%s:{%s}", prefix, kind, user);

	return n > 0 && (size_t)n < size;
}

static enum pu_status key(char *buf, const char *prefix, const char *kind,
			  const char *user, struct pu_err *err)
{
	if (!pu_users_key(buf, PU_KEY_MAX, prefix, kind, user))
		return pu_fail(err, PU_USER_UNKNOWN, "user name too long for a key");
	return PU_OK;
}

static enum pu_status reply_error(const redisReply *rep, const char *what,
				  struct pu_err *err)
{
	if (rep == NULL)
		return pu_fail(err, PU_UNAVAIL, "redis: no reply to %s", what);
	if (rep->type == REDIS_REPLY_ERROR)
		return pu_fail(err, PU_UNAVAIL, "redis %s: %.80s", what, rep->str);
	return PU_OK;
}

/* ---------------- pure decoders ---------------- */

/* strict decimal: digits only, no sign, no space, at most 18 digits */
static bool parse_ll(const redisReply *e, long long *out)
{
	long long v = 0;

	if (e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > 18)
		return false;
	for (size_t i = 0; i < e->len; i++) {
		if (e->str[i] < '0' || e->str[i] > '9')
			return false;
		v = v * 10 + (e->str[i] - '0');
	}
	*out = v;
	return true;
}

/* a flag is absent, "0" or "1"; anything else cannot be read */
static bool parse_flag(const redisReply *e, bool *out)
{
	if (e->type == REDIS_REPLY_NIL) {
		*out = false;
		return true;
	}
	if (e->type != REDIS_REPLY_STRING || e->len != 1 ||
	    (e->str[0] != '0' && e->str[0] != '1'))
		return false;
	*out = e->str[0] == '1';
	return true;
}

enum pu_status pu_users_parse_record(const redisReply *rep, struct pu_user *u,
				     struct pu_err *err)
{
	const redisReply *e;

	memset(u, 0, sizeof(*u));
	u->max_age = u->warn_age = -1;
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements != PU_USER_FIELDS)
		return pu_fail(err, PU_UNAVAIL, "redis HMGET: unexpected reply");
	for (size_t i = 0; i < PU_USER_FIELDS; i++) {
		e = rep->element[i];
		if (e == NULL || (e->type != REDIS_REPLY_NIL &&
				  e->type != REDIS_REPLY_STRING))
			return pu_fail(err, PU_UNAVAIL,
				       "redis HMGET: unexpected element");
		if (e->type != REDIS_REPLY_NIL)
			u->exists = true;
	}
	e = rep->element[F_PASSWORD];
	if (e->type == REDIS_REPLY_STRING) {
		if (e->len >= sizeof(u->password) ||
		    memchr(e->str, '\0', e->len) != NULL)
			return pu_fail(err, PU_UNAVAIL,
				       "user record: password is not a hash");
		memcpy(u->password, e->str, e->len);
		u->password[e->len] = '\0';
		u->has_password = true;
	}
	if (!parse_flag(rep->element[F_DISABLED], &u->disabled))
		return pu_fail(err, PU_UNAVAIL, "user record: disabled is not 0 or 1");
	if (!parse_flag(rep->element[F_MUST_CHANGE], &u->must_change))
		return pu_fail(err, PU_UNAVAIL,
			       "user record: must_change is not 0 or 1");
	for (size_t i = F_EXPIRES; i <= F_WARN_AGE; i++) {
		long long v = 0;

		e = rep->element[i];
		if (i == F_MUST_CHANGE || e->type == REDIS_REPLY_NIL)
			continue;
		if (!parse_ll(e, &v))
			return pu_fail(err, PU_UNAVAIL,
				       "user record: %s is not a number",
				       pu_user_fields[i]);
		switch (i) {
		case F_EXPIRES: u->expires = v; break;
		case F_CHANGED: u->changed = v; break;
		case F_MAX_AGE: u->max_age = (long)(v > 100000 ? 100000 : v); break;
		case F_WARN_AGE: u->warn_age = (long)(v > 100000 ? 100000 : v); break;
		}
	}
	return PU_OK;
}

enum pu_status pu_users_parse_failures(const redisReply *rep,
				       struct pu_failures *f,
				       struct pu_err *err)
{
	memset(f, 0, sizeof(*f));
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements % 2 != 0 || rep->elements / 2 > 100000)
		return pu_fail(err, PU_UNAVAIL, "redis ZREVRANGE: unexpected reply");
	for (size_t i = 1; i < rep->elements; i += 2) {
		long long t;

		if (rep->element[i] == NULL || !parse_ll(rep->element[i], &t))
			return pu_fail(err, PU_UNAVAIL, "failure record is garbage");
		if (i == 1)
			f->latest = t;
		f->oldest = t;
	}
	f->count = (int)(rep->elements / 2);
	return PU_OK;
}

/* ---------------- the module's operations ---------------- */

enum pu_status pu_users_fetch(struct pu_redis *r, const struct pu_deadline *dl,
			      const char *prefix, const struct pu_lockout *lock,
			      const char *user, struct pu_user *u,
			      struct pu_failures *f, struct pu_err *err)
{
	char ukey[PU_KEY_MAX], fkey[PU_KEY_MAX], last[24];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	size_t n = 1;
	enum pu_status st;

	memset(u, 0, sizeof(*u));
	memset(f, 0, sizeof(*f));
	if ((st = key(ukey, prefix, "user", user, err)) != PU_OK ||
	    (st = key(fkey, prefix, "fail", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd[0], "HMGET");
	pu_cmd_add(&cmd[0], ukey);
	for (size_t i = 0; i < PU_USER_FIELDS; i++)
		pu_cmd_add(&cmd[0], pu_user_fields[i]);
	if (pu_lockout_enabled(lock)) {
		snprintf(last, sizeof(last), "%ld", lock->deny - 1);
		pu_cmd_init(&cmd[1], "ZREVRANGE");
		pu_cmd_add(&cmd[1], fkey);
		pu_cmd_add(&cmd[1], "0");
		pu_cmd_add(&cmd[1], last);
		pu_cmd_add(&cmd[1], "WITHSCORES");
		n = 2;
	}
	st = pu_redis_run(r, dl, n, cmd, rep, err);
	if (st != PU_OK)
		return st;
	if ((st = reply_error(rep[0], "HMGET", err)) == PU_OK)
		st = pu_users_parse_record(rep[0], u, err);
	if (st == PU_OK && n == 2 &&
	    (st = reply_error(rep[1], "ZREVRANGE", err)) == PU_OK)
		st = pu_users_parse_failures(rep[1], f, err);
	if (st != PU_OK)
		explicit_bzero(u->password, sizeof(u->password));
	pu_redis_replies_free(rep, n);
	return st;
}

static void event(struct pu_redis_cmd *c, const char *prefix, char *evkey,
		  const char *type, const char *user, const char *result,
		  const struct pu_origin *from)
{
	/* per user: one slot with the user's other keys (a Cluster runs a
	 * user's batch on one node); the fleet's stream is their merge */
	if (!pu_users_key(evkey, PU_KEY_MAX, prefix, "events", user))
		evkey[0] = '\0';
	pu_cmd_init(c, "XADD");
	pu_cmd_add(c, evkey);
	pu_cmd_add(c, "MAXLEN");
	pu_cmd_add(c, "~");
	pu_cmd_add(c, EVENTS_MAXLEN);
	pu_cmd_add(c, "*");
	pu_cmd_add(c, "type");
	pu_cmd_add(c, type);
	pu_cmd_add(c, "user");
	pu_cmd_add(c, user);
	pu_cmd_add(c, "result");
	pu_cmd_add(c, result);
	pu_cmd_add(c, "service");
	pu_cmd_add(c, from && from->service ? from->service : "");
	pu_cmd_add(c, "rhost");
	pu_cmd_add(c, from && from->rhost ? from->rhost : "");
}

/* The reply a write must get: a server that answers a write with
 * something else (+OK to a DEL, an integer to an XADD) is lying or
 * confused, and nothing it says is taken as done. */
static bool reply_fits(const char *cmd, const redisReply *rep)
{
	static const char *const integer[] = {
		"DEL", "HSET", "HDEL", "EXPIRE", "EXISTS", "ZADD",
		"ZREMRANGEBYRANK",
	};

	if (strcmp(cmd, "XADD") == 0)
		return rep->type == REDIS_REPLY_STRING;
	if (strcmp(cmd, "SET") == 0)
		return rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0;
	for (size_t i = 0; i < sizeof(integer) / sizeof(integer[0]); i++)
		if (strcmp(cmd, integer[i]) == 0)
			return rep->type == REDIS_REPLY_INTEGER && rep->integer >= 0;
	return rep->type != REDIS_REPLY_ERROR;
}

/* n commands in one round trip, each reply checked for an error and for
 * the type its command must get */
static enum pu_status run_checked(struct pu_redis *r,
				  const struct pu_deadline *dl, size_t n,
				  struct pu_redis_cmd *cmd, struct pu_err *err)
{
	redisReply *rep[4] = { NULL, NULL, NULL, NULL };
	enum pu_status st;

	if (n > 4)
		return pu_fail(err, PU_CONFIG, "too many commands");
	st = pu_redis_run(r, dl, n, cmd, rep, err);
	for (size_t i = 0; st == PU_OK && i < n; i++) {
		st = reply_error(rep[i], cmd[i].argv[0], err);
		if (st == PU_OK && !reply_fits(cmd[i].argv[0], rep[i]))
			st = pu_fail(err, PU_UNAVAIL, "redis %s: unexpected reply",
				     cmd[i].argv[0]);
	}
	pu_redis_replies_free(rep, n);
	return st;
}

/* KEYS user hash, fail zset[, dummy]; ARGV now, deny, fail_interval,
 * unlock_time, member, ttl for a user, ttl for a name that does not
 * exist.  The rule is lockout.c's.
 *
 * With ARGV[8] ("1": the user exists, "0": not) the script is given the
 * fail zset alone as KEYS[1] and reads no record (its first element is
 * empty): the way through a Cluster slot whose keys are half migrated,
 * where a command with both keys gets TRYAGAIN (pu_users_auth_begin). */
static const char auth_begin_lua[] =
	"local rec, exists, fk = {}, ARGV[8] == '1', KEYS[1] "
	"if not ARGV[8] then "
	"  fk = KEYS[2] "
	"  rec = redis.call('HMGET', KEYS[1], 'password', 'disabled', "
	"    'expires', 'must_change', 'changed', 'max_age', 'warn_age') "
	"  for i = 1, 7 do if rec[i] then exists = true end end "
	"end "
	"local now, deny = tonumber(ARGV[1]), tonumber(ARGV[2]) "
	"local fails, locked, counted = {}, 0, 0 "
	"if deny > 0 then "
	"  fails = redis.call('ZREVRANGE', fk, 0, deny - 1, 'WITHSCORES') "
	"  if #fails / 2 >= deny then "
	"    local latest, oldest = tonumber(fails[2]), tonumber(fails[2 * deny]) "
	"    local ut = tonumber(ARGV[4]) "
	"    if oldest > latest - tonumber(ARGV[3]) and "
	"       (ut == 0 or now <= latest + ut) then locked = 1 end "
	"  end "
	"  if locked == 0 then "
	"    redis.call('ZADD', fk, now, ARGV[5]) "
	"    redis.call('ZREMRANGEBYRANK', fk, 0, -(deny + 2)) "
	"    local ttl = tonumber(exists and ARGV[6] or ARGV[7]) "
	"    if ttl > 0 then redis.call('EXPIRE', fk, ttl) end "
	"    counted = 1 "
	"  end "
	"end "
	"local dummy = false "
	"if #KEYS >= 3 then dummy = redis.call('GET', KEYS[3]) end "
	"return {rec, fails, locked, counted, dummy}";

static bool parse_bit(const redisReply *e, bool *out)
{
	if (e == NULL || e->type != REDIS_REPLY_INTEGER ||
	    (e->integer != 0 && e->integer != 1))
		return false;
	*out = e->integer == 1;
	return true;
}

enum pu_status pu_users_parse_begin(const redisReply *rep,
				    struct pu_auth_begin *out,
				    struct pu_err *err)
{
	const redisReply *d;
	enum pu_status st;

	memset(out, 0, sizeof(*out));
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 5)
		return pu_fail(err, PU_UNAVAIL, "redis auth script: unexpected reply");
	st = pu_users_parse_record(rep->element[0], &out->u, err);
	if (st == PU_OK)
		st = pu_users_parse_failures(rep->element[1], &out->f, err);
	if (st != PU_OK)
		return st;
	if (!parse_bit(rep->element[2], &out->locked) ||
	    !parse_bit(rep->element[3], &out->counted))
		return pu_fail(err, PU_UNAVAIL, "redis auth script: unexpected reply");
	d = rep->element[4];
	if (d != NULL && d->type == REDIS_REPLY_STRING && d->len < sizeof(out->dummy) &&
	    memchr(d->str, '\0', d->len) == NULL) {
		memcpy(out->dummy, d->str, d->len);
		out->dummy[d->len] = '\0';
	} else if (d == NULL || (d->type != REDIS_REPLY_NIL &&
				 d->type != REDIS_REPLY_STRING)) {
		return pu_fail(err, PU_UNAVAIL, "redis auth script: unexpected reply");
	}
	/* a dummy that is not a usable setting is ignored (hash= is used) */
	return PU_OK;
}

static long lock_ttl(const struct pu_lockout *lock, bool exists)
{
	long t = lock->unlock_time > lock->fail_interval ? lock->unlock_time :
		 lock->fail_interval;

	if (exists)
		return lock->unlock_time > 0 ? t : 0; /* 0: until reset */
	/* a name that does not exist keeps its record for a day at least
	 * when locks last until reset; it always expires */
	return lock->unlock_time > 0 ? t : (t > 86400 ? t : 86400);
}

/* The script's arguments after its keys, and the command. */
struct begin_args {
	char now[24], deny[24], fi[24], ut[24], member[64];
	char ttl_user[24], ttl_none[24];
};

static void begin_cmd(struct pu_redis_cmd *c, const char *nkeys,
		      const char *k1, const char *k2, const char *k3,
		      const struct begin_args *a, const char *exists)
{
	pu_cmd_init(c, "EVAL");
	pu_cmd_add(c, auth_begin_lua);
	pu_cmd_add(c, nkeys);
	pu_cmd_add(c, k1);
	if (k2 != NULL)
		pu_cmd_add(c, k2);
	if (k3 != NULL)
		pu_cmd_add(c, k3);
	pu_cmd_add(c, a->now);
	pu_cmd_add(c, a->deny);
	pu_cmd_add(c, a->fi);
	pu_cmd_add(c, a->ut);
	pu_cmd_add(c, a->member);
	pu_cmd_add(c, a->ttl_user);
	pu_cmd_add(c, a->ttl_none);
	if (exists != NULL)
		pu_cmd_add(c, exists);
}

static bool is_tryagain(const redisReply *rep)
{
	return rep != NULL && rep->type == REDIS_REPLY_ERROR &&
	       strncmp(rep->str, "TRYAGAIN", 8) == 0;
}

/* A Cluster slot half migrated (the user's record on one node, the
 * failures on the other or nowhere): the record with a single-key HMGET,
 * then the script on the fail zset alone, told whether the user exists.
 * The lockout stays atomic (the count and the rule are one script on
 * one key); only the record is read a moment earlier, which decides the
 * zset's TTL and nothing else.  Two more round trips, during a
 * migration only.  *rep becomes the script's reply with the record in
 * it, as the two-key script returns it. */
static enum pu_status begin_split(struct pu_redis *r,
				  const struct pu_deadline *dl,
				  const char *ukey, const char *fkey,
				  const struct begin_args *a, redisReply **rep,
				  struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	redisReply *rec = NULL;
	bool exists = false;
	enum pu_status st;

	pu_cmd_init(&cmd, "HMGET");
	pu_cmd_add(&cmd, ukey);
	for (size_t i = 0; i < PU_USER_FIELDS; i++)
		pu_cmd_add(&cmd, pu_user_fields[i]);
	st = pu_redis_run(r, dl, 1, &cmd, &rec, err);
	if (st != PU_OK)
		return st;
	if ((st = reply_error(rec, "HMGET", err)) != PU_OK)
		goto out;
	for (size_t i = 0; rec->type == REDIS_REPLY_ARRAY && i < rec->elements; i++)
		if (rec->element[i]->type != REDIS_REPLY_NIL)
			exists = true;
	begin_cmd(&cmd, "1", fkey, NULL, NULL, a, exists ? "1" : "0");
	st = pu_redis_run(r, dl, 1, &cmd, rep, err);
	if (st == PU_OK && (*rep)->type == REDIS_REPLY_ARRAY &&
	    (*rep)->elements == 5) {
		freeReplyObject((*rep)->element[0]);
		(*rep)->element[0] = rec;
		rec = NULL;
	}
out:
	if (rec != NULL) {
		if (rec->type == REDIS_REPLY_ARRAY && rec->elements > 0 &&
		    rec->element[0]->type == REDIS_REPLY_STRING)
			explicit_bzero(rec->element[0]->str, rec->element[0]->len);
		freeReplyObject(rec);
	}
	return st;
}

enum pu_status pu_users_auth_begin(struct pu_redis *r,
				   const struct pu_deadline *dl,
				   const char *prefix,
				   const struct pu_lockout *lock,
				   const char *user, long long now,
				   struct pu_auth_begin *out,
				   struct pu_err *err)
{
	char ukey[PU_KEY_MAX], fkey[PU_KEY_MAX], dkey[PU_KEY_MAX];
	struct begin_args a;
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	struct timespec ts;
	enum pu_status st;
	bool on = pu_lockout_enabled(lock), cluster = pu_redis_is_cluster(r);

	memset(out, 0, sizeof(*out));
	if ((st = key(ukey, prefix, "user", user, err)) != PU_OK ||
	    (st = key(fkey, prefix, "fail", user, err)) != PU_OK)
		return st;
	snprintf(dkey, sizeof(dkey), "%sdummy", prefix);
	snprintf(a.now, sizeof(a.now), "%lld", now);
	snprintf(a.deny, sizeof(a.deny), "%ld", on ? lock->deny : 0L);
	snprintf(a.fi, sizeof(a.fi), "%ld", on ? lock->fail_interval : 0L);
	snprintf(a.ut, sizeof(a.ut), "%ld", on ? lock->unlock_time : 0L);
	snprintf(a.ttl_user, sizeof(a.ttl_user), "%ld",
		 on ? lock_ttl(lock, true) : 0L);
	snprintf(a.ttl_none, sizeof(a.ttl_none), "%ld",
		 on ? lock_ttl(lock, false) : 0L);
	/* a unique member: two failures in one second both count */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(a.member, sizeof(a.member), "%lld.%09ld-%ld", now, ts.tv_nsec,
		 (long)getpid());
	/* one script on the user's slot; the dummy lives in another slot, so
	 * a Cluster gets it with a GET beside the script */
	begin_cmd(&cmd[0], cluster ? "2" : "3", ukey, fkey,
		  cluster ? NULL : dkey, &a, NULL);
	if (cluster) {
		cmd[0].tryagain_reply = true;
		pu_cmd_init(&cmd[1], "GET");
		pu_cmd_add(&cmd[1], dkey);
	}
	st = pu_redis_run(r, dl, cluster ? 2 : 1, cmd, rep, err);
	if (st != PU_OK)
		return st;
	if (cluster && is_tryagain(rep[0])) {
		freeReplyObject(rep[0]);
		rep[0] = NULL;
		st = begin_split(r, dl, ukey, fkey, &a, &rep[0], err);
	}
	if (st == PU_OK)
		st = reply_error(rep[0], "EVAL", err);
	if (st == PU_OK && cluster && (st = reply_error(rep[1], "GET", err)) ==
	    PU_OK && rep[0]->type == REDIS_REPLY_ARRAY && rep[0]->elements == 5) {
		/* the dummy in its place, as the script returns it standalone */
		freeReplyObject(rep[0]->element[4]);
		rep[0]->element[4] = rep[1];
		rep[1] = NULL;
	}
	if (st == PU_OK)
		st = pu_users_parse_begin(rep[0], out, err);
	if (st != PU_OK)
		explicit_bzero(out->u.password, sizeof(out->u.password));
	pu_redis_replies_free(rep, 2);
	return st;
}

enum pu_status pu_users_auth_end(struct pu_redis *r,
				 const struct pu_deadline *dl,
				 const char *prefix, const char *user,
				 enum pu_auth_outcome outcome,
				 const struct pu_auth_begin *begin,
				 const char *setting, const struct pu_origin *from,
				 struct pu_err *err)
{
	static const char *const results[] = {
		[PU_AUTH_GOOD] = "success", [PU_AUTH_BAD] = "failure",
		[PU_AUTH_LOCKED] = "locked", [PU_AUTH_UNKNOWN] = "failure",
	};
	char fkey[PU_KEY_MAX], dkey[PU_KEY_MAX], evkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd[2];
	size_t n = 0;
	enum pu_status st;

	if ((st = key(fkey, prefix, "fail", user, err)) != PU_OK)
		return st;
	if (outcome != PU_AUTH_GOOD) {
		/* the attempt was counted at begin: only the audit event; a
		 * name that does not exist keeps its events a day */
		event(&cmd[n++], prefix, evkey, "auth", user, results[outcome],
		      from);
		if (!begin->u.exists) {
			pu_cmd_init(&cmd[n], "EXPIRE");
			pu_cmd_add(&cmd[n], evkey);
			pu_cmd_add(&cmd[n], UNKNOWN_EVENTS_TTL);
			n++;
		}
		return run_checked(r, dl, n, cmd, err);
	}
	if (begin->counted || begin->f.count > 0) {
		pu_cmd_init(&cmd[n], "DEL");
		pu_cmd_add(&cmd[n], fkey);
		n++;
	}
	if (setting != NULL && strcmp(setting, begin->dummy) != 0) {
		snprintf(dkey, sizeof(dkey), "%sdummy", prefix);
		pu_cmd_init(&cmd[n], "SET");
		pu_cmd_add(&cmd[n], dkey);
		pu_cmd_add(&cmd[n], setting);
		n++;
	}
	return n == 0 ? PU_OK : run_checked(r, dl, n, cmd, err);
}

enum pu_status pu_users_clear_failures(struct pu_redis *r,
				       const struct pu_deadline *dl,
				       const char *prefix, const char *user,
				       struct pu_err *err)
{
	char fkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	enum pu_status st;

	if ((st = key(fkey, prefix, "fail", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "DEL");
	pu_cmd_add(&cmd, fkey);
	return run_checked(r, dl, 1, &cmd, err);
}

static bool pct_plain(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '%' && ch != '=';
}

/* " name=" and value, percent-encoded, appended at *used */
static void put_field(char *buf, size_t size, size_t *used, const char *name,
		      const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	int n = snprintf(buf + *used, size - *used, "%s%s=", *used ? " " : "",
			 name);

	if (n < 0 || (size_t)n >= size - *used) {
		*used = size - 1;
		return;
	}
	*used += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)(value ? value : "");
	     *p && *used + 4 < size; p++) {
		if (pct_plain(*p)) {
			buf[(*used)++] = (char)*p;
		} else {
			buf[(*used)++] = '%';
			buf[(*used)++] = hex[*p >> 4];
			buf[(*used)++] = hex[*p & 15];
		}
	}
	buf[*used] = '\0';
}

bool pu_session_field(const char *record, const char *name, char *out,
		      size_t size)
{
	size_t nl = strlen(name), o = 0;
	const char *p = record;

	if (size == 0)
		return false;
	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			for (p += nl + 1; *p && *p != ' ' && o + 1 < size; p++) {
				unsigned char v;

				if (*p == '%' && pu_hex_decode(p + 1, 2, &v, 1)) {
					out[o++] = (char)v;
					p += 2;
				} else {
					out[o++] = *p;
				}
			}
			out[o] = '\0';
			return true;
		}
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return false;
}

enum pu_status pu_users_session_open(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     const char *prefix, const char *user,
				     const struct pu_session *s, long long now,
				     struct pu_err *err)
{
	char skey[PU_KEY_MAX], evkey[PU_KEY_MAX], host[256], num[24];
	char value[4096];
	size_t used = 0;
	struct pu_redis_cmd cmd[2];
	struct pu_origin from = { s->service, s->rhost };
	enum pu_status st;

	if ((st = key(skey, prefix, "sessions", user, err)) != PU_OK)
		return st;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	put_field(value, sizeof(value), &used, "service", s->service);
	put_field(value, sizeof(value), &used, "tty", s->tty);
	put_field(value, sizeof(value), &used, "rhost", s->rhost);
	put_field(value, sizeof(value), &used, "ruser", s->ruser);
	put_field(value, sizeof(value), &used, "host", host);
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	put_field(value, sizeof(value), &used, "pid", num);
	snprintf(num, sizeof(num), "%lld", now);
	put_field(value, sizeof(value), &used, "start", num);
	pu_cmd_init(&cmd[0], "HSET");
	pu_cmd_add(&cmd[0], skey);
	pu_cmd_add(&cmd[0], s->id);
	pu_cmd_add(&cmd[0], value);
	event(&cmd[1], prefix, evkey, "session_open", user, "ok", &from);
	return run_checked(r, dl, 2, cmd, err);
}

enum pu_status pu_users_session_close(struct pu_redis *r,
				      const struct pu_deadline *dl,
				      const char *prefix, const char *user,
				      const struct pu_session *s, bool *existed,
				      struct pu_err *err)
{
	char skey[PU_KEY_MAX], evkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	struct pu_origin from = { s->service, s->rhost };
	enum pu_status st;

	if ((st = key(skey, prefix, "sessions", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd[0], "HDEL");
	pu_cmd_add(&cmd[0], skey);
	pu_cmd_add(&cmd[0], s->id);
	event(&cmd[1], prefix, evkey, "session_close", user, "ok", &from);
	st = pu_redis_run(r, dl, 2, cmd, rep, err);
	if (st != PU_OK)
		return st;
	if ((st = reply_error(rep[0], "HDEL", err)) == PU_OK)
		st = reply_error(rep[1], "XADD", err);
	if (st == PU_OK && (!reply_fits("HDEL", rep[0]) ||
			    !reply_fits("XADD", rep[1])))
		st = pu_fail(err, PU_UNAVAIL, "redis HDEL: unexpected reply");
	if (st == PU_OK && existed != NULL)
		*existed = rep[0]->type == REDIS_REPLY_INTEGER &&
			   rep[0]->integer == 1;
	pu_redis_replies_free(rep, 2);
	return st;
}

enum pu_status pu_users_session_remove(struct pu_redis *r,
				       const struct pu_deadline *dl,
				       const char *prefix, const char *user,
				       const char *id, struct pu_err *err)
{
	char skey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	enum pu_status st;

	if ((st = key(skey, prefix, "sessions", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "HDEL");
	pu_cmd_add(&cmd, skey);
	pu_cmd_add(&cmd, id);
	return run_checked(r, dl, 1, &cmd, err);
}

/* KEYS[1] user hash; ARGV: mode, expected old hash, new hash, now.
 * Returns 1 when written, 0 when the condition failed. */
static const char set_password_lua[] =
	"local ok "
	"if ARGV[1] == 'cas' or ARGV[1] == 'rehash' then "
	"  ok = redis.call('HGET', KEYS[1], 'password') == ARGV[2] "
	"elseif ARGV[1] == 'existing' then "
	"  ok = redis.call('EXISTS', KEYS[1]) == 1 "
	"else ok = redis.call('EXISTS', KEYS[1]) == 0 end "
	"if not ok then return 0 end "
	"if ARGV[1] == 'rehash' then "
	"  redis.call('HSET', KEYS[1], 'password', ARGV[3]) return 1 end "
	"redis.call('HSET', KEYS[1], 'password', ARGV[3], 'changed', ARGV[4]) "
	"redis.call('HDEL', KEYS[1], 'must_change') "
	"return 1";

enum pu_status pu_users_set_password(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     const char *prefix, const char *user,
				     enum pu_pw_mode mode, const char *expected,
				     const char *new_hash, long long now,
				     struct pu_err *err)
{
	static const char *const modes[] = { "cas", "existing", "create",
					     "rehash" };
	char ukey[PU_KEY_MAX], evkey[PU_KEY_MAX], ts[24];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	enum pu_status st;

	if ((st = key(ukey, prefix, "user", user, err)) != PU_OK)
		return st;
	snprintf(ts, sizeof(ts), "%lld", now);
	pu_cmd_init(&cmd[0], "EVAL");
	pu_cmd_add(&cmd[0], set_password_lua);
	pu_cmd_add(&cmd[0], "1");
	pu_cmd_add(&cmd[0], ukey);
	pu_cmd_add(&cmd[0], modes[mode]);
	pu_cmd_add(&cmd[0], expected ? expected : "");
	pu_cmd_add(&cmd[0], new_hash);
	pu_cmd_add(&cmd[0], ts);
	event(&cmd[1], prefix, evkey, "password", user,
	      mode == PU_PW_REHASH ? "rehashed" : "changed", NULL);
	st = pu_redis_run(r, dl, 1, cmd, rep, err);
	if (st != PU_OK)
		return st;
	st = reply_error(rep[0], "EVAL", err);
	if (st == PU_OK && (rep[0]->type != REDIS_REPLY_INTEGER ||
			    rep[0]->integer != 1)) {
		if (mode == PU_PW_CAS || mode == PU_PW_REHASH)
			st = pu_fail(err, PU_DENIED,
				     "password was changed by someone else meanwhile");
		else if (mode == PU_PW_EXISTING)
			st = pu_fail(err, PU_USER_UNKNOWN, "no such user");
		else
			st = pu_fail(err, PU_DENIED, "user exists");
	}
	pu_redis_replies_free(rep, 1);
	if (st == PU_OK) {
		/* the audit event is best effort after the change */
		(void)run_checked(r, dl, 1, &cmd[1], NULL);
	}
	return st;
}

/* ---------------- administration ---------------- */

/* KEYS[1] user hash; ARGV field, value ('' with ARGV[3] == 'del': HDEL) */
static const char set_field_lua[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
	"if ARGV[3] == 'del' then redis.call('HDEL', KEYS[1], ARGV[1]) "
	"else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 1";

static enum pu_status eval_int(struct pu_redis *r, const struct pu_deadline *dl,
			       struct pu_redis_cmd *cmd, long long *out,
			       struct pu_err *err)
{
	redisReply *rep = NULL;
	enum pu_status st = pu_redis_run(r, dl, 1, cmd, &rep, err);

	if (st != PU_OK)
		return st;
	st = reply_error(rep, cmd->argv[0], err);
	if (st == PU_OK && rep->type != REDIS_REPLY_INTEGER)
		st = pu_fail(err, PU_UNAVAIL, "redis %s: unexpected reply",
			     cmd->argv[0]);
	if (st == PU_OK)
		*out = rep->integer;
	freeReplyObject(rep);
	return st;
}

enum pu_status pu_users_set_field(struct pu_redis *r,
				  const struct pu_deadline *dl,
				  const char *prefix, const char *user,
				  const char *field, const char *value,
				  struct pu_err *err)
{
	char ukey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	long long done = 0;
	enum pu_status st;

	if ((st = key(ukey, prefix, "user", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "EVAL");
	pu_cmd_add(&cmd, set_field_lua);
	pu_cmd_add(&cmd, "1");
	pu_cmd_add(&cmd, ukey);
	pu_cmd_add(&cmd, field);
	pu_cmd_add(&cmd, value ? value : "");
	pu_cmd_add(&cmd, value ? "set" : "del");
	st = eval_int(r, dl, &cmd, &done, err);
	if (st == PU_OK && done != 1)
		st = pu_fail(err, PU_USER_UNKNOWN, "no such user");
	return st;
}

enum pu_status pu_users_delete(struct pu_redis *r, const struct pu_deadline *dl,
			       const char *prefix, const char *user,
			       struct pu_err *err)
{
	char ukey[PU_KEY_MAX], fkey[PU_KEY_MAX], skey[PU_KEY_MAX];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	enum pu_status st;

	if ((st = key(ukey, prefix, "user", user, err)) != PU_OK ||
	    (st = key(fkey, prefix, "fail", user, err)) != PU_OK ||
	    (st = key(skey, prefix, "sessions", user, err)) != PU_OK)
		return st;
	/* EXISTS, then DEL of all three, in one round trip */
	pu_cmd_init(&cmd[0], "EXISTS");
	pu_cmd_add(&cmd[0], ukey);
	pu_cmd_init(&cmd[1], "DEL");
	pu_cmd_add(&cmd[1], ukey);
	pu_cmd_add(&cmd[1], fkey);
	pu_cmd_add(&cmd[1], skey);
	st = pu_redis_run(r, dl, 2, cmd, rep, err);
	if (st != PU_OK)
		return st;
	if ((st = reply_error(rep[0], "EXISTS", err)) == PU_OK)
		st = reply_error(rep[1], "DEL", err);
	if (st == PU_OK && (!reply_fits("EXISTS", rep[0]) ||
			    !reply_fits("DEL", rep[1])))
		st = pu_fail(err, PU_UNAVAIL, "redis DEL: unexpected reply");
	if (st == PU_OK && (rep[0]->type != REDIS_REPLY_INTEGER ||
			    rep[0]->integer != 1))
		st = pu_fail(err, PU_USER_UNKNOWN, "no such user");
	pu_redis_replies_free(rep, 2);
	return st;
}

/* the NAME of PREFIX KIND ":{" NAME "}", or false */
static bool name_of(const redisReply *k, size_t plen, const char **name,
		    size_t *len)
{
	if (k == NULL || k->type != REDIS_REPLY_STRING || k->len < plen + 1 ||
	    k->str[k->len - 1] != '}')
		return false;
	*name = k->str + plen;
	*len = k->len - plen - 1;
	return true;
}

struct scan {
	long page_ms;
	const char *pattern;
	size_t plen;
	pu_users_name_fn fn;
	void *arg;
	bool go_on;
	enum pu_status st;
	struct pu_err *err;
};

/* SCAN one server (a Cluster: each primary in turn) page by page */
static bool scan_node(struct pu_redis *r, void *arg)
{
	struct scan *sc = arg;
	char cursor[32] = "0";

	do {
		struct pu_deadline dl;
		struct pu_redis_cmd cmd;
		redisReply *rep = NULL;
		const redisReply *keys;

		pu_deadline_start(&dl, sc->page_ms);
		pu_cmd_init(&cmd, "SCAN");
		pu_cmd_add(&cmd, cursor);
		pu_cmd_add(&cmd, "MATCH");
		pu_cmd_add(&cmd, sc->pattern);
		pu_cmd_add(&cmd, "COUNT");
		pu_cmd_add(&cmd, "1000");
		sc->st = pu_redis_run(r, &dl, 1, &cmd, &rep, sc->err);
		if (sc->st != PU_OK)
			return false;
		if ((sc->st = reply_error(rep, "SCAN", sc->err)) != PU_OK ||
		    rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			if (sc->st == PU_OK)
				sc->st = pu_fail(sc->err, PU_UNAVAIL,
						 "redis SCAN: unexpected reply");
			freeReplyObject(rep);
			return false;
		}
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len + 1);
		keys = rep->element[1];
		for (size_t i = 0; sc->go_on && i < keys->elements; i++) {
			const char *name;
			size_t len;

			if (name_of(keys->element[i], sc->plen, &name, &len))
				sc->go_on = sc->fn(name, len, sc->arg);
		}
		freeReplyObject(rep);
	} while (sc->go_on && strcmp(cursor, "0") != 0);
	return sc->go_on;
}

enum pu_status pu_users_scan(struct pu_redis *r, long page_ms,
			     const char *prefix, const char *kind,
			     pu_users_name_fn fn, void *arg, struct pu_err *err)
{
	char pattern[PU_KEY_MAX];
	struct scan sc = { page_ms, pattern, 0, fn, arg, true, PU_OK, err };
	struct pu_deadline dl;
	enum pu_status st;

	if (snprintf(pattern, sizeof(pattern), "%s%s:{*}", prefix, kind) >=
	    (int)sizeof(pattern))
		return pu_fail(err, PU_CONFIG, "prefix too long");
	sc.plen = strlen(prefix) + strlen(kind) + 2;
	pu_deadline_start(&dl, page_ms);
	st = pu_redis_each_primary(r, &dl, scan_node, &sc, err);
	return st != PU_OK ? st : sc.st;
}

enum pu_status pu_users_failure_times(struct pu_redis *r,
				      const struct pu_deadline *dl,
				      const char *prefix, const char *user,
				      long long *times, size_t max, size_t *n,
				      struct pu_err *err)
{
	char fkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	*n = 0;
	if ((st = key(fkey, prefix, "fail", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "ZRANGE");
	pu_cmd_add(&cmd, fkey);
	pu_cmd_add(&cmd, "0");
	pu_cmd_add(&cmd, "-1");
	pu_cmd_add(&cmd, "WITHSCORES");
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	st = reply_error(rep, "ZRANGE", err);
	if (st == PU_OK && (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2))
		st = pu_fail(err, PU_UNAVAIL, "redis ZRANGE: unexpected reply");
	for (size_t i = 1; st == PU_OK && i < rep->elements && *n < max; i += 2) {
		if (!parse_ll(rep->element[i], &times[*n]))
			st = pu_fail(err, PU_UNAVAIL, "failure record is garbage");
		else
			(*n)++;
	}
	freeReplyObject(rep);
	return st;
}

enum pu_status pu_users_sessions(struct pu_redis *r,
				 const struct pu_deadline *dl,
				 const char *prefix, const char *user,
				 pu_users_session_fn fn, void *arg,
				 struct pu_err *err)
{
	char skey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	if ((st = key(skey, prefix, "sessions", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "HGETALL");
	pu_cmd_add(&cmd, skey);
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	st = reply_error(rep, "HGETALL", err);
	if (st == PU_OK && (rep->type != REDIS_REPLY_ARRAY || rep->elements % 2))
		st = pu_fail(err, PU_UNAVAIL, "redis HGETALL: unexpected reply");
	for (size_t i = 0; st == PU_OK && i + 1 < rep->elements; i += 2) {
		const redisReply *k = rep->element[i], *v = rep->element[i + 1];

		if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
			st = pu_fail(err, PU_UNAVAIL, "redis HGETALL: unexpected element");
			break;
		}
		fn(k->str, v->str, arg);
	}
	freeReplyObject(rep);
	return st;
}

/* "MS-SEQ", both strict decimals */
static bool parse_stream_id(const redisReply *e, struct pu_event *ev)
{
	char buf[48], *dash, *end;

	if (e->type != REDIS_REPLY_STRING || e->len == 0 || e->len >= sizeof(buf))
		return false;
	memcpy(buf, e->str, e->len);
	buf[e->len] = '\0';
	dash = strchr(buf, '-');
	if (dash == NULL || dash == buf || dash[1] == '\0' ||
	    strspn(buf, "0123456789-") != e->len)
		return false;
	*dash = '\0';
	ev->ms = strtoull(buf, &end, 10);
	ev->seq = strtoull(dash + 1, &end, 10);
	return strchr(dash + 1, '-') == NULL;
}

/* one XREVRANGE entry: [id, [name, value, ...]] */
static bool parse_event(const redisReply *e, struct pu_event *ev)
{
	const redisReply *f;

	memset(ev, 0, sizeof(*ev));
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    !parse_stream_id(e->element[0], ev))
		return false;
	f = e->element[1];
	if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0)
		return false;
	for (size_t i = 0; i + 1 < f->elements && ev->n < PU_EVENT_FIELDS; i += 2) {
		if (f->element[i]->type != REDIS_REPLY_STRING ||
		    f->element[i + 1]->type != REDIS_REPLY_STRING)
			return false;
		ev->name[ev->n] = f->element[i]->str;
		ev->value[ev->n] = f->element[i + 1]->str;
		ev->n++;
	}
	return true;
}

enum pu_status pu_users_events(struct pu_redis *r, const struct pu_deadline *dl,
			       const char *prefix, const char *user, size_t max,
			       pu_users_event_fn fn, void *arg,
			       struct pu_err *err)
{
	char ekey[PU_KEY_MAX], count[24];
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st;

	if ((st = key(ekey, prefix, "events", user, err)) != PU_OK)
		return st;
	snprintf(count, sizeof(count), "%zu", max);
	pu_cmd_init(&cmd, "XREVRANGE");
	pu_cmd_add(&cmd, ekey);
	pu_cmd_add(&cmd, "+");
	pu_cmd_add(&cmd, "-");
	pu_cmd_add(&cmd, "COUNT");
	pu_cmd_add(&cmd, count);
	st = pu_redis_run(r, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	st = reply_error(rep, "XREVRANGE", err);
	if (st == PU_OK && rep->type != REDIS_REPLY_ARRAY)
		st = pu_fail(err, PU_UNAVAIL, "redis XREVRANGE: unexpected reply");
	for (size_t i = 0; st == PU_OK && i < rep->elements; i++) {
		struct pu_event ev;

		if (!parse_event(rep->element[i], &ev))
			st = pu_fail(err, PU_UNAVAIL, "redis XREVRANGE: unexpected entry");
		else
			fn(user, &ev, arg);
	}
	freeReplyObject(rep);
	return st;
}
