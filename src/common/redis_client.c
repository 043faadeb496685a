#define _GNU_SOURCE
#include "redis_client.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net.h"

#define SLOTS 16384
#define MAX_NODES 64
#define MAX_REDIRECTS 16

struct cnode {
	struct pu_endpoint ep;
	struct pu_node *nd;           /* NULL until used */
};

struct pu_redis {
	bool dead;
	bool cluster;
	bool view;                    /* a node lent to pu_redis_each_primary */
	struct pu_node *single;
	/* cluster */
	struct pu_redis_conn *o;      /* to connect the nodes it learns */
	struct cnode nodes[MAX_NODES];
	size_t nnodes;
	short slot[SLOTS];            /* index into nodes, -1: unknown */
	bool tls;
	char peer[64];
};

/* ---------------- slots ---------------- */

static unsigned crc16(const unsigned char *p, size_t len)
{
	unsigned crc = 0;

	while (len-- > 0) {
		crc ^= (unsigned)*p++ << 8;
		for (int i = 0; i < 8; i++)
			crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
		crc &= 0xffff;
	}
	return crc;
}

unsigned pu_redis_key_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	if (open != NULL) {
		close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close != NULL && close > open + 1)
			return crc16((const unsigned char *)open + 1,
				     (size_t)(close - open - 1)) & (SLOTS - 1);
	}
	return crc16((const unsigned char *)key, len) & (SLOTS - 1);
}

/* the key a command is routed by; false for keyless commands */
static bool cmd_key(const struct pu_redis_cmd *c, const char **key, size_t *len)
{
	static const char *const keyless[] = {
		"PING", "ROLE", "SCAN", "AUTH", "SELECT", "INFO", "CLUSTER",
		"ASKING", "CLIENT", "DBSIZE",
	};
	int k = 1;

	if (c->argc < 1)
		return false;
	for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++)
		if (strcasecmp(c->argv[0], keyless[i]) == 0)
			return false;
	if (strcasecmp(c->argv[0], "EVAL") == 0 ||
	    strcasecmp(c->argv[0], "EVALSHA") == 0) {
		if (c->argc < 4 || atoi(c->argv[2]) < 1)
			return false;
		k = 3;
	}
	if (c->argc <= k)
		return false;
	*key = c->argv[k];
	*len = c->len[k];
	return true;
}

/* ---------------- one server: a list, or what a Sentinel names ---------------- */

/* Calls fn for each comma-separated item of list until one succeeds. */
static enum pu_status each_item(const char *list,
				enum pu_status (*fn)(const char *item,
						     const struct pu_redis_conn *o,
						     const struct pu_deadline *dl,
						     struct pu_node **out,
						     struct pu_err *err),
				const struct pu_redis_conn *o,
				const struct pu_deadline *dl,
				struct pu_node **out, struct pu_err *err)
{
	enum pu_status st = PU_CONFIG;
	const char *p = list;

	if (*p == '\0')
		return pu_fail(err, PU_CONFIG, "empty server list");
	while (*p != '\0') {
		char item[256];
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item))
			return pu_fail(err, PU_CONFIG, "bad server list %.80s", list);
		memcpy(item, p, len);
		item[len] = '\0';
		st = fn(item, o, dl, out, err);
		/* a configuration mistake (loose secret, bad URI) is not a
		 * reason to try the next server */
		if (st == PU_OK || st == PU_CONFIG || st == PU_NOMEM ||
		    pu_deadline_left_ms(dl) == 0)
			return st;
		p += len;
		if (*p == ',')
			p++;
	}
	return st;
}

static enum pu_status connect_uri(const char *uri, const struct pu_redis_conn *o,
				  const struct pu_deadline *dl,
				  struct pu_node **out, struct pu_err *err)
{
	struct pu_endpoint ep;
	enum pu_status st = pu_endpoint_parse(uri, &ep, err);

	if (st != PU_OK)
		return st;
	return pu_node_connect(&ep, o, strchr(o->redis, ',') == NULL ?
			       PU_NODE_DATA_ONLY : PU_NODE_DATA, dl, out, err);
}

/* The primary a Sentinel names; over TLS when the Sentinel was. */
static enum pu_status via_sentinel(const char *sentinel,
				   const struct pu_redis_conn *o,
				   const struct pu_deadline *dl,
				   struct pu_node **out, struct pu_err *err)
{
	struct pu_endpoint sep, ep;
	struct pu_node *s = NULL;
	struct pu_redis_cmd cmd;
	redisReply *rep = NULL;
	enum pu_status st = pu_endpoint_parse(sentinel, &sep, err);

