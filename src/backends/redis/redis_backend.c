/*
 * redis backend: credentials, account state, sessions and fleet-wide
 * lockout in Redis (key layout in users.h, the lockout rule in lockout.h).
 *
 * The connection comes from the handle (src/pam/redis_handle.c), so every
 * group of one handle reuses it.  The user record fetched by authenticate
 * is kept beside it, keyed by everything that selected it (connection,
 * prefix, user), so acct_mgmt in the same handle costs no round trip; in
 * another process, or for another prefix, it fetches its own.
 */
#define _GNU_SOURCE
#include "backends/backend.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/redis/lockout.h"
#include "backends/redis/users.h"
#include "common/hash.h"
#include "common/hex.h"
#include "pam/redis_handle.h"

#define RECORD_DATA "pam_unified_redis_record"
#define SESSION_DATA "pam_unified_redis_session"

struct record_cache {
	struct pu_redis_conn conn;
	char prefix[PU_PREFIX_LEN];
	char user[512];
	struct pu_user rec;
};

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

static void record_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	if (data != NULL) {
		explicit_bzero(data, sizeof(struct record_cache));
		free(data);
	}
}

static const struct pu_lockout *lockout_of(const struct pu_call *c)
{
	return pu_lockout_enabled(&c->opts->lock) ? &c->opts->lock : NULL;
}

static void remember_record(struct pu_call *c, const struct pu_user *u)
{
	struct record_cache *rc;

	if (strlen(c->user) >= sizeof(rc->user))
		return;
	rc = calloc(1, sizeof(*rc));
	if (rc == NULL)
		return; /* only a cache */
	rc->conn = c->opts->conn;
	memcpy(rc->prefix, c->opts->prefix, sizeof(rc->prefix));
	memcpy(rc->user, c->user, strlen(c->user) + 1);
	rc->rec = *u;
	explicit_bzero(rc->rec.password, sizeof(rc->rec.password));
	if (pam_set_data(c->pamh, RECORD_DATA, rc, record_cleanup) != PAM_SUCCESS)
		record_cleanup(c->pamh, rc, 0);
}

static void forget_record(struct pu_call *c)
{
	pam_set_data(c->pamh, RECORD_DATA, NULL, NULL);
}

static bool cached_record(struct pu_call *c, struct pu_user *u)
{
	const void *data = NULL;
	const struct record_cache *rc;

	if (pam_get_data(c->pamh, RECORD_DATA, &data) != PAM_SUCCESS || !data)
		return false;
	rc = data;
	if (!pu_redis_conn_same(&rc->conn, &c->opts->conn) ||
	    strcmp(rc->prefix, c->opts->prefix) != 0 ||
	    strcmp(rc->user, c->user) != 0)
		return false;
	*u = rc->rec;
	return true;
}

static long long now_s(void)
{
	return (long long)time(NULL);
}

/* crypt(3) time is not the peer's: the deadline pauses around it */
static enum pu_status verify(struct pu_call *c, const char *pw,
			     const char *stored, bool *match)
{
	struct timespec mark = pu_deadline_pause();
	enum pu_status st;

	pu_debug(c, "redis: checking a password against the stored hash");
	st = pu_hash_verify(pw, stored, match, &c->err);

	pu_deadline_resume(&c->deadline, &mark);
	return st;
}

static void dummy(struct pu_call *c, const char *pw, const char *setting)
{
	struct timespec mark = pu_deadline_pause();

	pu_debug(c, "redis: the same work on a dummy setting");
	pu_hash_dummy(pw, setting, c->opts->policy.hash);
	pu_deadline_resume(&c->deadline, &mark);
}

static enum pu_status fetch(struct pu_call *c, struct pu_redis **r,
			    struct pu_user *u)
{
	struct pu_failures f;
	enum pu_status st = pu_redis_handle_get(c, &c->opts->conn, r);

	if (st == PU_OK)
		st = pu_users_fetch(*r, &c->deadline, c->opts->prefix, NULL,
				    c->user, u, &f, &c->err);
	return st;
}

