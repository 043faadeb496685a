/* Password hashes through libxcrypt: crypt_r (never crypt), settings from
 * crypt_gensalt_rn, constant-time comparison. No pam_handle_t. */
#ifndef PU_HASH_H
#define PU_HASH_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "status.h"

#define PU_HASH_MAX 512

/* The most a stored setting may make crypt(3) cost: sha-crypt rounds,
 * bcrypt's cost, yescrypt's and scrypt's memory (128 * N * r bytes). */
#define PU_HASH_MAX_ROUNDS 1000000UL
#define PU_HASH_MAX_BCRYPT 13UL
#define PU_HASH_MAX_MEMORY (64L * 1024 * 1024)

/* Within those limits (only the parameter forms crypt_gensalt makes). */
bool pu_hash_cost_ok(const char *stored);

/* The method of a stored hash, for humans: "yescrypt", "sha512crypt",
 * ..., "empty", "locked" ('!' or '*'), "unsupported", "none" (NULL). */
const char *pu_hash_method(const char *stored);

/* true for the prefixes SPEC 7 accepts: $y$ $gy$ $7$ $6$ $5$ $2b$ */
bool pu_hash_supported(const char *stored);

/* *match is true only when password hashes to stored (constant time).
 * An unsupported or locked ("!", "*") stored value never matches. */
enum pu_status pu_hash_verify(const char *password, const char *stored,
			      bool *match, struct pu_err *err);

/* New hash of password with method, into out (PU_HASH_MAX bytes). */
enum pu_status pu_hash_make(const char *password, enum pu_hash method,
			    char *out, size_t size, struct pu_err *err);

/* HMAC-SHA256 over the concatenation of n parts (no copy is made).
 * false only if libcrypto failed; out is then zeroed. */
struct pu_bytes {
	const void *p;
	size_t len;
};
bool pu_hmac_sha256(const void *key, size_t keylen,
		    const struct pu_bytes *parts, size_t n,
		    unsigned char out[32]);

/* The setting part of a stored hash (method, cost and salt, without the
 * hash itself): what a verification against it costs is what a dummy
 * verification with the setting costs.  false when stored is not one of
 * the supported methods or does not fit. */
bool pu_hash_setting(const char *stored, char *out, size_t size);

/* The work of one verification, for users that do not exist or may not
 * be checked: the answer must not come back faster than "wrong password".
 * With a setting (from pu_hash_setting of a real user's hash) the work is
 * that of a real check against such a hash; without one, or when the
 * setting is unusable, a hash with method. */
void pu_hash_dummy(const char *password, const char *setting,
		   enum pu_hash method);

/* The method prefix a new hash with method gets ("$y$", "$6$", "$2b$");
 * libxcrypt's preferred one for PU_HASH_DEFAULT. */
const char *pu_hash_prefix(enum pu_hash method);

#endif
