/* store=file's format: serialise, parse, the trailer, the records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "backends/replay/store.h"
#include "common/hash.h"

#define MAGIC "PUREPLAY2\n"
#define MAGIC_LEN 10
#define REC 41 /* kind (1) | time (8, big endian) | mac (32) */
#define TRAILER 32

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdeX";

static struct pu_replay_data *new_data(void)
{
	struct pu_replay_data *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	return d;
}

static void add(struct pu_rlist_data *l, unsigned char b, long long t)
{
	memset(l->e[l->n].mac, b, PU_MAC_LEN);
	l->e[l->n].t = t;
	l->n++;
}

/* both lists a user's file holds, with times at the edges of the range
 * (logins in flight live in the pending file, never here) */
static struct pu_replay_data *sample(void)
{
	struct pu_replay_data *d = new_data();

	add(&d->hist, 0x11, 1700000000LL);
	add(&d->hist, 0x12, 0);
	add(&d->hist, 0x13, LLONG_MAX);
	add(&d->pw, 0x31, LLONG_MIN);
	add(&d->pw, 0x32, -1);
	add(&d->pw, 0x33, 0x0102030405060708LL);
	return d;
}

static void assert_same_list(const struct pu_rlist_data *a,
			     const struct pu_rlist_data *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_memory_equal(a->e[i].mac, b->e[i].mac, PU_MAC_LEN);
		if (a->e[i].t != b->e[i].t)
			fail_msg("entry %zu: time %lld, want %lld", i, b->e[i].t,
				 a->e[i].t);
	}
}

static void assert_same(const struct pu_replay_data *a,
			const struct pu_replay_data *b)
{
	assert_same_list(&a->hist, &b->hist);
	assert_same_list(&a->pw, &b->pw);
	assert_int_equal(b->pend.n, 0);
}

static void serialise(const unsigned char *k, const char *user,
		      const struct pu_replay_data *d, unsigned char **buf,
		      size_t *len)
{
	struct pu_err err = { PU_OK, "" };

	assert_int_equal(pu_replay_file_serialise(k, 32, user, d, buf, len,
						  &err), PU_OK);
	assert_non_null(*buf);
}

static enum pu_status parse(const unsigned char *k, const char *user,
			    const unsigned char *buf, size_t len,
			    struct pu_replay_data *d)
{
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_replay_file_parse(k, 32, user, buf, len, d, &err);

	if (st != PU_OK)
		assert_true(err.msg[0] != '\0');
	return st;
}

/* a file with a trailer that verifies: HMAC(key, user 0x00 contents) */
static unsigned char *sealed(const char *user, const void *body, size_t blen,
			     size_t *len)
{
	unsigned char *buf = malloc(blen + TRAILER);
	const struct pu_bytes parts[2] = {
		{ user, strlen(user) + 1 }, { body, blen },
	};

	assert_non_null(buf);
	memcpy(buf, body, blen);
	assert_true(pu_hmac_sha256(key, sizeof(key), parts, 2, buf + blen));
	*len = blen + TRAILER;
	return buf;
}

static void round_trip(void **state)
{
	struct pu_replay_data *d = sample(), *back = new_data();
	unsigned char *buf = NULL;
	size_t len = 0;

	(void)state;
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(len, MAGIC_LEN + 6 * REC + TRAILER);
	assert_memory_equal(buf, MAGIC, MAGIC_LEN);
	memset(back, 0xa5, sizeof(*back)); /* parse starts from nothing */
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	assert_same(d, back);
	free(buf);
	/* pending entries in d are not the user file's: never written */
	add(&d->pend, 0x21, 1700000300LL);
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(len, MAGIC_LEN + 6 * REC + TRAILER);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	assert_int_equal(back->pend.n, 0);
	free(buf);
	free(back);
	free(d);
}

static void round_trip_empty_and_full(void **state)
{
	struct pu_replay_data *d = new_data(), *back = new_data();
	unsigned char *buf = NULL;
	size_t len = 0;

	(void)state;
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(len, MAGIC_LEN + TRAILER);
	back->hist.n = 5;
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	assert_int_equal(back->hist.n + back->pend.n + back->pw.n, 0);
	free(buf);
	/* both lists full */
	for (size_t i = 0; i < PU_REPLAY_MAX; i++) {
		add(&d->hist, (unsigned char)i, (long long)i);
		add(&d->pw, (unsigned char)(i + 2), (long long)i << 32);
	}
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(len, MAGIC_LEN + 2 * PU_REPLAY_MAX * REC + TRAILER);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	assert_same(d, back);
	free(buf);
	free(back);
	free(d);
}