static enum pu_status locked_out(struct pu_call *c, const struct pu_failures *f,
				 long long now, enum pu_status st)
{
	long long unlock_at = 0;
	char msg[160];

	pu_lockout_active(lockout_of(c), f, now, &unlock_at);
	if (unlock_at > now)
		snprintf(msg, sizeof(msg),
			 "The account is locked due to %d failed logins "
			 "(%lld seconds left to unlock).", f->count,
			 unlock_at - now);
	else
		snprintf(msg, sizeof(msg),
			 "The account is locked due to %d failed logins.",
			 f->count);
	pu_tell(c, PAM_ERROR_MSG, msg);
	return pu_fail(&c->err, st, "locked out after %d failures", f->count);
}

/* the password check proper, once the record is known */
static enum pu_status check_password(struct pu_call *c, const struct pu_user *u,
				     const char *pw, const char *setting,
				     bool *match)
{
	*match = false;
	if (u->has_password && u->password[0] == '\0') {
		/* an empty stored password: only with nullok, only empty */
		dummy(c, pw, setting);
		*match = c->opts->nullok && pw[0] == '\0' &&
			 !(c->flags & PAM_DISALLOW_NULL_AUTHTOK);
		return PU_OK;
	}
	if (u->has_password && pu_hash_supported(u->password))
		return verify(c, pw, u->password, match);
	dummy(c, pw, setting); /* no password, locked ('!') or unknown method */
	return PU_OK;
}

/*
 * A password check under the lockout (users.h): begin counts the attempt
 * and says whether it may be checked at all, then the hashing (or the same
 * work on a dummy setting: unknown and locked names cost what a real
 * check costs), then end records the outcome.  On PU_OK *u holds the
 * record, its hash included.
 */
static enum pu_status check_login(struct pu_call *c, struct pu_redis *r,
				  const char *pw, struct pu_user *u)
{
	struct pu_auth_begin *b;
	struct pu_origin from = { c->service, c->rhost };
	enum pu_auth_outcome outcome;
	char setting[PU_HASH_MAX];
	long long now = now_s();
	bool match = false, have_setting = false;
	enum pu_status st, end;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return pu_fail(&c->err, PU_NOMEM, "out of memory");
	st = pu_users_auth_begin(r, &c->deadline, c->opts->prefix, lockout_of(c),
				 c->user, now, b, &c->err);
	if (st != PU_OK)
		goto out;
	if (b->locked || !b->u.exists) {
		dummy(c, pw, b->dummy);
		outcome = b->locked ? PU_AUTH_LOCKED : PU_AUTH_UNKNOWN;
	} else {
		st = check_password(c, &b->u, pw, b->dummy, &match);
		if (st != PU_OK)
			goto out;
		outcome = match ? PU_AUTH_GOOD : PU_AUTH_BAD;
		have_setting = match && pu_hash_setting(b->u.password, setting,
							sizeof(setting));
	}
	end = pu_users_auth_end(r, &c->deadline, c->opts->prefix, c->user,
				outcome, b, have_setting ? setting : NULL, &from,
				&c->err);
	if (b->locked)
		st = locked_out(c, &b->f, now, b->u.exists ? PU_DENIED :
					       PU_USER_UNKNOWN);
	else if (!b->u.exists)
		st = pu_fail(&c->err, PU_USER_UNKNOWN, "no such user in redis");
	else if (!match)
		st = pu_fail(&c->err, PU_DENIED, "wrong password");
	else
		st = end; /* a success that could not be recorded fails */
	if (st == PU_OK)
		*u = b->u;
out:
	explicit_bzero(b, sizeof(*b));
	explicit_bzero(setting, sizeof(setting));
	free(b);
	return st;
}

/* rehash=: a user whose hash is of another method than hash= gets a new
 * one, written with the compare-and-set; best effort, the login stands */
