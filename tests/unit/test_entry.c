/* Replay entries: the list rules, the three operations, the MAC, the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/replay/entry.h"
#include "common/hex.h"
#include "common/secret.h"

#define NOW 1700000000LL

static char tmpdir[64];

/* a MAC that is `b` in every byte */
/* a login's id, every byte b (a ring of buffers, as M) */
static const unsigned char *ID(unsigned char b)
{
	static unsigned char ids[8][PU_ID_LEN];
	static int next;
	unsigned char *id = ids[next++ % 8];

	memset(id, b, PU_ID_LEN);
	return id;
}

static const unsigned char *M(unsigned char b)
{
	static unsigned char macs[256][PU_MAC_LEN];

	memset(macs[b], b, PU_MAC_LEN);
	return macs[b];
}

static struct pu_rlist_data *new_list(void)
{
	struct pu_rlist_data *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

static struct pu_replay_data *new_data(void)
{
	struct pu_replay_data *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	return d;
}

/* l holds exactly the MACs of `bytes` (each M(b)), in that order */
static void assert_list(const struct pu_rlist_data *l, const char *bytes)
{
	size_t n = strlen(bytes);

	if (l->n != n)
		fail_msg("list has %zu entries, want %zu (\"%s\")", l->n, n,
			 bytes);
	for (size_t i = 0; i < n; i++)
		if (memcmp(l->e[i].mac, M((unsigned char)bytes[i]),
			   PU_MAC_LEN) != 0)
			fail_msg("entry %zu is %c, want %c", i, l->e[i].mac[0],
				 bytes[i]);
}

/* a list of M(b) for each b of bytes, times t0, t0 - 1, ... */
static void fill(struct pu_rlist_data *l, const char *bytes, long long t0)
{
	l->n = 0;
	for (size_t i = 0; bytes[i] != '\0'; i++) {
		memcpy(l->e[i].mac, M((unsigned char)bytes[i]), PU_MAC_LEN);
		l->e[i].t = t0 - (long long)i;
		l->n++;
	}
}

static struct pu_replay_opts opts(long window, long remember,
				  enum pu_commit commit)
{
	struct pu_replay_opts o;

