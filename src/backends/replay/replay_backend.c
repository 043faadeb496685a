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
 *
 * What counts as used (commit=session): authenticate records the password
 * as pending for this login, named by a random id kept with the handle
 * (pam_set_data) and in the PAM environment (sshd runs keyboard-
 * interactive authentication in a child process and carries the PAM
 * environment back to the monitor, which runs account and session).  The
 * login's own account or session step commits that entry, and only it:
 * a failed login never reaches those steps, so its password (a typo, an
 * attacker's junk) never becomes used, whatever the order of the lines.
 * While pending, the password is refused to every other login.
 */
#define _GNU_SOURCE
#include "backends/backend.h"

#include <openssl/rand.h>
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/replay/store.h"
#include "common/hex.h"
#include "common/secret.h"
#include "pam/redis_handle.h"

#define LOGIN_DATA "pam_unified_replay_login"
#define LOGIN_ENV "PAM_UNIFIED_REPLAY_LOGIN"

static enum pu_support replay_support(const struct pu_options *o, enum pu_op op)
{
	switch (op) {
	case PU_OP_ACCT_MGMT:
		/* commits this login's pending entry, for services that open
		 * no session; it has no say in the account decision */
		return o->replay.window > 0 &&
		       o->replay.commit == PU_COMMIT_SESSION ?
		       PU_IMPLEMENTED : PU_STUB_IGNORE;
	case PU_OP_CLOSE_SESSION:
		return PU_STUB_IGNORE;
	default:
		return PU_IMPLEMENTED;
	}
}

static void free_data(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	free(data);
}

/* this login's id: with the handle, and in the PAM environment */
static enum pu_status keep_login(struct pu_call *c,
				 const unsigned char id[PU_ID_LEN])
{
	char env[sizeof(LOGIN_ENV) + 2 * PU_ID_LEN + 1];
	char *hex = malloc(2 * PU_ID_LEN + 1);

	if (hex == NULL)
		return pu_fail(&c->err, PU_NOMEM, "out of memory");
	pu_hex_encode(id, PU_ID_LEN, hex);
	snprintf(env, sizeof(env), "%s=%s", LOGIN_ENV, hex);
	if (pam_set_data(c->pamh, LOGIN_DATA, hex, free_data) != PAM_SUCCESS) {
		free(hex);
		return pu_fail(&c->err, PU_NOMEM, "pam_set_data failed");
	}
	if (pam_putenv(c->pamh, env) != PAM_SUCCESS)
		return pu_fail(&c->err, PU_NOMEM, "pam_putenv failed");
	return PU_OK;
}

/* the id authenticate kept, if this login authenticated here */
static bool find_login(struct pu_call *c, unsigned char id[PU_ID_LEN])
{
	const void *data = NULL;
	const char *hex = NULL;

	if (pam_get_data(c->pamh, LOGIN_DATA, &data) == PAM_SUCCESS && data)
		hex = data;
	else
		hex = pam_getenv(c->pamh, LOGIN_ENV);
	return hex != NULL && pu_hex_decode(hex, strlen(hex), id, PU_ID_LEN);
}

static void forget_login(struct pu_call *c)
{
	pam_set_data(c->pamh, LOGIN_DATA, NULL, NULL);
	/* "NAME" without '=' removes it: it never reaches the session */
	if (pam_getenv(c->pamh, LOGIN_ENV) != NULL)
		pam_putenv(c->pamh, LOGIN_ENV);
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
	const void *stacked = NULL;
	struct pu_replay_ctx x;
	unsigned char mac[PU_MAC_LEN], id[PU_ID_LEN];
	bool auth = o->commit == PU_COMMIT_AUTH, replayed = false;
	char *key = NULL;
	enum pu_status st;

	if (o->window == 0)
		return PU_IGNORE;
	/* commit=auth records at once: only behind the credential line,
	 * which asked for the password before this line runs */
	if (auth && (pam_get_item(c->pamh, PAM_AUTHTOK, &stacked) != PAM_SUCCESS ||
		     stacked == NULL))
		return pu_fail(&c->err, PU_CONFIG,
			       "commit=auth needs the replay line after a requisite "
			       "credential line (it would record mistyped passwords)");
	if (!auth && RAND_bytes(id, sizeof(id)) != 1)
		return pu_fail(&c->err, PU_UNAVAIL, "RAND_bytes failed");
	st = prepare(c, &x, &key, mac);
	if (st == PU_OK)
		st = x.store->login(&x, c->user, mac, (long long)time(NULL),
				    auth ? NULL : id, &replayed, &c->err);
	pu_secret_free(key);
	explicit_bzero(mac, sizeof(mac));
	if (st == PU_OK && !auth && !replayed)
		st = keep_login(c, id);
	if (st != PU_OK)
		return st;
	if (replayed) {
		pu_tell(c, PAM_ERROR_MSG,
			"This password was used recently. Use another one.");
		return pu_fail(&c->err, PU_DENIED,
			       "password among the last %ld used or in use by "
			       "another login", o->window);
	}
	pu_debug(c, "replay: not among the last %ld, %s", o->window,
		 auth ? "recorded" : "pending for this login");
	return PU_IGNORE;
}

/* account or open_session: this login's pending entry becomes history.
 * The key is read first in any case, so that a broken configuration is
 * reported there too; the store is asked only when there is a login to
 * commit.  With nothing to commit, open_session succeeds (a public-key
 * login opens its session) and acct_mgmt has no say. */
static enum pu_status replay_commit(struct pu_call *c)
{
	const struct pu_replay_opts *o = &c->opts->replay;
	enum pu_status done = c->op == PU_OP_ACCT_MGMT ? PU_IGNORE : PU_OK;
	struct pu_replay_ctx x;
	unsigned char id[PU_ID_LEN];
	char *key = NULL;
	size_t klen = 0;
	bool committed = false;
	enum pu_status st;

	if (o->window == 0 || o->commit == PU_COMMIT_AUTH)
		return PU_IGNORE;
	if (!find_login(c, id)) {
		st = pu_replay_key(o->key_file, &key, &klen, &c->err);
		pu_secret_free(key);
		if (st == PU_OK)
			pu_debug(c, "replay: no pending login of this handle");
		return st == PU_OK ? done : st;
	}
	st = open_ctx(c, &x, &key);
	if (st == PU_OK)
		st = x.store->commit(&x, c->user, id, (long long)time(NULL),
				     &committed, &c->err);
	pu_secret_free(key);
	if (st != PU_OK)
		return st;
	forget_login(c);
	pu_debug(c, "replay: this login %s", committed ? "committed" :
		 "had expired (pending_ttl)");
	return done;
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

static enum pu_status replay_op(struct pu_call *c)
{
	switch (c->op) {
	case PU_OP_AUTHENTICATE:
		return replay_authenticate(c);
	case PU_OP_SETCRED:
		return PU_OK;
	case PU_OP_ACCT_MGMT:
	case PU_OP_OPEN_SESSION:
		return replay_commit(c);
	case PU_OP_CHAUTHTOK:
		return replay_chauthtok(c);
	default:
		return pu_fail(&c->err, PU_CONFIG, "unsupported operation");
	}
}

static enum pu_status replay_run(struct pu_call *c)
{
	enum pu_status st = replay_op(c);

	if (c->opts->replay.store == PU_STORE_REDIS)
		pu_redis_handle_outage(c, &c->opts->conn, st);
	return st;
}

const struct pu_backend pu_backend_replay = {
	.name = "replay",
	.support = replay_support,
	.run = replay_run,
};