	if (st == PU_OK)
		st = pu_node_connect(&sep, o, PU_NODE_SENTINEL, dl, &s, err);
	if (st != PU_OK)
		return st;
	pu_cmd_init(&cmd, "SENTINEL");
	pu_cmd_add(&cmd, "get-master-addr-by-name");
	pu_cmd_add(&cmd, o->sentinel_master);
	st = pu_node_run(s, dl, 1, &cmd, &rep, err);
	pu_node_free(s);
	if (st != PU_OK)
		return st;
	if (rep->type == REDIS_REPLY_ERROR) {
		/* a sentinel that wants a password says NOAUTH: say which
		 * option gives it one */
		bool noauth = strncmp(rep->str, "NOAUTH", 6) == 0;

		st = pu_fail(err, PU_UNAVAIL, "sentinel %s: %s%.80s", sentinel,
			     noauth ? "NOAUTH: the sentinel wants a password "
			     "(sentinel_password_file=): " : "", rep->str);
		freeReplyObject(rep);
		return st;
	}
	memset(&ep, 0, sizeof(ep));
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[1]->type != REDIS_REPLY_STRING ||
	    rep->element[0]->len == 0 || rep->element[0]->len >= sizeof(ep.host) ||
	    rep->element[1]->len == 0 || rep->element[1]->len >= sizeof(ep.port) ||
	    strspn(rep->element[1]->str, "0123456789") != rep->element[1]->len ||
	    memchr(rep->element[0]->str, '\0', rep->element[0]->len) != NULL) {
		freeReplyObject(rep);
		return pu_fail(err, PU_UNAVAIL, "sentinel %s: no primary for %.60s",
			       sentinel, o->sentinel_master);
	}
	memcpy(ep.host, rep->element[0]->str, rep->element[0]->len + 1);
	memcpy(ep.port, rep->element[1]->str, rep->element[1]->len + 1);
	ep.tls = sep.tls;
	freeReplyObject(rep);
	/* a sentinel can lag behind a failover: the server's own ROLE is
	 * checked in the handshake */
	st = pu_node_connect(&ep, o, PU_NODE_DATA, dl, out, err);
	if (st == PU_UNAVAIL && strstr(err ? err->msg : "", "a replica") != NULL)
		st = pu_fail(err, PU_UNAVAIL,
			     "sentinel %s named %s:%s, which is not a primary",
			     sentinel, ep.host, ep.port);
	return st;
}

/* ---------------- a cluster ---------------- */

static int find_node(struct pu_redis *r, const char *host, const char *port)
{
	for (size_t i = 0; i < r->nnodes; i++)
		if (strcmp(r->nodes[i].ep.host, host) == 0 &&
		    strcmp(r->nodes[i].ep.port, port) == 0)
			return (int)i;
	return -1;
}

static int add_node(struct pu_redis *r, const char *host, const char *port)
{
	int i = find_node(r, host, port);
	struct cnode *n;

	if (i >= 0)
		return i;
	if (r->nnodes == MAX_NODES || strlen(host) >= sizeof(n->ep.host) ||
	    strlen(port) >= sizeof(n->ep.port))
		return -1;
	n = &r->nodes[r->nnodes];
	memset(n, 0, sizeof(*n));
	snprintf(n->ep.host, sizeof(n->ep.host), "%s", host);
	snprintf(n->ep.port, sizeof(n->ep.port), "%s", port);
	n->ep.tls = r->tls;
	return (int)r->nnodes++;
}

static enum pu_status node_of(struct pu_redis *r, int i,
			      const struct pu_deadline *dl, struct pu_node **nd,
			      struct pu_err *err)
{
	struct cnode *n = &r->nodes[i];
	enum pu_status st;

	if (n->nd != NULL && !pu_node_alive(n->nd)) {
		pu_node_free(n->nd);
		n->nd = NULL;
	}
	if (n->nd == NULL) {
		st = pu_node_connect(&n->ep, r->o, PU_NODE_CLUSTER, dl, &n->nd, err);
		if (st != PU_OK)
			return st;
	}
	*nd = n->nd;
	return PU_OK;
}

