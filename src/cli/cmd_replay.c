/*
 * unifiedctl init and history: the replay key and store directory, and a
 * user's entries through the replay store (src/backends/replay/store.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/replay/store.h"
#include "cli/cli.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/secret.h"

/* mkdir -p with the last component 0700.  Every component is created or
 * found without following a symbolic link at the end, so that init never
 * chmods what a link points to. */
static int make_dirs(const char *path)
{
	char buf[PU_PATH_LEN];
	struct stat st;
	int fd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return ctl_error(EXIT_USAGE, "dir=: too long");
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return ctl_error(EXIT_FAIL, "%s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return ctl_error(EXIT_FAIL, "%s: %s", buf, strerror(errno));
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ctl_error(EXIT_FAIL, "%s: %s", buf,
				 errno == ELOOP || errno == ENOTDIR ?
				 "not a directory (a symbolic link?)" :
				 strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_uid != geteuid() && st.st_uid != 0) ||
	    fchmod(fd, 0700) != 0) {
		close(fd);
		return ctl_error(EXIT_FAIL, "%s: not ours, or cannot be made 0700",
				 buf);
	}
	close(fd);
	return EXIT_OK;
}

static int make_key(const char *path)
{
	unsigned char raw[32];
	char hex[65];
	int fd, rc = EXIT_OK;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return ctl_error(EXIT_FAIL, "no randomness");
	pu_hex_encode(raw, sizeof(raw), hex);
	explicit_bzero(raw, sizeof(raw));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 ||
	    fchmod(fd, 0600) != 0 || fsync(fd) != 0)
		rc = ctl_error(EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	explicit_bzero(hex, sizeof(hex));
	if (rc == EXIT_OK)
		printf("key %s: created (root, 0600)\n", path);
	return rc;
}

int cmd_init(struct ctl *c, int argc, char **argv)
{
	const struct pu_replay_opts *o = &c->o.replay;
	struct pu_err err = { PU_OK, "" };
	struct stat st;
	char *key = NULL;
	size_t len = 0;
	int rc;

	(void)argv;
	if (argc != 0)
		return ctl_error(EXIT_USAGE, "usage: unifiedctl init");
	if (o->store == PU_STORE_FILE) {
		rc = make_dirs(o->dir);
		if (rc != EXIT_OK)
			return rc;
		printf("store directory %s: ready (0700)\n", o->dir);
	}
	if (lstat(o->key_file, &st) != 0)
		return make_key(o->key_file);
	if (pu_replay_key(o->key_file, &key, &len, &err) != PU_OK)
		return ctl_fail("existing key", &err);
	pu_secret_free(key);
	printf("key %s: exists, kept\n", o->key_file);
	return EXIT_OK;
}

static void print_times(const char *title, const struct pu_rlist_data *l,
			const char *verb)
{
	char when[32];

	printf("  %s: %zu\n", title, l->n);
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].t != 0) /* lists folded from before 0.4 have none */
			printf("    %s %s\n", verb,
			       ctl_datetime(l->e[i].t, when, sizeof(when)));
}

int cmd_history(struct ctl *c, int argc, char **argv)
{
	struct pu_replay_ctx x;
	struct pu_replay_data *d = NULL;
	struct pu_err err = { PU_OK, "" };
	char *key = NULL;
	size_t klen = 0;
	int rc;

	if (argc != 2 || (strcmp(argv[0], "show") && strcmp(argv[0], "clear")))
		return ctl_error(EXIT_USAGE, "usage: unifiedctl history show|clear USER");
	if ((rc = ctl_user_name(argv[1])) != EXIT_OK)
		return rc;
	if (c->o.replay.store == PU_STORE_REDIS && (rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	if (pu_replay_key(c->o.replay.key_file, &key, &klen, &err) != PU_OK)
		return ctl_fail("key", &err);
	ctl_restart(c);
	memset(&x, 0, sizeof(x));
	x.o = &c->o.replay;
	x.prefix = c->o.prefix;
	x.key = (const unsigned char *)key;
	x.keylen = klen;
	x.redis = c->r;
	x.dl = &c->dl;
	x.store = pu_replay_store_for(x.o->store);
	if (strcmp(argv[0], "clear") == 0) {
		if (x.store->clear(&x, argv[1], &err) != PU_OK)
			rc = ctl_fail("history clear", &err);
		else
			printf("%s: history cleared\n", argv[1]);
	} else if ((d = calloc(1, sizeof(*d))) == NULL) {
		rc = ctl_error(EXIT_FAIL, "out of memory");
	} else if (x.store->load(&x, argv[1], d, &err) != PU_OK) {
		rc = ctl_fail("history", &err);
	} else {
		printf("%s\n", argv[1]);
		print_times("login window entries", &d->hist, "used");
		print_times("pending logins", &d->pend, "expires");
		print_times("password history entries", &d->pw, "set");
	}
	free(d);
	pu_secret_free(key);
	return rc;
}