static void rehash(struct pu_call *c, struct pu_redis *r,
		   const struct pu_user *u, const char *pw)
{
	const char *want = pu_hash_prefix(c->opts->policy.hash);
	char newhash[PU_HASH_MAX];
	struct pu_err err = { PU_OK, "" };
	struct timespec mark;
	enum pu_status st;

	if (!c->opts->policy.rehash || want == NULL ||
	    strncmp(u->password, want, strlen(want)) == 0)
		return;
	mark = pu_deadline_pause();
	st = pu_hash_make(pw, c->opts->policy.hash, newhash, sizeof(newhash),
			  &err);
	pu_deadline_resume(&c->deadline, &mark);
	if (st == PU_OK)
		st = pu_users_set_password(r, &c->deadline, c->opts->prefix,
					   c->user, PU_PW_REHASH, u->password,
					   newhash, now_s(), &err);
	explicit_bzero(newhash, sizeof(newhash));
	pu_debug(c, "redis: rehash to %s: %s", want,
		 st == PU_OK ? "done" : err.msg);
}

static enum pu_status redis_authenticate(struct pu_call *c)
{
	struct pu_redis *r = NULL;
	struct pu_user u;
	const char *pw;
	enum pu_status st;

	pu_fail_delay(c);
	st = pu_get_password(c, PAM_AUTHTOK, NULL, &pw);
	if (st == PU_OK)
		st = pu_check_empty(c, pw);
	if (st == PU_OK)
		st = pu_redis_handle_get(c, &c->opts->conn, &r);
	if (st == PU_OK)
		st = check_login(c, r, pw, &u);
	if (st != PU_OK)
		return st;
	if (u.disabled) {
		explicit_bzero(&u, sizeof(u));
		return pu_fail(&c->err, PU_DENIED, "account disabled");
	}
	rehash(c, r, &u, pw);
	remember_record(c, &u);
	explicit_bzero(&u, sizeof(u));
	return PU_OK;
}

static enum pu_status password_age(struct pu_call *c, const struct pu_user *u,
				   long long now)
{
	long max_age = u->max_age >= 0 ? u->max_age : c->opts->policy.max_age;
	long warn_age = u->warn_age >= 0 ? u->warn_age : c->opts->policy.warn_age;
	long long due, days;
	char msg[96];

	if (max_age <= 0 || u->changed <= 0)
		return PU_OK;
	due = u->changed + (long long)max_age * 86400;
	if (now >= due) {
		pu_tell(c, PAM_ERROR_MSG, "Your password has expired; change it now.");
		return pu_fail(&c->err, PU_NEWTOK, "password older than max_age");
	}
	if (warn_age > 0 && due - now <= (long long)warn_age * 86400) {
		days = (due - now + 86399) / 86400;
		snprintf(msg, sizeof(msg),
			 "Warning: your password will expire in %lld day%s.", days,
			 days == 1 ? "" : "s");
		pu_tell(c, PAM_TEXT_INFO, msg);
	}
	return PU_OK;
}

static enum pu_status redis_acct_mgmt(struct pu_call *c)
{
	struct pu_redis *r = NULL;
	struct pu_user u;
	long long now = now_s();
	enum pu_status st;

	if (cached_record(c, &u)) {
		pu_debug(c, "redis: account from the record fetched at auth");
	} else {
		st = fetch(c, &r, &u);
		if (st != PU_OK)
			return st;
	}
	explicit_bzero(u.password, sizeof(u.password));
	if (!u.exists)
		return pu_fail(&c->err, PU_USER_UNKNOWN, "no such user in redis");
	if (u.disabled) {
		pu_tell(c, PAM_ERROR_MSG, "Your account is disabled.");
		return pu_fail(&c->err, PU_DENIED, "account disabled");
	}
	if (u.expires > 0 && now >= u.expires) {
		pu_tell(c, PAM_ERROR_MSG, "Your account has expired.");
		return pu_fail(&c->err, PU_EXPIRED, "account expired");
	}
	if (u.must_change) {
		pu_tell(c, PAM_ERROR_MSG,
			"You are required to change your password immediately.");
		return pu_fail(&c->err, PU_NEWTOK, "password change required");
	}
	return password_age(c, &u, now);
}

/* A new session's own id, kept with the handle for its close (sshd opens
 * and closes in the same monitor process). */
static enum pu_status new_session_id(struct pu_call *c, char **id)
{
	unsigned char raw[PU_SESSION_ID_LEN / 2];

