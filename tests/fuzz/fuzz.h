/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c).  An invariant
 * that does not hold aborts, which libFuzzer reports as a crash and saves
 * the input: a wrong answer is a finding just as a memory error is.
 */
#ifndef PU_FUZZ_H
#define PU_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/options.h"
#include "common/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",      \
				__FILE__, __LINE__, #cond);                   \
			abort();                                              \
		}                                                             \
	} while (0)

/* a C string that ends inside its buffer */
#define FUZZ_TERMINATED(arr) FUZZ_CHECK(memchr((arr), '\0', sizeof(arr)) != NULL)

/* A copy of data as a C string; NULL if data holds a NUL (callers reject
 * such inputs: a C string API cannot see past it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s;

	if (memchr(data, '\0', size) != NULL)
		return NULL;
	s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* What every failing call must leave behind: its status, and a message. */
static inline void fuzz_check_err(enum pu_status st, const struct pu_err *err)
{
	FUZZ_CHECK(st > PU_OK && st < PU_STATUS_COUNT);
	FUZZ_CHECK(err->status == st);
	FUZZ_TERMINATED(err->msg);
	FUZZ_CHECK(err->msg[0] != '\0');
}

static inline bool fuzz_has_space(const char *s)
{
	return strpbrk(s, " \t\r\n") != NULL;
}

static inline void fuzz_check_path(const char *p, size_t size, bool may_be_empty)
{
	FUZZ_CHECK(memchr(p, '\0', size) != NULL);
	if (p[0] == '\0')
		FUZZ_CHECK(may_be_empty);
	else
		FUZZ_CHECK(p[0] == '/');
}

#define FUZZ_RANGE(v, lo, hi) FUZZ_CHECK((long)(v) >= (lo) && (long)(v) <= (hi))

/* Everything a struct pu_options that built without error promises. */
static inline void fuzz_check_options(const struct pu_options *o)
{
	struct pu_err err = { PU_OK, "" };

	FUZZ_CHECK(o->backend > PU_BACKEND_NONE && o->backend <= PU_BACKEND_REPLAY);
	FUZZ_CHECK(pu_options_validate(o, &err) == PU_OK);
	FUZZ_CHECK(!(o->use_first_pass && o->try_first_pass));

	fuzz_check_path(o->config, sizeof(o->config), false);
	fuzz_check_path(o->socket.path, sizeof(o->socket.path), true);
	fuzz_check_path(o->conn.password_file, sizeof(o->conn.password_file), true);
	fuzz_check_path(o->replay.key_file, sizeof(o->replay.key_file), false);
	fuzz_check_path(o->replay.dir, sizeof(o->replay.dir), false);
	if (o->backend == PU_BACKEND_SOCKET)
		FUZZ_CHECK(o->socket.path[0] == '/');

	/* K_STR values: bounded, no white space (they end up in keys,
	 * URIs and command arguments) */
	FUZZ_TERMINATED(o->prefix);
	FUZZ_TERMINATED(o->conn.redis);
	FUZZ_TERMINATED(o->conn.sentinel);
	FUZZ_TERMINATED(o->conn.sentinel_master);
	FUZZ_TERMINATED(o->conn.user);
	FUZZ_CHECK(!fuzz_has_space(o->prefix));
	FUZZ_CHECK(!fuzz_has_space(o->conn.redis));
	FUZZ_CHECK(!fuzz_has_space(o->conn.sentinel));
	FUZZ_CHECK(!fuzz_has_space(o->conn.sentinel_master));
	FUZZ_CHECK(!fuzz_has_space(o->conn.user));

	FUZZ_RANGE(o->timeout_ms, 1, 600000);
	FUZZ_RANGE(o->socket.peer_uid, 0, (long)UINT32_MAX - 1);
	FUZZ_RANGE(o->conn.db, 0, 65535);
	FUZZ_RANGE(o->lock.deny, 0, 1000);
	FUZZ_RANGE(o->lock.fail_interval, 1, 31536000);
	FUZZ_RANGE(o->lock.unlock_time, 0, 31536000);
	FUZZ_RANGE(o->policy.max_age, 0, 100000);
	FUZZ_RANGE(o->policy.warn_age, 0, 100000);
	FUZZ_RANGE(o->policy.minlen, 1, 512);
	FUZZ_RANGE(o->replay.window, 0, 1000);
	FUZZ_RANGE(o->replay.remember, 0, 1000);
	FUZZ_RANGE(o->replay.pending_ttl, 1, 86400);

	FUZZ_RANGE(o->unsupported, PU_UNSUP_DEFAULT, PU_UNSUP_ERROR);
	FUZZ_RANGE(o->socket.protocol, PU_PROTO_REDIRECTOR, PU_PROTO_V1);
	FUZZ_RANGE(o->conn.auth, PU_RAUTH_PASSWORD, PU_RAUTH_HMAC);
	FUZZ_RANGE(o->policy.hash, PU_HASH_DEFAULT, PU_HASH_BCRYPT);
	FUZZ_RANGE(o->replay.commit, PU_COMMIT_SESSION, PU_COMMIT_AUTH);
	FUZZ_RANGE(o->replay.store, PU_STORE_FILE, PU_STORE_REDIS);
	FUZZ_CHECK(!o->silent); /* not an option: only the call sets it */
}

#endif
