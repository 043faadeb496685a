#include "deadline.h"

#define NS 1000000000L

static void normalise(struct timespec *t)
{
	while (t->tv_nsec >= NS) {
		t->tv_sec++;
		t->tv_nsec -= NS;
	}
	while (t->tv_nsec < 0) {
		t->tv_sec--;
		t->tv_nsec += NS;
	}
}

void pu_deadline_start(struct pu_deadline *d, long timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, &d->at);
	d->at.tv_sec += timeout_ms / 1000;
	d->at.tv_nsec += (timeout_ms % 1000) * 1000000L;
	normalise(&d->at);
}

int pu_deadline_left_ms(const struct pu_deadline *d)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->at.tv_sec - now.tv_sec) * 1000 +
	     (d->at.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	/* round up so a sub-millisecond remainder still polls once */
	return ms > 600000 ? 600000 : (int)ms + 1;
}

struct timespec pu_deadline_pause(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now;
}

void pu_deadline_resume(struct pu_deadline *d, const struct timespec *mark)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	d->at.tv_sec += now.tv_sec - mark->tv_sec;
	d->at.tv_nsec += now.tv_nsec - mark->tv_nsec;
	normalise(&d->at);
}
