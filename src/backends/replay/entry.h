/*
 * Replay entries and the rules of their lists (pure: no I/O).
 *
 * Per user, three lists of entries, newest first:
 *   history  the last distinct passwords of successful logins (window=)
 *   pending  logins in flight (commit=session): each belongs to one login,
 *            named by a random id, and only that login's own commit (its
 *            account or session step) turns it into history, so a failed
 *            login's password never becomes used
 *   pwhist   the last passwords set by chauthtok (remember=)
 * An entry is HMAC-SHA256(key, user || 0x00 || password) and a time; no
 * password, and no unkeyed hash of one, is ever stored.  Where the lists
 * live is the stores' business (store.h).
 */
#ifndef PU_REPLAY_ENTRY_H
#define PU_REPLAY_ENTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/options.h"
#include "common/status.h"

#define PU_MAC_LEN 32
#define PU_ID_LEN 16             /* a login's id, random */
#define PU_REPLAY_MAX 1024
#define PU_PENDING_MAX 64        /* in-flight logins of one user */
#define PU_KEY_MIN 32

enum pu_rlist { PU_RL_HISTORY = 1, PU_RL_PENDING = 2, PU_RL_PWHIST = 3 };

struct pu_rentry {
	unsigned char mac[PU_MAC_LEN];
	long long t;     /* history/pwhist: when; pending: expiry */
	unsigned char id[PU_ID_LEN];   /* pending: the login's id */
};

struct pu_rlist_data {
	struct pu_rentry e[PU_REPLAY_MAX];
	size_t n;
};

struct pu_replay_data {
	struct pu_rlist_data hist, pend, pw;
};

/* Reads and checks key_file (root, 0400/0600, >= 32 bytes). */
enum pu_status pu_replay_key(const char *path, char **key, size_t *len,
			     struct pu_err *err);

/* false only if libcrypto failed (then mac holds no usable value) */
bool pu_replay_mac(const unsigned char *key, size_t keylen, const char *user,
		   const char *password, unsigned char mac[PU_MAC_LEN]);

/* Is mac among the first `limit` entries of list (constant time)? */
bool pu_rlist_has(const struct pu_rlist_data *l, size_t limit,
		  const unsigned char mac[PU_MAC_LEN]);
/* Moves or inserts mac at the front, keeps at most `keep` entries. */
void pu_rlist_push(struct pu_rlist_data *l, const unsigned char *mac,
		   long long t, size_t keep);
/* Drops entries whose time is not after now (expired pending logins). */
void pu_rlist_drop_expired(struct pu_rlist_data *l, long long now);

/* Is mac the entry of an unexpired pending login? */
bool pu_rlist_pending(const struct pu_rlist_data *l,
		      const unsigned char mac[PU_MAC_LEN], long long now);

/* The operations as rules on a user's lists; each returns whether d
 * changed (the file store writes it back only then). */

/* Refused (*replayed) when mac is among the last window or pending for a
 * login in flight; otherwise history (id NULL: commit=auth) or pending
 * for the login id (commit=session). */
bool pu_replay_apply_login(struct pu_replay_data *d,
			   const struct pu_replay_opts *o,
			   const unsigned char mac[PU_MAC_LEN], long long now,
			   const unsigned char *id, bool *replayed);
/* The pending entry of login id (if unexpired) becomes history. */
bool pu_replay_apply_commit(struct pu_replay_data *d,
			    const struct pu_replay_opts *o,
			    const unsigned char id[PU_ID_LEN], long long now,
			    bool *committed);
bool pu_replay_apply_pwhist(struct pu_replay_data *d,
			    const struct pu_replay_opts *o,
			    const unsigned char mac[PU_MAC_LEN], long long now,
			    bool record, bool *used);

#endif