	memset(&o, 0, sizeof(o));
	o.window = window;
	o.remember = remember;
	o.commit = commit;
	o.pending_ttl = 300;
	return o;
}

/* ---------------- lists ---------------- */

static void rlist_has(void **state)
{
	struct pu_rlist_data *l = new_list();
	unsigned char near[PU_MAC_LEN];

	(void)state;
	assert_false(pu_rlist_has(l, 10, M('A')));
	fill(l, "ABC", NOW);
	assert_true(pu_rlist_has(l, 1, M('A')));
	assert_false(pu_rlist_has(l, 1, M('B')));
	assert_true(pu_rlist_has(l, 2, M('B')));
	assert_false(pu_rlist_has(l, 2, M('C')));
	assert_true(pu_rlist_has(l, 3, M('C')));
	/* a limit past the end reads no further than n */
	assert_true(pu_rlist_has(l, PU_REPLAY_MAX * 4, M('C')));
	assert_false(pu_rlist_has(l, PU_REPLAY_MAX * 4, M('D')));
	assert_false(pu_rlist_has(l, 0, M('A')));
	/* every byte counts, the last one too */
	memcpy(near, M('C'), PU_MAC_LEN);
	near[PU_MAC_LEN - 1] ^= 1;
	assert_false(pu_rlist_has(l, 3, near));
	near[PU_MAC_LEN - 1] ^= 1;
	near[0] ^= 0x80;
	assert_false(pu_rlist_has(l, 3, near));
	/* entries beyond n are not looked at */
	l->n = 2;
	assert_false(pu_rlist_has(l, 3, M('C')));
	free(l);
}

static void rlist_push(void **state)
{
	struct pu_rlist_data *l = new_list();

	(void)state;
	pu_rlist_push(l, M('A'), 1, 5);
	assert_list(l, "A");
	assert_int_equal(l->e[0].t, 1);
	pu_rlist_push(l, M('B'), 2, 5);
	pu_rlist_push(l, M('C'), 3, 5);
	assert_list(l, "CBA");
	/* move to front, with the new time; no duplicate */
	pu_rlist_push(l, M('A'), 4, 5);
	assert_list(l, "ACB");
	assert_int_equal(l->e[0].t, 4);
	assert_int_equal(l->e[1].t, 3);
	assert_int_equal(l->e[2].t, 2);
	/* already at the front */
	pu_rlist_push(l, M('A'), 5, 5);
	assert_list(l, "ACB");
	assert_int_equal(l->e[0].t, 5);
	/* keep drops the oldest */
	pu_rlist_push(l, M('D'), 6, 5);
	pu_rlist_push(l, M('E'), 7, 5);
	pu_rlist_push(l, M('F'), 8, 5);
	assert_list(l, "FEDAC");
	/* a smaller keep than the list holds (window lowered) */
	pu_rlist_push(l, M('G'), 9, 2);
	assert_list(l, "GF");
	/* moving the last entry to the front under keep */
	fill(l, "ABC", NOW);
	pu_rlist_push(l, M('C'), NOW + 1, 3);
	assert_list(l, "CAB");
	/* keep 1 */
	pu_rlist_push(l, M('B'), NOW + 2, 1);
	assert_list(l, "B");
	/* keep 0 empties the list */
	fill(l, "ABC", NOW);
	pu_rlist_push(l, M('D'), NOW, 0);
	assert_int_equal(l->n, 0);
	free(l);
}

static void rlist_push_dedupes_all_copies(void **state)
{
	struct pu_rlist_data *l = new_list();

	(void)state;
	/* a list read from a store may hold a MAC twice: pushing it
	 * leaves one copy (other MACs are left as they are) */
	fill(l, "ABAB", NOW);
	pu_rlist_push(l, M('A'), NOW + 1, 10);
	assert_list(l, "ABB");
	fill(l, "BABA", NOW);
	pu_rlist_push(l, M('A'), NOW + 1, 10);
	assert_list(l, "ABB");
	fill(l, "ABAB", NOW);
	pu_rlist_push(l, M('C'), NOW + 1, 10);
	assert_list(l, "CABAB");
	free(l);
}

static void rlist_push_keep_above_max(void **state)
{
	struct pu_rlist_data *l = new_list();
	unsigned char mac[PU_MAC_LEN];

	(void)state;
	for (size_t i = 0; i < PU_REPLAY_MAX + 10; i++) {
		memset(mac, 0, sizeof(mac));
		memcpy(mac, &i, sizeof(i));
		pu_rlist_push(l, mac, (long long)i, PU_REPLAY_MAX * 2);
		assert_true(l->n <= PU_REPLAY_MAX);
	}
	assert_int_equal(l->n, PU_REPLAY_MAX);
	/* newest at the front, the oldest ten gone */
	assert_int_equal(l->e[0].t, PU_REPLAY_MAX + 9);
	assert_int_equal(l->e[PU_REPLAY_MAX - 1].t, 10);
	/* a full list, a known MAC moved to the front: still full */
	memcpy(mac, l->e[PU_REPLAY_MAX - 1].mac, PU_MAC_LEN);
	pu_rlist_push(l, mac, 0, (size_t)-1);
	assert_int_equal(l->n, PU_REPLAY_MAX);
	assert_memory_equal(l->e[0].mac, mac, PU_MAC_LEN);
	assert_int_equal(l->e[1].t, PU_REPLAY_MAX + 9);
	free(l);
}

static void rlist_drop_expired(void **state)
{
	struct pu_rlist_data *l = new_list();

	(void)state;
	pu_rlist_drop_expired(l, NOW);
	assert_int_equal(l->n, 0);
	fill(l, "ABCDE", NOW);
	/* times NOW .. NOW-4 */
	pu_rlist_drop_expired(l, NOW - 5);
	assert_list(l, "ABCDE");
	/* an entry whose time is now has expired */
	pu_rlist_drop_expired(l, NOW - 2);
	assert_list(l, "AB");
	pu_rlist_drop_expired(l, NOW);
	assert_int_equal(l->n, 0);
	/* unsorted times: order of the survivors kept */
	fill(l, "ABCD", NOW);
	l->e[0].t = 10;
	l->e[1].t = 30;
	l->e[2].t = 20;
	l->e[3].t = 40;
	pu_rlist_drop_expired(l, 20);
	assert_list(l, "BD");
	assert_int_equal(l->e[0].t, 30);
	assert_int_equal(l->e[1].t, 40);
	free(l);
}

/* ---------------- operations ---------------- */

static void login_commit_auth(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 0, PU_COMMIT_AUTH);
	bool replayed = true;

