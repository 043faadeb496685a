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

#include "file.h"
#include "net.h"

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
#define BOOL(n, f) { n, K_BOOL, OFF(f), 0, 0, 0, NULL, false }
#define INT(n, f, lo, hi) { n, K_INT, OFF(f), 0, lo, hi, NULL, false }
#define ENUM(n, f, names) { n, K_ENUM, OFF(f), 0, 0, 0, names, false }
#define PATH(n, f) { n, K_PATH, OFF(f), SZ(f), 0, 0, NULL, true }
#define STR(n, f) { n, K_STR, OFF(f), SZ(f), 0, 0, NULL, false }

/* Every option the module knows.  "config" is handled apart: it is only
 * valid as a module argument. */
static const struct opt_desc opts_table[] = {
	ENUM("backend", backend, backend_names),
	BOOL("debug", debug),
	BOOL("quiet", quiet),
	BOOL("use_first_pass", use_first_pass),
	BOOL("try_first_pass", try_first_pass),
	BOOL("use_authtok", use_authtok),
	BOOL("nullok", nullok),
	INT("timeout", timeout_ms, 1, 600000),
	ENUM("unsupported", unsupported, unsupported_names),
	BOOL("nodelay", nodelay),
	STR("prefix", prefix),
	STR("managed_group", managed_group),
	STR("managed_uid", managed_uid),
	/* socket */
	PATH("socket", socket.path),
	ENUM("protocol", socket.protocol, protocol_names),
	INT("peer_uid", socket.peer_uid, 0, (long)UINT32_MAX - 1),
	/* redis connection */
	STR("redis", conn.redis),
	STR("sentinel", conn.sentinel),
	STR("redis_cluster", conn.cluster),
	STR("sentinel_master", conn.sentinel_master),
	STR("sentinel_user", conn.sentinel_user),
	PATH("sentinel_password_file", conn.sentinel_password_file),
	STR("redis_user", conn.user),
	PATH("redis_password_file", conn.password_file),
	INT("redis_db", conn.db, 0, 65535),
	ENUM("redis_auth", conn.auth, rauth_names),
	STR("redis_owner", conn.owner),
	PATH("redis_tls_ca", conn.tls_ca),
	PATH("redis_tls_cert", conn.tls_cert),
	PATH("redis_tls_key", conn.tls_key),
	STR("redis_tls_server_name", conn.tls_server_name),
	BOOL("redis_tls_resume", conn.tls_resume),
	/* lockout */
	INT("deny", lock.deny, 0, 1000),
	INT("fail_interval", lock.fail_interval, 1, 31536000),
	INT("unlock_time", lock.unlock_time, 0, 31536000),
	/* password and account policy */
	INT("max_age", policy.max_age, 0, 100000),
	INT("warn_age", policy.warn_age, 0, 100000),
	INT("minlen", policy.minlen, 1, 512),
	ENUM("hash", policy.hash, hash_names),
	BOOL("rehash", policy.rehash),
	/* replay */
	INT("window", replay.window, 0, 1000),
	INT("remember", replay.remember, 0, 1000),
	ENUM("commit", replay.commit, commit_names),
	INT("pending_ttl", replay.pending_ttl, 1, 86400),
	PATH("key_file", replay.key_file),
	ENUM("store", replay.store, store_names),
	PATH("dir", replay.dir),
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
	snprintf(o->prefix, sizeof(o->prefix), "pam:");
	o->socket.protocol = PU_PROTO_REDIRECTOR;
	o->socket.peer_uid = 0;
	o->conn.tls_resume = true;
	o->lock.fail_interval = 900;
	o->lock.unlock_time = 600;
	o->policy.warn_age = 7;
	o->policy.minlen = 8;
	o->replay.pending_ttl = 300;
	snprintf(o->replay.key_file, sizeof(o->replay.key_file), "%s",
		 PU_DEFAULT_KEY_FILE);
	snprintf(o->replay.dir, sizeof(o->replay.dir), "%s",
		 PU_DEFAULT_REPLAY_DIR);
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
		if (strcmp(key, "managed_uid") == 0 && value != NULL) {
			unsigned long lo, hi;

			if (!pu_uid_range(value, &lo, &hi))
				return pu_fail(err, PU_CONFIG,
					       "managed_uid=%.40s: expected MIN-MAX",
					       value);
		}
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


/* ---------------- the configuration file ---------------- */

#define CONFIG_MAX (256 * 1024)

struct pu_setting {
	char *service;        /* NULL: top level */
	char *name;
	char *value;
	int line;
};

struct pu_config {
	char *path;
	struct pu_setting *s;
	size_t n, cap;
};

void pu_config_free(struct pu_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->s[i].service);
		free(cfg->s[i].name);
		free(cfg->s[i].value);
	}
	free(cfg->s);
	free(cfg->path);
	free(cfg);
}