/* The bytes of the layout in store.h, and the trailer over them. */
static void layout(void **state)
{
	static const unsigned char t[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pu_replay_data *d = new_data();
	unsigned char *buf = NULL, mac[PU_MAC_LEN], want[TRAILER];
	size_t len = 0;
	struct pu_bytes p[2] = { { "alice", 6 }, { NULL, 0 } };

	(void)state;
	add(&d->pw, 0x33, 0x0102030405060708LL);
	add(&d->hist, 0x11, 0x0102030405060708LL);
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(len, MAGIC_LEN + 2 * REC + TRAILER);
	/* history first, then pwhist */
	memset(mac, 0x11, sizeof(mac));
	assert_int_equal(buf[MAGIC_LEN], PU_RL_HISTORY);
	assert_memory_equal(buf + MAGIC_LEN + 1, t, 8);
	assert_memory_equal(buf + MAGIC_LEN + 9, mac, PU_MAC_LEN);
	memset(mac, 0x33, sizeof(mac));
	assert_int_equal(buf[MAGIC_LEN + REC], PU_RL_PWHIST);
	assert_memory_equal(buf + MAGIC_LEN + REC + 1, t, 8);
	assert_memory_equal(buf + MAGIC_LEN + REC + 9, mac, PU_MAC_LEN);
	p[1].p = buf;
	p[1].len = len - TRAILER;
	assert_true(pu_hmac_sha256(key, sizeof(key), p, 2, want));
	assert_memory_equal(buf + len - TRAILER, want, TRAILER);
	free(buf);
	free(d);
}

static void trailer_binds_key_and_user(void **state)
{
	static const char *const others[] = {
		"bob", "alic", "alicex", "Alice", "", "alice\n",
	};
	struct pu_replay_data *d = sample(), *back = new_data();
	unsigned char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;

	(void)state;
	serialise(key, "alice", d, &buf, &len);
	assert_int_equal(parse(key2, "alice", buf, len, back), PU_UNAVAIL);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (parse(key, others[i], buf, len, back) != PU_UNAVAIL)
			fail_msg("alice's file parsed as \"%s\"", others[i]);
	/* the same lists of two users are two different files */
	serialise(key, "bob", d, &buf2, &len2);
	assert_int_equal(len, len2);
	assert_memory_not_equal(buf + len - TRAILER, buf2 + len - TRAILER,
				TRAILER);
	assert_int_equal(parse(key, "bob", buf2, len2, back), PU_OK);
	assert_int_equal(parse(key, "alice", buf2, len2, back), PU_UNAVAIL);
	free(buf2);
	/* and under two keys */
	serialise(key2, "alice", d, &buf2, &len2);
	assert_memory_not_equal(buf + len - TRAILER, buf2 + len - TRAILER,
				TRAILER);
	assert_int_equal(parse(key2, "alice", buf2, len2, back), PU_OK);
	free(buf2);
	free(buf);
	free(back);
	free(d);
}

static void flipped_bit_anywhere(void **state)
{
	struct pu_replay_data *d = sample(), *back = new_data();
	unsigned char *buf = NULL;
	size_t len = 0;

	(void)state;
	serialise(key, "alice", d, &buf, &len);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (unsigned char)(1 << bit);
			if (parse(key, "alice", buf, len, back) == PU_OK)
				fail_msg("byte %zu bit %d flipped: parsed", i,
					 bit);
			buf[i] ^= (unsigned char)(1 << bit);
		}
	}
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	free(buf);
	free(back);
	free(d);
}

static void truncated_or_extended(void **state)
{
	struct pu_replay_data *d = sample(), *back = new_data();
	unsigned char *buf = NULL, *longer;
	size_t len = 0;

	(void)state;
	serialise(key, "alice", d, &buf, &len);
	for (size_t n = 0; n < len; n++) {
		/* a copy of exactly n bytes: ASan sees any read past it */
		unsigned char *cut = malloc(n ? n : 1);

		assert_non_null(cut);
		memcpy(cut, buf, n);
		if (parse(key, "alice", cut, n, back) == PU_OK)
			fail_msg("truncated to %zu of %zu bytes: parsed", n, len);
		free(cut);
	}
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	longer[len] = 0;
	assert_int_equal(parse(key, "alice", longer, len + 1, back), PU_UNAVAIL);
	free(longer);
	free(buf);
	free(back);
	free(d);
}

