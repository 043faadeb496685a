#define _GNU_SOURCE
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX 4096

enum pu_status pu_secret_read(const char *path, char **secret, size_t *len,
			      struct pu_err *err)
{
	struct stat st;
	char *buf;
	size_t used = 0;
	int fd;

	*secret = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pu_fail(err, PU_CONFIG, "secret %s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pu_fail(err, PU_CONFIG, "secret %s: not a regular file",
			       path);
	}
	if (st.st_uid != 0 || ((st.st_mode & 07777) != 0400 &&
			       (st.st_mode & 07777) != 0600)) {
		close(fd);
		return pu_fail(err, PU_CONFIG,
			       "secret %s: must be owned by root with mode 0400 or 0600",
			       path);
	}
	buf = malloc(SECRET_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	for (;;) {
		ssize_t n = read(fd, buf + used, SECRET_MAX - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			pu_secret_free(buf);
			return pu_fail(err, PU_CONFIG, "secret %s: %s", path,
				       strerror(errno));
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == SECRET_MAX) {
			close(fd);
			pu_secret_free(buf);
			return pu_fail(err, PU_CONFIG, "secret %s: too long", path);
		}
	}
	close(fd);
	while (used > 0 && (buf[used - 1] == ' ' || buf[used - 1] == '\t' ||
			    buf[used - 1] == '\r' || buf[used - 1] == '\n'))
		used--;
	buf[used] = '\0';
	if (used == 0) {
		pu_secret_free(buf);
		return pu_fail(err, PU_CONFIG, "secret %s: empty", path);
	}
	*secret = buf;
	*len = used;
	return PU_OK;
}

void pu_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, SECRET_MAX + 1);
	free(secret);
}

int pu_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
