/*
 * store=file: one file per user (layout in store.h), updated under flock
 * with write-temp + fsync + rename, so that concurrent logins lose
 * nothing.  Every wait (the lock) ends at the deadline, and only regular
 * files are opened (a FIFO planted at a data path cannot block a login).
 */
#define _GNU_SOURCE
#include "store.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hash.h"
#include "common/hex.h"

#define MAGIC "PUREPLAY2\n"
#define MAGIC_LEN 10
#define REC_LEN (1 + 8 + PU_MAC_LEN)
#define TRAILER 32
#define FILE_MAX (MAGIC_LEN + TRAILER + 3 * PU_REPLAY_MAX * REC_LEN)

void pu_replay_file_name(const char *user, char hex[65])
{
	unsigned char d[32];
	unsigned int len = 0;

	EVP_Digest(user, strlen(user), d, &len, EVP_sha256(), NULL);
	pu_hex_encode(d, sizeof(d), hex);
}

/* HMAC(key, user || 0x00 || contents): a valid file of one user is not a
 * valid file of another */
static bool trailer(const unsigned char *key, size_t keylen, const char *user,
		    const unsigned char *buf, size_t len, unsigned char out[32])
{
	const struct pu_bytes parts[2] = {
		{ user, strlen(user) + 1 }, { buf, len },
	};

	return pu_hmac_sha256(key, keylen, parts, 2, out);
}

static struct pu_rlist_data *list_of(struct pu_replay_data *d, int kind)
{
	switch (kind) {
	case PU_RL_HISTORY: return &d->hist;
	case PU_RL_PENDING: return &d->pend;
	case PU_RL_PWHIST: return &d->pw;
	default: return NULL;
	}
}

enum pu_status pu_replay_file_parse_records(const unsigned char *buf,
					    size_t len, struct pu_replay_data *d,
					    struct pu_err *err)
{
	memset(d, 0, sizeof(*d));
	if (len % REC_LEN != 0)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	for (size_t i = 0; i < len / REC_LEN; i++) {
		const unsigned char *r = buf + i * REC_LEN;
		struct pu_rlist_data *l = list_of(d, r[0]);
		uint64_t t;

		if (l == NULL || l->n >= PU_REPLAY_MAX)
			return pu_fail(err, PU_UNAVAIL, "corrupt (record %zu)", i);
		memcpy(&t, r + 1, 8);
		l->e[l->n].t = (long long)be64toh(t);
		memcpy(l->e[l->n].mac, r + 9, PU_MAC_LEN);
		l->n++;
	}
	return PU_OK;
}

enum pu_status pu_replay_file_parse(const unsigned char *key, size_t keylen,
				    const char *user, const unsigned char *buf,
				    size_t len, struct pu_replay_data *d,
				    struct pu_err *err)
{
	unsigned char want[TRAILER];

	memset(d, 0, sizeof(*d));
	if (len < MAGIC_LEN + TRAILER || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	if (!trailer(key, keylen, user, buf, len - TRAILER, want) ||
	    CRYPTO_memcmp(want, buf + len - TRAILER, TRAILER) != 0)
		return pu_fail(err, PU_UNAVAIL,
			       "corrupt (does not verify with the key for this user)");
	return pu_replay_file_parse_records(buf + MAGIC_LEN,
					    len - MAGIC_LEN - TRAILER, d, err);
}

enum pu_status pu_replay_file_serialise(const unsigned char *key, size_t keylen,
					const char *user,
					const struct pu_replay_data *d,
					unsigned char **out, size_t *outlen,
					struct pu_err *err)
{
	const struct pu_rlist_data *lists[3] = { &d->hist, &d->pend, &d->pw };
	size_t n = d->hist.n + d->pend.n + d->pw.n, off = MAGIC_LEN;
	size_t len = MAGIC_LEN + n * REC_LEN + TRAILER;
	unsigned char *buf = malloc(len);

