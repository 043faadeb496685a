/* Shared by the small libpam applications (bench, replay_cost, the tests'
 * pam_login): a conversation that answers every prompt with the string
 * in appdata, and a monotonic clock. */
#ifndef PU_BENCH_APP_H
#define PU_BENCH_APP_H

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int app_conv(int n, const struct pam_message **msg,
			   struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(data);
	*resp = r;
	return PAM_SUCCESS;
}

static inline double app_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int app_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