/* "host:port" of a MOVED or ASK into a node index */
static int node_at(struct pu_redis *r, const char *addr)
{
	char host[256], port[8];
	const char *colon = strrchr(addr, ':');
	size_t hl;

	if (colon == NULL || colon == addr)
		return -1;
	hl = (size_t)(colon - addr);
	if (hl >= sizeof(host) || strlen(colon + 1) >= sizeof(port))
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	return add_node(r, host, port);
}

/* CLUSTER SLOTS from node i into the map */
static enum pu_status load_slots(struct pu_redis *r, int i,
				 const struct pu_deadline *dl, struct pu_err *err)
{
	struct pu_redis_cmd cmd;
	struct pu_node *nd;
	redisReply *rep = NULL;
	enum pu_status st = node_of(r, i, dl, &nd, err);
	const char *seed_host = r->nodes[i].ep.host;

	if (st != PU_OK)
		return st;
	pu_cmd_init(&cmd, "CLUSTER");
	pu_cmd_add(&cmd, "SLOTS");
	st = pu_node_run(nd, dl, 1, &cmd, &rep, err);
	if (st != PU_OK)
		return st;
	if (rep->type != REDIS_REPLY_ARRAY) {
		st = pu_fail(err, PU_UNAVAIL, "redis %s: CLUSTER SLOTS: %.80s",
			     pu_node_peer(nd),
			     rep->type == REDIS_REPLY_ERROR ? rep->str : "garbage");
		freeReplyObject(rep);
		return st;
	}
	for (size_t k = 0; k < SLOTS; k++)
		r->slot[k] = -1;
	for (size_t k = 0; k < rep->elements; k++) {
		const redisReply *e = rep->element[k], *m;
		char port[16];
		int idx;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
		    e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER)
			continue;
		m = e->element[2];
		if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
		    m->element[0]->type != REDIS_REPLY_STRING ||
		    m->element[1]->type != REDIS_REPLY_INTEGER)
			continue;
		snprintf(port, sizeof(port), "%lld", m->element[1]->integer);
		idx = add_node(r, m->element[0]->len ? m->element[0]->str :
			       seed_host, port);
		if (idx < 0)
			continue;
		for (long long s = e->element[0]->integer;
		     s <= e->element[1]->integer && s < SLOTS; s++)
			if (s >= 0)
				r->slot[s] = (short)idx;
	}
	freeReplyObject(rep);
	return PU_OK;
}

/* a fresh map from any node that answers */
static enum pu_status refresh(struct pu_redis *r, const struct pu_deadline *dl,
			      struct pu_err *err)
{
	enum pu_status st = pu_fail(err, PU_UNAVAIL, "redis cluster: no node");

	for (size_t i = 0; i < r->nnodes && pu_deadline_left_ms(dl) > 0; i++) {
		st = load_slots(r, (int)i, dl, err);
		if (st == PU_OK || st == PU_CONFIG || st == PU_NOMEM)
			return st;
	}
	return st;
}

static enum pu_status connect_cluster(const struct pu_redis_conn *o,
				      const struct pu_deadline *dl,
				      struct pu_redis *r, struct pu_err *err)
{
	const char *p = o->cluster;

	r->o = malloc(sizeof(*r->o));
	if (r->o == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	*r->o = *o;
	r->cluster = true;
	while (*p != '\0') {
		char item[256];
		struct pu_endpoint ep;
		size_t len = strcspn(p, ",");
		enum pu_status st;

		if (len == 0 || len >= sizeof(item))
			return pu_fail(err, PU_CONFIG, "bad redis_cluster= list");
		memcpy(item, p, len);
		item[len] = '\0';
		st = pu_endpoint_parse(item, &ep, err);
		if (st != PU_OK)
			return st;
		r->tls |= ep.tls;
		if (add_node(r, ep.host, ep.port) < 0)
			return pu_fail(err, PU_CONFIG, "too many cluster nodes");
		p += len;
		if (*p == ',')
			p++;
	}
	for (size_t i = 0; i < r->nnodes; i++)
		r->nodes[i].ep.tls = r->tls;
	snprintf(r->peer, sizeof(r->peer), "cluster (%zu seed node%s)", r->nnodes,
		 r->nnodes == 1 ? "" : "s");
	return refresh(r, dl, err);
}

enum pu_status pu_redis_connect(const struct pu_redis_conn *o,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err)
{
	struct pu_redis *r = calloc(1, sizeof(*r));
	enum pu_status st;