	*id = malloc(PU_SESSION_ID_LEN + 1);
	if (*id == NULL)
		return pu_fail(&c->err, PU_NOMEM, "out of memory");
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		free(*id);
		*id = NULL;
		return pu_fail(&c->err, PU_UNAVAIL, "RAND_bytes failed");
	}
	pu_hex_encode(raw, sizeof(raw), *id);
	return PU_OK;
}

static enum pu_status open_session(struct pu_call *c, struct pu_redis *r)
{
	struct pu_session s = { NULL, c->service, c->tty, c->rhost, c->ruser };
	char *id = NULL;
	enum pu_status st = new_session_id(c, &id);

	if (st != PU_OK)
		return st;
	s.id = id;
	st = pu_users_session_open(r, &c->deadline, c->opts->prefix, c->user,
				   &s, now_s(), &c->err);
	if (st != PU_OK) {
		free(id);
		return st;
	}
	if (pam_set_data(c->pamh, SESSION_DATA, id, free_data) != PAM_SUCCESS) {
		free(id);
		return pu_fail(&c->err, PU_NOMEM, "pam_set_data failed");
	}
	pu_debug(c, "redis: session %s opened", id);
	return PU_OK;
}

static enum pu_status close_session(struct pu_call *c, struct pu_redis *r)
{
	struct pu_session s = { NULL, c->service, c->tty, c->rhost, c->ruser };
	const void *data = NULL;
	bool existed = false;
	enum pu_status st;

	if (pam_get_data(c->pamh, SESSION_DATA, &data) != PAM_SUCCESS || !data)
		return pu_fail(&c->err, PU_UNAVAIL,
			       "no session of this handle to close (opened by "
			       "another process, or the open failed)");
	s.id = data;
	st = pu_users_session_close(r, &c->deadline, c->opts->prefix, c->user,
				    &s, &existed, &c->err);
	if (st == PU_OK) {
		pu_debug(c, "redis: session %s %s", s.id,
			 existed ? "closed" : "was already gone");
		pam_set_data(c->pamh, SESSION_DATA, NULL, NULL);
	}
	return st;
}

static enum pu_status redis_session(struct pu_call *c)
{
	struct pu_redis *r = NULL;
	enum pu_status st;

	if (strlen(c->user) > 512)
		return pu_fail(&c->err, PU_USER_UNKNOWN, "user name too long");
	st = pu_redis_handle_get(c, &c->opts->conn, &r);
	if (st != PU_OK)
		return st;
	if (c->op == PU_OP_OPEN_SESSION)
		st = open_session(c, r);
	else
		st = close_session(c, r);
	/* nothing is held across the session's idle time: close connects
	 * again (10,000 open sessions are not 10,000 idle connections) */
	pu_redis_handle_drop(c, &c->opts->conn);
	return st;
}

/*
 * The record a password change works on.  With the old password (not root)
 * it is checked as a login is, under the lockout: a wrong one counts as a
 * failure and a locked account cannot test passwords here either.
 */
static enum pu_status current(struct pu_call *c, const char *old,
			      struct pu_redis **r, struct pu_user *u)
{
	enum pu_status st;

	if (old == NULL) {
		st = fetch(c, r, u);
		if (st == PU_OK && !u->exists)
			st = pu_fail(&c->err, PU_USER_UNKNOWN, "no such user in redis");
		return st;
	}
	st = pu_redis_handle_get(c, &c->opts->conn, r);
	if (st == PU_OK)
		st = check_login(c, *r, old, u);
	if (st == PU_DENIED)
		pu_tell(c, PAM_ERROR_MSG, "Current password is wrong.");
	return st;
}

static enum pu_status chauthtok_prelim(struct pu_call *c)
{
	struct pu_redis *r = NULL;
	struct pu_user u;
	const char *old = NULL;
	enum pu_status st = PU_OK;

	if (!pu_caller_is_root(c))
		st = pu_get_password(c, PAM_OLDAUTHTOK, "Current password: ",
				     &old);
	if (st == PU_OK)
		st = current(c, old, &r, &u);
	explicit_bzero(&u, sizeof(u));
	return st;
}

