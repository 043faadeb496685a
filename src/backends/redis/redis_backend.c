/*
 * redis backend: credentials, account state, sessions and fleet-wide
 * lockout in Redis (key layout in src/common/userstore.h).
 *
 * One connection per PAM handle, reused by every group of that handle:
 * cached with pam_set_data and closed by its cleanup.  The user record
 * fetched by authenticate is cached beside it, so acct_mgmt in the same
 * handle costs no round trip; in another process it fetches its own.
 */
#define _GNU_SOURCE
#include "backends/backend.h"

#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/secret.h"
#include "backends/redis/users.h"

#define DATA_NAME "pam_unified_redis"

struct handle_cache {
	struct pu_redis *conn;
	char ident[PU_PATH_LEN + 2600]; /* connection options that made conn */
	bool have_user;
	char user[256];
	struct pu_user record;
};

static void cache_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct handle_cache *hc = data;

	(void)pamh;
	(void)error_status;
	if (hc == NULL)
		return;
	pu_redis_free(hc->conn);
	explicit_bzero(hc, sizeof(*hc));
	free(hc);
}

static void conn_ident(const struct pu_options *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s|%s|%s|%s|%s|%ld", o->redis, o->sentinel,
		 o->sentinel_master, o->redis_user, o->redis_password_file,
		 o->redis_db);
}

/* The handle's connection for these options, (re)connecting if needed. */
static enum pu_status get_conn(struct pu_call *c, struct handle_cache **out)
{
	struct handle_cache *hc = NULL;
	const void *data = NULL;
	char ident[sizeof(hc->ident)];
	enum pu_status st;

	conn_ident(c->opts, ident, sizeof(ident));
	if (pam_get_data(c->pamh, DATA_NAME, &data) == PAM_SUCCESS && data)
		hc = (struct handle_cache *)data;
	if (hc == NULL) {
		hc = calloc(1, sizeof(*hc));
		if (hc == NULL)
			return pu_fail(&c->err, PU_NOMEM, "out of memory");
		if (pam_set_data(c->pamh, DATA_NAME, hc, cache_cleanup) !=
		    PAM_SUCCESS) {
			free(hc);
			return pu_fail(&c->err, PU_NOMEM, "pam_set_data failed");
		}
	}
	if (hc->conn != NULL &&
	    (!pu_redis_alive(hc->conn) || strcmp(hc->ident, ident) != 0)) {
		pu_redis_free(hc->conn);
		hc->conn = NULL;
		hc->have_user = false;
	}
	if (hc->conn == NULL) {
		st = pu_redis_connect(c->opts, &c->deadline, &hc->conn, &c->err);
		if (st != PU_OK)
			return st;
		memcpy(hc->ident, ident, sizeof(ident));
		pu_debug(c, "redis: connected to %s", pu_redis_peer(hc->conn));
	}
	*out = hc;
	return PU_OK;
}

enum pu_status pu_redis_handle_conn(struct pu_call *c, struct pu_redis **conn)
{
	struct handle_cache *hc;
	enum pu_status st = get_conn(c, &hc);

	*conn = st == PU_OK ? hc->conn : NULL;
	return st;
}

static long long now_s(void)
{
	return (long long)time(NULL);
}

static enum pu_status fetch(struct pu_call *c, struct handle_cache *hc,
			    struct pu_user *u, struct pu_lock *lock)
{
	enum pu_status st = pu_store_fetch(hc->conn, c->opts, &c->deadline,
					   c->user, u, lock, &c->err);

	if (st == PU_OK && strlen(c->user) < sizeof(hc->user)) {
		hc->record = *u;
		memcpy(hc->user, c->user, strlen(c->user) + 1);
		hc->have_user = true;
	}
	return st;
}

static enum pu_status redis_authenticate(struct pu_call *c)
{
	struct handle_cache *hc;
	struct pu_user u;
	struct pu_lock lock;
	long long now = now_s(), unlock_at;
	const char *pw;
	bool match = false;
	enum pu_status st;

	st = pu_get_password(c, PAM_AUTHTOK, NULL, &pw);
	if (st != PU_OK)
		return st;
	if (pw[0] == '\0' && !c->opts->nullok)
		return pu_fail(&c->err, PU_DENIED, "empty password refused (no nullok)");

	pu_deadline_start(&c->deadline, c->opts->timeout_ms);
	st = get_conn(c, &hc);
	if (st == PU_OK)
		st = fetch(c, hc, &u, &lock);
	if (st != PU_OK)
		return st;

