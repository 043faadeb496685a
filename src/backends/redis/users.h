/*
 * The Redis user store (SPEC 7).  Keys, with prefix= (default "pam:"):
 *
 *   pam:user:{alice}      hash: password (crypt string), disabled (1),
 *                         expires (unix s), must_change (1), changed (unix s),
 *                         max_age, warn_age (days; override the options)
 *   pam:fail:{alice}      sorted set of recent failure times (lockout);
 *                         also kept, expiring, for names that do not exist
 *   pam:sessions:{alice}  hash: session id -> "service=.. tty=.. rhost=..
 *                         host=.. pid=.. start=.."
 *   pam:events            stream, XADD MAXLEN ~ 10000
 *   pam:dummy             string: the setting of a real user's hash (the
 *                         cost of the work done for unknown users)
 *
 * The {user} hash tag keeps one user's keys on one Cluster slot.  Every
 * command is argv-form; user data never becomes a command string.  The
 * store never sees a pam_handle_t: the module and unifiedctl both use it.
 */
#ifndef PU_USERS_H
#define PU_USERS_H

#include <stdbool.h>
#include <time.h>

#include "backends/redis/lockout.h"
#include "common/hash.h"
#include "common/redis_client.h"

#define PU_KEY_MAX 1400

/* PREFIX KIND ":{" USER "}".  false when it does not fit. */
bool pu_users_key(char *buf, size_t size, const char *prefix,
		  const char *kind, const char *user);

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

/* Where a login came from, for the audit stream. */
struct pu_origin {
	const char *service;
	const char *rhost;
};

/* The fields HMGET asks for, in the order pu_users_parse_record reads. */
#define PU_USER_FIELDS 7
extern const char *const pu_user_fields[PU_USER_FIELDS];

/* Pure decoders (no I/O): the HMGET reply of pu_user_fields, and a
 * ZREVRANGE ... WITHSCORES reply of failure times.  Every field is read
 * strictly: a value the module cannot read is an error (fail closed). */
enum pu_status pu_users_parse_record(const redisReply *rep, struct pu_user *u,
				     struct pu_err *err);
enum pu_status pu_users_parse_failures(const redisReply *rep,
				       struct pu_failures *f,
				       struct pu_err *err);

/*
 * A login's check, in two round trips around the hashing.
 *
 * pu_users_auth_begin reads the record and the failures and, in the same
 * Lua script, applies the lockout rule and counts this attempt as a
 * failure before the password is checked (count first, clear on
 * success): however many attempts run at once, at most `deny` of them get
 * to check a password in one lock period.  Names that do not exist are
 * counted the same way (their records expire), so that a lockout looks
 * the same for them.  It also returns the store's dummy setting (PREFIX
 * "dummy"): the setting of a real user's hash, so that the work spent on
 * an unknown user costs what a real check costs.
 *
 * pu_users_auth_end records the outcome: a good password clears the
 * failures (and keeps its hash's setting as the dummy when it differs);
 * anything else leaves the counted attempt and adds an audit event.
 */
struct pu_auth_begin {
	struct pu_user u;
	struct pu_failures f;          /* before this attempt */
	bool locked;                   /* refused by the rule: not counted */
	bool counted;                  /* this attempt was counted */
	char dummy[PU_HASH_MAX];       /* a setting, "" when the store has none */
};

enum pu_auth_outcome {
	PU_AUTH_GOOD,
	PU_AUTH_BAD,
	PU_AUTH_LOCKED,
	PU_AUTH_UNKNOWN,
};

enum pu_status pu_users_auth_begin(struct pu_redis *r,
				   const struct pu_deadline *dl,
				   const char *prefix,
				   const struct pu_lockout *lock,
				   const char *user, long long now,
				   struct pu_auth_begin *out,
				   struct pu_err *err);

/* Pure decoder of pu_users_auth_begin's reply. */
enum pu_status pu_users_parse_begin(const redisReply *rep,
				    struct pu_auth_begin *out,
				    struct pu_err *err);

/* setting: for PU_AUTH_GOOD, the setting of the user's hash, written as
 * the store's dummy when it differs from the one begin returned (NULL:
 * leave it). */
enum pu_status pu_users_auth_end(struct pu_redis *r,
				 const struct pu_deadline *dl,
				 const char *prefix, const char *user,
				 enum pu_auth_outcome outcome,
				 const struct pu_auth_begin *begin,
				 const char *setting, const struct pu_origin *from,
				 struct pu_err *err);

/* User record and, when lock is not NULL, its failures: one round trip. */
enum pu_status pu_users_fetch(struct pu_redis *r, const struct pu_deadline *dl,
			      const char *prefix, const struct pu_lockout *lock,
			      const char *user, struct pu_user *u,
			      struct pu_failures *f, struct pu_err *err);

enum pu_status pu_users_clear_failures(struct pu_redis *r,
				       const struct pu_deadline *dl,
				       const char *prefix, const char *user,
				       struct pu_err *err);

