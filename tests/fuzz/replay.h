/*
 * The replay store=file format, written out again from its description
 * in store.h (not from store_file.c), so that the parser is checked
 * against the documentation:
 *   "PUREPLAY2\n" | records of 41 bytes: kind (1: history, 3: password
 *   history) | time (8, big endian)
 *   | mac (32) | HMAC-SHA256(key, user || 0x00 || all before) (32)
 * The seeds under tests/fuzz/corpus/replay_file were made with this key
 * and user (tests/fuzz/gen_seeds.c).
 */
#ifndef PU_FUZZ_REPLAY_H
#define PU_FUZZ_REPLAY_H

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "backends/replay/store.h"
#include "fuzz.h"

#define FUZZ_MAGIC "PUREPLAY2\n"
#define FUZZ_MAGIC_LEN 10
#define FUZZ_REC_LEN 41
#define FUZZ_TRAILER 32
#define FUZZ_USER "alice"

static const unsigned char fuzz_key[32] = {
	0x70, 0x75, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x6b, 0x65, 0x79,
	0x2d, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39,
	0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
};

/* magic | records | trailer for FUZZ_USER under fuzz_key */
static inline unsigned char *fuzz_replay_wrap(const unsigned char *rec,
					      size_t len, size_t *outlen)
{
	size_t ulen = strlen(FUZZ_USER) + 1, body = FUZZ_MAGIC_LEN + len;
	unsigned char *buf = malloc(body + FUZZ_TRAILER);
	unsigned char *msg = malloc(ulen + body);
	unsigned int maclen = 0;

	if (buf == NULL || msg == NULL)
		abort();
	memcpy(buf, FUZZ_MAGIC, FUZZ_MAGIC_LEN);
	if (len)
		memcpy(buf + FUZZ_MAGIC_LEN, rec, len);
	/* HMAC(key, user || 0x00 || magic || records) */
	memcpy(msg, FUZZ_USER, ulen);
	memcpy(msg + ulen, buf, body);
	if (HMAC(EVP_sha256(), fuzz_key, sizeof(fuzz_key), msg, ulen + body,
		 buf + body, &maclen) == NULL || maclen != FUZZ_TRAILER)
		abort();
	free(msg);
	*outlen = body + FUZZ_TRAILER;
	return buf;
}

static inline bool fuzz_rlist_equal(const struct pu_rlist_data *a,
				    const struct pu_rlist_data *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].t != b->e[i].t ||
		    memcmp(a->e[i].mac, b->e[i].mac, PU_MAC_LEN) != 0)
			return false;
	return true;
}

static inline bool fuzz_replay_equal(const struct pu_replay_data *a,
				     const struct pu_replay_data *b)
{
	return fuzz_rlist_equal(&a->hist, &b->hist) &&
	       fuzz_rlist_equal(&a->pend, &b->pend) &&
	       fuzz_rlist_equal(&a->pw, &b->pw);
}

/* the records a reader must accept: whole records, kinds 1 and 3 (a
 * user's file holds no pending logins), at most PU_REPLAY_MAX of each */
static inline bool fuzz_records_valid(const unsigned char *rec, size_t len)
{
	size_t n[4] = { 0, 0, 0, 0 };

	if (len % FUZZ_REC_LEN != 0)
		return false;
	for (size_t i = 0; i < len; i += FUZZ_REC_LEN) {
		if ((rec[i] != 1 && rec[i] != 3) || ++n[rec[i]] > PU_REPLAY_MAX)
			return false;
	}
	return true;
}

/* records as the format gives them: n per kind, each list in file order */
static inline bool fuzz_replay_matches(const unsigned char *rec, size_t len,
				       const struct pu_replay_data *d)
{
	size_t seen[4] = { 0, 0, 0, 0 };

	if (len % FUZZ_REC_LEN != 0)
		return false;
	for (size_t i = 0; i < len / FUZZ_REC_LEN; i++) {
		const unsigned char *r = rec + i * FUZZ_REC_LEN;
		const struct pu_rlist_data *l;
		unsigned long long t = 0;

		if (r[0] != 1 && r[0] != 3)
			return false;
		l = r[0] == 1 ? &d->hist : r[0] == 2 ? &d->pend : &d->pw;
		for (int b = 0; b < 8; b++)
			t = t << 8 | r[1 + b];
		if (seen[r[0]] >= l->n || l->e[seen[r[0]]].t != (long long)t ||
		    memcmp(l->e[seen[r[0]]].mac, r + 9, PU_MAC_LEN) != 0)
			return false;
		seen[r[0]]++;
	}
	return seen[1] == d->hist.n && seen[2] == d->pend.n && seen[3] == d->pw.n;
}

#endif