	if (!u.exists) {
		pu_hash_dummy(pw, c->opts->hash);
		return pu_fail(&c->err, PU_USER_UNKNOWN, "no such user in redis");
	}
	if (pu_lock_active(c->opts, &lock, now, &unlock_at)) {
		char msg[160];

		pu_hash_dummy(pw, c->opts->hash);
		if (unlock_at > 0)
			snprintf(msg, sizeof(msg),
				 "The account is locked due to %d failed logins "
				 "(%lld seconds left to unlock).", lock.count,
				 unlock_at - now);
		else
			snprintf(msg, sizeof(msg),
				 "The account is locked due to %d failed logins.",
				 lock.count);
		pu_tell(c, PAM_ERROR_MSG, msg);
		explicit_bzero(&u, sizeof(u));
		return pu_fail(&c->err, PU_DENIED, "locked out after %d failures",
			       lock.count);
	}
	if (u.has_password && u.password[0] == '\0') {
		/* an empty stored password: only with nullok, only empty */
		pu_hash_dummy(pw, c->opts->hash);
		match = c->opts->nullok && pw[0] == '\0';
	} else if (u.has_password) {
		st = pu_hash_verify(pw, u.password, &match, &c->err);
	} else {
		pu_hash_dummy(pw, c->opts->hash);
	}
	explicit_bzero(&u.password, sizeof(u.password));
	if (st != PU_OK)
		return st;
	if (!match) {
		st = pu_store_record_failure(hc->conn, c->opts, &c->deadline,
					     c->user, now, c->service, c->rhost,
					     &c->err);
		if (st != PU_OK)
			return st;
		return pu_fail(&c->err, PU_DENIED, "wrong password");
	}
	if (u.disabled)
		return pu_fail(&c->err, PU_DENIED, "account disabled");
	if (lock.count > 0) {
		st = pu_store_clear_failures(hc->conn, c->opts, &c->deadline,
					     c->user, &c->err);
		if (st != PU_OK)
			return st;
	}
	return PU_OK;
}

static enum pu_status redis_acct_mgmt(struct pu_call *c)
{
	struct handle_cache *hc;
	struct pu_user u;
	struct pu_lock lock;
	long long now = now_s();
	long max_age, warn_age;
	enum pu_status st;

	pu_deadline_start(&c->deadline, c->opts->timeout_ms);
	st = get_conn(c, &hc);
	if (st != PU_OK)
		return st;
	if (hc->have_user && strcmp(hc->user, c->user) == 0) {
		u = hc->record;
		pu_debug(c, "redis: account from the record fetched at auth");
	} else {
		st = fetch(c, hc, &u, &lock);
		if (st != PU_OK)
			return st;
	}
	explicit_bzero(&u.password, sizeof(u.password));
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
	max_age = u.max_age >= 0 ? u.max_age : c->opts->max_age;
	warn_age = u.warn_age >= 0 ? u.warn_age : c->opts->warn_age;
	if (max_age > 0 && u.changed > 0) {
		long long due = u.changed + (long long)max_age * 86400;

		if (now >= due) {
			pu_tell(c, PAM_ERROR_MSG,
				"Your password has expired; change it now.");
			return pu_fail(&c->err, PU_NEWTOK, "password older than max_age");
		}
		if (warn_age > 0 && due - now <= (long long)warn_age * 86400) {
			char msg[96];
			long long days = (due - now + 86399) / 86400;

			snprintf(msg, sizeof(msg),
				 "Warning: your password will expire in %lld day%s.",
				 days, days == 1 ? "" : "s");
			pu_tell(c, PAM_TEXT_INFO, msg);
		}
	}
	return PU_OK;
}

static enum pu_status redis_session(struct pu_call *c)
{
	struct handle_cache *hc;
	enum pu_status st;

	if (strlen(c->user) > 512)
		return pu_fail(&c->err, PU_USER_UNKNOWN, "user name too long");
	pu_deadline_start(&c->deadline, c->opts->timeout_ms);
	st = get_conn(c, &hc);
	if (st != PU_OK)
		return st;
	return pu_store_session(hc->conn, c->opts, &c->deadline,
				c->op == PU_OP_OPEN_SESSION, c->user, c->service,
				c->tty, c->rhost, &c->err);
}

static bool caller_is_root(const struct pu_call *c)
{
	return getuid() == 0 && !(c->flags & PAM_CHANGE_EXPIRED_AUTHTOK);
}

static enum pu_status fetch_for_change(struct pu_call *c,
				       struct handle_cache **hc,
				       struct pu_user *u)
{
	struct pu_lock lock;
	enum pu_status st;

