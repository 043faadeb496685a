#define _GNU_SOURCE
#include "entry.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/secret.h"

enum pu_status pu_replay_key(const char *path, char **key, size_t *len,
			     struct pu_err *err)
{
	enum pu_status st = pu_secret_read(path, key, len, err);

	if (st == PU_OK && *len < PU_KEY_MIN) {
		pu_secret_free(*key);
		*key = NULL;
		return pu_fail(err, PU_CONFIG, "key %s: shorter than %d bytes",
			       path, PU_KEY_MIN);
	}
	return st;
}

bool pu_replay_mac(const unsigned char *key, size_t keylen, const char *user,
		   const char *password, unsigned char mac[PU_MAC_LEN])
{
	/* HMAC(key, user || 0x00 || password): the NUL keeps ("ab","c")
	 * and ("a","bc") apart */
	const struct pu_bytes parts[2] = {
		{ user, strlen(user) + 1 }, { password, strlen(password) },
	};

	return pu_hmac_sha256(key, keylen, parts, 2, mac);
}

bool pu_rlist_has(const struct pu_rlist_data *l, size_t limit,
		  const unsigned char mac[PU_MAC_LEN])
{
	bool found = false;

	/* visit every entry: the time does not tell which one matched */
	for (size_t i = 0; i < l->n && i < limit; i++)
		found |= CRYPTO_memcmp(l->e[i].mac, mac, PU_MAC_LEN) == 0;
	return found;
}

void pu_rlist_push(struct pu_rlist_data *l, const unsigned char *mac,
		   long long t, size_t keep)
{
	size_t i, j;

	for (i = 0, j = 0; i < l->n; i++)
		if (CRYPTO_memcmp(l->e[i].mac, mac, PU_MAC_LEN) != 0)
			l->e[j++] = l->e[i];
	l->n = j;
	if (keep > PU_REPLAY_MAX)
		keep = PU_REPLAY_MAX;
	if (keep == 0) {
		l->n = 0;
		return;
	}
	if (l->n >= keep)
		l->n = keep - 1;
	memmove(&l->e[1], &l->e[0], l->n * sizeof(l->e[0]));
	memcpy(l->e[0].mac, mac, PU_MAC_LEN);
	l->e[0].t = t;
	l->n++;
}

void pu_rlist_drop_expired(struct pu_rlist_data *l, long long now)
{
	size_t j = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].t > now)
			l->e[j++] = l->e[i];
	l->n = j;
}

bool pu_rlist_pending(const struct pu_rlist_data *l,
		      const unsigned char mac[PU_MAC_LEN], long long now)
{
	bool found = false;

	for (size_t i = 0; i < l->n; i++)
		found |= l->e[i].t > now &&
			 CRYPTO_memcmp(l->e[i].mac, mac, PU_MAC_LEN) == 0;
	return found;
}

/* a new pending entry at the front; the earliest to expire goes when the
 * user already has PU_PENDING_MAX logins in flight */
static void add_pending(struct pu_rlist_data *l, const unsigned char *mac,
			long long expiry, const unsigned char *id)
{
	if (l->n >= PU_PENDING_MAX) {
		size_t victim = 0;

		for (size_t i = 1; i < l->n; i++)
			if (l->e[i].t < l->e[victim].t)
				victim = i;
		memmove(&l->e[victim], &l->e[victim + 1],
			(l->n - victim - 1) * sizeof(l->e[0]));
		l->n--;
	}
	memmove(&l->e[1], &l->e[0], l->n * sizeof(l->e[0]));
	memcpy(l->e[0].mac, mac, PU_MAC_LEN);
	memcpy(l->e[0].id, id, PU_ID_LEN);
	l->e[0].t = expiry;
	l->n++;
}

bool pu_replay_apply_login(struct pu_replay_data *d,
			   const struct pu_replay_opts *o,
			   const unsigned char mac[PU_MAC_LEN], long long now,
			   const unsigned char *id, bool *replayed)
{
	/* one password, one login at a time: a password pending for
	 * another login in flight is refused as a used one */
	*replayed = pu_rlist_has(&d->hist, (size_t)o->window, mac) |
		    pu_rlist_pending(&d->pend, mac, now);
	if (*replayed)
		return false;
	pu_rlist_drop_expired(&d->pend, now);
	if (id == NULL)
		pu_rlist_push(&d->hist, mac, now, (size_t)o->window);
	else
		add_pending(&d->pend, mac, now + o->pending_ttl, id);
	return true;
}

bool pu_replay_apply_commit(struct pu_replay_data *d,
			    const struct pu_replay_opts *o,
			    const unsigned char id[PU_ID_LEN], long long now,
			    bool *committed)
{
	size_t before = d->pend.n, j = 0;

	*committed = false;
	for (size_t i = 0; i < d->pend.n; i++) {
		struct pu_rentry *e = &d->pend.e[i];

		if (CRYPTO_memcmp(e->id, id, PU_ID_LEN) == 0) {
			if (e->t > now) {
				pu_rlist_push(&d->hist, e->mac, now,
					      (size_t)o->window);
				*committed = true;
			}
			continue;
		}
		if (e->t > now)
			d->pend.e[j++] = *e;
	}
	d->pend.n = j;
	return *committed || j != before;
}

bool pu_replay_apply_pwhist(struct pu_replay_data *d,
			    const struct pu_replay_opts *o,
			    const unsigned char mac[PU_MAC_LEN], long long now,
			    bool record, bool *used)
{
	*used = pu_rlist_has(&d->pw, (size_t)o->remember, mac);
	if (*used || !record)
		return false;
	pu_rlist_push(&d->pw, mac, now, (size_t)o->remember);
	return true;
}
