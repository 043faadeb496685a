/*
 * store=file: a file per user for the history and the password history,
 * and one bounded file for the logins in flight of every user (layout in
 * store.h).  Updates go under flock with write-temp + fsync + rename, so
 * that concurrent logins lose nothing.  Every wait (a lock) ends at the
 * deadline, and only regular files are opened (a FIFO planted at a data
 * path cannot block a login).
 *
 * Locks are taken in one order, the pending lock before a user's lock.
 * A login's check and its pending entry go under the pending lock; a
 * commit takes both; a password-history update takes the user's.
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
#define FILE_MAX (MAGIC_LEN + TRAILER + 2 * PU_REPLAY_MAX * REC_LEN)

#define PMAGIC "PUPENDING1\n"
#define PMAGIC_LEN 11
#define PREC_LEN (32 + PU_ID_LEN + 8 + PU_MAC_LEN)
#define PFILE_MAX (PMAGIC_LEN + TRAILER + PU_PENDING_FILE_MAX * PREC_LEN)
#define PENDING_NAME ".pending"

static void user_digest(const char *user, unsigned char d[32])
{
	unsigned int len = 0;

	EVP_Digest(user, strlen(user), d, &len, EVP_sha256(), NULL);
}

void pu_replay_file_name(const char *user, char hex[65])
{
	unsigned char d[32];

	user_digest(user, d);
	pu_hex_encode(d, sizeof(d), hex);
}

/* HMAC(key, label || 0x00 || contents): a valid file of one user (or the
 * pending file) is not a valid file of another */
static bool trailer(const unsigned char *key, size_t keylen, const char *label,
		    const unsigned char *buf, size_t len, unsigned char out[32])
{
	const struct pu_bytes parts[2] = {
		{ label, strlen(label) + 1 }, { buf, len },
	};

	return pu_hmac_sha256(key, keylen, parts, 2, out);
}

static enum pu_status check_trailer(const unsigned char *key, size_t keylen,
				    const char *label, const unsigned char *buf,
				    size_t len, const char *what,
				    struct pu_err *err)
{
	unsigned char want[TRAILER];

	if (!trailer(key, keylen, label, buf, len - TRAILER, want) ||
	    CRYPTO_memcmp(want, buf + len - TRAILER, TRAILER) != 0)
		return pu_fail(err, PU_UNAVAIL,
			       "corrupt (does not verify with the key for %s)", what);
	return PU_OK;
}

static long long get_be64(const unsigned char *p)
{
	uint64_t t;

	memcpy(&t, p, 8);
	return (long long)be64toh(t);
}

static void put_be64(unsigned char *p, long long v)
{
	uint64_t t = htobe64((uint64_t)v);

	memcpy(p, &t, 8);
}

/* ---------------- a user's file, pure ---------------- */

enum pu_status pu_replay_file_parse_records(const unsigned char *buf,
					    size_t len, struct pu_replay_data *d,
					    struct pu_err *err)
{
	memset(d, 0, sizeof(*d));
	if (len % REC_LEN != 0)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	for (size_t i = 0; i < len / REC_LEN; i++) {
		const unsigned char *r = buf + i * REC_LEN;
		struct pu_rlist_data *l = r[0] == PU_RL_HISTORY ? &d->hist :
					  r[0] == PU_RL_PWHIST ? &d->pw : NULL;

		if (l == NULL || l->n >= PU_REPLAY_MAX)
			return pu_fail(err, PU_UNAVAIL, "corrupt (record %zu)", i);
		l->e[l->n].t = get_be64(r + 1);
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
	enum pu_status st;

	memset(d, 0, sizeof(*d));
	if (len < MAGIC_LEN + TRAILER || memcmp(buf, MAGIC, MAGIC_LEN) != 0)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	st = check_trailer(key, keylen, user, buf, len, "this user", err);
	if (st != PU_OK)
		return st;
	return pu_replay_file_parse_records(buf + MAGIC_LEN,
					    len - MAGIC_LEN - TRAILER, d, err);
}

enum pu_status pu_replay_file_serialise(const unsigned char *key, size_t keylen,
					const char *user,
					const struct pu_replay_data *d,
					unsigned char **out, size_t *outlen,
					struct pu_err *err)
{
	const struct pu_rlist_data *lists[2] = { &d->hist, &d->pw };
	const unsigned char kinds[2] = { PU_RL_HISTORY, PU_RL_PWHIST };
	size_t off = MAGIC_LEN, len = MAGIC_LEN + TRAILER;
	unsigned char *buf;