const char *pu_config_path(const struct pu_config *cfg)
{
	return cfg ? cfg->path : "";
}

static enum pu_status add_setting(struct pu_config *cfg, const char *service,
				  const char *name, const char *value, int line,
				  struct pu_err *err)
{
	struct pu_setting *s;

	if (cfg->n == cfg->cap) {
		size_t ncap = cfg->cap ? cfg->cap * 2 : 16;
		struct pu_setting *ns = realloc(cfg->s, ncap * sizeof(*ns));

		if (ns == NULL)
			return pu_fail(err, PU_NOMEM, "out of memory");
		cfg->s = ns;
		cfg->cap = ncap;
	}
	s = &cfg->s[cfg->n];
	s->service = service ? strdup(service) : NULL;
	s->name = strdup(name);
	s->value = strdup(value);
	s->line = line;
	if ((service && !s->service) || !s->name || !s->value) {
		free(s->service);
		free(s->name);
		free(s->value);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	cfg->n++;
	return PU_OK;
}

/* libconfig scalars and lists become the same strings argv would carry. */
static enum pu_status setting_to_string(const config_setting_t *s, char *buf,
					size_t size, struct pu_err *err)
{
	int n;

	switch (config_setting_type(s)) {
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

static enum pu_status collect_group(struct pu_config *cfg,
				    const config_setting_t *group,
				    const char *service, struct pu_err *err)
{
	int len = config_setting_length(group);

	for (int i = 0; i < len; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		const char *name = config_setting_name(s);
		int line = config_setting_source_line(s);
		char value[PU_PATH_LEN];
		struct pu_err inner = { PU_OK, "" };
		enum pu_status st;

		if (service == NULL && name != NULL &&
		    strcmp(name, "services") == 0) {
			int ns;

			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return pu_fail(err, PU_CONFIG,
					       "%s:%d: services must be a group",
					       cfg->path, line);
			ns = config_setting_length(s);
			for (int k = 0; k < ns; k++) {
				const config_setting_t *g =
					config_setting_get_elem(s, k);

				if (config_setting_type(g) != CONFIG_TYPE_GROUP)
					return pu_fail(err, PU_CONFIG,
						       "%s:%d: services.%s must be a group",
						       cfg->path,
						       config_setting_source_line(g),
						       config_setting_name(g));
				st = collect_group(cfg, g, config_setting_name(g),
						   err);
				if (st != PU_OK)
					return st;
			}
			continue;
		}
		if (name == NULL || config_setting_type(s) == CONFIG_TYPE_GROUP)
			return pu_fail(err, PU_CONFIG, "%s:%d: unexpected group",
				       cfg->path, line);
		if (setting_to_string(s, value, sizeof(value), &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "%s:%d: %s", cfg->path,
				       line, inner.msg);
		st = add_setting(cfg, service, name, value, line, err);
		if (st != PU_OK)
			return st;
	}
	return PU_OK;
}

/* libconfig would open an @include'd file itself, without the checks
 * this file gets; so an @include is refused, never followed. */
static int include_line(const char *text)
{
	int line = 1;

	for (const char *p = text; *p; p++) {
		const char *q = p;

		while (*q == ' ' || *q == '\t')
			q++;
		if (strncmp(q, "@include", 8) == 0)
			return line;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		line++;
	}
	return 0;
}

enum pu_status pu_config_parse(const char *path, const char *text,
			       struct pu_config **out, struct pu_err *err)
{
	struct pu_config *cfg;
	config_t lc;
	enum pu_status st;
	int inc;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(path)) == NULL) {
		free(cfg);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	inc = include_line(text);
	if (inc > 0) {
		pu_config_free(cfg);
		return pu_fail(err, PU_CONFIG,
			       "%s:%d: @include is not supported (an included file "
			       "could not be trust-checked)", path, inc);
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		st = pu_fail(err, PU_CONFIG, "%s:%d: %s", path,
			     config_error_line(&lc), config_error_text(&lc));
	} else {
		st = collect_group(cfg, config_root_setting(&lc), NULL, err);
	}
	config_destroy(&lc);
	if (st != PU_OK) {
		pu_config_free(cfg);
		return st;
	}
	*out = cfg;
	return PU_OK;
}

enum pu_status pu_config_load(const char *path, bool explicit_path,
			      struct pu_config **out, struct pu_err *err)
{
	/* like pam-u2f: no symlinks, a regular file, owned by root (or by
	 * whoever runs unifiedctl), not writable by group or others */
	const struct pu_file_rules rules = {
		.trust = PU_TRUST_CONFIG, .max = CONFIG_MAX,
		.missing_ok = !explicit_path, .fail = PU_CONFIG,
		.what = "configuration",
	};
	char *text = NULL;
	size_t len = 0;
	enum pu_status st;

	*out = NULL;
	st = pu_file_read(path, &rules, &text, &len, err);
	if (st != PU_OK)
		return st;
	if (text == NULL) /* the default file is absent: built-in defaults */
		return pu_config_parse(path, "", out, err);
	if (memchr(text, '\0', len) != NULL)
		st = pu_fail(err, PU_CONFIG, "%s: holds a NUL byte", path);
	else
		st = pu_config_parse(path, text, out, err);
	pu_file_free(text, len);
	return st;
}

static enum pu_status apply_config(struct pu_options *o,
				   const struct pu_config *cfg,
				   const char *service, struct pu_err *err)
{
	struct pu_options scratch;

	pu_options_defaults(&scratch);
	/* the top level first, then the service's group, whatever their
	 * order in the file */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->n; i++) {
			const struct pu_setting *s = &cfg->s[i];
			struct pu_err inner = { PU_OK, "" };

			bool mine = s->service == NULL ||
				    (service != NULL &&
				     strcmp(s->service, service) == 0);

			if ((pass == 0) != (s->service == NULL))
				continue;
			/* another service's setting is checked, not applied:
			 * a typo anywhere in the file fails closed */
			if (pu_options_set(mine ? o : &scratch, PU_SRC_FILE,
					   s->name, s->value, &inner) != PU_OK)
				return pu_fail(err, inner.status, "%s:%d: %s",
					       cfg->path, s->line, inner.msg);
		}
	}
	return PU_OK;
}

/* ---------------- module arguments ---------------- */

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
		if (set_path(o->socket.path, sizeof(o->socket.path), "socket",
			     arg, true, &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "argument %.60s: %s", arg,
				       inner.msg);
		o->backend = PU_BACKEND_SOCKET;
		o->socket.protocol = PU_PROTO_REDIRECTOR;
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

bool pu_uid_range(const char *s, unsigned long *min, unsigned long *max)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*min = strtoul(s, &end, 10);
	if (errno != 0 || *end != '-' || end[1] < '0' || end[1] > '9')
		return false;
	*max = strtoul(end + 1, &end, 10);
	return errno == 0 && *end == '\0' && *min <= *max &&
	       *max < (unsigned long)UINT32_MAX;
}

enum pu_status pu_options_managed_argv(struct pu_options *o, int argc,
				       const char **argv, struct pu_err *err)
{
	pu_options_defaults(o);
	for (int i = 0; i < argc; i++) {
		if (argv[i] != NULL && (strncmp(argv[i], "managed_", 8) == 0 ||
					strcmp(argv[i], "use_authtok") == 0 ||
					strcmp(argv[i], "debug") == 0)) {
			enum pu_status st = apply_arg(o, argv[i], err);

			if (st != PU_OK)
				return st;
		}
	}
	return PU_OK;
}

enum pu_status pu_options_config_path(int argc, const char **argv,
				      char *path, size_t size,
				      bool *explicit_path, struct pu_err *err)
{
	struct pu_options tmp;

	/* config= names the file, so it is read from argv first; the same
	 * setter checks it */
	pu_options_defaults(&tmp);
	for (int i = 0; i < argc; i++) {
		if (argv[i] != NULL && strncmp(argv[i], "config=", 7) == 0) {
			enum pu_status st = apply_arg(&tmp, argv[i], err);

			if (st != PU_OK)
				return st;
		}
	}
	if (strlen(tmp.config) >= size)
		return pu_fail(err, PU_CONFIG, "config=: path too long");
	memcpy(path, tmp.config, strlen(tmp.config) + 1);
	*explicit_path = tmp.config_explicit;
	return PU_OK;
}

/* ---------------- validation, one validator per group ---------------- */

enum pu_status pu_socket_opts_validate(const struct pu_socket_opts *s,
				       struct pu_err *err)
{
	if (s->path[0] == '\0')
		return pu_fail(err, PU_CONFIG, "backend=socket needs socket=PATH");
	return PU_OK;
}

static enum pu_status check_list(const char *key, const char *list,
				 bool allow_unix, struct pu_err *err)
{
	const char *p = list;

	while (*p != '\0') {
		char item[PU_LIST_LEN];
		struct pu_endpoint ep;
		struct pu_err inner = { PU_OK, "" };
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item))
			return pu_fail(err, PU_CONFIG, "%s=: empty item in the list",
				       key);
		memcpy(item, p, len);
		item[len] = '\0';
		if (pu_endpoint_parse(item, &ep, &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "%s=: %s", key, inner.msg);
		if (ep.is_unix && !allow_unix)
			return pu_fail(err, PU_CONFIG, "%s=%.80s: host:port expected",
				       key, item);
		p += len;
		if (*p == ',' && *++p == '\0')
			return pu_fail(err, PU_CONFIG, "%s=: empty item in the list",
				       key);
	}
	return PU_OK;
}

