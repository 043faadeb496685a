#define _GNU_SOURCE
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVENTS_MAXLEN "10000"

static enum pu_status key(char *buf, const struct pu_options *o,
			  const char *kind, const char *user, struct pu_err *err)
{
	if (!pu_redis_key(buf, PU_KEY_MAX, o->prefix, kind, user))
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

/* strict decimal, or the field is garbage (fail closed) */
static bool parse_ll(const redisReply *e, long long *out)
{
	char *end;
	long long v;

	if (e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > 20)
		return false;
	errno = 0;
	v = strtoll(e->str, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

static bool is_one(const redisReply *e)
{
	return e->type == REDIS_REPLY_STRING && e->len == 1 && e->str[0] == '1';
}

enum pu_status pu_store_fetch(struct pu_redis *r, const struct pu_options *o,
			      const struct pu_deadline *dl, const char *user,
			      struct pu_user *u, struct pu_lock *lock,
			      struct pu_err *err)
{
	static const char *const fields[] = { "password", "disabled", "expires",
		"must_change", "changed", "max_age", "warn_age" };
	char ukey[PU_KEY_MAX], fkey[PU_KEY_MAX], last[24];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	size_t n = 1;
	enum pu_status st;
	const redisReply *a;

	memset(u, 0, sizeof(*u));
	memset(lock, 0, sizeof(*lock));
	u->max_age = u->warn_age = -1;
	if ((st = key(ukey, o, "user", user, err)) != PU_OK ||
	    (st = key(fkey, o, "fail", user, err)) != PU_OK)
		return st;

	pu_cmd_init(&cmd[0], "HMGET");
	pu_cmd_add(&cmd[0], ukey);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		pu_cmd_add(&cmd[0], fields[i]);
	if (o->deny > 0) {
		snprintf(last, sizeof(last), "%ld", o->deny - 1);
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

	a = rep[0];
	if ((st = reply_error(a, "HMGET", err)) != PU_OK)
		goto out;
	if (a->type != REDIS_REPLY_ARRAY || a->elements != 7) {
		st = pu_fail(err, PU_UNAVAIL, "redis HMGET: unexpected reply");
		goto out;
	}
	for (size_t i = 0; i < 7; i++)
		if (a->element[i]->type != REDIS_REPLY_NIL)
			u->exists = true;
	if (a->element[0]->type == REDIS_REPLY_STRING) {
		if (a->element[0]->len >= sizeof(u->password)) {
			st = pu_fail(err, PU_UNAVAIL, "user record: password too long");
			goto out;
		}
		memcpy(u->password, a->element[0]->str, a->element[0]->len + 1);
		u->has_password = true;
	}
	u->disabled = is_one(a->element[1]);
	u->must_change = is_one(a->element[3]);
	for (size_t i = 2; i <= 6; i++) {
		long long v = 0;

		if (i == 3 || a->element[i]->type == REDIS_REPLY_NIL)
			continue;
		if (!parse_ll(a->element[i], &v)) {
			st = pu_fail(err, PU_UNAVAIL,
				     "user record: %s is not a number", fields[i]);
			goto out;
		}
		switch (i) {
		case 2: u->expires = v; break;
		case 4: u->changed = v; break;
		case 5: u->max_age = (long)(v > 100000 ? 100000 : v); break;
		case 6: u->warn_age = (long)(v > 100000 ? 100000 : v); break;
		}
	}

	if (n == 2) {
		a = rep[1];
		if ((st = reply_error(a, "ZREVRANGE", err)) != PU_OK)
			goto out;
		if (a->type != REDIS_REPLY_ARRAY || a->elements % 2 != 0) {
			st = pu_fail(err, PU_UNAVAIL, "redis ZREVRANGE: unexpected reply");
			goto out;
		}
		lock->count = (int)(a->elements / 2);
		for (size_t i = 1; i < a->elements; i += 2) {
			long long t;

			if (!parse_ll(a->element[i], &t)) {
				st = pu_fail(err, PU_UNAVAIL, "failure record is garbage");
				goto out;
			}
			if (i == 1)
				lock->latest = t;
			lock->oldest = t;
		}
	}
out:
	if (st != PU_OK)
		explicit_bzero(u->password, sizeof(u->password));
	pu_redis_replies_free(rep, n);
	return st;
}

bool pu_lock_active(const struct pu_options *o, const struct pu_lock *lock,
		    long long now, long long *unlock_at)
{
	*unlock_at = 0;
	if (o->deny <= 0 || lock->count < o->deny)
		return false;
	if (lock->oldest < lock->latest - o->fail_interval)
		return false; /* spread out wider than fail_interval */
	if (o->unlock_time == 0)
		return true;
	*unlock_at = lock->latest + o->unlock_time;
	return now < *unlock_at;
}

static void event(struct pu_redis_cmd *c, const struct pu_options *o,
		  char *evkey, const char *type, const char *user,
		  const char *result, const char *service, const char *rhost)
{
	snprintf(evkey, PU_KEY_MAX, "%sevents", o->prefix);
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
	pu_cmd_add(c, service ? service : "");
	pu_cmd_add(c, "rhost");
	pu_cmd_add(c, rhost ? rhost : "");
}

static enum pu_status run_checked(struct pu_redis *r,
				  const struct pu_deadline *dl, size_t n,
				  struct pu_redis_cmd *cmd, struct pu_err *err)
{
	redisReply *rep[4] = { NULL, NULL, NULL, NULL };
	enum pu_status st = pu_redis_run(r, dl, n, cmd, rep, err);

	for (size_t i = 0; st == PU_OK && i < n; i++)
		st = reply_error(rep[i], cmd[i].argv[0], err);
	pu_redis_replies_free(rep, n);
	return st;
}

enum pu_status pu_store_record_failure(struct pu_redis *r,
				       const struct pu_options *o,
				       const struct pu_deadline *dl,
				       const char *user, long long now,
				       const char *service, const char *rhost,
				       struct pu_err *err)
{
	char fkey[PU_KEY_MAX], evkey[PU_KEY_MAX], score[24], member[48];
	char keep[24], ttl[24];
	struct pu_redis_cmd cmd[4];
	size_t n = 0;
	enum pu_status st;

	if ((st = key(fkey, o, "fail", user, err)) != PU_OK)
		return st;
	if (o->deny > 0) {
		snprintf(score, sizeof(score), "%lld", now);
		struct timespec ts;

		/* unique member: two failures in one second both count */
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(member, sizeof(member), "%lld.%09ld-%ld", now,
			 ts.tv_nsec, (long)getpid());
		snprintf(keep, sizeof(keep), "-%ld", o->deny + 1);
		pu_cmd_init(&cmd[n], "ZADD");
		pu_cmd_add(&cmd[n], fkey);
		pu_cmd_add(&cmd[n], score);
		pu_cmd_add(&cmd[n], member);
		n++;
		pu_cmd_init(&cmd[n], "ZREMRANGEBYRANK");
		pu_cmd_add(&cmd[n], fkey);
		pu_cmd_add(&cmd[n], "0");
		pu_cmd_add(&cmd[n], keep);
		n++;
		if (o->unlock_time > 0) {
			long t = o->unlock_time > o->fail_interval ?
				 o->unlock_time : o->fail_interval;

			snprintf(ttl, sizeof(ttl), "%ld", t);
			pu_cmd_init(&cmd[n], "EXPIRE");
			pu_cmd_add(&cmd[n], fkey);
			pu_cmd_add(&cmd[n], ttl);
			n++;
		}
	}
	event(&cmd[n++], o, evkey, "auth", user, "failure", service, rhost);
	return run_checked(r, dl, n, cmd, err);
}

enum pu_status pu_store_clear_failures(struct pu_redis *r,
				       const struct pu_options *o,
				       const struct pu_deadline *dl,
				       const char *user, struct pu_err *err)
{
	char fkey[PU_KEY_MAX];
	struct pu_redis_cmd cmd;
	enum pu_status st;

	if ((st = key(fkey, o, "fail", user, err)) != PU_OK)
		return st;
	pu_cmd_init(&cmd, "DEL");
	pu_cmd_add(&cmd, fkey);
	return run_checked(r, dl, 1, &cmd, err);
}

void pu_session_id(char *buf, size_t size, const char *host,
		   const char *service, const char *tty, const char *rhost)
{
	snprintf(buf, size, "%s:%s:%s:%s", host ? host : "",
		 service ? service : "", tty ? tty : "", rhost ? rhost : "");
}

enum pu_status pu_store_session(struct pu_redis *r, const struct pu_options *o,
				const struct pu_deadline *dl, bool open,
				const char *user, const char *service,
				const char *tty, const char *rhost,
				struct pu_err *err)
{
	char skey[PU_KEY_MAX], evkey[PU_KEY_MAX], host[256], id[1200];
	char value[1400];
	struct pu_redis_cmd cmd[2];
	enum pu_status st;

	if ((st = key(skey, o, "sessions", user, err)) != PU_OK)
		return st;
	if (gethostname(host, sizeof(host)) != 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	pu_session_id(id, sizeof(id), host, service, tty, rhost);
	if (open) {
		snprintf(value, sizeof(value),
			 "service=%s tty=%s rhost=%s host=%s pid=%ld start=%lld",
			 service ? service : "", tty ? tty : "",
			 rhost ? rhost : "", host, (long)getpid(),
			 (long long)time(NULL));
		pu_cmd_init(&cmd[0], "HSET");
		pu_cmd_add(&cmd[0], skey);
		pu_cmd_add(&cmd[0], id);
		pu_cmd_add(&cmd[0], value);
	} else {
		pu_cmd_init(&cmd[0], "HDEL");
		pu_cmd_add(&cmd[0], skey);
		pu_cmd_add(&cmd[0], id);
	}
	event(&cmd[1], o, evkey, open ? "session_open" : "session_close", user,
	      "ok", service, rhost);
	return run_checked(r, dl, 2, cmd, err);
}

/* KEYS[1] user hash; ARGV: expected old hash, new hash, now */
static const char cas_script[] =
	"if redis.call('HGET', KEYS[1], 'password') == ARGV[1] then "
	"redis.call('HSET', KEYS[1], 'password', ARGV[2], 'changed', ARGV[3]) "
	"redis.call('HDEL', KEYS[1], 'must_change') "
	"return 1 else return 0 end";

enum pu_status pu_store_set_password(struct pu_redis *r,
				     const struct pu_options *o,
				     const struct pu_deadline *dl,
				     const char *user, const char *old_hash,
				     const char *new_hash, long long now,
				     struct pu_err *err)
{
	char ukey[PU_KEY_MAX], evkey[PU_KEY_MAX], ts[24];
	struct pu_redis_cmd cmd[2];
	redisReply *rep[2] = { NULL, NULL };
	enum pu_status st;

	if ((st = key(ukey, o, "user", user, err)) != PU_OK)
		return st;
	snprintf(ts, sizeof(ts), "%lld", now);
	pu_cmd_init(&cmd[0], "EVAL");
	pu_cmd_add(&cmd[0], cas_script);
	pu_cmd_add(&cmd[0], "1");
	pu_cmd_add(&cmd[0], ukey);
	pu_cmd_add(&cmd[0], old_hash);
	pu_cmd_add(&cmd[0], new_hash);
	pu_cmd_add(&cmd[0], ts);
	st = pu_redis_run(r, dl, 1, cmd, rep, err);
	if (st != PU_OK)
		return st;
	st = reply_error(rep[0], "EVAL", err);
	if (st == PU_OK && (rep[0]->type != REDIS_REPLY_INTEGER ||
			    rep[0]->integer != 1))
		st = pu_fail(err, PU_DENIED,
			     "password was changed by someone else meanwhile");
	pu_redis_replies_free(rep, 1);
	event(&cmd[1], o, evkey, "password", user,
	      st == PU_OK ? "changed" : "conflict", NULL, NULL);
	if (st == PU_OK || st == PU_DENIED) {
		enum pu_status st2 = run_checked(r, dl, 1, &cmd[1], NULL);

		(void)st2; /* the audit event is best effort after the change */
	}
	return st;
}
