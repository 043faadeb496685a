/*
 * Which users a line manages, decided locally, without the backend (as
 * pam_sss/sssd decide by domain): managed_group= (a primary or
 * supplementary member, from the local user and group databases) or
 * managed_uid=MIN-MAX.  Neither set: every user is the line's.  A name the
 * local databases do not know is not managed.  For a user it does not
 * manage, a line steps aside (PAM_IGNORE) before it reads its
 * configuration or asks its backend, so that root and local accounts keep
 * working through every misconfiguration and outage, while the managed
 * users stay fail-closed.
 */
#ifndef PU_MANAGED_H
#define PU_MANAGED_H

#include <stdbool.h>

#include "options.h"
#include "status.h"

bool pu_managed_set(const struct pu_options *o);

enum pu_status pu_user_managed(const struct pu_options *o, const char *user,
			       bool *managed, struct pu_err *err);

#endif