	(void)state;
	assert_true(pu_replay_apply_login(d, &o, M('A'), NOW, NULL, &replayed));
	assert_false(replayed);
	assert_list(&d->hist, "A");
	assert_int_equal(d->hist.e[0].t, NOW);
	assert_int_equal(d->pend.n, 0);
	/* the same password again: refused, nothing changed */
	assert_false(pu_replay_apply_login(d, &o, M('A'), NOW + 1, NULL, &replayed));
	assert_true(replayed);
	assert_list(&d->hist, "A");
	assert_int_equal(d->hist.e[0].t, NOW);
	/* three more push A out of a window of 3 */
	assert_true(pu_replay_apply_login(d, &o, M('B'), NOW + 2, NULL, &replayed));
	assert_true(pu_replay_apply_login(d, &o, M('C'), NOW + 3, NULL, &replayed));
	assert_false(pu_replay_apply_login(d, &o, M('A'), NOW + 4, NULL, &replayed));
	assert_true(replayed);
	assert_true(pu_replay_apply_login(d, &o, M('D'), NOW + 5, NULL, &replayed));
	assert_list(&d->hist, "DCB");
	assert_true(pu_replay_apply_login(d, &o, M('A'), NOW + 6, NULL, &replayed));
	assert_false(replayed);
	assert_list(&d->hist, "ADC");
	assert_int_equal(d->pend.n, 0);
	assert_int_equal(d->pw.n, 0);
	free(d);
}

static void login_window_lowered(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(2, 0, PU_COMMIT_AUTH);
	bool replayed = true;

	(void)state;
	/* written with a larger window: only the first 2 count now */
	fill(&d->hist, "ABCDE", NOW);
	assert_false(pu_replay_apply_login(d, &o, M('B'), NOW + 1, NULL, &replayed));
	assert_true(replayed);
	assert_true(pu_replay_apply_login(d, &o, M('C'), NOW + 1, NULL, &replayed));
	assert_false(replayed);
	assert_list(&d->hist, "CA");
	free(d);
}

static void login_window_zero(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(0, 0, PU_COMMIT_AUTH);
	bool replayed = true;

	(void)state;
	/* window 0 checks nothing and keeps nothing (the backend does not
	 * even call the store then) */
	fill(&d->hist, "AB", NOW);
	pu_replay_apply_login(d, &o, M('A'), NOW + 1, NULL, &replayed);
	assert_false(replayed);
	pu_replay_apply_login(d, &o, M('A'), NOW + 2, NULL, &replayed);
	assert_false(replayed);
	assert_int_equal(d->hist.n, 0);
	free(d);
}

