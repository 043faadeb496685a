/* One deadline per PAM call (timeout=): every backend I/O step asks it how
 * long it may still wait. */
#ifndef PU_DEADLINE_H
#define PU_DEADLINE_H

#include <time.h>

struct pu_deadline {
	struct timespec at; /* CLOCK_MONOTONIC */
};

void pu_deadline_start(struct pu_deadline *d, long timeout_ms);
/* Milliseconds left, 0 once expired (never negative). */
int pu_deadline_left_ms(const struct pu_deadline *d);

#endif
