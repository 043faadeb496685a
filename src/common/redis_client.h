/*
 * The Redis client of the module and unifiedctl: one server (the first
 * of a redis= list that answers as a primary, or the primary a Sentinel
 * names), or a Redis Cluster (redis_cluster=: the slot map is learned
 * with CLUSTER SLOTS and every command goes to the owner of its key's
 * slot, following MOVED and ASK within the deadline).  Connections are
 * redis_node.h's: argv form only, every byte under the deadline, TLS
 * with verification for rediss://.
 *
 * After an I/O or protocol error a client is dead (hiredis style): free
 * it and connect again.  A Redis error reply is not an I/O error.
 */
#ifndef PU_REDIS_CLIENT_H
#define PU_REDIS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "options.h"
#include "redis_node.h"
#include "status.h"

struct pu_redis;

/* Connects per c, which must have passed pu_redis_conn_validate(). */
enum pu_status pu_redis_connect(const struct pu_redis_conn *c,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err);

/* Two option sets that would make the same connection. */
bool pu_redis_conn_same(const struct pu_redis_conn *a,
			const struct pu_redis_conn *b);

/* n commands, n replies.  To one server: one write, one round trip.  To
 * a cluster: the commands are grouped by the node that owns their keys,
 * one round trip per node, the replies put back in order (the stores
 * keep one user's commands together: one slot). */
enum pu_status pu_redis_run(struct pu_redis *r, const struct pu_deadline *dl,
			    size_t n, const struct pu_redis_cmd *cmds,
			    redisReply **replies, struct pu_err *err);

bool pu_redis_is_cluster(const struct pu_redis *r);

/* Calls fn with each primary in turn (one server: itself), for what has
 * to visit every node (SCAN).  The client passed to fn is only valid
 * during the call.  fn returns false to stop. */
typedef bool (*pu_redis_node_fn)(struct pu_redis *node, void *arg);
enum pu_status pu_redis_each_primary(struct pu_redis *r,
				     const struct pu_deadline *dl,
				     pu_redis_node_fn fn, void *arg,
				     struct pu_err *err);

bool pu_redis_alive(const struct pu_redis *r);
/* Alive, and not closed by the server while idle (a server-side timeout,
 * a restart): a cached client is checked before it is reused. */
bool pu_redis_usable(struct pu_redis *r);
const char *pu_redis_peer(const struct pu_redis *r);
/* plain text, or the TLS version, cipher, certificate subject, expiry */
void pu_redis_describe(const struct pu_redis *r, char *buf, size_t size);
void pu_redis_free(struct pu_redis *r);

/* The Cluster slot of a key: CRC16 of its {hash tag}, or of the key. */
unsigned pu_redis_key_slot(const char *key, size_t len);

#endif