enum pu_status pu_redis_conn_validate(const struct pu_redis_conn *c,
				      struct pu_err *err)
{
	enum pu_status st;

	int kinds = (c->redis[0] != '\0') + (c->sentinel[0] != '\0') +
		    (c->cluster[0] != '\0');

	if (kinds == 0)
		return pu_fail(err, PU_CONFIG,
			       "needs redis=URI, sentinel= or redis_cluster=");
	if (kinds > 1)
		return pu_fail(err, PU_CONFIG,
			       "redis=, sentinel= and redis_cluster= exclude each other");
	if ((c->tls_cert[0] != '\0') != (c->tls_key[0] != '\0'))
		return pu_fail(err, PU_CONFIG,
			       "redis_tls_cert= and redis_tls_key= go together");
	if (c->sentinel_user[0] != '\0' && c->sentinel_password_file[0] == '\0')
		return pu_fail(err, PU_CONFIG,
			       "sentinel_user= needs sentinel_password_file=");
	if (c->sentinel[0] != '\0' && c->sentinel_master[0] == '\0')
		return pu_fail(err, PU_CONFIG, "sentinel= needs sentinel_master=NAME");
	if (c->auth == PU_RAUTH_HMAC && c->password_file[0] == '\0')
		return pu_fail(err, PU_CONFIG,
			       "redis_auth=hmac needs redis_password_file=");
	if (c->auth == PU_RAUTH_HMAC && c->user[0] != '\0')
		return pu_fail(err, PU_CONFIG,
			       "redis_auth=hmac takes no redis_user=");
	if (c->user[0] != '\0' && c->password_file[0] == '\0')
		return pu_fail(err, PU_CONFIG, "redis_user= needs redis_password_file=");
	st = check_list("redis", c->redis, true, err);
	if (st == PU_OK)
		st = check_list("sentinel", c->sentinel, false, err);
	if (st == PU_OK)
		st = check_list("redis_cluster", c->cluster, false, err);
	return st;
}

