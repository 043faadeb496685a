/*
 * The Redis user store (SPEC 7).  Keys, with prefix= (default "pam:"):
 *
 *   pam:user:{alice}      hash: password (crypt string), disabled (1),
 *                         expires (unix s), must_change (1), changed (unix s),
 *                         max_age, warn_age (days; override the options)
 *   pam:fail:{alice}      sorted set of recent failure times (lockout)
 *   pam:sessions:{alice}  hash: session id -> "service=.. tty=.. rhost=..
 *                         host=.. pid=.. start=.."
 *   pam:events            stream, XADD MAXLEN ~ 10000
 *
 * The {user} hash tag keeps one user's keys on one Cluster slot.  Every
 * command is argv-form; user data never becomes a command string.
 */
#ifndef PU_USERSTORE_H
#define PU_USERSTORE_H

#include <stdbool.h>
#include <time.h>

#include "common/hash.h"
#include "common/redis_client.h"

#define PU_KEY_MAX 1400

struct pu_user {
	bool exists;
	bool has_password;
	char password[PU_HASH_MAX];
	bool disabled;
	bool must_change;
	long long expires;   /* 0: never */
	long long changed;   /* 0: unknown */
	long max_age;        /* days, -1: not set in the record */
	long warn_age;
};

struct pu_lock {
	int count;           /* failures kept (at most deny) */
	long long latest;    /* newest failure */
	long long oldest;    /* oldest of those kept */
};

/* User record and lockout state in one round trip. */
enum pu_status pu_store_fetch(struct pu_redis *r, const struct pu_options *o,
			      const struct pu_deadline *dl, const char *user,
			      struct pu_user *u, struct pu_lock *lock,
			      struct pu_err *err);

/* pam_faillock's rule: deny failures within fail_interval of the latest
 * lock the account until latest + unlock_time (0: until reset). */
bool pu_lock_active(const struct pu_options *o, const struct pu_lock *lock,
		    long long now, long long *unlock_at);

enum pu_status pu_store_record_failure(struct pu_redis *r,
				       const struct pu_options *o,
				       const struct pu_deadline *dl,
				       const char *user, long long now,
				       const char *service, const char *rhost,
				       struct pu_err *err);

/* One command, no reply awaited beyond its status: DEL fail key. */
enum pu_status pu_store_clear_failures(struct pu_redis *r,
				       const struct pu_options *o,
				       const struct pu_deadline *dl,
				       const char *user, struct pu_err *err);

/* Session id from PAM items and the host name, so that another process
 * can close what this one opened. */
void pu_session_id(char *buf, size_t size, const char *host,
		   const char *service, const char *tty, const char *rhost);

enum pu_status pu_store_session(struct pu_redis *r, const struct pu_options *o,
				const struct pu_deadline *dl, bool open,
				const char *user, const char *service,
				const char *tty, const char *rhost,
				struct pu_err *err);

/* Compare-and-set: writes new_hash only if the stored hash is still
 * old_hash (Lua, atomic).  PU_DENIED when someone else changed it. */
enum pu_status pu_store_set_password(struct pu_redis *r,
				     const struct pu_options *o,
				     const struct pu_deadline *dl,
				     const char *user, const char *old_hash,
				     const char *new_hash, long long now,
				     struct pu_err *err);

#endif
