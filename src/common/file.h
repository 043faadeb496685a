/*
 * One safe open-and-read (pam-u2f's open_safely), for the configuration
 * file, secret files and the replay file store: no symbolic links,
 * O_NONBLOCK so that a FIFO or device planted at the path cannot block
 * the login, a regular file, owner and mode as the caller's rules say,
 * and a size cap.  No pam_handle_t here.
 */
#ifndef PU_FILE_H
#define PU_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "status.h"

enum pu_file_trust {
	PU_TRUST_NONE,        /* any owner and mode (the caller checked the dir) */
	PU_TRUST_CONFIG,      /* owned by root (or the euid), not group/other-writable */
	PU_TRUST_SECRET,      /* owned by root, mode exactly 0400 or 0600 */
};

struct pu_file_rules {
	enum pu_file_trust trust;
	size_t max;           /* more than this is an error */
	bool missing_ok;      /* ENOENT: PU_OK with *data NULL */
	enum pu_status fail;  /* status of every failure but NOMEM */
	const char *what;     /* "secret", "config", ...: error messages */
};

/*
 * Opens path with O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, checks that it is a
 * regular file (then clears O_NONBLOCK), and the owner and mode.  Returns
 * the fd, or -1 with err set (errno ENOENT kept in *missing when not NULL).
 */
int pu_file_open(const char *path, int flags, const struct pu_file_rules *r,
		 bool *missing, struct pu_err *err);

/* Reads the whole file into a malloc'd, NUL-terminated buffer. */
enum pu_status pu_file_read(const char *path, const struct pu_file_rules *r,
			    char **data, size_t *len, struct pu_err *err);

/* Reads an open fd to EOF (at most max bytes). */
enum pu_status pu_file_read_fd(int fd, const char *path,
			       const struct pu_file_rules *r, char **data,
			       size_t *len, struct pu_err *err);

/* Wipes (len + 1 bytes: the data and its NUL) and frees what
 * pu_file_read returned. */
void pu_file_free(char *data, size_t len);

/* The directory holds secrets: owned by root (or the euid), a directory,
 * not a symbolic link, and closed to group and others. */
enum pu_status pu_dir_check_private(const char *path, enum pu_status fail,
				    struct pu_err *err);

/*
 * What lstat says of a file, to tell its versions apart (a process cache
 * keeps what it read from a file while this stays the same): device,
 * inode, size, mode, owner, mtime and ctime (a chmod or chown changes the
 * ctime).  A missing or unreadable file is a version too (ENOENT and
 * EACCES differ).
 */
struct pu_file_version {
	bool absent;
	dev_t dev;
	ino_t ino;
	off_t size;
	mode_t mode;
	uid_t uid;
	struct timespec mtim, ctim;
};

void pu_file_version(const char *path, struct pu_file_version *v);
bool pu_file_version_same(const struct pu_file_version *a,
			  const struct pu_file_version *b);

/* A process cache's lock, never waited on for long: a child forked while
 * another thread held it would wait forever, so after a short while the
 * caller goes without the cache (false). */
bool pu_lock_briefly(pthread_mutex_t *mu);

#endif
