/*
 * Options: one struct per call, built from defaults, then the libconfig
 * file (top level, then services.<PAM_SERVICE>), then module arguments.
 * Both sources go through pu_options_set(), so a key means the same in
 * both.  No pam_handle_t here: unifiedctl and the unit tests link it.
 *
 * The options are grouped by the layer that reads them, and each layer is
 * handed only its own group: the Redis client a struct pu_redis_conn, the
 * user store the prefix and a struct pu_lockout, the replay stores a
 * struct pu_replay_opts.  Each group has one validator.
 */
#ifndef PU_OPTIONS_H
#define PU_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "status.h"

#define PU_DEFAULT_CONFIG "/etc/security/pam_unified.conf"
#define PU_DEFAULT_KEY_FILE "/etc/security/pam_unified.key"
#define PU_DEFAULT_REPLAY_DIR "/var/lib/pam_unified/replay"
#define PU_PATH_LEN 4096
#define PU_SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)
#define PU_LIST_LEN 1024
#define PU_PREFIX_LEN 64

enum pu_backend_id {
	PU_BACKEND_NONE = 0,
	PU_BACKEND_SOCKET,
	PU_BACKEND_REDIS,
	PU_BACKEND_REPLAY,
};

enum pu_commit {
	PU_COMMIT_SESSION = 0,  /* pending at auth, history at open_session */
	PU_COMMIT_AUTH,
};

enum pu_store {
	PU_STORE_FILE = 0,
	PU_STORE_REDIS,
};

enum pu_redis_auth {
	PU_RAUTH_PASSWORD = 0,  /* AUTH [user] password */
	PU_RAUTH_HMAC,          /* QuarkDB's HMAC challenge */
};

enum pu_hash {
	PU_HASH_DEFAULT = 0,  /* libxcrypt's preferred method */
	PU_HASH_YESCRYPT,
	PU_HASH_SHA512,
	PU_HASH_BCRYPT,
};

enum pu_protocol {
	PU_PROTO_REDIRECTOR = 0,
	PU_PROTO_V1,
};

enum pu_unsupported {
	PU_UNSUP_DEFAULT = 0, /* each stub as SPEC section 4 gives it */
	PU_UNSUP_IGNORE,
	PU_UNSUP_ERROR,
};

enum pu_source {
	PU_SRC_ARGV,
	PU_SRC_FILE,
};

/* socket backend */
struct pu_socket_opts {
	char path[PU_SUN_PATH_LEN];
	enum pu_protocol protocol;
	long peer_uid;
};

/* Everything that selects a Redis connection: two equal structs may share
 * one (pu_redis_conn_same). */
struct pu_redis_conn {
	char redis[PU_LIST_LEN];      /* URI list, tried in order */
	char sentinel[PU_LIST_LEN];   /* host:port list */
	char cluster[PU_LIST_LEN];    /* seed nodes of a Redis Cluster */
	char sentinel_master[128];
	char sentinel_user[128];
	char sentinel_password_file[PU_PATH_LEN];
	char user[128];               /* redis_user= (ACL) */
	char password_file[PU_PATH_LEN];
	long db;
	enum pu_redis_auth auth;
	/* rediss:// (TLS): verification is always on */
	char tls_ca[PU_PATH_LEN];     /* file or directory; "" = system */
	char tls_cert[PU_PATH_LEN];
	char tls_key[PU_PATH_LEN];
	char tls_server_name[256];
	bool tls_resume;              /* session tickets (default on) */
	/* who may own a unix: socket and run the server behind it, besides
	 * root: a user name or uid; "" means the system user "redis" when it
	 * exists */
	char owner[64];
};

/* pam_faillock's knobs; deny == 0 turns the lockout off */
struct pu_lockout {
	long deny;
	long fail_interval;           /* seconds */
	long unlock_time;             /* seconds; 0: until reset */
};

/* what the redis backend applies to a user record and a new password */
struct pu_policy {
	long max_age;                 /* days; 0: never */
	long warn_age;                /* days */
	long minlen;
	enum pu_hash hash;
	bool rehash;                  /* re-hash with hash= at login */
};