static void login_commit_session(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 0, PU_COMMIT_SESSION);
	bool replayed = true;

	(void)state;
	assert_true(pu_replay_apply_login(d, &o, M('A'), NOW, ID(1), &replayed));
	assert_false(replayed);
	/* pending for login 1, with its expiry; history untouched */
	assert_int_equal(d->hist.n, 0);
	assert_list(&d->pend, "A");
	assert_int_equal(d->pend.e[0].t, NOW + 300);
	assert_memory_equal(d->pend.e[0].id, ID(1), PU_ID_LEN);
	/* the same password for another login while A is in flight:
	 * refused as a used one, nothing changed */
	assert_false(pu_replay_apply_login(d, &o, M('A'), NOW + 10, ID(2),
					   &replayed));
	assert_true(replayed);
	assert_list(&d->pend, "A");
	assert_true(pu_replay_apply_login(d, &o, M('B'), NOW + 20, ID(3),
					  &replayed));
	assert_list(&d->pend, "BA");
	/* expired pending entries go at the next login, and free their
	 * password again */
	assert_true(pu_replay_apply_login(d, &o, M('A'), NOW + 310, ID(4),
					  &replayed));
	assert_false(replayed);
	assert_list(&d->pend, "AB");
	/* history still refuses, and then records nothing */
	fill(&d->hist, "X", NOW);
	assert_false(pu_replay_apply_login(d, &o, M('X'), NOW + 311, ID(5),
					   &replayed));
	assert_true(replayed);
	assert_list(&d->pend, "AB");
	assert_list(&d->hist, "X");
	free(d);
}

static void login_pending_capped(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 0, PU_COMMIT_SESSION);
	bool replayed;

	(void)state;
	/* at most PU_PENDING_MAX in flight: the earliest to expire goes */
	for (int i = 0; i < PU_PENDING_MAX + 5; i++)
		assert_true(pu_replay_apply_login(d, &o, M((unsigned char)(i + 1)),
						  NOW + i, ID((unsigned char)i),
						  &replayed));
	assert_int_equal(d->pend.n, PU_PENDING_MAX);
	for (size_t i = 0; i < d->pend.n; i++)
		assert_true(d->pend.e[i].t >= NOW + 5 + 300);
	free(d);
}

static void commit_own_entry(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 0, PU_COMMIT_SESSION);
	bool committed = false;

	(void)state;
	fill(&d->hist, "XY", NOW - 1000);
	assert_true(pu_replay_apply_login(d, &o, M('C'), NOW, ID(3), &committed));
	assert_true(pu_replay_apply_login(d, &o, M('B'), NOW, ID(2), &committed));
	/* login 3's commit: C to the front, B stays pending for login 2 */
	assert_true(pu_replay_apply_commit(d, &o, ID(3), NOW + 1, &committed));
	assert_true(committed);
	assert_list(&d->hist, "CXY");
	assert_int_equal(d->hist.e[0].t, NOW + 1);
	assert_list(&d->pend, "B");
	/* a login with nothing pending commits nothing, changes nothing */
	assert_false(pu_replay_apply_commit(d, &o, ID(9), NOW + 1, &committed));
	assert_false(committed);
	assert_list(&d->hist, "CXY");
	assert_list(&d->pend, "B");
	/* window 1: only the newest stays */
	o.window = 1;
	assert_true(pu_replay_apply_commit(d, &o, ID(2), NOW + 2, &committed));
	assert_true(committed);
	assert_list(&d->hist, "B");
	assert_int_equal(d->pend.n, 0);
	free(d);
}

static void commit_expired(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 0, PU_COMMIT_SESSION);
	bool committed = true;

	(void)state;
	assert_true(pu_replay_apply_login(d, &o, M('A'), NOW, ID(1), &committed));
	/* past pending_ttl: dropped, not committed (that login never got
	 * its session in time) */
	assert_true(pu_replay_apply_commit(d, &o, ID(1), NOW + 300, &committed));
	assert_false(committed);
	assert_int_equal(d->hist.n, 0);
	assert_int_equal(d->pend.n, 0);
	free(d);
}

