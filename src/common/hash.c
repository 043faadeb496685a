#define _GNU_SOURCE
#include "hash.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

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

const char *pu_hash_method(const char *stored)
{
	static const struct {
		const char *prefix, *name;
	} names[] = {
		{ "$y$", "yescrypt" }, { "$gy$", "gost-yescrypt" },
		{ "$7$", "scrypt" },   { "$6$", "sha512crypt" },
		{ "$5$", "sha256crypt" }, { "$2b$", "bcrypt" },
	};

	if (stored == NULL)
		return "none";
	if (stored[0] == '\0')
		return "empty";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(stored, names[i].prefix, strlen(names[i].prefix)) == 0)
			return names[i].name;
	return stored[0] == '!' || stored[0] == '*' ? "locked" : "unsupported";
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

/* crypt(3)'s base-64 digit */
static int b64(char c)
{
	static const char digits[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* scrypt's 30-bit little-endian number in 5 digits */
static long b64_30(const char *s)
{
	long v = 0;

	for (int i = 0; i < 5; i++) {
		int d = b64(s[i]);

		if (d < 0)
			return -1;
		v |= (long)d << (6 * i);
	}
	return v;
}

static bool digits_num(const char *s, size_t n, unsigned long max,
		       unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return v <= max;
}

bool pu_hash_cost_ok(const char *s)
{
	const char *p;
	unsigned long v;
	long r, par;
	int n;

	if (strncmp(s, "$6$", 3) == 0 || strncmp(s, "$5$", 3) == 0) {
		if (strncmp(s + 3, "rounds=", 7) != 0)
			return true; /* the default, 5000 */
		p = strchr(s + 10, '$');
		return p != NULL &&
		       digits_num(s + 10, (size_t)(p - s - 10), PU_HASH_MAX_ROUNDS, &v);
	}
	if (strncmp(s, "$2b$", 4) == 0)
		return digits_num(s + 4, 2, PU_HASH_MAX_BCRYPT, &v) && s[6] == '$';
	if (strncmp(s, "$y$", 3) == 0 || strncmp(s, "$gy$", 4) == 0) {
		/* only the plain form crypt_gensalt makes: flavor 'j', then
		 * N = 2^(digit + 1), r = digit + 1; other parameters refused */
		p = s + (s[1] == 'g' ? 4 : 3);
		if (p[0] != 'j' || (n = b64(p[1])) < 0 || (r = b64(p[2])) < 0 ||
		    p[3] != '$' || n + 1 > 30)
			return false;
		return (128L << (n + 1)) * (r + 1) <= PU_HASH_MAX_MEMORY;
	}
	if (strncmp(s, "$7$", 3) == 0) {
		if ((n = b64(s[3])) < 0 || n > 30 || (r = b64_30(s + 4)) <= 0 ||
		    (par = b64_30(s + 9)) <= 0 || par > 4)
			return false;
		return r <= PU_HASH_MAX_MEMORY / 128 &&
		       (128L << n) <= PU_HASH_MAX_MEMORY / r;
	}
	return false;
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
	/* a stored setting decides how much time and memory crypt takes:
	 * whoever can write the store could make every login cost minutes
	 * or gigabytes in the host process */
	if (!pu_hash_cost_ok(stored))
		return pu_fail(err, PU_UNAVAIL,
			       "stored hash: cost over the module's limit");
	st = run_crypt(password, stored, out, sizeof(out), err);
	if (st != PU_OK)
		return st == PU_NOMEM ? st : PU_OK;
	*match = strlen(out) == len && CRYPTO_memcmp(out, stored, len) == 0;
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

bool pu_hash_setting(const char *stored, char *out, size_t size)
{
	const char *end;
	size_t n;

	if (stored == NULL || !pu_hash_supported(stored))
		return false;
	if (strncmp(stored, "$2b$", 4) == 0) {
		/* $2b$NN$ + 22 salt characters, no '$' before the hash */
		n = 7 + 22;
		if (strlen(stored) < n)
			return false;
	} else {
		end = strrchr(stored, '$');
		n = (size_t)(end - stored) + 1;
	}
	if (n + 1 > size)
		return false;
	memcpy(out, stored, n);
	out[n] = '\0';
	return true;
}

const char *pu_hash_prefix(enum pu_hash method)
{
	const char *p = method_prefix(method);

	return p != NULL ? p : crypt_preferred_method();
}

void pu_hash_dummy(const char *password, const char *setting,
		   enum pu_hash method)
{
	char out[PU_HASH_MAX];

	if (setting != NULL && setting[0] != '\0' &&
	    pu_hash_supported(setting) && pu_hash_cost_ok(setting) &&
	    run_crypt(password, setting, out, sizeof(out), NULL) == PU_OK) {
		explicit_bzero(out, sizeof(out));
		return;
	}
	if (pu_hash_make(password, method, out, sizeof(out), NULL) == PU_OK)
		explicit_bzero(out, sizeof(out));
}

bool pu_hmac_sha256(const void *key, size_t keylen,
		    const struct pu_bytes *parts, size_t n,
		    unsigned char out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	bool ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_MAC_init(ctx, key, keylen, params) == 1;
	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(ctx, parts[i].p, parts[i].len) == 1;
	ok = ok && EVP_MAC_final(ctx, out, &outl, 32) == 1 && outl == 32;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	if (!ok)
		memset(out, 0, 32);
	return ok;
}
