/*
 * pam_faillock's rule, as a pure function: deny failures less than
 * fail_interval seconds older than the latest lock the account through
 * the second latest + unlock_time (unlock_time 0: until reset).  The store keeps the failures; this
 * decides.
 */
#ifndef PU_LOCKOUT_H
#define PU_LOCKOUT_H

#include <stdbool.h>

#include "common/options.h"

/* what the store holds of a user's recent failures */
struct pu_failures {
	int count;           /* failures kept (at most deny) */
	long long latest;    /* newest failure, unix seconds */
	long long oldest;    /* oldest of those kept */
};

/* true when l is on (deny > 0) */
bool pu_lockout_enabled(const struct pu_lockout *l);

/* Locked at now?  *unlock_at gets when it ends (0: never, or not locked). */
bool pu_lockout_active(const struct pu_lockout *l, const struct pu_failures *f,
		       long long now, long long *unlock_at);

#endif