enum pu_status pu_replay_opts_validate(const struct pu_replay_opts *r,
				       const struct pu_redis_conn *c,
				       struct pu_err *err)
{
	if (r->store == PU_STORE_REDIS) {
		struct pu_err inner = { PU_OK, "" };

		if (pu_redis_conn_validate(c, &inner) != PU_OK)
			return pu_fail(err, PU_CONFIG, "store=redis: %s", inner.msg);
	}
	return PU_OK;
}

enum pu_status pu_options_validate(const struct pu_options *o,
				   struct pu_err *err)
{
	enum pu_status st = PU_OK;
	struct pu_err inner = { PU_OK, "" };

	switch (o->backend) {
	case PU_BACKEND_NONE:
		return pu_fail(err, PU_CONFIG, "no backend= configured");
	case PU_BACKEND_SOCKET:
		st = pu_socket_opts_validate(&o->socket, err);
		break;
	case PU_BACKEND_REDIS:
		if (pu_redis_conn_validate(&o->conn, &inner) != PU_OK)
			st = pu_fail(err, PU_CONFIG, "backend=redis %s", inner.msg);
		break;
	case PU_BACKEND_REPLAY:
		st = pu_replay_opts_validate(&o->replay, &o->conn, err);
		break;
	}
	if (st != PU_OK)
		return st;
	if (o->use_first_pass && o->try_first_pass)
		return pu_fail(err, PU_CONFIG,
			       "use_first_pass and try_first_pass exclude each other");
	return PU_OK;
}

