#define _GNU_SOURCE
#include "file.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool owner_ok(const struct stat *st, bool allow_euid)
{
	return st->st_uid == 0 || (allow_euid && st->st_uid == geteuid());
}

static enum pu_status check_trust(const struct stat *st, const char *path,
				  const struct pu_file_rules *r,
				  struct pu_err *err)
{
	mode_t perm = st->st_mode & 07777;

	switch (r->trust) {
	case PU_TRUST_NONE:
		return PU_OK;
	case PU_TRUST_CONFIG:
		if (!owner_ok(st, true) || (perm & (S_IWGRP | S_IWOTH)))
			return pu_fail(err, r->fail,
				       "%s: must be owned by root and not group/other-writable",
				       path);
		return PU_OK;
	case PU_TRUST_SECRET:
		if (st->st_uid != 0 || (perm != 0400 && perm != 0600))
			return pu_fail(err, r->fail,
				       "%s %s: must be owned by root with mode 0400 or 0600",
				       r->what, path);
		return PU_OK;
	}
	return pu_fail(err, r->fail, "%s: unknown trust rule", path);
}

int pu_file_open(const char *path, int flags, const struct pu_file_rules *r,
		 bool *missing, struct pu_err *err)
{
	struct stat st;
	int fd, fl;

	if (missing != NULL)
		*missing = false;
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		  0600);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && missing != NULL)
			*missing = true;
		pu_fail(err, r->fail, "%s %s: %s", r->what, path,
			e == ELOOP ? "is a symbolic link" : strerror(e));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		pu_fail(err, r->fail, "%s %s: not a regular file", r->what, path);
		return -1;
	}
	if (check_trust(&st, path, r, err) != PU_OK) {
		close(fd);
		return -1;
	}
	/* a regular file never blocks; the flag only guarded the open */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

enum pu_status pu_file_read_fd(int fd, const char *path,
			       const struct pu_file_rules *r, char **data,
			       size_t *len, struct pu_err *err)
{
	size_t cap = r->max + 1, used = 0;
	char *buf = malloc(cap + 1);

	*data = NULL;
	*len = 0;
	if (buf == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	for (;;) {
		ssize_t n = read(fd, buf + used, cap - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			explicit_bzero(buf, cap + 1);
			free(buf);
			return pu_fail(err, r->fail, "%s %s: %s", r->what, path,
				       strerror(e));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > r->max) {
			explicit_bzero(buf, cap + 1);
			free(buf);
			return pu_fail(err, r->fail, "%s %s: larger than %zu bytes",
				       r->what, path, r->max);
		}
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return PU_OK;
}

enum pu_status pu_file_read(const char *path, const struct pu_file_rules *r,
			    char **data, size_t *len, struct pu_err *err)
{
	enum pu_status st;
	bool missing = false;
	int fd;

	*data = NULL;
	*len = 0;
	fd = pu_file_open(path, O_RDONLY, r, &missing, err);
	if (fd < 0)
		return missing && r->missing_ok ? PU_OK :
		       (err ? err->status : r->fail);
	st = pu_file_read_fd(fd, path, r, data, len, err);
	close(fd);
	return st;
}

void pu_file_free(char *data, size_t len)
{
	if (data == NULL)
		return;
	explicit_bzero(data, len + 1);
	free(data);
}

enum pu_status pu_dir_check_private(const char *path, enum pu_status fail,
				    struct pu_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return pu_fail(err, fail, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return pu_fail(err, fail, "%s: is a symbolic link", path);
	if (!S_ISDIR(st.st_mode))
		return pu_fail(err, fail, "%s: not a directory", path);
	if (!owner_ok(&st, true) || (st.st_mode & 077))
		return pu_fail(err, fail,
			       "%s: must be owned by root and closed to group and others (0700)",
			       path);
	return PU_OK;
}

void pu_file_version(const char *path, struct pu_file_version *v)
{
	struct stat st;

	memset(v, 0, sizeof(*v));
	if (path == NULL || lstat(path, &st) != 0) {
		v->absent = true;
		v->ino = (ino_t)errno; /* ENOENT and EACCES differ */
		return;
	}
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->size = st.st_size;
	v->mode = st.st_mode;
	v->uid = st.st_uid;
	v->mtim = st.st_mtim;
	v->ctim = st.st_ctim;
}

bool pu_file_version_same(const struct pu_file_version *a,
			  const struct pu_file_version *b)
{
	return a->absent == b->absent && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mode == b->mode && a->uid == b->uid &&
	       a->mtim.tv_sec == b->mtim.tv_sec &&
	       a->mtim.tv_nsec == b->mtim.tv_nsec &&
	       a->ctim.tv_sec == b->ctim.tv_sec &&
	       a->ctim.tv_nsec == b->ctim.tv_nsec;
}

bool pu_lock_briefly(pthread_mutex_t *mu)
{
	for (int i = 0; i < 1000; i++) {
		if (pthread_mutex_trylock(mu) == 0)
			return true;
		sched_yield();
	}
	return false;
}