	*out = NULL;
	*outlen = 0;
	if (buf == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	memcpy(buf, MAGIC, MAGIC_LEN);
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			uint64_t t = htobe64((uint64_t)lists[k]->e[i].t);

			buf[off] = (unsigned char)(k + 1);
			memcpy(buf + off + 1, &t, 8);
			memcpy(buf + off + 9, lists[k]->e[i].mac, PU_MAC_LEN);
			off += REC_LEN;
		}
	}
	if (!trailer(key, keylen, user, buf, off, buf + off)) {
		free(buf);
		return pu_fail(err, PU_NOMEM, "HMAC-SHA256 failed");
	}
	*out = buf;
	*outlen = len;
	return PU_OK;
}

/* ---------------- I/O ---------------- */

struct fpaths {
	char data[PU_PATH_LEN + 80];
	char lock[PU_PATH_LEN + 80];
	char tmp[PU_PATH_LEN + 100];
};

static void file_paths(const struct pu_replay_ctx *c, const char *user,
		       struct fpaths *p)
{
	char hex[65];

	pu_replay_file_name(user, hex);
	snprintf(p->data, sizeof(p->data), "%s/%s", c->o->dir, hex);
	snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", c->o->dir, hex);
	snprintf(p->tmp, sizeof(p->tmp), "%s/%s.tmp.%ld", c->o->dir, hex,
		 (long)getpid());
}

static const struct pu_file_rules data_rules = {
	.trust = PU_TRUST_NONE, .max = FILE_MAX, .missing_ok = true,
	.fail = PU_UNAVAIL, .what = "replay store",
};

static enum pu_status read_file(const struct pu_replay_ctx *c, const char *user,
				const char *path, struct pu_replay_data *d,
				struct pu_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	enum pu_status st;
	struct pu_err inner = { PU_OK, "" };

	memset(d, 0, sizeof(*d));
	st = pu_file_read(path, &data_rules, &buf, &len, err);
	if (st != PU_OK || buf == NULL)
		return st; /* absent: no history yet */
	st = pu_replay_file_parse(c->key, c->keylen, user,
				  (const unsigned char *)buf, len, d, &inner);
	if (st != PU_OK)
		pu_fail(err, st, "replay store %s: %s", path, inner.msg);
	free(buf);
	return st;
}

static enum pu_status write_all(int fd, const unsigned char *buf, size_t len,
				struct pu_err *err)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return pu_fail(err, PU_UNAVAIL, "replay store write: %s",
				       w < 0 ? strerror(errno) : "no progress");
		done += (size_t)w;
	}
	return PU_OK;
}

static enum pu_status write_file(const struct pu_replay_ctx *c,
				 const char *user, const struct fpaths *p,
				 const struct pu_replay_data *d,
				 struct pu_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	enum pu_status s;
	int fd, dfd;

	s = pu_replay_file_serialise(c->key, c->keylen, user, d, &buf, &len, err);
	if (s != PU_OK)
		return s;
	fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC |
		  O_NONBLOCK, 0600);
	if (fd < 0) {
		free(buf);
		return pu_fail(err, PU_UNAVAIL, "replay store %s: %s", p->tmp,
			       strerror(errno));
	}
	s = write_all(fd, buf, len, err);
	if (s == PU_OK && fsync(fd) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store fsync: %s",
			    strerror(errno));
	close(fd);
	free(buf);
	if (s == PU_OK && rename(p->tmp, p->data) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store rename: %s",
			    strerror(errno));
	if (s != PU_OK) {
		unlink(p->tmp);
		return s;
	}
	dfd = open(c->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return PU_OK;
}

/* flock, polled so that the wait ends at the deadline */
static enum pu_status lock_file(const char *path, const struct pu_deadline *dl,
				int *fd, struct pu_err *err)
{
	static const struct pu_file_rules rules = {
		.trust = PU_TRUST_NONE, .max = 0, .missing_ok = false,
		.fail = PU_UNAVAIL, .what = "replay store lock",
	};
	int lfd, wait_ms = 1;

	lfd = pu_file_open(path, O_RDWR | O_CREAT, &rules, NULL, err);
	if (lfd < 0)
		return PU_UNAVAIL;
	while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		int left = pu_deadline_left_ms(dl);

		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(lfd);
			return pu_fail(err, PU_UNAVAIL, "flock: %s", strerror(errno));
		}
		if (left == 0) {
			close(lfd);
			return pu_fail(err, PU_UNAVAIL,
				       "timed out waiting for the replay store lock");
		}
		poll(NULL, 0, wait_ms < left ? wait_ms : left);
		if (wait_ms < 16)
			wait_ms *= 2;
	}
	*fd = lfd;
	return PU_OK;
}

