/*
 * A whole replay store file: pu_replay_file_parse() with the HMAC
 * trailer.  The first byte picks how the rest is used:
 *   even: the rest is the file, as read from disk (a planted or damaged
 *         file; it must not verify unless it is byte for byte what the
 *         key would sign);
 *   odd:  the rest is the records, and the harness signs them for
 *         FUZZ_USER with fuzz_key (replay.h, from the format in
 *         store.h), so the parser below the check is reached too.
 * A file that verifies must decode to exactly its records; it must not
 * verify for another user or another key; and serialising what was read
 * gives a file that reads back the same.
 */
#include "fuzz.h"
#include "replay.h"

static struct pu_replay_data d, d2;

static void roundtrip(const struct pu_replay_data *in)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	struct pu_err err = { PU_OK, "" };

	FUZZ_CHECK(pu_replay_file_serialise(fuzz_key, sizeof(fuzz_key),
					    FUZZ_USER, in, &buf, &len,
					    &err) == PU_OK);
	FUZZ_CHECK(len == FUZZ_MAGIC_LEN + FUZZ_TRAILER +
			  (in->hist.n + in->pend.n + in->pw.n) * FUZZ_REC_LEN);
	FUZZ_CHECK(pu_replay_file_parse(fuzz_key, sizeof(fuzz_key), FUZZ_USER,
					buf, len, &d2, &err) == PU_OK);
	FUZZ_CHECK(fuzz_replay_equal(in, &d2));
	/* the serialiser's trailer is the one the format describes */
	{
		size_t wlen = 0;
		unsigned char *want = fuzz_replay_wrap(buf + FUZZ_MAGIC_LEN,
						       len - FUZZ_MAGIC_LEN -
						       FUZZ_TRAILER, &wlen);

		FUZZ_CHECK(wlen == len && memcmp(want, buf, len) == 0);
		free(want);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pu_err err = { PU_OK, "" };
	const unsigned char *file;
	unsigned char *signed_file = NULL;
	size_t len;
	enum pu_status st;

	if (size < 1 || size > 3 * 1024 * FUZZ_REC_LEN + 64)
		return -1;
	if (data[0] & 1) {
		signed_file = fuzz_replay_wrap(data + 1, size - 1, &len);
		file = signed_file;
	} else {
		file = data + 1;
		len = size - 1;
	}

	st = pu_replay_file_parse(fuzz_key, sizeof(fuzz_key), FUZZ_USER, file,
				  len, &d, &err);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL); /* corrupt: never "empty" */
		/* a signed file fails only for its records */
		if (signed_file != NULL)
			FUZZ_CHECK(!fuzz_records_valid(data + 1, size - 1));
	} else {
		FUZZ_CHECK(len >= FUZZ_MAGIC_LEN + FUZZ_TRAILER);
		FUZZ_CHECK(memcmp(file, FUZZ_MAGIC, FUZZ_MAGIC_LEN) == 0);
		FUZZ_CHECK(fuzz_records_valid(file + FUZZ_MAGIC_LEN,
					      len - FUZZ_MAGIC_LEN - FUZZ_TRAILER));
		FUZZ_CHECK(fuzz_replay_matches(file + FUZZ_MAGIC_LEN,
					       len - FUZZ_MAGIC_LEN - FUZZ_TRAILER,
					       &d));
		FUZZ_CHECK(d.hist.n <= PU_REPLAY_MAX && d.pend.n <= PU_REPLAY_MAX &&
			   d.pw.n <= PU_REPLAY_MAX);
		/* bound to the user and the key */
		{
			static const unsigned char other[32] = { 1 };

			FUZZ_CHECK(pu_replay_file_parse(fuzz_key, sizeof(fuzz_key),
							"bob", file, len, &d2,
							NULL) == PU_UNAVAIL);
			FUZZ_CHECK(pu_replay_file_parse(other, sizeof(other),
							FUZZ_USER, file, len,
							&d2, NULL) == PU_UNAVAIL);
		}
		roundtrip(&d);
	}
	free(signed_file);
	return 0;
}
