/*
 * One deadline per PAM call (timeout=), started once by the dispatcher:
 * every backend I/O step asks it how long it may still wait.  It budgets
 * I/O only: time at a password prompt or inside crypt(3) is not the
 * peer's, so those steps pause it (pu_deadline_pause/resume move the
 * deadline forward by the time they took).
 */
#ifndef PU_DEADLINE_H
#define PU_DEADLINE_H

#include <time.h>

struct pu_deadline {
	struct timespec at; /* CLOCK_MONOTONIC */
};

void pu_deadline_start(struct pu_deadline *d, long timeout_ms);
/* Milliseconds left, 0 once expired (never negative). */
int pu_deadline_left_ms(const struct pu_deadline *d);

/* pause returns a mark; resume adds the time since the mark */
struct timespec pu_deadline_pause(void);
void pu_deadline_resume(struct pu_deadline *d, const struct timespec *mark);

#endif