/* ---------------- everything, in order ---------------- */

enum pu_status pu_options_build_with(struct pu_options *o,
				     const struct pu_config *cfg, int argc,
				     const char **argv, const char *service,
				     struct pu_err *err)
{
	enum pu_status st;

	pu_options_defaults(o);
	for (int i = 0; i < argc; i++) {
		if (argv[i] != NULL && strncmp(argv[i], "config=", 7) == 0) {
			st = apply_arg(o, argv[i], err);
			if (st != PU_OK)
				return st;
		}
	}
	if (cfg != NULL) {
		st = apply_config(o, cfg, service, err);
		if (st != PU_OK)
			return st;
	}
	for (int i = 0; i < argc; i++) {
		st = apply_arg(o, argv[i], err);
		if (st != PU_OK)
			return st;
	}
	return pu_options_validate(o, err);
}

enum pu_status pu_options_build(struct pu_options *o, int argc,
				const char **argv, const char *service,
				struct pu_err *err)
{
	char path[PU_PATH_LEN];
	struct pu_config *cfg = NULL;
	bool explicit_path = false;
	enum pu_status st;

	pu_options_defaults(o);
	st = pu_options_config_path(argc, argv, path, sizeof(path),
				    &explicit_path, err);
	if (st == PU_OK)
		st = pu_config_load(path, explicit_path, &cfg, err);
	if (st == PU_OK)
		st = pu_options_build_with(o, cfg, argc, argv, service, err);
	pu_config_free(cfg);
	return st;
}
