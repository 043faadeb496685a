/*
 * bench: full PAM transactions through the real libpam, on a private
 * service directory (pam_start_confdir, no pam_wrapper).
 *
 *   bench CONFDIR SERVICE USERFMT PASSWORD full|login|auth SECONDS WORKERS [NUSERS [seq]]
 *
 * Each of WORKERS processes runs transactions for SECONDS: pam_start,
 * authenticate, for "login" and "full" also acct_mgmt and open_session,
 * for "full" also close_session; then pam_end.  ("login" is what a user
 * waits for at the door: the session stays recorded.)  USERFMT may hold one %d, filled with a
 * user index drawn from 0..NUSERS-1 (default 1), or taken in turn with
 * "seq" (so no user logs in twice: for the replay configurations).  A PASSWORD holding %d
 * gets a fresh number each transaction (for replay).  Prints one line:
 *   tx=N tx_per_s=X p50_us=Y p95_us=V p99_us=Z failures=F
 */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"

#define MAXLAT 400000

static int cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

struct shared {
	long count;
	long failures;
	float lat[MAXLAT];
};

int main(int argc, char **argv)
{
	const char *dir, *svc, *ufmt, *pfmt;
	bool full, login;
	double secs, t0;
	int workers, nusers = 1;
	bool seq = false;
	struct shared *sh;

	if (argc < 8) {
		fprintf(stderr, "usage: bench CONFDIR SERVICE USERFMT PASSWORD "
			"full|login|auth SECONDS WORKERS [NUSERS]\n");
		return 2;
	}
	dir = argv[1];
	svc = argv[2];
	ufmt = argv[3];
	pfmt = argv[4];
	full = strcmp(argv[5], "full") == 0;
	login = full || strcmp(argv[5], "login") == 0;
	secs = atof(argv[6]);
	workers = atoi(argv[7]);
	if (argc > 8)
		nusers = atoi(argv[8]);
	if (argc > 9)
		seq = strcmp(argv[9], "seq") == 0;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	t0 = app_now();
	for (int w = 0; w < workers; w++) {
		if (fork() == 0) {
			long base = (long)w * (nusers / (workers ? workers : 1));
			unsigned seed = (unsigned)getpid();
			double end = t0 + secs;
			long k = 0;

			while (app_now() < end) {
				char user[256], pw[256];
				struct pam_conv pc = { app_conv, pw };
				pam_handle_t *ph = NULL;
				double a = app_now();
				int rv;

				snprintf(user, sizeof(user), ufmt,
					 seq ? (int)((base + k) % nusers) :
					       (int)(rand_r(&seed) % (unsigned)nusers));
				snprintf(pw, sizeof(pw), pfmt, getpid() * 100000 + (int)k++);
				rv = pam_start_confdir(svc, user, &pc, dir, &ph);
				if (rv == PAM_SUCCESS)
					rv = pam_authenticate(ph, 0);
				if (rv == PAM_SUCCESS && login)
					rv = pam_acct_mgmt(ph, 0);
				if (rv == PAM_SUCCESS && login)
					rv = pam_open_session(ph, 0);
				if (rv == PAM_SUCCESS && full)
					rv = pam_close_session(ph, 0);
				if (ph)
					pam_end(ph, rv);
				{
					long i = __atomic_fetch_add(&sh->count, 1,
								    __ATOMIC_RELAXED);

					if (i < MAXLAT)
						sh->lat[i] = (float)((app_now() - a) * 1e6);
				}
				if (rv != PAM_SUCCESS)
					__atomic_fetch_add(&sh->failures, 1,
							   __ATOMIC_RELAXED);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	{
		double wall = app_now() - t0;
		long n = sh->count < MAXLAT ? sh->count : MAXLAT;

		qsort(sh->lat, (size_t)n, sizeof(float), cmp);
		printf("tx=%ld tx_per_s=%.1f p50_us=%.1f p95_us=%.1f "
		       "p99_us=%.1f failures=%ld\n", sh->count,
		       sh->count / wall, n ? sh->lat[n / 2] : 0.0,
		       n ? sh->lat[n * 95 / 100] : 0.0,
		       n ? sh->lat[n * 99 / 100] : 0.0, sh->failures);
	}
	return sh->failures ? 1 : 0;
}
