/*
 * Where a user's replay lists live, behind one table of operations
 * (hiredis's transport table): the context picks the store once, and
 * nothing above it asks which one it is.  Each operation is atomic in its
 * store.
 *
 * store=file (store_file.c): DIR must be root's and closed to group and
 * others.  A user's history and password history: DIR/<sha256(user) hex>,
 * written only for users whose login was committed or who changed a
 * password, under flock(DIR/<..>.lock), by write-temp, fsync, rename,
 * fsync(DIR).  Layout:
 *   "PUREPLAY2\n" | records of 41 bytes: kind (1: history, 3: password
 *   history) | time (8, big endian) | mac (32)
 *   | HMAC-SHA256(key, user || 0x00 || all before) (32)
 * The logins in flight of every user: DIR/.pending (at most
 * PU_PENDING_FILE_MAX records, the earliest to expire dropped first),
 * under flock(DIR/.pending.lock):
 *   "PUPENDING1\n" | records of 88 bytes: sha256(user) (32) | login id
 *   (16) | expiry (8, big endian) | mac (32)
 *   | HMAC-SHA256(key, "pending" || 0x00 || all before) (32)
 * So names that never authenticate leave nothing but bounded, expiring
 * records.  A file of any other shape, or whose trailer does not verify
 * (for this user), is corrupt: an error, never "empty history".
 *
 * store=redis (store_redis.c): PREFIX replayhist:{user} (sorted set, hex
 * MAC scored by when it was used, in microseconds: an O(log n) check at
 * any window, and times), PREFIX replayinflight:{user} (hash, login id ->
 * mac ":" expiry; the key expires after pending_ttl), PREFIX
 * pwhistory:{user} (sorted set, as the history), updated by Lua scripts.
 * The lists of earlier versions (replay:, replayset:, pwhist:) are folded
 * in on first use.
 */
#ifndef PU_REPLAY_STORE_H
#define PU_REPLAY_STORE_H

#include "backends/replay/entry.h"
#include "common/deadline.h"
#include "common/redis_client.h"

struct pu_replay_store;

struct pu_replay_ctx {
	const struct pu_replay_opts *o;
	const char *prefix;                 /* store=redis key prefix */
	const unsigned char *key;
	size_t keylen;
	struct pu_redis *redis;             /* store=redis */
	const struct pu_deadline *dl;
	const struct pu_replay_store *store;
};

struct pu_replay_store {
	const char *name;
	/* refused (*replayed) if among the last window or pending for a
	 * login in flight; else recorded as history (id NULL: commit=auth)
	 * or as the pending entry of login id (commit=session) */
	enum pu_status (*login)(const struct pu_replay_ctx *c, const char *user,
				const unsigned char mac[PU_MAC_LEN],
				long long now, const unsigned char *id,
				bool *replayed, struct pu_err *err);
	/* login id's pending entry, if unexpired, becomes history */
	enum pu_status (*commit)(const struct pu_replay_ctx *c,
				 const char *user,
				 const unsigned char id[PU_ID_LEN], long long now,
				 bool *committed, struct pu_err *err);
	/* *used if among the last remember set; recorded when record */
	enum pu_status (*pwhist)(const struct pu_replay_ctx *c, const char *user,
				 const unsigned char mac[PU_MAC_LEN],
				 long long now, bool record, bool *used,
				 struct pu_err *err);
	/* unifiedctl */
	enum pu_status (*load)(const struct pu_replay_ctx *c, const char *user,
			       struct pu_replay_data *d, struct pu_err *err);
	enum pu_status (*clear)(const struct pu_replay_ctx *c, const char *user,
				struct pu_err *err);
};

extern const struct pu_replay_store pu_replay_store_file;
extern const struct pu_replay_store pu_replay_store_redis;

static inline const struct pu_replay_store *
pu_replay_store_for(enum pu_store s)
{
	return s == PU_STORE_REDIS ? &pu_replay_store_redis : &pu_replay_store_file;
}

/* store=file's format, pure (tests and fuzzing): the whole file, trailer
 * checked under key for user; and the records alone, below that check. */
enum pu_status pu_replay_file_parse(const unsigned char *key, size_t keylen,
				    const char *user, const unsigned char *buf,
				    size_t len, struct pu_replay_data *d,
				    struct pu_err *err);
enum pu_status pu_replay_file_parse_records(const unsigned char *buf,
					    size_t len, struct pu_replay_data *d,
					    struct pu_err *err);
/* Serialises d (with its trailer) into a malloc'd buffer. */
enum pu_status pu_replay_file_serialise(const unsigned char *key, size_t keylen,
					const char *user,
					const struct pu_replay_data *d,
					unsigned char **buf, size_t *len,
					struct pu_err *err);
/* store=file: DIR/<sha256(user) hex> */
void pu_replay_file_name(const char *user, char hex[65]);

/* store=file's pending file, pure (tests and fuzzing). */
#define PU_PENDING_FILE_MAX 1024
struct pu_pending_rec {
	unsigned char user[32];          /* sha256 of the user name */
	unsigned char id[PU_ID_LEN];
	long long expiry;
	unsigned char mac[PU_MAC_LEN];
};
struct pu_pending_file {
	struct pu_pending_rec r[PU_PENDING_FILE_MAX];
	size_t n;
};
enum pu_status pu_pending_parse(const unsigned char *key, size_t keylen,
				const unsigned char *buf, size_t len,
				struct pu_pending_file *p, struct pu_err *err);
enum pu_status pu_pending_parse_records(const unsigned char *buf, size_t len,
					struct pu_pending_file *p,
					struct pu_err *err);
enum pu_status pu_pending_serialise(const unsigned char *key, size_t keylen,
				    const struct pu_pending_file *p,
				    unsigned char **buf, size_t *len,
				    struct pu_err *err);

#endif
