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

bool pu_replay_apply_login(struct pu_replay_data *d,
			   const struct pu_replay_opts *o,
			   const unsigned char mac[PU_MAC_LEN], long long now,
			   bool *replayed)
{
	*replayed = pu_rlist_has(&d->hist, (size_t)o->window, mac);
	if (*replayed)
		return false;
	if (o->commit == PU_COMMIT_AUTH) {
		pu_rlist_push(&d->hist, mac, now, (size_t)o->window);
	} else {
		pu_rlist_drop_expired(&d->pend, now);
		pu_rlist_push(&d->pend, mac, now + o->pending_ttl, PU_REPLAY_MAX);
	}
	return true;
}

bool pu_replay_apply_promote(struct pu_replay_data *d,
			     const struct pu_replay_opts *o, long long now,
			     size_t *promoted)
{
	size_t n;

	pu_rlist_drop_expired(&d->pend, now);
	n = d->pend.n;
	/* oldest first, so the newest ends up at the front */
	for (size_t i = n; i-- > 0;)
		pu_rlist_push(&d->hist, d->pend.e[i].mac, now, (size_t)o->window);
	*promoted = n;
	d->pend.n = 0;
	return true;
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
