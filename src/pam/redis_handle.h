/*
 * Redis connections of one PAM handle, kept with pam_set_data and keyed by
 * everything that selects a connection (struct pu_redis_conn): a redis line
 * and a replay line with different options each keep their own, and lines
 * with the same options share one.  The handle's cleanup closes them.
 */
#ifndef PU_REDIS_HANDLE_H
#define PU_REDIS_HANDLE_H

#include "call.h"
#include "common/redis_client.h"

/* The handle's connection for conn; connects under the call's deadline
 * when there is none, or when the cached one was closed by the server. */
enum pu_status pu_redis_handle_get(struct pu_call *c,
				   const struct pu_redis_conn *conn,
				   struct pu_redis **out);

/* After a failed call: when it failed for lack of time (PU_UNAVAIL with
 * the deadline spent), the later calls of this handle fail at once on
 * conn instead of waiting out the same outage again, so one login costs
 * at most one timeout. */
void pu_redis_handle_outage(struct pu_call *c, const struct pu_redis_conn *conn,
			    enum pu_status st);

/* Closes and forgets the handle's connection for conn, if any. */
void pu_redis_handle_drop(struct pu_call *c, const struct pu_redis_conn *conn);

#endif
