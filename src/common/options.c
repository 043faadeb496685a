#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum opt_kind { K_BOOL, K_INT, K_PATH, K_ENUM, K_STR };

struct opt_desc {
	const char *name;
	enum opt_kind kind;
	size_t off;
	size_t size;          /* K_PATH: buffer size */
	long min, max;        /* K_INT */
	const char *const *names; /* K_ENUM: index == enum value */
	bool absolute;        /* K_PATH: must start with '/' */
};

static const char *const backend_names[] = { "", "socket", "redis", "replay",
					     NULL };
static const char *const commit_names[] = { "session", "auth", NULL };
static const char *const store_names[] = { "file", "redis", NULL };
static const char *const rauth_names[] = { "password", "hmac", NULL };
static const char *const hash_names[] = { "", "yescrypt", "sha512", "bcrypt",
					  NULL };
static const char *const protocol_names[] = { "redirector", "v1", NULL };
static const char *const unsupported_names[] = { "", "ignore", "error", NULL };

#define OFF(f) offsetof(struct pu_options, f)
#define SZ(f) sizeof(((struct pu_options *)0)->f)

/* Every option the module knows.  "config" is handled apart: it is only
 * valid as a module argument. */
static const struct opt_desc opts_table[] = {
	{ "backend", K_ENUM, OFF(backend), 0, 0, 0, backend_names, false },
	{ "debug", K_BOOL, OFF(debug), 0, 0, 0, NULL, false },
	{ "quiet", K_BOOL, OFF(quiet), 0, 0, 0, NULL, false },
	{ "use_first_pass", K_BOOL, OFF(use_first_pass), 0, 0, 0, NULL, false },
	{ "try_first_pass", K_BOOL, OFF(try_first_pass), 0, 0, 0, NULL, false },
	{ "use_authtok", K_BOOL, OFF(use_authtok), 0, 0, 0, NULL, false },
	{ "nullok", K_BOOL, OFF(nullok), 0, 0, 0, NULL, false },
	{ "timeout", K_INT, OFF(timeout_ms), 0, 1, 600000, NULL, false },
	{ "unsupported", K_ENUM, OFF(unsupported), 0, 0, 0, unsupported_names, false },
	{ "socket", K_PATH, OFF(socket_path), SZ(socket_path), 0, 0, NULL, true },
	{ "protocol", K_ENUM, OFF(protocol), 0, 0, 0, protocol_names, false },
	{ "peer_uid", K_INT, OFF(peer_uid), 0, 0, (long)UINT32_MAX - 1, NULL, false },
	{ "redis", K_STR, OFF(redis), SZ(redis), 0, 0, NULL, false },
	{ "sentinel", K_STR, OFF(sentinel), SZ(sentinel), 0, 0, NULL, false },
	{ "sentinel_master", K_STR, OFF(sentinel_master), SZ(sentinel_master), 0, 0, NULL, false },
	{ "redis_user", K_STR, OFF(redis_user), SZ(redis_user), 0, 0, NULL, false },
	{ "redis_password_file", K_PATH, OFF(redis_password_file), SZ(redis_password_file), 0, 0, NULL, true },
	{ "redis_db", K_INT, OFF(redis_db), 0, 0, 65535, NULL, false },
	{ "redis_auth", K_ENUM, OFF(redis_auth), 0, 0, 0, rauth_names, false },
	{ "prefix", K_STR, OFF(prefix), SZ(prefix), 0, 0, NULL, false },
	{ "deny", K_INT, OFF(deny), 0, 0, 1000, NULL, false },
	{ "fail_interval", K_INT, OFF(fail_interval), 0, 1, 31536000, NULL, false },
	{ "unlock_time", K_INT, OFF(unlock_time), 0, 0, 31536000, NULL, false },
	{ "max_age", K_INT, OFF(max_age), 0, 0, 100000, NULL, false },
	{ "warn_age", K_INT, OFF(warn_age), 0, 0, 100000, NULL, false },
	{ "minlen", K_INT, OFF(minlen), 0, 1, 512, NULL, false },
	{ "hash", K_ENUM, OFF(hash), 0, 0, 0, hash_names, false },
	{ "window", K_INT, OFF(window), 0, 0, 1000, NULL, false },
	{ "remember", K_INT, OFF(remember), 0, 0, 1000, NULL, false },
	{ "commit", K_ENUM, OFF(commit), 0, 0, 0, commit_names, false },
	{ "pending_ttl", K_INT, OFF(pending_ttl), 0, 1, 86400, NULL, false },
	{ "key_file", K_PATH, OFF(key_file), SZ(key_file), 0, 0, NULL, true },
	{ "store", K_ENUM, OFF(store), 0, 0, 0, store_names, false },
	{ "dir", K_PATH, OFF(dir), SZ(dir), 0, 0, NULL, true },
};