/* replay backend */
struct pu_replay_opts {
	long window;                  /* last N distinct login passwords */
	long remember;                /* last N set passwords */
	enum pu_commit commit;
	long pending_ttl;             /* seconds */
	char key_file[PU_PATH_LEN];
	enum pu_store store;
	char dir[PU_PATH_LEN];
};

struct pu_options {
	enum pu_backend_id backend;
	char config[PU_PATH_LEN];
	bool config_explicit;

	bool debug;
	bool quiet;
	bool silent;            /* PAM_SILENT on this call; not an option */
	bool use_first_pass;
	bool try_first_pass;
	bool use_authtok;
	bool nullok;
	long timeout_ms;
	enum pu_unsupported unsupported;
	bool nodelay;           /* no pam_fail_delay() after a failure */
	char prefix[PU_PREFIX_LEN];   /* Redis key prefix (users, replay) */
	/* which users this line is for, decided locally (see pam/managed.h);
	 * both empty: every user */
	char managed_group[64];
	char managed_uid[32];         /* MIN-MAX */

	struct pu_socket_opts socket;
	struct pu_redis_conn conn;
	struct pu_lockout lock;
	struct pu_policy policy;
	struct pu_replay_opts replay;
};

void pu_options_defaults(struct pu_options *o);

/* The one setter.  value == NULL is a bare word ("debug"). */
enum pu_status pu_options_set(struct pu_options *o, enum pu_source src,
			      const char *key, const char *value,
			      struct pu_err *err);

/*
 * A parsed configuration file: its settings as the strings a module
 * argument would carry, in file order, each with its line and the service
 * group it came from (NULL: top level).  Parsing does not apply anything,
 * so one parse serves every PAM service and every call of a handle.
 */
struct pu_config;

/* A missing default file (explicit_path false) gives an empty config. */
enum pu_status pu_config_load(const char *path, bool explicit_path,
			      struct pu_config **out, struct pu_err *err);
/* Parses text as the file path would be (tests and fuzzing). */
enum pu_status pu_config_parse(const char *path, const char *text,
			       struct pu_config **out, struct pu_err *err);
void pu_config_free(struct pu_config *cfg);
const char *pu_config_path(const struct pu_config *cfg);

/* Only the managed_*, use_authtok and debug arguments of argv, into o
 * (defaults first): the dispatcher decides whether a user is this line's
 * before it reads the configuration file, so that a broken file or
 * backend never touches the users it does not manage. */
enum pu_status pu_options_managed_argv(struct pu_options *o, int argc,
				       const char **argv, struct pu_err *err);

/* "MIN-MAX" of managed_uid=, checked by the setter. */
bool pu_uid_range(const char *s, unsigned long *min, unsigned long *max);

/* The config= argument of argv, or the default path. */
enum pu_status pu_options_config_path(int argc, const char **argv,
				      char *path, size_t size,
				      bool *explicit_path, struct pu_err *err);

/* defaults, cfg (top level, then services.<service>), argv, validation */
enum pu_status pu_options_build_with(struct pu_options *o,
				     const struct pu_config *cfg, int argc,
				     const char **argv, const char *service,
				     struct pu_err *err);

/* The same, loading the file named by argv (or the default) first. */
enum pu_status pu_options_build(struct pu_options *o, int argc,
				const char **argv, const char *service,
				struct pu_err *err);

/* One validator per group, called wherever that group is used. */
enum pu_status pu_socket_opts_validate(const struct pu_socket_opts *s,
				       struct pu_err *err);
enum pu_status pu_redis_conn_validate(const struct pu_redis_conn *c,
				      struct pu_err *err);
enum pu_status pu_replay_opts_validate(const struct pu_replay_opts *r,
				       const struct pu_redis_conn *c,
				       struct pu_err *err);
/* The groups the backend uses, and the cross-option rules. */
enum pu_status pu_options_validate(const struct pu_options *o,
				   struct pu_err *err);

const char *pu_backend_name(enum pu_backend_id id);

/* Name of the i-th known option, NULL past the end (tests, unifiedctl). */
const char *pu_option_name(size_t i);

#endif