/* minlen and "differs from the old one" */
static enum pu_status new_password_ok(struct pu_call *c, const struct pu_user *u,
				      const char *old, const char *newpw)
{
	bool same = false;
	enum pu_status st = PU_OK;
	char msg[96];

	if ((long)strlen(newpw) < c->opts->policy.minlen) {
		snprintf(msg, sizeof(msg),
			 "The password is shorter than %ld characters.",
			 c->opts->policy.minlen);
		pu_tell(c, PAM_ERROR_MSG, msg);
		return pu_fail(&c->err, PU_DENIED, "new password too short");
	}
	if (old != NULL)
		same = strlen(old) == strlen(newpw) &&
		       CRYPTO_memcmp(old, newpw, strlen(newpw)) == 0;
	else if (u->has_password && u->password[0] != '\0')
		st = verify(c, newpw, u->password, &same);
	if (st == PU_OK && same) {
		pu_tell(c, PAM_ERROR_MSG,
			"The new password must differ from the old one.");
		st = pu_fail(&c->err, PU_DENIED, "new password equals the old one");
	}
	return st;
}

static enum pu_status chauthtok_update(struct pu_call *c)
{
	struct pu_redis *r = NULL;
	struct pu_user u;
	const void *item = NULL;
	const char *old = NULL, *newpw = NULL;
	char newhash[PU_HASH_MAX];
	struct timespec mark;
	enum pu_status st;

	if (pam_get_item(c->pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS)
		old = item;
	if (old == NULL && !pu_caller_is_root(c))
		return pu_fail(&c->err, PU_DENIED, "no current password");
	/* the stored hash read here is what the compare-and-set expects */
	memset(&u, 0, sizeof(u));
	st = current(c, old, &r, &u);
	if (st == PU_OK)
		st = pu_get_password(c, PAM_AUTHTOK, NULL, &newpw);
	if (st == PU_OK)
		st = new_password_ok(c, &u, old, newpw);
	if (st == PU_OK) {
		mark = pu_deadline_pause();
		st = pu_hash_make(newpw, c->opts->policy.hash, newhash,
				  sizeof(newhash), &c->err);
		pu_deadline_resume(&c->deadline, &mark);
	}
	if (st == PU_OK) {
		st = pu_users_set_password(r, &c->deadline, c->opts->prefix,
					   c->user, PU_PW_CAS,
					   u.has_password ? u.password : "",
					   newhash, now_s(), &c->err);
		explicit_bzero(newhash, sizeof(newhash));
		if (st == PU_DENIED)
			pu_tell(c, PAM_ERROR_MSG,
				"The password was changed elsewhere meanwhile; try again.");
	}
	if (st == PU_OK) {
		forget_record(c);
		pu_tell(c, PAM_TEXT_INFO, "Password changed.");
	}
	explicit_bzero(&u, sizeof(u));
	return st;
}

static enum pu_status redis_chauthtok(struct pu_call *c)
{
	bool prelim;
	enum pu_status st = pu_chauthtok_prelim(c, &prelim);

	if (st != PU_OK)
		return st;
	return prelim ? chauthtok_prelim(c) : chauthtok_update(c);
}

static enum pu_support redis_support(const struct pu_options *o, enum pu_op op)
{
	(void)o;
	(void)op;
	return PU_IMPLEMENTED;
}

static enum pu_status redis_op(struct pu_call *c)
{
	switch (c->op) {
	case PU_OP_AUTHENTICATE:
		return redis_authenticate(c);
	case PU_OP_SETCRED:
		return PU_OK;
	case PU_OP_ACCT_MGMT:
		return redis_acct_mgmt(c);
	case PU_OP_OPEN_SESSION:
	case PU_OP_CLOSE_SESSION:
		return redis_session(c);
	case PU_OP_CHAUTHTOK:
		return redis_chauthtok(c);
	default:
		return pu_fail(&c->err, PU_CONFIG, "unknown operation");
	}
}

static enum pu_status redis_run(struct pu_call *c)
{
	enum pu_status st = redis_op(c);

	pu_redis_handle_outage(c, &c->opts->conn, st);
	return st;
}

const struct pu_backend pu_backend_redis = {
	.name = "redis",
	.support = redis_support,
	.run = redis_run,
};
