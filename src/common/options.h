/*
 * Options: one struct per call, built from defaults, then the libconfig
 * file (top level, then services.<PAM_SERVICE>), then module arguments.
 * Both sources go through pu_options_set(), so a key means the same in
 * both.  No pam_handle_t here: unifiedctl and the unit tests link it.
 */
#ifndef PU_OPTIONS_H
#define PU_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "status.h"

#define PU_DEFAULT_CONFIG "/etc/security/pam_unified.conf"
#define PU_PATH_LEN 4096
#define PU_SUN_PATH_LEN sizeof(((struct sockaddr_un *)0)->sun_path)

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

	/* socket backend */
	char socket_path[PU_SUN_PATH_LEN];
	enum pu_protocol protocol;
	long peer_uid;

	/* redis backend */
	char redis[1024];            /* URI list, tried in order */
	char sentinel[1024];         /* host:port list */
	char sentinel_master[128];
	char redis_user[128];
	char redis_password_file[PU_PATH_LEN];
	long redis_db;
	enum pu_redis_auth redis_auth;
	char prefix[64];
	long deny;                   /* 0: no lockout */
	long fail_interval;          /* seconds */
	long unlock_time;            /* seconds; 0: until reset */
	long max_age;                /* days; 0: never */
	long warn_age;               /* days */
	long minlen;
	enum pu_hash hash;

	/* replay backend */
	long window;                 /* last N distinct login passwords */
	long remember;               /* last N set passwords */
	enum pu_commit commit;
	long pending_ttl;            /* seconds */
	char key_file[PU_PATH_LEN];
	enum pu_store store;
	char dir[PU_PATH_LEN];
};

#define PU_DEFAULT_KEY_FILE "/etc/security/pam_unified.key"
#define PU_DEFAULT_REPLAY_DIR "/var/lib/pam_unified/replay"

void pu_options_defaults(struct pu_options *o);

/* The one setter.  value == NULL is a bare word ("debug"). */
enum pu_status pu_options_set(struct pu_options *o, enum pu_source src,
			      const char *key, const char *value,
			      struct pu_err *err);

/* Reads a libconfig file into o: top-level settings, then the group
 * services.<service> when service is not NULL. */
enum pu_status pu_options_load_file(struct pu_options *o, const char *path,
				    bool explicit_path, const char *service,
				    struct pu_err *err);

/* Everything, in order: defaults, file, per-service, argv, validation. */
enum pu_status pu_options_build(struct pu_options *o, int argc,
				const char **argv, const char *service,
				struct pu_err *err);

/* Cross-option checks once every source has been applied. */
enum pu_status pu_options_validate(const struct pu_options *o,
				   struct pu_err *err);

const char *pu_backend_name(enum pu_backend_id id);

/* Name of the i-th known option, NULL past the end (tests, unifiedctl). */
const char *pu_option_name(size_t i);

#endif