static void pwhist(void **state)
{
	struct pu_replay_data *d = new_data();
	struct pu_replay_opts o = opts(3, 3, PU_COMMIT_SESSION);
	bool used = true;

	(void)state;
	/* a check that does not record changes nothing */
	assert_false(pu_replay_apply_pwhist(d, &o, M('A'), NOW, false, &used));
	assert_false(used);
	assert_int_equal(d->pw.n, 0);
	assert_true(pu_replay_apply_pwhist(d, &o, M('A'), NOW, true, &used));
	assert_false(used);
	assert_list(&d->pw, "A");
	assert_int_equal(d->pw.e[0].t, NOW);
	/* used, whether or not asked to record */
	assert_false(pu_replay_apply_pwhist(d, &o, M('A'), NOW + 1, false, &used));
	assert_true(used);
	assert_false(pu_replay_apply_pwhist(d, &o, M('A'), NOW + 1, true, &used));
	assert_true(used);
	assert_list(&d->pw, "A");
	assert_int_equal(d->pw.e[0].t, NOW);
	/* remember 3 */
	assert_true(pu_replay_apply_pwhist(d, &o, M('B'), NOW + 2, true, &used));
	assert_true(pu_replay_apply_pwhist(d, &o, M('C'), NOW + 3, true, &used));
	assert_true(pu_replay_apply_pwhist(d, &o, M('D'), NOW + 4, true, &used));
	assert_list(&d->pw, "DCB");
	assert_true(pu_replay_apply_pwhist(d, &o, M('A'), NOW + 5, true, &used));
	assert_false(used);
	assert_list(&d->pw, "ADC");
	/* the login lists are not the password history */
	assert_int_equal(d->hist.n, 0);
	assert_int_equal(d->pend.n, 0);
	fill(&d->hist, "Z", NOW);
	assert_false(pu_replay_apply_pwhist(d, &o, M('Z'), NOW, false, &used));
	assert_false(used);
	/* remember lowered: only the first ones count */
	o.remember = 1;
	assert_false(pu_replay_apply_pwhist(d, &o, M('D'), NOW, false, &used));
	assert_false(used);
	assert_false(pu_replay_apply_pwhist(d, &o, M('A'), NOW, false, &used));
	assert_true(used);
	free(d);
}

/* ---------------- MAC ---------------- */

static void mac(void **state)
{
	unsigned char key[32], key2[32], a[PU_MAC_LEN], b[PU_MAC_LEN];
	char hex[2 * PU_MAC_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	/* HMAC-SHA256(key, "alice" 0x00 "hunter2"), from Python's hmac */
	assert_true(pu_replay_mac(key, sizeof(key), "alice", "hunter2", a));
	pu_hex_encode(a, sizeof(a), hex);
	assert_string_equal(hex, "1f1ebd34fdd7309367f6e03ecdf73149"
				 "d2d743fe56cdee63c046c2c72500102f");
	assert_true(pu_replay_mac(key, sizeof(key), "alice", "", a));
	pu_hex_encode(a, sizeof(a), hex);
	assert_string_equal(hex, "ddba9b6c0e0c40efb00e6e276d720c65"
				 "321265ca0b8ba161fd2b86047a0a1e3c");
	/* deterministic */
	assert_true(pu_replay_mac(key, sizeof(key), "alice", "hunter2", a));
	assert_true(pu_replay_mac(key, sizeof(key), "alice", "hunter2", b));
	assert_memory_equal(a, b, PU_MAC_LEN);
	/* the user is part of it */
	assert_true(pu_replay_mac(key, sizeof(key), "bob", "hunter2", b));
	assert_memory_not_equal(a, b, PU_MAC_LEN);
	/* the boundary between user and password is part of it */
	assert_true(pu_replay_mac(key, sizeof(key), "ab", "c", a));
	assert_true(pu_replay_mac(key, sizeof(key), "a", "bc", b));
	assert_memory_not_equal(a, b, PU_MAC_LEN);
	assert_true(pu_replay_mac(key, sizeof(key), "", "abc", b));
	assert_memory_not_equal(a, b, PU_MAC_LEN);
	/* the key matters, every byte of it */
	memcpy(key2, key, sizeof(key));
	key2[31] ^= 1;
	assert_true(pu_replay_mac(key, sizeof(key), "alice", "pw", a));
	assert_true(pu_replay_mac(key2, sizeof(key2), "alice", "pw", b));
	assert_memory_not_equal(a, b, PU_MAC_LEN);
	assert_true(pu_replay_mac(key, sizeof(key) - 1, "alice", "pw", b));
	assert_memory_not_equal(a, b, PU_MAC_LEN);
}

/* ---------------- key file ---------------- */

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pu-unit.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static const char *write_key(const char *name, mode_t mode, uid_t uid,
			     const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, uid, (gid_t)-1), 0);
	return path;
}