/*
 * Sessions: every PAM session has its own random id, made at open and
 * kept with the handle for close, so that N concurrent sessions of one
 * user (under sshd every tty is "ssh") are N records and closing one
 * removes exactly that one.  The record holds what is needed to find
 * sessions that can no longer close (host rebooted, process killed):
 *   "service=.. tty=.. rhost=.. ruser=.. host=.. pid=.. start=.."
 * each value percent-encoded (%XX for controls, space, '%', '=' and
 * bytes above 0x7e), so that no value can forge another field.
 */
#define PU_SESSION_ID_LEN 32           /* hex characters */

struct pu_session {
	const char *id;
	const char *service;
	const char *tty;
	const char *rhost;
	const char *ruser;
};

enum pu_status pu_users_session_open(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     const char *prefix, const char *user,
				     const struct pu_session *s, long long now,
				     struct pu_err *err);
/* *existed: a record with that id was there (NULL: not asked). */
enum pu_status pu_users_session_close(struct pu_redis *r,
				      const struct pu_deadline *dl,
				      const char *prefix, const char *user,
				      const struct pu_session *s, bool *existed,
				      struct pu_err *err);

/* Removes one session record by id (unifiedctl sessions prune). */
enum pu_status pu_users_session_remove(struct pu_redis *r,
				       const struct pu_deadline *dl,
				       const char *prefix, const char *user,
				       const char *id, struct pu_err *err);

/* One field of a session record, decoded ("" when absent). */
bool pu_session_field(const char *record, const char *name, char *out,
		      size_t size);

/* How pu_users_set_password decides, atomically (one Lua script). */
enum pu_pw_mode {
	PU_PW_CAS,       /* only if the stored hash is still `expected` */
	PU_PW_EXISTING,  /* only if the user exists (unifiedctl user passwd) */
	PU_PW_CREATE,    /* only if the user does not exist (user add) */
	PU_PW_REHASH,    /* as CAS, but the same password: changed and
			  * must_change stay */
};

/* Writes new_hash, sets changed, clears must_change.  A refused condition
 * is PU_DENIED (CAS: changed meanwhile; CREATE: exists) or
 * PU_USER_UNKNOWN (EXISTING: no such user). */
enum pu_status pu_users_set_password(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     const char *prefix, const char *user,
				     enum pu_pw_mode mode, const char *expected,
				     const char *new_hash, long long now,
				     struct pu_err *err);

/* ---- administration (unifiedctl): the same keys, the same rules ---- */

/* Sets (value) or removes (NULL) one field of an existing user's record,
 * atomically; PU_USER_UNKNOWN when there is no such user. */
enum pu_status pu_users_set_field(struct pu_redis *r,
				  const struct pu_deadline *dl,
				  const char *prefix, const char *user,
				  const char *field, const char *value,
				  struct pu_err *err);

/* Deletes the record, failures and sessions; PU_USER_UNKNOWN when there
 * was no record. */
enum pu_status pu_users_delete(struct pu_redis *r, const struct pu_deadline *dl,
			       const char *prefix, const char *user,
			       struct pu_err *err);

/* Calls fn with each user name that has a KIND key ("user", "fail",
 * "sessions"), SCANning page by page; each page gets its own deadline of
 * page_ms.  fn returns false to stop. */
typedef bool (*pu_users_name_fn)(const char *name, size_t len, void *arg);
enum pu_status pu_users_scan(struct pu_redis *r, long page_ms,
			     const char *prefix, const char *kind,
			     pu_users_name_fn fn, void *arg, struct pu_err *err);

/* Up to max failure times, oldest first; *n gets how many. */
enum pu_status pu_users_failure_times(struct pu_redis *r,
				      const struct pu_deadline *dl,
				      const char *prefix, const char *user,
				      long long *times, size_t max, size_t *n,
				      struct pu_err *err);

/* Calls fn with each open session of user (id, record). */
typedef void (*pu_users_session_fn)(const char *id, const char *value,
				    void *arg);
enum pu_status pu_users_sessions(struct pu_redis *r,
				 const struct pu_deadline *dl,
				 const char *prefix, const char *user,
				 pu_users_session_fn fn, void *arg,
				 struct pu_err *err);

/* One audit event: the stream entry's id ("MS-SEQ") and its fields. */
#define PU_EVENT_FIELDS 8
struct pu_event {
	unsigned long long ms, seq;
	size_t n;
	const char *name[PU_EVENT_FIELDS];
	const char *value[PU_EVENT_FIELDS];
};
typedef void (*pu_users_event_fn)(const char *user, const struct pu_event *e,
				  void *arg);
/* The newest max events of user (PREFIX events:{user}), newest first. */
enum pu_status pu_users_events(struct pu_redis *r, const struct pu_deadline *dl,
			       const char *prefix, const char *user, size_t max,
			       pu_users_event_fn fn, void *arg,
			       struct pu_err *err);

#endif
