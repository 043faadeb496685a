/*
 * The replay records below the HMAC check: pu_replay_file_parse_records(),
 * the test entry point of store_file.c.  The first 8 bytes are the
 * options and the operation, the rest is the records.  What parses must
 * be exactly the records (replay.h's reading of the format), serialise
 * and parse back the same, and then survive the list rules of entry.h
 * (login, promote, pwhist) with their promises:
 *   - a refused login changes nothing; a recorded one is at the front;
 *   - no list ever exceeds PU_REPLAY_MAX, history never exceeds window
 *     after a push, and a pushed MAC is there exactly once;
 *   - promote commits exactly the unexpired pending logins, newest first.
 */
#include "backends/replay/entry.h"
#include "fuzz.h"
#include "replay.h"

static struct pu_replay_data d, d2, before;

static size_t count(const struct pu_rlist_data *l, const unsigned char *mac)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += memcmp(l->e[i].mac, mac, PU_MAC_LEN) == 0;
	return n;
}

static void check_bounds(const struct pu_replay_data *x)
{
	FUZZ_CHECK(x->hist.n <= PU_REPLAY_MAX);
	FUZZ_CHECK(x->pend.n <= PU_REPLAY_MAX);
	FUZZ_CHECK(x->pw.n <= PU_REPLAY_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pu_replay_opts o;
	struct pu_err err = { PU_OK, "" };
	unsigned char mac[PU_MAC_LEN], id[PU_ID_LEN];
	const uint8_t *rec;
	size_t len;
	long long now;
	enum pu_status st;

	if (size < 8 || size > 8 + 3 * 1024 * FUZZ_REC_LEN + FUZZ_REC_LEN)
		return -1;
	memset(&o, 0, sizeof(o));
	o.window = (data[0] | (data[1] & 3) << 8) % 1001;       /* 0..1000 */
	o.remember = (data[2] | (data[3] & 3) << 8) % 1001;
	o.commit = (data[4] & 1) ? PU_COMMIT_AUTH : PU_COMMIT_SESSION;
	o.pending_ttl = 1 + data[5] * 300;                      /* 1..76501 */
	now = 1700000000LL + (long long)(int8_t)data[6] * 1000;
	memset(id, data[5] ^ 0x5a, sizeof(id));
	rec = data + 8;
	len = size - 8;

	st = pu_replay_file_parse_records(rec, len, &d, &err);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL);
		/* only a shape, kind or count problem is refused */
		FUZZ_CHECK(!fuzz_records_valid(rec, len));
		return 0;
	}
	check_bounds(&d);
	FUZZ_CHECK(fuzz_records_valid(rec, len));
	FUZZ_CHECK(fuzz_replay_matches(rec, len, &d));

	/* serialise -> parse gives the same lists */
	{
		unsigned char *buf = NULL;
		size_t blen = 0;

		FUZZ_CHECK(pu_replay_file_serialise(fuzz_key, sizeof(fuzz_key),
						    FUZZ_USER, &d, &buf, &blen,
						    &err) == PU_OK);
		FUZZ_CHECK(pu_replay_file_parse(fuzz_key, sizeof(fuzz_key),
						FUZZ_USER, buf, blen, &d2,
						&err) == PU_OK);
		FUZZ_CHECK(fuzz_replay_equal(&d, &d2));
		free(buf);
	}

	/* the MAC to log in with: an existing entry or a new one */
	memset(mac, data[7], sizeof(mac));
	if ((data[7] & 0x80) && d.hist.n > 0)
		memcpy(mac, d.hist.e[data[7] % d.hist.n].mac, PU_MAC_LEN);

	/* login: for login id (commit=session) or straight to history */
	{
		bool replayed = false, changed, pending = false;
		const unsigned char *use = (data[6] & 1) ? id : NULL;

		for (size_t i = 0; i < d.pend.n; i++)
			pending |= d.pend.e[i].t > now &&
				   memcmp(d.pend.e[i].mac, mac, PU_MAC_LEN) == 0;
		before = d;
		changed = pu_replay_apply_login(&d, &o, mac, now, use, &replayed);
		check_bounds(&d);
		FUZZ_CHECK(replayed == (pu_rlist_has(&before.hist, (size_t)o.window,
						     mac) || pending));
		if (replayed) {
			FUZZ_CHECK(!changed);
			FUZZ_CHECK(fuzz_replay_equal(&d, &before));
		} else if (use == NULL) {
			FUZZ_CHECK(changed);
			FUZZ_CHECK(d.hist.n <= (size_t)o.window);
			if (o.window > 0) {
				FUZZ_CHECK(memcmp(d.hist.e[0].mac, mac,
						  PU_MAC_LEN) == 0);
				FUZZ_CHECK(d.hist.e[0].t == now);
				FUZZ_CHECK(count(&d.hist, mac) == 1);
			}
		} else {
			FUZZ_CHECK(changed);
			FUZZ_CHECK(d.pend.n >= 1 && d.pend.n <= PU_PENDING_MAX);
			FUZZ_CHECK(memcmp(d.pend.e[0].mac, mac, PU_MAC_LEN) == 0);
			FUZZ_CHECK(memcmp(d.pend.e[0].id, id, PU_ID_LEN) == 0);
			FUZZ_CHECK(d.pend.e[0].t == now + o.pending_ttl);
			for (size_t i = 0; i < d.pend.n; i++)
				FUZZ_CHECK(d.pend.e[i].t > now);
		}
	}

	/* commit: only that login's own entry becomes history */
	{
		bool committed = false, mine = false;
		unsigned char mymac[PU_MAC_LEN];

		for (size_t i = 0; i < d.pend.n; i++)
			if (d.pend.e[i].t > now &&
			    memcmp(d.pend.e[i].id, id, PU_ID_LEN) == 0) {
				mine = true;
				memcpy(mymac, d.pend.e[i].mac, PU_MAC_LEN);
			}
		before = d;
		pu_replay_apply_commit(&d, &o, id, now, &committed);
		check_bounds(&d);
		FUZZ_CHECK(committed == mine);
		for (size_t i = 0; i < d.pend.n; i++)
			FUZZ_CHECK(memcmp(d.pend.e[i].id, id, PU_ID_LEN) != 0);
		if (committed && o.window > 0) {
			FUZZ_CHECK(memcmp(d.hist.e[0].mac, mymac, PU_MAC_LEN) == 0);
			FUZZ_CHECK(count(&d.hist, mymac) == 1);
		}
		if (!committed)
			FUZZ_CHECK(fuzz_rlist_equal(&d.hist, &before.hist));
	}

	/* password history */
	{
		bool used = false, changed;
		bool record = (data[4] & 2) != 0;

		before = d;
		changed = pu_replay_apply_pwhist(&d, &o, mac, now, record, &used);
		check_bounds(&d);
		FUZZ_CHECK(used == pu_rlist_has(&before.pw, (size_t)o.remember, mac));
		if (used || !record) {
			FUZZ_CHECK(!changed);
			FUZZ_CHECK(fuzz_replay_equal(&d, &before));
		} else {
			FUZZ_CHECK(changed);
			FUZZ_CHECK(d.pw.n <= (size_t)o.remember);
			if (o.remember > 0)
				FUZZ_CHECK(memcmp(d.pw.e[0].mac, mac, PU_MAC_LEN) == 0 &&
					   count(&d.pw, mac) == 1);
		}
	}
	return 0;
}