	*out = NULL;
	if (r == NULL)
		return pu_fail(err, PU_NOMEM, "out of memory");
	if (o->cluster[0] != '\0')
		st = connect_cluster(o, dl, r, err);
	else if (o->sentinel[0] != '\0')
		st = each_item(o->sentinel, via_sentinel, o, dl, &r->single, err);
	else
		st = each_item(o->redis, connect_uri, o, dl, &r->single, err);
	if (st != PU_OK) {
		pu_redis_free(r);
		return st;
	}
	*out = r;
	return PU_OK;
}

/* ---------------- routing ---------------- */

static bool error_is(const redisReply *rep, const char *word)
{
	size_t n = strlen(word);

	return rep != NULL && rep->type == REDIS_REPLY_ERROR &&
	       rep->len > n && strncmp(rep->str, word, n) == 0 &&
	       rep->str[n] == ' ';
}

/* One group of commands for one slot (or keyless), sent to the slot's
 * owner.  Each command follows its own reply: MOVED updates the map,
 * ASK sends that command (with ASKING) to the importing node, TRYAGAIN
 * (a multi-key command on a slot in migration) and CLUSTERDOWN are
 * waited out, a node that cannot be reached makes the map be learned
 * again; a command that got an answer is not sent
 * again (a write that was done on the migrating node is not repeated
 * on the importing one): all within the deadline.  A command marked
 * tryagain_reply gets TRYAGAIN as its reply at once (its caller has a
 * single-key way to do the same). */
static enum pu_status run_group(struct pu_redis *r, const struct pu_deadline *dl,
				int slot, size_t n, const struct pu_redis_cmd *cmds,
				redisReply **replies, struct pu_err *err)
{
	int *dest = calloc(n, sizeof(*dest));
	bool *ask = calloc(n, sizeof(*ask));
	size_t *at = calloc(n, sizeof(*at));
	struct pu_redis_cmd *wire = calloc(2 * n, sizeof(*wire));
	redisReply **got = calloc(2 * n, sizeof(*got));
	enum pu_status st = PU_UNAVAIL;
	size_t left = n;

	if (!dest || !ask || !at || !wire || !got) {
		st = pu_fail(err, PU_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		replies[k] = NULL;
		dest[k] = slot >= 0 ? r->slot[slot] : 0;
	}
	for (int hops = 0; left > 0 && hops < MAX_REDIRECTS; hops++) {
		struct pu_node *nd = NULL;
		size_t first = 0, m = 0, w = 0;
		bool wait = false, redirected = false;

		if (pu_deadline_left_ms(dl) == 0)
			break;
		while (replies[first] != NULL)
			first++;
		if (dest[first] < 0) {
			st = refresh(r, dl, err);
			if (st != PU_OK)
				break;
			if (r->slot[slot >= 0 ? slot : 0] < 0) {
				st = pu_fail(err, PU_UNAVAIL,
					     "redis cluster: slot %d has no owner", slot);
				break;
			}
			for (size_t k = 0; k < n; k++)
				if (replies[k] == NULL && dest[k] < 0) {
					dest[k] = r->slot[slot >= 0 ? slot : 0];
					ask[k] = false;
				}
			continue;
		}
		/* the commands bound for the same node the same way: one
		 * round trip; ASKING before each (it lasts one command) */
		for (size_t k = first; k < n; k++) {
			if (replies[k] != NULL || dest[k] != dest[first] ||
			    ask[k] != ask[first])
				continue;
			if (ask[k])
				pu_cmd_init(&wire[w++], "ASKING");
			wire[w++] = cmds[k];
			at[m++] = k;
		}
		st = node_of(r, dest[first], dl, &nd, err);
		if (st == PU_OK)
			st = pu_node_run(nd, dl, w, wire, got, err);
		if (st == PU_CONFIG || st == PU_NOMEM)
			break;
		if (st != PU_OK) {
			/* a node gone (failover): learn the map again */
			for (size_t k = 0; k < m; k++)
				dest[at[k]] = -1;
			poll(NULL, 0, 20);
			continue;
		}
		for (size_t j = 0; j < m; j++) {
			size_t k = at[j], g = ask[k] ? 2 * j + 1 : j;
			redisReply *rep = got[g];

			if (error_is(rep, "MOVED") || error_is(rep, "ASK")) {
				const char *addr = strrchr(rep->str, ' ');
				int to = addr ? node_at(r, addr + 1) : -1;
				bool moved = error_is(rep, "MOVED");

				if (moved && slot >= 0 && to >= 0)
					r->slot[slot] = (short)to;
				dest[k] = to;
				ask[k] = !moved;
				redirected = true;
			} else if ((error_is(rep, "TRYAGAIN") &&
				    !cmds[k].tryagain_reply) ||
				   error_is(rep, "CLUSTERDOWN")) {
				wait = true;
				if (error_is(rep, "CLUSTERDOWN"))
					dest[k] = -1;
			} else {
				replies[k] = rep;
				got[g] = NULL;
				left--;
				continue;
			}
			/* the reason first: rep is freed below */
			st = pu_fail(err, PU_UNAVAIL, "redis cluster: %.100s",
				     rep->str);
		}
		pu_redis_replies_free(got, w);
		if (wait) {
			/* a slot in migration (TRYAGAIN) or a failover
			 * (CLUSTERDOWN) ends by itself: waited for until the
			 * deadline, not counted as a redirection */
			int ms = pu_deadline_left_ms(dl);

			poll(NULL, 0, ms < 20 ? ms : 20);
			if (!redirected)
				hops--;
		}
	}
	if (left == 0)
		st = PU_OK;
	else if (st == PU_OK)
		st = pu_fail(err, PU_UNAVAIL, "redis cluster: too many redirections");
out:
	if (st != PU_OK)
		pu_redis_replies_free(replies, n);
	free(dest);
	free(ask);
	free(at);
	free(wire);
	free(got);
	return st;
}

static enum pu_status run_cluster(struct pu_redis *r, const struct pu_deadline *dl,
				  size_t n, const struct pu_redis_cmd *cmds,
				  redisReply **replies, struct pu_err *err)
{
	int *slot = calloc(n, sizeof(*slot));
	bool *done = calloc(n, sizeof(*done));
	struct pu_redis_cmd *group = calloc(n, sizeof(*group));
	redisReply **grep = calloc(n, sizeof(*grep));
	size_t *at = calloc(n, sizeof(*at));
	enum pu_status st = PU_OK;

	if (!slot || !done || !group || !grep || !at) {
		st = pu_fail(err, PU_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *key;
		size_t len;

		slot[i] = cmd_key(&cmds[i], &key, &len) ?
			  (int)pu_redis_key_slot(key, len) : -1;
	}
	/* keyless commands go with the first keyed one */
	for (size_t i = 0; i < n; i++)
		if (slot[i] < 0)
			for (size_t k = 0; k < n; k++)
				if (slot[k] >= 0) {
					slot[i] = slot[k];
					break;
				}
	for (size_t i = 0; i < n && st == PU_OK; i++) {
		size_t m = 0;

		if (done[i])
			continue;
		for (size_t k = i; k < n; k++) {
			if (done[k] || slot[k] != slot[i])
				continue;
			group[m] = cmds[k];
			at[m++] = k;
			done[k] = true;
		}
		st = run_group(r, dl, slot[i], m, group, grep, err);
		for (size_t k = 0; st == PU_OK && k < m; k++)
			replies[at[k]] = grep[k];
	}
	if (st != PU_OK)
		pu_redis_replies_free(replies, n);
out:
	free(slot);
	free(done);
	free(group);
	free(grep);
	free(at);
	return st;
}

/* A server that wants AUTH from a client that sent none answers NOAUTH,
 * or (Redis 7, to a long command) "unauthenticated multibulk length" and
 * hangs up: say which, whichever the command was. */
static enum pu_status auth_refused(struct pu_redis *r, size_t n,
				   redisReply **replies, struct pu_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const redisReply *e = replies[i];

		if (e == NULL || e->type != REDIS_REPLY_ERROR ||
		    (strncmp(e->str, "NOAUTH", 6) != 0 &&
		     strstr(e->str, "unauthenticated") == NULL))
			continue;
		pu_fail(err, PU_UNAVAIL, "redis %s: NOAUTH: the server wants "
			"a password (redis_password_file=): %.80s",
			r->cluster ? "cluster" : pu_node_peer(r->single), e->str);
		pu_redis_replies_free(replies, n);
		return PU_UNAVAIL;
	}
	return PU_OK;
}

enum pu_status pu_redis_run(struct pu_redis *r, const struct pu_deadline *dl,
			    size_t n, const struct pu_redis_cmd *cmds,
			    redisReply **replies, struct pu_err *err)
{
	enum pu_status st;

	for (size_t i = 0; i < n; i++)
		replies[i] = NULL;
	if (r == NULL || r->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	if (!r->cluster)
		st = pu_node_run(r->single, dl, n, cmds, replies, err);
	else
		st = run_cluster(r, dl, n, cmds, replies, err);
	if (st == PU_OK)
		st = auth_refused(r, n, replies, err);
	if (st != PU_OK && !r->cluster && !pu_node_alive(r->single) && !r->view)
		r->dead = true;
	return st;
}

bool pu_redis_is_cluster(const struct pu_redis *r)
{
	return r != NULL && r->cluster;
}

enum pu_status pu_redis_each_primary(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     pu_redis_node_fn fn, void *arg,
				     struct pu_err *err)
{
	bool seen[MAX_NODES] = { false };

	if (r == NULL || r->dead)
		return pu_fail(err, PU_UNAVAIL, "redis: not connected");
	if (!r->cluster) {
		fn(r, arg);
		return PU_OK;
	}
	for (size_t s = 0; s < SLOTS; s++) {
		struct pu_redis view;
		struct pu_node *nd = NULL;
		int i = r->slot[s];
		enum pu_status st;

		if (i < 0 || seen[i])
			continue;
		seen[i] = true;
		st = node_of(r, i, dl, &nd, err);
		if (st != PU_OK)
			return st;
		memset(&view, 0, sizeof(view));
		view.view = true;
		view.single = nd;
		snprintf(view.peer, sizeof(view.peer), "%s", pu_node_peer(nd));
		if (!fn(&view, arg))
			break;
	}
	return PU_OK;
}

/* ---------------- the rest ---------------- */

bool pu_redis_conn_same(const struct pu_redis_conn *a,
			const struct pu_redis_conn *b)
{
	return strcmp(a->redis, b->redis) == 0 &&
	       strcmp(a->sentinel, b->sentinel) == 0 &&
	       strcmp(a->cluster, b->cluster) == 0 &&
	       strcmp(a->sentinel_master, b->sentinel_master) == 0 &&
	       strcmp(a->sentinel_user, b->sentinel_user) == 0 &&
	       strcmp(a->sentinel_password_file, b->sentinel_password_file) == 0 &&
	       strcmp(a->user, b->user) == 0 &&
	       strcmp(a->owner, b->owner) == 0 &&
	       strcmp(a->password_file, b->password_file) == 0 &&
	       strcmp(a->tls_ca, b->tls_ca) == 0 &&
	       strcmp(a->tls_cert, b->tls_cert) == 0 &&
	       strcmp(a->tls_key, b->tls_key) == 0 &&
	       strcmp(a->tls_server_name, b->tls_server_name) == 0 &&
	       a->tls_resume == b->tls_resume &&
	       a->db == b->db && a->auth == b->auth;
}

bool pu_redis_alive(const struct pu_redis *r)
{
	return r != NULL && !r->dead;
}

bool pu_redis_usable(struct pu_redis *r)
{
	if (r == NULL || r->dead)
		return false;
	if (!r->cluster) {
		if (!pu_node_usable(r->single))
			r->dead = true;
		return !r->dead;
	}
	/* a cluster node the server closed is connected again when used */
	for (size_t i = 0; i < r->nnodes; i++)
		if (r->nodes[i].nd != NULL && !pu_node_usable(r->nodes[i].nd)) {
			pu_node_free(r->nodes[i].nd);
			r->nodes[i].nd = NULL;
		}
	return true;
}

const char *pu_redis_peer(const struct pu_redis *r)
{
	if (r == NULL)
		return "";
	return r->cluster || r->view ? r->peer : pu_node_peer(r->single);
}

void pu_redis_describe(const struct pu_redis *r, char *buf, size_t size)
{
	const struct pu_node *nd = NULL;

	if (r != NULL && !r->cluster)
		nd = r->single;
	for (size_t i = 0; r != NULL && r->cluster && i < r->nnodes && !nd; i++)
		nd = r->nodes[i].nd;
	pu_node_describe(nd, buf, size);
}

void pu_redis_free(struct pu_redis *r)
{
	if (r == NULL || r->view)
		return;
	pu_node_free(r->single);
	for (size_t i = 0; i < r->nnodes; i++)
		pu_node_free(r->nodes[i].nd);
	if (r->o != NULL) {
		explicit_bzero(r->o, sizeof(*r->o));
		free(r->o);
	}
	free(r);
}
