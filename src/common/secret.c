#define _GNU_SOURCE
#include "secret.h"

#include <stdlib.h>
#include <string.h>

#include "file.h"

enum pu_status pu_secret_read(const char *path, char **secret, size_t *len,
			      struct pu_err *err)
{
	static const struct pu_file_rules rules = {
		.trust = PU_TRUST_SECRET, .max = PU_SECRET_MAX - 1,
		.missing_ok = false, .fail = PU_CONFIG, .what = "secret",
	};
	char *buf = NULL, *out;
	size_t got = 0, used;
	enum pu_status st;

	*secret = NULL;
	*len = 0;
	st = pu_file_read(path, &rules, &buf, &got, err);
	if (st != PU_OK)
		return st;
	used = got;
	while (used > 0 && (buf[used - 1] == ' ' || buf[used - 1] == '\t' ||
			    buf[used - 1] == '\r' || buf[used - 1] == '\n'))
		used--;
	if (used == 0) {
		pu_file_free(buf, got);
		return pu_fail(err, PU_CONFIG, "secret %s: empty", path);
	}
	/* a fixed-size block, so pu_secret_free knows what to wipe */
	out = malloc(PU_SECRET_MAX);
	if (out == NULL) {
		pu_file_free(buf, got);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	memcpy(out, buf, used);
	out[used] = '\0';
	pu_file_free(buf, got);
	*secret = out;
	*len = used;
	return PU_OK;
}

void pu_secret_free(char *secret)
{
	if (secret == NULL)
		return;
	explicit_bzero(secret, PU_SECRET_MAX);
	free(secret);
}