	*out = NULL;
	*outlen = 0;
	len += (d->hist.n + d->pw.n) * REC_LEN;
	buf = malloc(len);
	if (buf == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	memcpy(buf, MAGIC, MAGIC_LEN);
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			buf[off] = kinds[k];
			put_be64(buf + off + 1, lists[k]->e[i].t);
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

/* ---------------- the pending file, pure ---------------- */

enum pu_status pu_pending_parse_records(const unsigned char *buf, size_t len,
					struct pu_pending_file *p,
					struct pu_err *err)
{
	p->n = 0;
	if (len % PREC_LEN != 0 || len / PREC_LEN > PU_PENDING_FILE_MAX)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	for (size_t i = 0; i < len / PREC_LEN; i++) {
		const unsigned char *r = buf + i * PREC_LEN;
		struct pu_pending_rec *e = &p->r[p->n++];

		memcpy(e->user, r, 32);
		memcpy(e->id, r + 32, PU_ID_LEN);
		e->expiry = get_be64(r + 32 + PU_ID_LEN);
		memcpy(e->mac, r + 32 + PU_ID_LEN + 8, PU_MAC_LEN);
	}
	return PU_OK;
}

enum pu_status pu_pending_parse(const unsigned char *key, size_t keylen,
				const unsigned char *buf, size_t len,
				struct pu_pending_file *p, struct pu_err *err)
{
	enum pu_status st;

	p->n = 0;
	if (len < PMAGIC_LEN + TRAILER || memcmp(buf, PMAGIC, PMAGIC_LEN) != 0)
		return pu_fail(err, PU_UNAVAIL, "corrupt (shape)");
	st = check_trailer(key, keylen, "pending", buf, len, "the pending file",
			   err);
	if (st != PU_OK)
		return st;
	return pu_pending_parse_records(buf + PMAGIC_LEN,
					len - PMAGIC_LEN - TRAILER, p, err);
}

enum pu_status pu_pending_serialise(const unsigned char *key, size_t keylen,
				    const struct pu_pending_file *p,
				    unsigned char **out, size_t *outlen,
				    struct pu_err *err)
{
	size_t len = PMAGIC_LEN + p->n * PREC_LEN + TRAILER, off = PMAGIC_LEN;
	unsigned char *buf = malloc(len);

	*out = NULL;
	*outlen = 0;
	if (buf == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	memcpy(buf, PMAGIC, PMAGIC_LEN);
	for (size_t i = 0; i < p->n; i++, off += PREC_LEN) {
		memcpy(buf + off, p->r[i].user, 32);
		memcpy(buf + off + 32, p->r[i].id, PU_ID_LEN);
		put_be64(buf + off + 32 + PU_ID_LEN, p->r[i].expiry);
		memcpy(buf + off + 32 + PU_ID_LEN + 8, p->r[i].mac, PU_MAC_LEN);
	}
	if (!trailer(key, keylen, "pending", buf, off, buf + off)) {
		free(buf);
		return pu_fail(err, PU_NOMEM, "HMAC-SHA256 failed");
	}
	*out = buf;
	*outlen = len;
	return PU_OK;
}

/* the user's records into d->pend */
static void pending_take(const struct pu_pending_file *p,
			 const unsigned char user[32], struct pu_replay_data *d)
{
	d->pend.n = 0;
	for (size_t i = 0; i < p->n && d->pend.n < PU_REPLAY_MAX; i++) {
		if (memcmp(p->r[i].user, user, 32) != 0)
			continue;
		memcpy(d->pend.e[d->pend.n].mac, p->r[i].mac, PU_MAC_LEN);
		memcpy(d->pend.e[d->pend.n].id, p->r[i].id, PU_ID_LEN);
		d->pend.e[d->pend.n].t = p->r[i].expiry;
		d->pend.n++;
	}
}

/* the other users' unexpired records and d->pend back into p; the
 * earliest to expire go when the file would hold too many */
static void pending_put(struct pu_pending_file *p, const unsigned char user[32],
			const struct pu_replay_data *d, long long now)
{
	size_t j = 0;

	for (size_t i = 0; i < p->n; i++)
		if (memcmp(p->r[i].user, user, 32) != 0 && p->r[i].expiry > now)
			p->r[j++] = p->r[i];
	p->n = j;
	for (size_t i = 0; i < d->pend.n; i++) {
		struct pu_pending_rec *e;

		if (p->n == PU_PENDING_FILE_MAX) {
			size_t victim = 0;

			for (size_t k = 1; k < p->n; k++)
				if (p->r[k].expiry < p->r[victim].expiry)
					victim = k;
			p->r[victim] = p->r[--p->n];
		}
		e = &p->r[p->n++];
		memcpy(e->user, user, 32);
		memcpy(e->id, d->pend.e[i].id, PU_ID_LEN);
		memcpy(e->mac, d->pend.e[i].mac, PU_MAC_LEN);
		e->expiry = d->pend.e[i].t;
	}
}

/* ---------------- I/O ---------------- */

struct fpaths {
	unsigned char digest[32];
	char data[PU_PATH_LEN + 80];
	char lock[PU_PATH_LEN + 80];
	char tmp[PU_PATH_LEN + 100];
	char pending[PU_PATH_LEN + 40];
	char plock[PU_PATH_LEN + 40];
	char ptmp[PU_PATH_LEN + 60];
};

static void file_paths(const struct pu_replay_ctx *c, const char *user,
		       struct fpaths *p)
{
	char hex[65];

	user_digest(user, p->digest);
	pu_hex_encode(p->digest, 32, hex);
	snprintf(p->data, sizeof(p->data), "%s/%s", c->o->dir, hex);
	snprintf(p->lock, sizeof(p->lock), "%s/%s.lock", c->o->dir, hex);
	snprintf(p->tmp, sizeof(p->tmp), "%s/%s.tmp.%ld", c->o->dir, hex,
		 (long)getpid());
	snprintf(p->pending, sizeof(p->pending), "%s/" PENDING_NAME, c->o->dir);
	snprintf(p->plock, sizeof(p->plock), "%s/" PENDING_NAME ".lock",
		 c->o->dir);
	snprintf(p->ptmp, sizeof(p->ptmp), "%s/" PENDING_NAME ".tmp.%ld",
		 c->o->dir, (long)getpid());
}

/* the whole file, or NULL when it does not exist */
static enum pu_status slurp(const char *path, size_t max, unsigned char **buf,
			    size_t *len, struct pu_err *err)
{
	const struct pu_file_rules rules = {
		.trust = PU_TRUST_NONE, .max = max, .missing_ok = true,
		.fail = PU_UNAVAIL, .what = "replay store",
	};

	return pu_file_read(path, &rules, (char **)buf, len, err);
}

static enum pu_status read_user(const struct pu_replay_ctx *c, const char *user,
				const struct fpaths *p, struct pu_replay_data *d,
				struct pu_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	struct pu_err inner = { PU_OK, "" };
	enum pu_status st = slurp(p->data, FILE_MAX, &buf, &len, err);

	memset(d, 0, sizeof(*d));
	if (st != PU_OK || buf == NULL)
		return st; /* absent: no history yet */
	st = pu_replay_file_parse(c->key, c->keylen, user, buf, len, d, &inner);
	if (st != PU_OK)
		pu_fail(err, st, "replay store %s: %s", p->data, inner.msg);
	free(buf);
	return st;
}

static enum pu_status read_pending(const struct pu_replay_ctx *c,
				   const struct fpaths *p,
				   struct pu_pending_file *pf, struct pu_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	struct pu_err inner = { PU_OK, "" };
	enum pu_status st = slurp(p->pending, PFILE_MAX, &buf, &len, err);

	pf->n = 0;
	if (st != PU_OK || buf == NULL)
		return st;
	st = pu_pending_parse(c->key, c->keylen, buf, len, pf, &inner);
	if (st != PU_OK)
		pu_fail(err, st, "replay store %s: %s", p->pending, inner.msg);
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

/* write-temp, fsync, rename, fsync(dir); buf is freed.  Without
 * durable, no fsync: what a crash may lose is only worth the rename's
 * atomicity (the pending logins die with the machine anyway). */
static enum pu_status replace_file(const char *dir, const char *tmp,
				   const char *path, unsigned char *buf,
				   size_t len, bool durable, struct pu_err *err)
{
	enum pu_status s;
	int fd, dfd;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC |
		  O_NONBLOCK, 0600);
	if (fd < 0) {
		free(buf);
		return pu_fail(err, PU_UNAVAIL, "replay store %s: %s", tmp,
			       strerror(errno));
	}
	s = write_all(fd, buf, len, err);
	if (s == PU_OK && durable && fsync(fd) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store fsync: %s",
			    strerror(errno));
	close(fd);
	free(buf);
	if (s == PU_OK && rename(tmp, path) != 0)
		s = pu_fail(err, PU_UNAVAIL, "replay store rename: %s",
			    strerror(errno));
	if (s != PU_OK) {
		unlink(tmp);
		return s;
	}
	if (!durable)
		return PU_OK;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return PU_OK;
}

static enum pu_status write_user(const struct pu_replay_ctx *c,
				 const char *user, const struct fpaths *p,
				 const struct pu_replay_data *d,
				 struct pu_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	enum pu_status s;

	s = pu_replay_file_serialise(c->key, c->keylen, user, d, &buf, &len, err);
	if (s != PU_OK)
		return s;
	return replace_file(c->o->dir, p->tmp, p->data, buf, len, true, err);
}

static enum pu_status write_pending(const struct pu_replay_ctx *c,
				    const struct fpaths *p,
				    const struct pu_pending_file *pf,
				    struct pu_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	enum pu_status s;

	s = pu_pending_serialise(c->key, c->keylen, pf, &buf, &len, err);
	if (s != PU_OK)
		return s;
	return replace_file(c->o->dir, p->ptmp, p->pending, buf, len, false, err);
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

	*fd = -1;
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
		if (wait_ms < 4)
			wait_ms *= 2;
	}
	*fd = lfd;
	return PU_OK;
}

/* everything one operation holds: paths, locks, the user's data and the
 * pending file */
struct work {
	struct fpaths p;
	int plock, ulock;
	struct pu_replay_data d;
	struct pu_pending_file pf;
};

static enum pu_status work_open(const struct pu_replay_ctx *c, const char *user,
				bool pending, bool user_lock, struct work **out,
				struct pu_err *err)
{
	struct work *w;
	enum pu_status s;

	*out = NULL;
	s = pu_dir_check_private(c->o->dir, PU_UNAVAIL, err);
	if (s != PU_OK)
		return s;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	w->plock = w->ulock = -1;
	file_paths(c, user, &w->p);
	*out = w;
	if (pending && (s = lock_file(w->p.plock, c->dl, &w->plock, err)) != PU_OK)
		return s;
	if (user_lock && (s = lock_file(w->p.lock, c->dl, &w->ulock, err)) != PU_OK)
		return s;
	s = read_user(c, user, &w->p, &w->d, err);
	if (s == PU_OK && pending) {
		s = read_pending(c, &w->p, &w->pf, err);
		pending_take(&w->pf, w->p.digest, &w->d);
	}
	return s;
}

static void work_close(struct work *w)
{
	if (w == NULL)
		return;
	if (w->ulock >= 0)
		close(w->ulock); /* releases the lock */
	if (w->plock >= 0)
		close(w->plock);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

/* ---------------- operations ---------------- */

static enum pu_status file_login(const struct pu_replay_ctx *c,
				 const char *user,
				 const unsigned char mac[PU_MAC_LEN],
				 long long now, const unsigned char *id,
				 bool *replayed, struct pu_err *err)
{
	struct work *w = NULL;
	/* commit=auth writes the user's history: its lock too */
	enum pu_status s = work_open(c, user, true, id == NULL, &w, err);

	*replayed = false;
	if (s == PU_OK &&
	    pu_replay_apply_login(&w->d, c->o, mac, now, id, replayed)) {
		if (id == NULL) {
			s = write_user(c, user, &w->p, &w->d, err);
		} else {
			pending_put(&w->pf, w->p.digest, &w->d, now);
			s = write_pending(c, &w->p, &w->pf, err);
		}
	}
	work_close(w);
	return s;
}

static enum pu_status file_commit(const struct pu_replay_ctx *c,
				  const char *user,
				  const unsigned char id[PU_ID_LEN], long long now,
				  bool *committed, struct pu_err *err)
{
	struct work *w = NULL;
	enum pu_status s = work_open(c, user, true, true, &w, err);

	*committed = false;
	if (s == PU_OK && pu_replay_apply_commit(&w->d, c->o, id, now,
						 committed)) {
		if (*committed)
			s = write_user(c, user, &w->p, &w->d, err);
		if (s == PU_OK) {
			pending_put(&w->pf, w->p.digest, &w->d, now);
			s = write_pending(c, &w->p, &w->pf, err);
		}
	}
	work_close(w);
	return s;
}

static enum pu_status file_pwhist(const struct pu_replay_ctx *c,
				  const char *user,
				  const unsigned char mac[PU_MAC_LEN],
				  long long now, bool record, bool *used,
				  struct pu_err *err)
{
	struct work *w = NULL;
	enum pu_status s = work_open(c, user, false, true, &w, err);

	*used = false;
	if (s == PU_OK &&
	    pu_replay_apply_pwhist(&w->d, c->o, mac, now, record, used))
		s = write_user(c, user, &w->p, &w->d, err);
	work_close(w);
	return s;
}

static enum pu_status file_load(const struct pu_replay_ctx *c, const char *user,
				struct pu_replay_data *d, struct pu_err *err)
{
	struct work *w = NULL;
	enum pu_status s = work_open(c, user, false, false, &w, err);

	if (s == PU_OK) {
		s = read_pending(c, &w->p, &w->pf, err);
		pending_take(&w->pf, w->p.digest, &w->d);
	}
	if (s == PU_OK)
		memcpy(d, &w->d, sizeof(*d));
	work_close(w);
	return s;
}

static enum pu_status file_clear(const struct pu_replay_ctx *c,
				 const char *user, struct pu_err *err)
{
	struct work *w = NULL;
	enum pu_status s = work_open(c, user, true, true, &w, err);

	/* a corrupt file is what one clears: its content does not matter */
	if (w != NULL && (s == PU_OK || s == PU_UNAVAIL) && w->plock >= 0 &&
	    w->ulock >= 0) {
		s = read_pending(c, &w->p, &w->pf, err);
		memset(&w->d, 0, sizeof(w->d));
		if (s == PU_OK)
			s = write_user(c, user, &w->p, &w->d, err);
		if (s == PU_OK) {
			pending_put(&w->pf, w->p.digest, &w->d, (long long)time(NULL));
			s = write_pending(c, &w->p, &w->pf, err);
		}
	}
	work_close(w);
	return s;
}

const struct pu_replay_store pu_replay_store_file = {
	.name = "file",
	.login = file_login,
	.commit = file_commit,
	.pwhist = file_pwhist,
	.load = file_load,
	.clear = file_clear,
};