static void bad_shape_with_good_trailer(void **state)
{
	unsigned char body[MAGIC_LEN + 2 * REC + 1], *buf;
	struct pu_replay_data *back = new_data();
	size_t len = 0;

	(void)state;
	memset(body, 0, sizeof(body));
	memcpy(body, MAGIC, MAGIC_LEN);
	body[MAGIC_LEN] = PU_RL_HISTORY;
	body[MAGIC_LEN + REC] = PU_RL_PWHIST;
	/* the control: two records, well formed */
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	assert_int_equal(back->hist.n, 1);
	assert_int_equal(back->pw.n, 1);
	free(buf);
	/* a pending record (kind 2, PUREPLAY1's) has no place here */
	body[MAGIC_LEN + REC] = PU_RL_PENDING;
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	body[MAGIC_LEN + REC] = PU_RL_PWHIST;
	/* older or other magic */
	memcpy(body, "PUREPLAY1\n", MAGIC_LEN);
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	memcpy(body, "pureplay2\n", MAGIC_LEN);
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	memcpy(body, MAGIC, MAGIC_LEN);
	/* records not a multiple of 41 bytes */
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC + 1, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	buf = sealed("alice", body, MAGIC_LEN + REC - 1, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	/* a kind that is neither */
	body[MAGIC_LEN + REC] = 4;
	buf = sealed("alice", body, MAGIC_LEN + 2 * REC, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	/* the magic alone and the trailer: an empty store */
	buf = sealed("alice", body, MAGIC_LEN, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_OK);
	free(buf);
	/* no magic at all: just a trailer */
	buf = sealed("alice", body, 0, &len);
	assert_int_equal(parse(key, "alice", buf, len, back), PU_UNAVAIL);
	free(buf);
	free(back);
}

/* ---------------- records, below the trailer ---------------- */

static enum pu_status records(const unsigned char *buf, size_t len,
			      struct pu_replay_data *d)
{
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_replay_file_parse_records(buf, len, d, &err);

	if (st != PU_OK)
		assert_true(err.msg[0] != '\0');
	return st;
}

static void put(unsigned char *r, int kind, unsigned long long t,
		unsigned char b)
{
	r[0] = (unsigned char)kind;
	for (int i = 0; i < 8; i++)
		r[1 + i] = (unsigned char)(t >> (56 - 8 * i));
	memset(r + 9, b, PU_MAC_LEN);
}

static void records_kinds(void **state)
{
	static const int bad[] = { 0, PU_RL_PENDING, 4, 5, 0x81, 0xff };
	unsigned char buf[4 * REC];
	struct pu_replay_data *d = new_data();

	(void)state;
	/* kinds in any order; each list keeps its own order */
	put(buf, PU_RL_PWHIST, 7, 0x31);
	put(buf + REC, PU_RL_HISTORY, 0x8000000000000000ULL, 0x11);
	put(buf + 2 * REC, PU_RL_PWHIST, 9, 0x32);
	put(buf + 3 * REC, PU_RL_HISTORY, 0x00000000ffffffffULL, 0x12);
	memset(d, 0x5a, sizeof(*d));
	assert_int_equal(records(buf, sizeof(buf), d), PU_OK);
	assert_int_equal(d->hist.n, 2);
	assert_int_equal(d->pend.n, 0);
	assert_int_equal(d->pw.n, 2);
	assert_true(d->hist.e[0].t == LLONG_MIN);
	assert_int_equal(d->hist.e[1].t, 0xffffffffLL);
	assert_int_equal(d->pw.e[0].t, 7);
	assert_int_equal(d->pw.e[1].t, 9);
	assert_int_equal(d->pw.e[0].mac[0], 0x31);
	assert_int_equal(d->pw.e[1].mac[31], 0x32);
	assert_int_equal(d->hist.e[0].mac[0], 0x11);
	/* nothing at all is an empty store */
	assert_int_equal(records(buf, 0, d), PU_OK);
	assert_int_equal(d->hist.n + d->pend.n + d->pw.n, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf[2 * REC] = (unsigned char)bad[i];
		if (records(buf, sizeof(buf), d) != PU_UNAVAIL)
			fail_msg("kind %d accepted", bad[i]);
	}
	free(d);
}

static void records_length(void **state)
{
	static const size_t lens[] = { 1, REC - 1, REC + 1, 2 * REC - 1,
				       2 * REC + 40 };
	unsigned char buf[3 * REC];
	struct pu_replay_data *d = new_data();

	(void)state;
	put(buf, PU_RL_HISTORY, 1, 1);
	put(buf + REC, PU_RL_HISTORY, 2, 2);
	put(buf + 2 * REC, PU_RL_HISTORY, 3, 3);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		if (records(buf, lens[i], d) != PU_UNAVAIL)
			fail_msg("%zu bytes of records accepted", lens[i]);
	assert_int_equal(records(buf, 3 * REC, d), PU_OK);
	assert_int_equal(d->hist.n, 3);
	free(d);
}

static void records_too_many(void **state)
{
	static const int kinds[] = { PU_RL_HISTORY, PU_RL_PWHIST };
	size_t n = 2 * PU_REPLAY_MAX + 1;
	unsigned char *buf = malloc(n * REC);
	struct pu_replay_data *d = new_data();

	(void)state;
	assert_non_null(buf);
	/* PU_REPLAY_MAX of each kind: fine */
	for (size_t i = 0; i < 2 * PU_REPLAY_MAX; i++)
		put(buf + i * REC, kinds[i / PU_REPLAY_MAX], i, (unsigned char)i);
	assert_int_equal(records(buf, 2 * PU_REPLAY_MAX * REC, d), PU_OK);
	assert_int_equal(d->hist.n, PU_REPLAY_MAX);
	assert_int_equal(d->pw.n, PU_REPLAY_MAX);
	/* one more of either kind: refused, wherever it is */
	for (size_t k = 0; k < 2; k++) {
		put(buf + 2 * PU_REPLAY_MAX * REC, kinds[k], 0, 0);
		if (records(buf, n * REC, d) != PU_UNAVAIL)
			fail_msg("kind %d: %d records accepted", kinds[k],
				 PU_REPLAY_MAX + 1);
	}
	for (size_t i = 0; i <= PU_REPLAY_MAX; i++)
		put(buf + i * REC, PU_RL_PWHIST, i, 0);
	assert_int_equal(records(buf, (PU_REPLAY_MAX + 1) * REC, d),
			 PU_UNAVAIL);
	free(buf);
	free(d);
}

static void file_name(void **state)
{
	static const struct {
		const char *user, *hex;
	} rows[] = {
		/* sha256, from Python's hashlib */
		{ "alice", "2bd806c97f0e00af1a1fc3328fa763a9"
			   "269723c8db8fac4f93af71db186d6e90" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		      "27ae41e4649b934ca495991b7852b855" },
		{ "bob\xc3\xa9", "b7f94467142bd563a452b1ce42a6907f"
				 "f3ada4de4465d16832b98ac2cc22ccb7" },
	};
	char hex[65];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(hex, 'x', sizeof(hex));
		pu_replay_file_name(rows[i].user, hex);
		assert_string_equal(hex, rows[i].hex);
	}
	/* a name with '/' or ".." never reaches the path */
	pu_replay_file_name("../../etc/passwd", hex);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
}

/* ---------------- the pending file ---------------- */

#define PMAGIC "PUPENDING1\n"
#define PMAGIC_LEN 11
#define PREC 88 /* sha256(user) (32) | id (16) | expiry (8) | mac (32) */

static struct pu_pending_file *pending_sample(size_t n)
{
	struct pu_pending_file *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	for (size_t i = 0; i < n; i++) {
		memset(p->r[i].user, (int)(i & 0xff), 32);
		memset(p->r[i].id, (int)((i + 1) & 0xff), PU_ID_LEN);
		memset(p->r[i].mac, (int)((i + 2) & 0xff), PU_MAC_LEN);
		p->r[i].expiry = i == 0 ? LLONG_MIN :
				 i == 1 ? LLONG_MAX : (long long)i << 33;
	}
	p->n = n;
	return p;
}

static void pending_round_trip(void **state)
{
	static const size_t counts[] = { 0, 1, 2, 7, PU_PENDING_FILE_MAX };
	struct pu_err err = { PU_OK, "" };

	(void)state;
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		struct pu_pending_file *p = pending_sample(counts[c]);
		struct pu_pending_file *back = pending_sample(3);
		unsigned char *buf = NULL;
		size_t len = 0;

		assert_int_equal(pu_pending_serialise(key, 32, p, &buf, &len,
						      &err), PU_OK);
		assert_int_equal(len, PMAGIC_LEN + counts[c] * PREC + TRAILER);
		assert_memory_equal(buf, PMAGIC, PMAGIC_LEN);
		assert_int_equal(pu_pending_parse(key, 32, buf, len, back, &err),
				 PU_OK);
		assert_int_equal(back->n, p->n);
		for (size_t i = 0; i < p->n; i++) {
			assert_memory_equal(back->r[i].user, p->r[i].user, 32);
			assert_memory_equal(back->r[i].id, p->r[i].id,
					    PU_ID_LEN);
			assert_memory_equal(back->r[i].mac, p->r[i].mac,
					    PU_MAC_LEN);
			assert_true(back->r[i].expiry == p->r[i].expiry);
		}
		/* under another key, or read as a user's file: corrupt */
		assert_int_equal(pu_pending_parse(key2, 32, buf, len, back,
						  &err), PU_UNAVAIL);
		assert_int_equal(back->n, 0);
		{
			struct pu_replay_data *d = new_data();

			assert_int_equal(parse(key, "pending", buf, len, d),
					 PU_UNAVAIL);
			free(d);
		}
		free(buf);
		free(back);
		free(p);
	}
}

