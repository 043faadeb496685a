#include "lockout.h"

bool pu_lockout_enabled(const struct pu_lockout *l)
{
	return l != NULL && l->deny > 0;
}

bool pu_lockout_active(const struct pu_lockout *l, const struct pu_failures *f,
		       long long now, long long *unlock_at)
{
	*unlock_at = 0;
	if (!pu_lockout_enabled(l) || f->count < l->deny)
		return false;
	/* pam_faillock counts a failure while latest - t < fail_interval */
	if (f->oldest <= f->latest - l->fail_interval)
		return false;
	if (l->unlock_time == 0)
		return true;
	/* and keeps the lock while now <= latest + unlock_time */
	if (now > f->latest + l->unlock_time)
		return false;
	*unlock_at = f->latest + l->unlock_time;
	return true;
}
