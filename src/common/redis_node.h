/*
 * One connection to one Redis server (or Sentinel), in three layers as
 * hiredis has them: format (argv form only: user data never becomes a
 * command string), write and read, each under the call's deadline, over
 * a plain or TLS stream (stream.h).  hiredis is the codec only.
 *
 * After an I/O or protocol error the node is dead (hiredis style): free
 * it and connect again.  A Redis error reply is not an I/O error.
 */
#ifndef PU_REDIS_NODE_H
#define PU_REDIS_NODE_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "net.h"
#include "options.h"
#include "status.h"

#define PU_REDIS_MAXARGS 24
#define PU_REDIS_MAXREPLY (1024 * 1024)   /* bytes read per round trip */
#define PU_REDIS_MAXELEMENTS 65536        /* elements of one reply, all levels */

struct pu_redis_cmd {
	int argc;
	const char *argv[PU_REDIS_MAXARGS];
	size_t len[PU_REDIS_MAXARGS];
	/* a Cluster's TRYAGAIN (a multi-key command on a slot half
	 * migrated) is this command's reply, not retried: the caller has a
	 * single-key way (redis_client.c) */
	bool tryagain_reply;
};

void pu_cmd_init(struct pu_redis_cmd *c, const char *name);
void pu_cmd_add(struct pu_redis_cmd *c, const char *s);
void pu_cmd_addn(struct pu_redis_cmd *c, const char *s, size_t len);

struct pu_node;

enum pu_node_kind {
	PU_NODE_DATA,         /* AUTH, SELECT, and the ROLE check */
	PU_NODE_DATA_ONLY,    /* the only server listed: AUTH and SELECT;
			       * with nothing to choose between, ROLE would
			       * cost a round trip per connection for
			       * nothing: a replica's READONLY fails the
			       * first write closed */
	PU_NODE_CLUSTER,      /* AUTH only */
	PU_NODE_SENTINEL,     /* sentinel_user / sentinel_password_file */
};

/* Connects to ep (unix: with the socket trust checks, TCP with a name
 * resolved under the deadline, TLS when ep->tls), then authenticates as
 * kind says.  A data node that answers ROLE as a replica is refused
 * (PU_UNAVAIL): writes go to a primary. */
enum pu_status pu_node_connect(const struct pu_endpoint *ep,
			       const struct pu_redis_conn *o,
			       enum pu_node_kind kind,
			       const struct pu_deadline *dl,
			       struct pu_node **out, struct pu_err *err);

/* Encodes n commands into one buffer; wipe it with pu_redis_wire_free
 * (it may hold AUTH's secret). */
struct pu_redis_wire {
	char *data;
	size_t len;
};
enum pu_status pu_redis_format(size_t n, const struct pu_redis_cmd *cmds,
			       struct pu_redis_wire *out, struct pu_err *err);
void pu_redis_wire_free(struct pu_redis_wire *w);

enum pu_status pu_node_write(struct pu_node *nd, const struct pu_deadline *dl,
			     const struct pu_redis_wire *w, struct pu_err *err);

/* Reads n replies.  On PU_OK replies[0..n-1] are set; on failure none. */
enum pu_status pu_node_read(struct pu_node *nd, const struct pu_deadline *dl,
			    size_t n, redisReply **replies, struct pu_err *err);

/* format + write + read: one round trip. */
enum pu_status pu_node_run(struct pu_node *nd, const struct pu_deadline *dl,
			   size_t n, const struct pu_redis_cmd *cmds,
			   redisReply **replies, struct pu_err *err);

bool pu_node_alive(const struct pu_node *nd);
/* Alive, and not closed by the server while idle (a server-side timeout,
 * a restart): a cached connection is checked before it is reused. */
bool pu_node_usable(struct pu_node *nd);
const char *pu_node_peer(const struct pu_node *nd);
void pu_node_describe(const struct pu_node *nd, char *buf, size_t size);
void pu_node_free(struct pu_node *nd);

void pu_redis_replies_free(redisReply **replies, size_t n);

#endif