static void pending_tampered(void **state)
{
	struct pu_pending_file *p = pending_sample(2), *back = pending_sample(0);
	struct pu_err err = { PU_OK, "" };
	unsigned char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(pu_pending_serialise(key, 32, p, &buf, &len, &err),
			 PU_OK);
	/* any bit, any truncation, one byte more */
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		if (pu_pending_parse(key, 32, buf, len, back, &err) == PU_OK)
			fail_msg("byte %zu flipped: parsed", i);
		buf[i] ^= 0x01;
	}
	for (size_t n = 0; n < len; n++) {
		unsigned char *cut = malloc(n ? n : 1);

		assert_non_null(cut);
		memcpy(cut, buf, n);
		if (pu_pending_parse(key, 32, cut, n, back, &err) == PU_OK)
			fail_msg("truncated to %zu bytes: parsed", n);
		free(cut);
	}
	/* a user's file is not the pending file */
	{
		struct pu_replay_data *d = sample();
		unsigned char *ubuf = NULL;
		size_t ulen = 0;

		serialise(key, "pending", d, &ubuf, &ulen);
		assert_int_equal(pu_pending_parse(key, 32, ubuf, ulen, back,
						  &err), PU_UNAVAIL);
		free(ubuf);
		free(d);
	}
	free(buf);
	free(back);
	free(p);
}

