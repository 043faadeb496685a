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
#ifndef PU_REDIS_H
#define PU_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "options.h"
#include "status.h"

#define PU_REDIS_MAXARGS 24
#define PU_REDIS_MAXREPLY (1024 * 1024)

struct pu_redis;

struct pu_redis_cmd {
	int argc;
	const char *argv[PU_REDIS_MAXARGS];
	size_t len[PU_REDIS_MAXARGS];
};

void pu_cmd_init(struct pu_redis_cmd *c, const char *name);
void pu_cmd_add(struct pu_redis_cmd *c, const char *s);
void pu_cmd_addn(struct pu_redis_cmd *c, const char *s, size_t len);

/* Connects per the options: redis= URIs in order, or sentinel= asking for
 * sentinel_master's primary and checking its ROLE; then AUTH and SELECT. */
enum pu_status pu_redis_connect(const struct pu_options *o,
				const struct pu_deadline *dl,
				struct pu_redis **out, struct pu_err *err);

/* Sends n commands in one write and reads n replies (one round trip).
 * On PU_OK replies[0..n-1] are set (free with pu_redis_replies_free). */
enum pu_status pu_redis_run(struct pu_redis *r, const struct pu_deadline *dl,
			    size_t n, const struct pu_redis_cmd *cmds,
			    redisReply **replies, struct pu_err *err);

void pu_redis_replies_free(redisReply **replies, size_t n);
bool pu_redis_alive(const struct pu_redis *r);
const char *pu_redis_peer(const struct pu_redis *r);
void pu_redis_free(struct pu_redis *r);

/* Key helpers: PREFIX KIND ":{" USER "}" (the hash tag keeps a user's keys
 * on one Cluster slot).  Returns false when it does not fit. */
bool pu_redis_key(char *buf, size_t size, const char *prefix,
		  const char *kind, const char *user);

#endif