typedef bool (*mutate_fn)(struct pu_replay_data *d, void *arg);

/* check the directory, lock, read, mutate, write if changed, unlock */
static enum pu_status file_update(const struct pu_replay_ctx *c,
				  const char *user, mutate_fn fn, void *arg,
				  struct pu_err *err)
{
	struct pu_replay_data *d;
	struct fpaths p;
	enum pu_status s;
	int lfd = -1;

	s = pu_dir_check_private(c->o->dir, PU_UNAVAIL, err);
	if (s != PU_OK)
		return s;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	file_paths(c, user, &p);
	s = lock_file(p.lock, c->dl, &lfd, err);
	if (s == PU_OK)
		s = read_file(c, user, p.data, d, err);
	if (s == PU_OK && fn(d, arg))
		s = write_file(c, user, &p, d, err);
	if (lfd >= 0)
		close(lfd); /* releases the lock */
	explicit_bzero(d, sizeof(*d));
	free(d);
	return s;
}

/* ---------------- operations ---------------- */

struct op_arg {
	const struct pu_replay_opts *o;
	const unsigned char *mac;
	long long now;
	bool record;
	bool hit;
	size_t promoted;
};

static bool do_login(struct pu_replay_data *d, void *a)
{
	struct op_arg *l = a;

	return pu_replay_apply_login(d, l->o, l->mac, l->now, &l->hit);
}

static bool do_promote(struct pu_replay_data *d, void *a)
{
	struct op_arg *l = a;

	return pu_replay_apply_promote(d, l->o, l->now, &l->promoted);
}

static bool do_pwhist(struct pu_replay_data *d, void *a)
{
	struct op_arg *l = a;

	return pu_replay_apply_pwhist(d, l->o, l->mac, l->now, l->record,
				      &l->hit);
}

static bool do_clear(struct pu_replay_data *d, void *a)
{
	(void)a;
	memset(d, 0, sizeof(*d));
	return true;
}

static enum pu_status file_login(const struct pu_replay_ctx *c,
				 const char *user,
				 const unsigned char mac[PU_MAC_LEN],
				 long long now, bool *replayed,
				 struct pu_err *err)
{
	struct op_arg a = { c->o, mac, now, true, false, 0 };
	enum pu_status st = file_update(c, user, do_login, &a, err);

	*replayed = st == PU_OK && a.hit;
	return st;
}

static enum pu_status file_promote(const struct pu_replay_ctx *c,
				   const char *user, long long now,
				   size_t *promoted, struct pu_err *err)
{
	struct op_arg a = { c->o, NULL, now, true, false, 0 };
	enum pu_status st = file_update(c, user, do_promote, &a, err);

	*promoted = a.promoted;
	return st;
}

static enum pu_status file_pwhist(const struct pu_replay_ctx *c,
				  const char *user,
				  const unsigned char mac[PU_MAC_LEN],
				  long long now, bool record, bool *used,
				  struct pu_err *err)
{
	struct op_arg a = { c->o, mac, now, record, false, 0 };
	enum pu_status st = file_update(c, user, do_pwhist, &a, err);

	*used = st == PU_OK && a.hit;
	return st;
}

static enum pu_status file_load(const struct pu_replay_ctx *c, const char *user,
				struct pu_replay_data *d, struct pu_err *err)
{
	struct fpaths p;
	enum pu_status st = pu_dir_check_private(c->o->dir, PU_UNAVAIL, err);

	if (st != PU_OK)
		return st;
	file_paths(c, user, &p);
	return read_file(c, user, p.data, d, err);
}

static enum pu_status file_clear(const struct pu_replay_ctx *c,
				 const char *user, struct pu_err *err)
{
	return file_update(c, user, do_clear, NULL, err);
}

const struct pu_replay_store pu_replay_store_file = {
	.name = "file",
	.login = file_login,
	.promote = file_promote,
	.pwhist = file_pwhist,
	.load = file_load,
	.clear = file_clear,
};