static void pending_records_bounds(void **state)
{
	size_t max = PU_PENDING_FILE_MAX;
	unsigned char *buf = calloc(max + 1, PREC);
	struct pu_pending_file *p = pending_sample(0);
	struct pu_err err = { PU_OK, "" };

	(void)state;
	assert_non_null(buf);
	assert_int_equal(pu_pending_parse_records(buf, 0, p, &err), PU_OK);
	assert_int_equal(p->n, 0);
	assert_int_equal(pu_pending_parse_records(buf, max * PREC, p, &err),
			 PU_OK);
	assert_int_equal(p->n, max);
	/* one record more than the cap, or a partial record: refused */
	assert_int_equal(pu_pending_parse_records(buf, (max + 1) * PREC, p,
						  &err), PU_UNAVAIL);
	assert_int_equal(p->n, 0);
	assert_int_equal(pu_pending_parse_records(buf, PREC - 1, p, &err),
			 PU_UNAVAIL);
	assert_int_equal(pu_pending_parse_records(buf, PREC + 1, p, &err),
			 PU_UNAVAIL);
	free(buf);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(round_trip_empty_and_full),
		cmocka_unit_test(layout),
		cmocka_unit_test(trailer_binds_key_and_user),
		cmocka_unit_test(flipped_bit_anywhere),
		cmocka_unit_test(truncated_or_extended),
		cmocka_unit_test(bad_shape_with_good_trailer),
		cmocka_unit_test(records_kinds),
		cmocka_unit_test(records_length),
		cmocka_unit_test(records_too_many),
		cmocka_unit_test(file_name),
		cmocka_unit_test(pending_round_trip),
		cmocka_unit_test(pending_tampered),
		cmocka_unit_test(pending_records_bounds),
	};

	return cmocka_run_group_tests_name("store_file", tests, NULL, NULL);
}
