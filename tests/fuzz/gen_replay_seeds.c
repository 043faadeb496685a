/*
 * Writes the replay seeds: valid store files made by the serialiser with
 * the fuzz key and user (replay.h), and records for the records target.
 *   gen_replay_seeds OUTDIR_FILE OUTDIR_RECORDS
 * Built and run by `make fuzz-seeds`.
 */
#include <stdio.h>

#include "fuzz.h"
#include "replay.h"

static struct pu_replay_data d;

static void put(const char *dir, const char *name, unsigned char first,
		const unsigned char *pre, size_t prelen,
		const unsigned char *buf, size_t len)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	if (pre == NULL)
		fputc(first, fp);
	else
		fwrite(pre, 1, prelen, fp);
	fwrite(buf, 1, len, fp);
	fclose(fp);
}

static void entry(struct pu_rlist_data *l, unsigned char m, long long t)
{
	memset(l->e[l->n].mac, m, PU_MAC_LEN);
	l->e[l->n].mac[0] = (unsigned char)l->n;
	l->e[l->n].t = t;
	l->n++;
}

/* one file: as a whole (mode byte 0) and as records signed by the
 * harness (mode byte 1); the records with option bytes for the other */
static void emit(const char *fdir, const char *rdir, const char *name,
		 const unsigned char opts[8])
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char n2[128];

	if (pu_replay_file_serialise(fuzz_key, sizeof(fuzz_key), FUZZ_USER, &d,
				     &buf, &len, NULL) != PU_OK)
		exit(1);
	snprintf(n2, sizeof(n2), "%s-file", name);
	put(fdir, n2, 0, NULL, 0, buf, len);
	snprintf(n2, sizeof(n2), "%s-signed", name);
	put(fdir, n2, 1, NULL, 0, buf + FUZZ_MAGIC_LEN,
	    len - FUZZ_MAGIC_LEN - FUZZ_TRAILER);
	put(rdir, name, 0, opts, 8, buf + FUZZ_MAGIC_LEN,
	    len - FUZZ_MAGIC_LEN - FUZZ_TRAILER);
	free(buf);
}

int main(int argc, char **argv)
{
	/* window, remember, commit|record, ttl, now offset, mac byte */
	static const unsigned char o_auth[8] = { 3, 0, 2, 0, 3, 1, 0, 0x81 };
	static const unsigned char o_sess[8] = { 5, 0, 5, 0, 2, 1, 0, 0x42 };
	static const unsigned char o_zero[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char o_max[8] = { 0xe8, 3, 0xe8, 3, 3, 255, 127, 0x80 };

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE_DIR RECORDS_DIR\n", argv[0]);
		return 2;
	}
	memset(&d, 0, sizeof(d));
	emit(argv[1], argv[2], "empty", o_zero);

	entry(&d.hist, 0xaa, 1700000000LL);
	emit(argv[1], argv[2], "one-history", o_auth);

	entry(&d.hist, 0xab, 1699990000LL);
	entry(&d.hist, 0xac, 1699980000LL);
	entry(&d.pend, 0xb0, 1700000300LL);   /* live at now */
	entry(&d.pend, 0xb1, 1699999000LL);   /* expired */
	entry(&d.pw, 0xc0, 1690000000LL);
	entry(&d.pw, 0xc1, 1680000000LL);
	emit(argv[1], argv[2], "all-lists", o_sess);

	/* times at the edges: 0, negative, the largest */
	memset(&d, 0, sizeof(d));
	entry(&d.hist, 0x01, 0);
	entry(&d.pend, 0x02, -1);
	entry(&d.pend, 0x03, 0x7fffffffffffffffLL);
	entry(&d.pw, 0x04, (long long)0x8000000000000000ULL);
	emit(argv[1], argv[2], "edge-times", o_max);

	/* a full history list: PU_REPLAY_MAX entries */
	memset(&d, 0, sizeof(d));
	for (int i = 0; i < PU_REPLAY_MAX; i++)
		entry(&d.hist, (unsigned char)(i >> 8), 1700000000LL - i);
	d.hist.e[0].mac[1] = 0x99;
	emit(argv[1], argv[2], "full-history", o_max);
	return 0;
}