static void replay_key(void **state)
{
	static const char k32[] = "0123456789abcdef0123456789abcdef";
	static const struct {
		const char *name, *text;
		mode_t mode;
		uid_t uid;
		enum pu_status st;
		size_t len;
	} rows[] = {
		{ "ok600", k32, 0600, 0, PU_OK, 32 },
		{ "ok400", k32, 0400, 0, PU_OK, 32 },
		{ "newline", "0123456789abcdef0123456789abcdef\n", 0600, 0,
		  PU_OK, 32 },
		{ "long", "0123456789abcdef0123456789abcdefXYZ", 0600, 0, PU_OK,
		  35 },
		{ "short", "0123456789abcdef0123456789abcde", 0600, 0,
		  PU_CONFIG, 0 },
		/* the newline does not count towards the 32 */
		{ "short-nl", "0123456789abcdef0123456789abcde\n", 0600, 0,
		  PU_CONFIG, 0 },
		{ "mode644", k32, 0644, 0, PU_CONFIG, 0 },
		{ "mode640", k32, 0640, 0, PU_CONFIG, 0 },
		{ "mode700", k32, 0700, 0, PU_CONFIG, 0 },
		{ "nobody", k32, 0600, 65534, PU_CONFIG, 0 },
		{ "empty", "", 0600, 0, PU_CONFIG, 0 },
	};
	struct pu_err err = { PU_OK, "" };
	char link[300], *key = (char *)"unset";
	size_t len = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = write_key(rows[i].name, rows[i].mode,
					  rows[i].uid, rows[i].text,
					  strlen(rows[i].text));
		enum pu_status st;

		err.msg[0] = '\0';
		key = (char *)"unset";
		st = pu_replay_key(p, &key, &len, &err);
		if (st != rows[i].st)
			fail_msg("%s: %s, want %s (%s)", rows[i].name,
				 pu_status_name(st), pu_status_name(rows[i].st),
				 err.msg);
		if (st == PU_OK) {
			assert_int_equal(len, rows[i].len);
			assert_memory_equal(key, rows[i].text, len);
			assert_int_equal(key[len], '\0');
			pu_secret_free(key);
		} else {
			assert_null(key);
			assert_true(err.msg[0] != '\0');
		}
	}
	/* a missing file and a symbolic link to a good one */
	snprintf(link, sizeof(link), "%s/missing", tmpdir);
	assert_int_equal(pu_replay_key(link, &key, &len, &err), PU_CONFIG);
	assert_null(key);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(symlink(write_key("target", 0600, 0, k32, 32), link), 0);
	assert_int_equal(pu_replay_key(link, &key, &len, &err), PU_CONFIG);
	assert_null(key);
	assert_non_null(strstr(err.msg, "symbolic link"));
	pu_secret_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rlist_has),
		cmocka_unit_test(rlist_push),
		cmocka_unit_test(rlist_push_dedupes_all_copies),
		cmocka_unit_test(rlist_push_keep_above_max),
		cmocka_unit_test(rlist_drop_expired),
		cmocka_unit_test(login_commit_auth),
		cmocka_unit_test(login_window_lowered),
		cmocka_unit_test(login_window_zero),
		cmocka_unit_test(login_commit_session),
		cmocka_unit_test(login_pending_capped),
		cmocka_unit_test(commit_own_entry),
		cmocka_unit_test(commit_expired),
		cmocka_unit_test(pwhist),
		cmocka_unit_test(mac),
		cmocka_unit_test(replay_key),
	};

	return cmocka_run_group_tests_name("entry", tests, setup, teardown);
}
