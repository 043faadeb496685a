#define _GNU_SOURCE
#include "redis_handle.h"

#include <stdlib.h>
#include <string.h>

#define DATA_NAME "pam_unified_redis"
#define MAX_SLOTS 8

struct slot {
	struct pu_redis_conn key;
	struct pu_redis *conn;
	bool timed_out;       /* a call of this handle spent its deadline */
};

struct handle_conns {
	struct slot *slots[MAX_SLOTS];
};

static void cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct handle_conns *h = data;

	(void)pamh;
	(void)error_status;
	if (h == NULL)
		return;
	for (int i = 0; i < MAX_SLOTS; i++) {
		if (h->slots[i] == NULL)
			continue;
		pu_redis_free(h->slots[i]->conn);
		free(h->slots[i]);
	}
	free(h);
}

static struct handle_conns *conns_of(struct pu_call *c, bool create)
{
	const void *data = NULL;
	struct handle_conns *h;

	if (pam_get_data(c->pamh, DATA_NAME, &data) == PAM_SUCCESS && data)
		return (struct handle_conns *)data;
	if (!create)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	if (pam_set_data(c->pamh, DATA_NAME, h, cleanup) != PAM_SUCCESS) {
		free(h);
		return NULL;
	}
	return h;
}

static struct slot **find(struct handle_conns *h,
			  const struct pu_redis_conn *conn)
{
	for (int i = 0; i < MAX_SLOTS; i++)
		if (h->slots[i] != NULL &&
		    pu_redis_conn_same(&h->slots[i]->key, conn))
			return &h->slots[i];
	return NULL;
}

enum pu_status pu_redis_handle_get(struct pu_call *c,
				   const struct pu_redis_conn *conn,
				   struct pu_redis **out)
{
	struct handle_conns *h = conns_of(c, true);
	struct slot **sp, *s;
	enum pu_status st;

	*out = NULL;
	if (h == NULL)
		return pu_fail(&c->err, PU_NOMEM, "out of memory");
	sp = find(h, conn);
	if (sp != NULL && (*sp)->timed_out)
		return pu_fail(&c->err, PU_UNAVAIL,
			       "redis timed out earlier in this login: not asked again");
	if (sp != NULL && pu_redis_usable((*sp)->conn)) {
		*out = (*sp)->conn;
		return PU_OK;
	}
	if (sp == NULL) {
		for (int i = 0; i < MAX_SLOTS && sp == NULL; i++)
			if (h->slots[i] == NULL)
				sp = &h->slots[i];
		if (sp == NULL) /* more distinct sets than lines ever need */
			return pu_fail(&c->err, PU_CONFIG,
				       "more than %d Redis connection sets in one stack",
				       MAX_SLOTS);
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return pu_fail(&c->err, PU_NOMEM, "out of memory");
		s->key = *conn;
		*sp = s;
	}
	s = *sp;
	pu_redis_free(s->conn);
	s->conn = NULL;
	st = pu_redis_connect(conn, &c->deadline, &s->conn, &c->err);
	if (st != PU_OK) {
		if (st == PU_UNAVAIL && pu_deadline_left_ms(&c->deadline) == 0)
			s->timed_out = true;
		return st;
	}
	if (c->opts->debug) {
		char how[400];

		pu_redis_describe(s->conn, how, sizeof(how));
		pu_debug(c, "redis: connected to %s (%s)",
			 pu_redis_peer(s->conn), how);
	}
	*out = s->conn;
	return PU_OK;
}

void pu_redis_handle_drop(struct pu_call *c, const struct pu_redis_conn *conn)
{
	struct handle_conns *h = conns_of(c, false);
	struct slot **sp = h ? find(h, conn) : NULL;

	if (sp == NULL)
		return;
	pu_redis_free((*sp)->conn);
	free(*sp);
	*sp = NULL;
}

void pu_redis_handle_outage(struct pu_call *c, const struct pu_redis_conn *conn,
			    enum pu_status st)
{
	struct handle_conns *h;
	struct slot **sp;

	if (st != PU_UNAVAIL || pu_deadline_left_ms(&c->deadline) != 0)
		return;
	h = conns_of(c, false);
	sp = h ? find(h, conn) : NULL;
	if (sp == NULL)
		return;
	(*sp)->timed_out = true;
	pu_redis_free((*sp)->conn);
	(*sp)->conn = NULL;
}
