#define _GNU_SOURCE
#include "hash.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

static const char *method_prefix(enum pu_hash m)
{
	switch (m) {
	case PU_HASH_YESCRYPT: return "$y$";
	case PU_HASH_SHA512: return "$6$";
	case PU_HASH_BCRYPT: return "$2b$";
	case PU_HASH_DEFAULT: break;
	}
	return NULL; /* libxcrypt's preferred method */
}

bool pu_hash_supported(const char *s)
{
	static const char *const ok[] = { "$y$", "$gy$", "$7$", "$6$", "$5$",
					  "$2b$" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(s, ok[i], strlen(ok[i])) == 0)
			return true;
	return false;
}

static enum pu_status run_crypt(const char *password, const char *setting,
				char *out, size_t size, struct pu_err *err)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	enum pu_status st = PU_OK;

	if (cd == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	h = crypt_r(password, setting, cd);
	/* libxcrypt returns a string starting with '*' on failure */
	if (h == NULL || h[0] == '*' || strlen(h) >= size)
		st = pu_fail(err, PU_UNAVAIL, "crypt_r failed for this setting");
	else
		memcpy(out, h, strlen(h) + 1);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return st;
}

enum pu_status pu_hash_verify(const char *password, const char *stored,
			      bool *match, struct pu_err *err)
{
	char out[PU_HASH_MAX];
	size_t len = strlen(stored);
	enum pu_status st;

	*match = false;
	if (!pu_hash_supported(stored) || len >= sizeof(out))
		return PU_OK; /* locked or unknown method: never matches */
	st = run_crypt(password, stored, out, sizeof(out), err);
	if (st != PU_OK)
		return st == PU_NOMEM ? st : PU_OK;
	*match = strlen(out) == len && pu_ct_equal(out, stored, len);
	explicit_bzero(out, sizeof(out));
	return PU_OK;
}

enum pu_status pu_hash_make(const char *password, enum pu_hash method,
			    char *out, size_t size, struct pu_err *err)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (crypt_gensalt_rn(method_prefix(method), 0, NULL, 0, setting,
			     sizeof(setting)) == NULL)
		return pu_fail(err, PU_CONFIG, "crypt_gensalt_rn: %s",
			       strerror(errno));
	return run_crypt(password, setting, out, size, err);
}

void pu_hash_dummy(const char *password, enum pu_hash method)
{
	char out[PU_HASH_MAX];

	if (pu_hash_make(password, method, out, sizeof(out), NULL) == PU_OK)
		explicit_bzero(out, sizeof(out));
}
