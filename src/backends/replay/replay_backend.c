/*
 * replay backend: refuses a login password among the user's last window=
 * distinct successful login passwords (ReplayShield's block_count), and a
 * new password among the last remember= set ones (pam_pwhistory's role).
 * It never verifies credentials: stack it with a credential module.
 *
 * Because it does not verify anything, authenticate never returns
 * PAM_SUCCESS: a password that is not a replay gets PAM_IGNORE, so a
 * stack that mistakenly makes this line "sufficient" still needs the
 * credential module.  Entries and list rules are in entry.h, the stores
 * behind store.h.
 */
#define _GNU_SOURCE
#include "backends/backend.h"

#include <security/pam_ext.h>
#include <string.h>
#include <time.h>

#include "backends/replay/store.h"
#include "common/secret.h"
#include "pam/redis_handle.h"

static enum pu_support replay_support(const struct pu_options *o, enum pu_op op)
{
	(void)o;
	switch (op) {
	case PU_OP_ACCT_MGMT:
	case PU_OP_CLOSE_SESSION:
		return PU_STUB_IGNORE;
	default:
		return PU_IMPLEMENTED;
	}
}

/* the key, the store, and the Redis connection for store=redis */
static enum pu_status open_ctx(struct pu_call *c, struct pu_replay_ctx *x,
			       char **key)
{
	size_t klen = 0;
	enum pu_status st;

	memset(x, 0, sizeof(*x));
	x->o = &c->opts->replay;
	x->prefix = c->opts->prefix;
	x->dl = &c->deadline;
	x->store = pu_replay_store_for(x->o->store);
	st = pu_replay_key(x->o->key_file, key, &klen, &c->err);
	if (st != PU_OK)
		return st;
	x->key = (const unsigned char *)*key;
	x->keylen = klen;
	if (x->o->store == PU_STORE_REDIS)
		st = pu_redis_handle_get(c, &c->opts->conn, &x->redis);
	return st;
}

/* the password of this call (PAM_AUTHTOK), the store, and the entry
 * the password would have */
static enum pu_status prepare(struct pu_call *c, struct pu_replay_ctx *x,
			      char **key, unsigned char mac[PU_MAC_LEN])
{
	const char *pw;
	enum pu_status st = pu_get_password(c, PAM_AUTHTOK, NULL, &pw);

	if (st == PU_OK)
		st = open_ctx(c, x, key);
	if (st == PU_OK && !pu_replay_mac(x->key, x->keylen, c->user, pw, mac))
		st = pu_fail(&c->err, PU_NOMEM, "HMAC-SHA256 failed");
	return st;
}

static enum pu_status replay_authenticate(struct pu_call *c)
{
	const struct pu_replay_opts *o = &c->opts->replay;
	struct pu_replay_ctx x;
	unsigned char mac[PU_MAC_LEN];
	char *key = NULL;
	bool replayed = false;
	enum pu_status st;

	if (o->window == 0)
		return PU_IGNORE;
	st = prepare(c, &x, &key, mac);
	if (st == PU_OK)
		st = x.store->login(&x, c->user, mac, (long long)time(NULL),
				    &replayed, &c->err);
	pu_secret_free(key);
	explicit_bzero(mac, sizeof(mac));
	if (st != PU_OK)
		return st;
	if (replayed) {
		pu_tell(c, PAM_ERROR_MSG,
			"This password was used recently. Use another one.");
		return pu_fail(&c->err, PU_DENIED,
			       "password among the last %ld used", o->window);
	}
	pu_debug(c, "replay: not among the last %ld, %s", o->window,
		 o->commit == PU_COMMIT_AUTH ? "recorded" : "pending");
	return PU_IGNORE;
}

static enum pu_status replay_open_session(struct pu_call *c)
{
	const struct pu_replay_opts *o = &c->opts->replay;
	struct pu_replay_ctx x;
	char *key = NULL;
	size_t promoted = 0;
	enum pu_status st;

	if (o->window == 0 || o->commit == PU_COMMIT_AUTH)
		return PU_IGNORE;
	st = open_ctx(c, &x, &key);
	if (st == PU_OK)
		st = x.store->promote(&x, c->user, (long long)time(NULL),
				      &promoted, &c->err);
	pu_secret_free(key);
	if (st == PU_OK)
		pu_debug(c, "replay: %zu pending login(s) committed", promoted);
	return st;
}

static enum pu_status replay_chauthtok(struct pu_call *c)
{
	const struct pu_replay_opts *o = &c->opts->replay;
	struct pu_replay_ctx x;
	unsigned char mac[PU_MAC_LEN];
	char *key = NULL;
	bool used = false, prelim;
	enum pu_status st;

	if (o->remember == 0)
		return PU_IGNORE;
	st = pu_chauthtok_prelim(c, &prelim);
	if (st != PU_OK || prelim)
		return st; /* nothing to check before the new password */
	st = prepare(c, &x, &key, mac);
	if (st == PU_OK)
		st = x.store->pwhist(&x, c->user, mac, (long long)time(NULL), true,
				     &used, &c->err);
	pu_secret_free(key);
	explicit_bzero(mac, sizeof(mac));
	if (st == PU_OK && used) {
		pu_tell(c, PAM_ERROR_MSG,
			"Password has been already used. Choose another.");
		st = pu_fail(&c->err, PU_DENIED, "password among the last %ld set",
			     o->remember);
	}
	return st;
}

static enum pu_status replay_run(struct pu_call *c)
{
	switch (c->op) {
	case PU_OP_AUTHENTICATE:
		return replay_authenticate(c);
	case PU_OP_SETCRED:
		return PU_OK;
	case PU_OP_OPEN_SESSION:
		return replay_open_session(c);
	case PU_OP_CHAUTHTOK:
		return replay_chauthtok(c);
	default:
		return pu_fail(&c->err, PU_CONFIG, "unsupported operation");
	}
}

const struct pu_backend pu_backend_replay = {
	.name = "replay",
	.support = replay_support,
	.run = replay_run,
};
