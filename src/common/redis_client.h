/*
 * Redis client for the module and unifiedctl.  hiredis does the protocol
 * (redisFormatCommandArgv, redisReader: argv form only, user data never
 * becomes a command string); this file does the I/O itself so that every
 * connect, send and receive runs under the call's deadline, fds are
 * CLOEXEC and writes use MSG_NOSIGNAL (hiredis 0.14 does neither).
 *
 * After an I/O or protocol error the connection is dead (hiredis style):
 * free it and connect again.  A Redis error reply is not an I/O error.
 */
#ifndef PU_REDIS_CLIENT_H
#define PU_REDIS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "options.h"
#include "status.h"

#define PU_REDIS_MAXARGS 24
#define PU_REDIS_MAXREPLY (1024 * 1024)   /* bytes read per round trip */
#define PU_REDIS_MAXELEMENTS 65536        /* elements of one reply, all levels */

struct pu_redis;

struct pu_redis_cmd {
	int argc;
	const char *argv[PU_REDIS_MAXARGS];
	size_t len[PU_REDIS_MAXARGS];
};

void pu_cmd_init(struct pu_redis_cmd *c, const char *name);
void pu_cmd_add(struct pu_redis_cmd *c, const char *s);
void pu_cmd_addn(struct pu_redis_cmd *c, const char *s, size_t len);

/* Connects per c: redis= URIs in order, or sentinel= asking for
 * sentinel_master's primary and checking its ROLE; then AUTH and SELECT.
 * c must have passed pu_redis_conn_validate(). */
enum pu_status pu_redis_connect(const struct pu_redis_conn *c,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err);

/* Two option sets that would make the same connection. */
bool pu_redis_conn_same(const struct pu_redis_conn *a,
			const struct pu_redis_conn *b);

/* The three layers of one round trip, hiredis style. */

/* Encodes n commands (argv form) into one buffer; wipe it with
 * pu_redis_wire_free (it may hold AUTH's secret). */
struct pu_redis_wire {
	char *data;
	size_t len;
};
enum pu_status pu_redis_format(size_t n, const struct pu_redis_cmd *cmds,
			       struct pu_redis_wire *out, struct pu_err *err);
void pu_redis_wire_free(struct pu_redis_wire *w);

/* Writes it all under the deadline. */
enum pu_status pu_redis_write(struct pu_redis *r, const struct pu_deadline *dl,
			      const struct pu_redis_wire *w, struct pu_err *err);

/* Reads n replies under the deadline.  On PU_OK replies[0..n-1] are set
 * (free with pu_redis_replies_free); on failure none are. */
enum pu_status pu_redis_read(struct pu_redis *r, const struct pu_deadline *dl,
			     size_t n, redisReply **replies, struct pu_err *err);

/* format + write + read: n commands in one write, n replies (one round
 * trip). */
enum pu_status pu_redis_run(struct pu_redis *r, const struct pu_deadline *dl,
			    size_t n, const struct pu_redis_cmd *cmds,
			    redisReply **replies, struct pu_err *err);

void pu_redis_replies_free(redisReply **replies, size_t n);
bool pu_redis_alive(const struct pu_redis *r);
/* Alive, and not closed by the server while idle (a server-side timeout,
 * a restart): a cached connection is checked before it is reused. */
bool pu_redis_usable(struct pu_redis *r);
const char *pu_redis_peer(const struct pu_redis *r);
void pu_redis_free(struct pu_redis *r);

#endif
