/*
 * Replay store: per user, three lists of entries, newest first.
 *   history  the last distinct passwords of successful logins (window=)
 *   pending  logins authenticated but not yet given a session (commit=session)
 *   pwhist   the last passwords set by chauthtok (remember=)
 * An entry is HMAC-SHA256(key, user || 0x00 || password) and a time; no
 * password, and no unkeyed hash of one, is ever stored.
 *
 * store=file: DIR/<sha256(user) hex>, updated under flock(DIR/<..>.lock)
 * by write-temp, fsync, rename, fsync(DIR).  Layout:
 *   "PUREPLAY1\n" | records of 41 bytes: kind (1) | time (8, big endian)
 *   | mac (32) | HMAC-SHA256(key, all before) (32)
 * A file of any other shape, or whose trailer does not verify, is corrupt:
 * an error, never "empty history".
 *
 * store=redis: PREFIX replay:{user} (list, history, newest first), PREFIX
 * replayset:{user} (set, the same members: an O(1) check at any window),
 * PREFIX replaypending:{user} (sorted set, score = expiry), PREFIX
 * pwhist:{user} (list), hex MACs, updated by Lua scripts (atomic).
 */
#ifndef PU_REPLAY_H
#define PU_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/deadline.h"
#include "common/options.h"
#include "common/redis_client.h"
#include "common/status.h"

#define PU_MAC_LEN 32
#define PU_REPLAY_MAX 1024
#define PU_KEY_MIN 32

enum pu_rlist { PU_RL_HISTORY = 1, PU_RL_PENDING = 2, PU_RL_PWHIST = 3 };

struct pu_rentry {
	unsigned char mac[PU_MAC_LEN];
	long long t;     /* history/pwhist: when; pending: expiry */
};

struct pu_rlist_data {
	struct pu_rentry e[PU_REPLAY_MAX];
	size_t n;
};

struct pu_replay_data {
	struct pu_rlist_data hist, pend, pw;
};

struct pu_replay_ctx {
	const struct pu_options *o;
	const unsigned char *key;
	size_t keylen;
	struct pu_redis *redis;            /* store=redis */
	const struct pu_deadline *dl;
};

/* Reads and checks key_file (root, 0400/0600, >= 32 bytes). */
enum pu_status pu_replay_key(const char *path, char **key, size_t *len,
			     struct pu_err *err);

/* false only if libcrypto failed (then mac holds no usable value) */
bool pu_replay_mac(const struct pu_replay_ctx *c, const char *user,
		   const char *password, unsigned char mac[PU_MAC_LEN]);

/* Is mac among the first `limit` entries of list (constant time)? */
bool pu_rlist_has(const struct pu_rlist_data *l, size_t limit,
		  const unsigned char mac[PU_MAC_LEN]);
/* Moves or inserts mac at the front, keeps at most `keep` entries. */
void pu_rlist_push(struct pu_rlist_data *l, const unsigned char *mac,
		   long long t, size_t keep);

/* Operations; each is atomic in its store. */
enum pu_status pu_replay_login(const struct pu_replay_ctx *c, const char *user,
			       const unsigned char mac[PU_MAC_LEN], long long now,
			       bool *replayed, struct pu_err *err);
enum pu_status pu_replay_promote(const struct pu_replay_ctx *c,
				 const char *user, long long now,
				 size_t *promoted, struct pu_err *err);
enum pu_status pu_replay_pwhist(const struct pu_replay_ctx *c, const char *user,
				const unsigned char mac[PU_MAC_LEN], long long now,
				bool record, bool *used, struct pu_err *err);

/* unifiedctl */
enum pu_status pu_replay_load(const struct pu_replay_ctx *c, const char *user,
			      struct pu_replay_data *d, struct pu_err *err);
enum pu_status pu_replay_clear(const struct pu_replay_ctx *c, const char *user,
			       struct pu_err *err);

/* store=file: DIR/<sha256(user) hex> */
void pu_replay_file_name(const char *user, char hex[65]);

#endif