const char *pu_option_name(size_t i)
{
	return i < sizeof(opts_table) / sizeof(opts_table[0]) ?
	       opts_table[i].name : NULL;
}

void pu_options_defaults(struct pu_options *o)
{
	memset(o, 0, sizeof(*o));
	o->backend = PU_BACKEND_NONE;
	snprintf(o->config, sizeof(o->config), "%s", PU_DEFAULT_CONFIG);
	o->timeout_ms = 2000;
	o->unsupported = PU_UNSUP_DEFAULT;
	o->protocol = PU_PROTO_REDIRECTOR;
	o->peer_uid = 0;
	snprintf(o->prefix, sizeof(o->prefix), "pam:");
	o->fail_interval = 900;
	o->unlock_time = 600;
	o->warn_age = 7;
	o->minlen = 8;
	o->pending_ttl = 300;
	snprintf(o->key_file, sizeof(o->key_file), "%s", PU_DEFAULT_KEY_FILE);
	snprintf(o->dir, sizeof(o->dir), "%s", PU_DEFAULT_REPLAY_DIR);
}

const char *pu_backend_name(enum pu_backend_id id)
{
	if (id == PU_BACKEND_NONE)
		return "none";
	return backend_names[id];
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	if (v == NULL) {
		*out = true;
		return true;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (v == NULL || *v == '\0' || *v == '+' || *v == ' ')
		return false;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return false;
	*out = n;
	return true;
}

static const struct opt_desc *find_opt(const char *key)
{
	for (size_t i = 0; i < sizeof(opts_table) / sizeof(opts_table[0]); i++)
		if (strcmp(opts_table[i].name, key) == 0)
			return &opts_table[i];
	return NULL;
}

static enum pu_status set_path(char *dst, size_t size, const char *key,
			       const char *value, bool absolute,
			       struct pu_err *err)
{
	size_t len;

	if (value == NULL || *value == '\0')
		return pu_fail(err, PU_CONFIG, "%s= needs a value", key);
	if (absolute && value[0] != '/')
		return pu_fail(err, PU_CONFIG, "%s=%.60s: not an absolute path",
			       key, value);
	len = strlen(value);
	if (len >= size)
		return pu_fail(err, PU_CONFIG, "%s=: path longer than %zu bytes",
			       key, size - 1);
	memcpy(dst, value, len + 1);
	return PU_OK;
}

enum pu_status pu_options_set(struct pu_options *o, enum pu_source src,
			      const char *key, const char *value,
			      struct pu_err *err)
{
	const struct opt_desc *d;
	char *field;

	if (key == NULL || *key == '\0')
		return pu_fail(err, PU_CONFIG, "empty option name");

	if (strcmp(key, "config") == 0) {
		if (src != PU_SRC_ARGV)
			return pu_fail(err, PU_CONFIG,
				       "config= is only valid as a module argument");
		if (set_path(o->config, sizeof(o->config), key, value, true,
			     err) != PU_OK)
			return PU_CONFIG;
		o->config_explicit = true;
		return PU_OK;
	}

	d = find_opt(key);
	if (d == NULL)
		return pu_fail(err, PU_CONFIG, "unknown option \"%.60s\"", key);
	field = (char *)o + d->off;

	switch (d->kind) {
	case K_BOOL: {
		bool b;

		if (!parse_bool(value, &b))
			return pu_fail(err, PU_CONFIG,
				       "%s=%.60s: expected true or false", key,
				       value);
		*(bool *)field = b;
		return PU_OK;
	}
	case K_INT: {
		long n;

		if (!parse_long(value, d->min, d->max, &n))
			return pu_fail(err, PU_CONFIG,
				       "%s=%.60s: expected an integer in %ld..%ld",
				       key, value ? value : "", d->min, d->max);
		*(long *)field = n;
		return PU_OK;
	}
	case K_PATH:
		return set_path(field, d->size, key, value, d->absolute, err);
	case K_STR:
		if (value != NULL && strpbrk(value, " \t\r\n") != NULL)
			return pu_fail(err, PU_CONFIG, "%s=: no white space allowed",
				       key);
		return set_path(field, d->size, key, value, false, err);
	case K_ENUM:
		if (value != NULL && *value != '\0') {
			for (int i = 0; d->names[i] != NULL; i++) {
				if (d->names[i][0] != '\0' &&
				    strcmp(d->names[i], value) == 0) {
					*(int *)field = i;
					return PU_OK;
				}
			}
		}
		return pu_fail(err, PU_CONFIG, "%s=%.60s: unknown value", key,
			       value ? value : "");
	}
	return pu_fail(err, PU_CONFIG, "%s: internal error", key);
}

/* libconfig scalars and lists become the same strings argv would carry. */
static enum pu_status setting_to_string(const config_setting_t *s, char *buf,
					size_t size, struct pu_err *err)
{
	int type = config_setting_type(s);
	int n;

	switch (type) {
	case CONFIG_TYPE_BOOL:
		n = snprintf(buf, size, "%s",
			     config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		n = snprintf(buf, size, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_STRING:
		n = snprintf(buf, size, "%s", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_ARRAY: {
		size_t used = 0;
		int len = config_setting_length(s);

		buf[0] = '\0';
		for (int i = 0; i < len; i++) {
			const config_setting_t *e = config_setting_get_elem(s, i);
			char item[PU_PATH_LEN];

			if (config_setting_is_aggregate(e))
				return pu_fail(err, PU_CONFIG, "nested list");
			if (setting_to_string(e, item, sizeof(item), err) != PU_OK)
				return PU_CONFIG;
			n = snprintf(buf + used, size - used, "%s%s",
				     i ? "," : "", item);
			if (n < 0 || (size_t)n >= size - used)
				return pu_fail(err, PU_CONFIG, "value too long");
			used += (size_t)n;
		}
		return PU_OK;
	}
	default:
		return pu_fail(err, PU_CONFIG, "unsupported value type");
	}
	if (n < 0 || (size_t)n >= size)
		return pu_fail(err, PU_CONFIG, "value too long");
	return PU_OK;
}

static enum pu_status apply_group(struct pu_options *o, const char *path,
				  const config_setting_t *group, bool top,
				  struct pu_err *err)
{
	int len = config_setting_length(group);

	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		const char *name = config_setting_name(s);
		char value[PU_PATH_LEN];
		struct pu_err inner = { PU_OK, "" };

		if (top && name != NULL && strcmp(name, "services") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return pu_fail(err, PU_CONFIG,
					       "%s:%d: services must be a group",
					       path, config_setting_source_line(s));
			continue;
		}
		if (config_setting_type(s) == CONFIG_TYPE_GROUP ||
		    setting_to_string(s, value, sizeof(value), &inner) != PU_OK ||
		    pu_options_set(o, PU_SRC_FILE, name, value, &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "%s:%d: %s", path,
				       config_setting_source_line(s),
				       inner.msg[0] ? inner.msg :
				       "unexpected group");
	}
	return PU_OK;
}

/* Like pam-u2f: no symlinks, a regular file, owned by root (or by whoever
 * runs unifiedctl), not writable by group or others. */
static FILE *open_config(const char *path, bool explicit_path, bool *absent,
			 struct pu_err *err)
{
	struct stat st;
	FILE *fp;
	int fd;

	*absent = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && !explicit_path) {
			*absent = true;
			return NULL;
		}
		pu_fail(err, PU_CONFIG, "%s: %s", path, strerror(e));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		pu_fail(err, PU_CONFIG, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pu_fail(err, PU_CONFIG,
			"%s: must be owned by root and not group/other-writable",
			path);
		close(fd);
		return NULL;
	}
	fp = fdopen(fd, "r");
	if (fp == NULL) {
		pu_fail(err, PU_NOMEM, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

enum pu_status pu_options_load_file(struct pu_options *o, const char *path,
				    bool explicit_path, const char *service,
				    struct pu_err *err)
{
	config_t cfg;
	enum pu_status st = PU_OK;
	const config_setting_t *root;
	bool absent;
	FILE *fp;

	fp = open_config(path, explicit_path, &absent, err);
	if (fp == NULL)
		return absent ? PU_OK : (err ? err->status : PU_CONFIG);

	config_init(&cfg);
	if (config_read(&cfg, fp) != CONFIG_TRUE) {
		st = pu_fail(err, PU_CONFIG, "%s:%d: %s", path,
			     config_error_line(&cfg), config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	st = apply_group(o, path, root, true, err);
	if (st == PU_OK && service != NULL) {
		const config_setting_t *svcs = config_setting_get_member(root,
									 "services");
		const config_setting_t *svc = svcs ?
			config_setting_get_member(svcs, service) : NULL;

		if (svc != NULL) {
			if (config_setting_type(svc) != CONFIG_TYPE_GROUP)
				st = pu_fail(err, PU_CONFIG,
					     "%s:%d: services.%s must be a group",
					     path, config_setting_source_line(svc),
					     service);
			else
				st = apply_group(o, path, svc, false, err);
		}
	}
out:
	config_destroy(&cfg);
	fclose(fp);
	return st;
}

/* "key=value", "key", or a bare absolute path (pam_redirector's form). */
static enum pu_status apply_arg(struct pu_options *o, const char *arg,
				struct pu_err *err)
{
	char key[64];
	const char *eq;
	size_t klen;
	struct pu_err inner = { PU_OK, "" };

	if (arg == NULL || *arg == '\0')
		return pu_fail(err, PU_CONFIG, "empty module argument");
	if (arg[0] == '/') {
		if (set_path(o->socket_path, sizeof(o->socket_path), "socket",
			     arg, true, &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "argument %.60s: %s", arg,
				       inner.msg);
		o->backend = PU_BACKEND_SOCKET;
		o->protocol = PU_PROTO_REDIRECTOR;
		return PU_OK;
	}
	eq = strchr(arg, '=');
	klen = eq ? (size_t)(eq - arg) : strlen(arg);
	if (klen == 0 || klen >= sizeof(key))
		return pu_fail(err, PU_CONFIG, "malformed argument \"%.60s\"",
			       arg);
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (pu_options_set(o, PU_SRC_ARGV, key, eq ? eq + 1 : NULL, &inner) !=
	    PU_OK)
		return pu_fail(err, inner.status, "argument %.60s: %s", key,
			       inner.msg);
	return PU_OK;
}

enum pu_status pu_options_validate(const struct pu_options *o,
				   struct pu_err *err)
{
	switch (o->backend) {
	case PU_BACKEND_NONE:
		return pu_fail(err, PU_CONFIG, "no backend= configured");
	case PU_BACKEND_SOCKET:
		if (o->socket_path[0] == '\0')
			return pu_fail(err, PU_CONFIG,
				       "backend=socket needs socket=PATH");
		break;
	case PU_BACKEND_REDIS:
		if (o->redis[0] == '\0' && o->sentinel[0] == '\0')
			return pu_fail(err, PU_CONFIG,
				       "backend=redis needs redis=URI or sentinel=");
		if (o->redis_auth == PU_RAUTH_HMAC &&
		    o->redis_password_file[0] == '\0')
			return pu_fail(err, PU_CONFIG,
				       "redis_auth=hmac needs redis_password_file=");
		if (o->sentinel[0] != '\0' && o->sentinel_master[0] == '\0')
			return pu_fail(err, PU_CONFIG,
				       "sentinel= needs sentinel_master=NAME");
		break;
	case PU_BACKEND_REPLAY:
		if (o->store == PU_STORE_REDIS && o->redis[0] == '\0' &&
		    o->sentinel[0] == '\0')
			return pu_fail(err, PU_CONFIG,
				       "store=redis needs redis=URI or sentinel=");
		break;
	}
	if (o->use_first_pass && o->try_first_pass)
		return pu_fail(err, PU_CONFIG,
			       "use_first_pass and try_first_pass exclude each other");
	return PU_OK;
}

enum pu_status pu_options_build(struct pu_options *o, int argc,
				const char **argv, const char *service,
				struct pu_err *err)
{
	enum pu_status st;

	pu_options_defaults(o);
	/* config= names the file, so it is read from argv first. */
	for (int i = 0; i < argc; i++) {
		if (argv[i] != NULL && strncmp(argv[i], "config=", 7) == 0) {
			st = apply_arg(o, argv[i], err);
			if (st != PU_OK)
				return st;
		}
	}
	st = pu_options_load_file(o, o->config, o->config_explicit, service,
				  err);
	if (st != PU_OK)
		return st;
	for (int i = 0; i < argc; i++) {
		st = apply_arg(o, argv[i], err);
		if (st != PU_OK)
			return st;
	}
	return pu_options_validate(o, err);
}