	pu_deadline_start(&c->deadline, c->opts->timeout_ms);
	st = get_conn(c, hc);
	if (st == PU_OK)
		st = pu_store_fetch((*hc)->conn, c->opts, &c->deadline, c->user, u,
				    &lock, &c->err);
	if (st == PU_OK && !u->exists)
		st = pu_fail(&c->err, PU_USER_UNKNOWN, "no such user in redis");
	return st;
}

static enum pu_status verify_old(struct pu_call *c, const struct pu_user *u,
				 const char *old)
{
	bool match = false;
	enum pu_status st;

	if (!u->has_password)
		return pu_fail(&c->err, PU_DENIED, "no current password to verify");
	st = pu_hash_verify(old, u->password, &match, &c->err);
	if (st == PU_OK && !match) {
		pu_tell(c, PAM_ERROR_MSG, "Current password is wrong.");
		st = pu_fail(&c->err, PU_DENIED, "current password wrong");
	}
	return st;
}

static enum pu_status redis_chauthtok(struct pu_call *c)
{
	struct handle_cache *hc;
	struct pu_user u;
	const void *item = NULL;
	const char *old = NULL, *newpw = NULL;
	char newhash[PU_HASH_MAX];
	bool same = false;
	enum pu_status st;

	if (c->flags & PAM_PRELIM_CHECK) {
		if (!caller_is_root(c)) {
			st = pu_get_password(c, PAM_OLDAUTHTOK,
					     "Current password: ", &old);
			if (st != PU_OK)
				return st;
		}
		st = fetch_for_change(c, &hc, &u);
		if (st == PU_OK && old != NULL)
			st = verify_old(c, &u, old);
		explicit_bzero(&u, sizeof(u));
		return st;
	}
	if (!(c->flags & PAM_UPDATE_AUTHTOK))
		return pu_fail(&c->err, PU_CONFIG, "chauthtok without a phase");

	if (pam_get_item(c->pamh, PAM_OLDAUTHTOK, &item) == PAM_SUCCESS)
		old = item;
	if (old == NULL && !caller_is_root(c))
		return pu_fail(&c->err, PU_DENIED, "no current password");
	/* the stored hash read here is what the compare-and-set expects */
	st = fetch_for_change(c, &hc, &u);
	if (st == PU_OK && old != NULL)
		st = verify_old(c, &u, old);
	if (st == PU_OK)
		st = pu_get_password(c, PAM_AUTHTOK, NULL, &newpw);
	if (st != PU_OK)
		goto out;
	if ((long)strlen(newpw) < c->opts->minlen) {
		char msg[96];

		snprintf(msg, sizeof(msg),
			 "The password is shorter than %ld characters.",
			 c->opts->minlen);
		pu_tell(c, PAM_ERROR_MSG, msg);
		st = pu_fail(&c->err, PU_DENIED, "new password too short");
		goto out;
	}
	if (old != NULL)
		same = strlen(old) == strlen(newpw) &&
		       pu_ct_equal(old, newpw, strlen(newpw));
	else if (u.has_password)
		st = pu_hash_verify(newpw, u.password, &same, &c->err);
	if (st == PU_OK && same) {
		pu_tell(c, PAM_ERROR_MSG,
			"The new password must differ from the old one.");
		st = pu_fail(&c->err, PU_DENIED, "new password equals the old one");
	}
	if (st == PU_OK)
		st = pu_hash_make(newpw, c->opts->hash, newhash, sizeof(newhash),
				  &c->err);
	if (st == PU_OK) {
		/* hashing took time: the write gets a fresh deadline */
		pu_deadline_start(&c->deadline, c->opts->timeout_ms);
		st = pu_store_set_password(hc->conn, c->opts, &c->deadline, c->user,
					   u.has_password ? u.password : "",
					   newhash, now_s(), &c->err);
		if (st == PU_DENIED)
			pu_tell(c, PAM_ERROR_MSG,
				"The password was changed elsewhere meanwhile; try again.");
		explicit_bzero(newhash, sizeof(newhash));
	}
	if (st == PU_OK) {
		hc->have_user = false;
		pu_tell(c, PAM_TEXT_INFO, "Password changed.");
	}
out:
	explicit_bzero(&u, sizeof(u));
	return st;
}

static enum pu_support redis_support(const struct pu_options *o, enum pu_op op)
{
	(void)o;
	(void)op;
	return PU_IMPLEMENTED;
}

static enum pu_status redis_run(struct pu_call *c)
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

const struct pu_backend pu_backend_redis = {
	.name = "redis",
	.support = redis_support,
	.run = redis_run,
};
