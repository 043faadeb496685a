/*
 * replay_cost: the cost of the replay check per login, window=1 vs
 * window=1000, store=file and store=redis, through the real libpam
 * (pam_start_confdir on a private directory).  The user's history is
 * prefilled with 1000 entries first, so window=1000 compares against all.
 *
 *   build/bench/replay_cost DIR REDIS_SOCK MODULE
 */
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/replay/store.h"
#include "app.h"

#ifndef PAM_SET_ITEMS
#define PAM_SET_ITEMS "/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_set_items.so"
#endif

static void write_service(const char *svcdir, const char *svc,
			  const char *module, long window, const char *dir,
			  const char *storeopt)
{
	char path[700];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", svcdir, svc);
	fp = fopen(path, "w");
	/* window=0 is the module line doing nothing: the floor.  commit=auth
	 * runs only behind a credential line that set the password:
	 * pam_wrapper's pam_set_items stands in for it (PAM_AUTHTOK from
	 * the environment, which main sets per login; bench passwords) */
	fprintf(fp, "auth requisite " PAM_SET_ITEMS "\n"
		"auth requisite %s backend=replay window=%ld commit=auth "
		"key_file=%s/key %s\nauth required pam_permit.so\n", module,
		window, dir, storeopt);
	fclose(fp);
}

/* 1000 entries in the user's history, through the store itself */
static void prefill(const char *storeopt, bool redis, const char *user,
		    const char *key)
{
	struct pu_options o;
	struct pu_err err;
	struct pu_replay_ctx x;
	struct pu_redis *r = NULL;
	struct pu_deadline dl;
	char a[700], *sp;
	const char *av[4] = { "backend=replay", a, "window=1000", "commit=auth" };

	snprintf(a, sizeof(a), "%s", storeopt);
	sp = strchr(a, ' '); /* "store=X dir=/.." or "store=redis redis=.." */
	*sp = '\0';
	av[0] = sp + 1;
	pu_options_build(&o, 4, av, NULL, &err);
	pu_deadline_start(&dl, 60000);
	if (redis)
		pu_redis_connect(&o.conn, &dl, &r, &err);
	memset(&x, 0, sizeof(x));
	x.o = &o.replay;
	x.prefix = o.prefix;
	x.key = (const unsigned char *)key;
	x.keylen = strlen(key);
	x.redis = r;
	x.dl = &dl;
	x.store = pu_replay_store_for(o.replay.store);
	for (int i = 0; i < 1000; i++) {
		unsigned char mac[PU_MAC_LEN];
		char pw[32];
		bool rep;

		snprintf(pw, sizeof(pw), "old-%d", i);
		pu_replay_mac(x.key, x.keylen, user, pw, mac);
		x.store->login(&x, user, mac, time(NULL), NULL, &rep, &err);
	}
	pu_redis_free(r);
}

int main(int argc, char **argv)
{
	static const char key[] = "0123456789abcdef0123456789abcdef0123456789abcdef";
	static const long windows[4] = { 0, 1, 100, 1000 };
	const int rounds = 5, per = 120;

	if (argc != 4)
		return 2;
	for (int st = 0; st < 2; st++) {
		const char *dir = argv[1];
		char svcdir[512], storeopt[600], user[32];
		double *lat[4];
		int n[4] = { 0, 0, 0, 0 };

		snprintf(svcdir, sizeof(svcdir), "%s/pam.d", dir);
		snprintf(user, sizeof(user), "bench%d", st);
		snprintf(storeopt, sizeof(storeopt), st == 0 ?
			 "store=file dir=%s/store" : "store=redis redis=unix:%s",
			 st == 0 ? dir : argv[2]);
		for (int w = 0; w < 4; w++) {
			char svc[32];

			snprintf(svc, sizeof(svc), "b%d-%ld", st, windows[w]);
			write_service(svcdir, svc, argv[3], windows[w], dir, storeopt);
			lat[w] = calloc(rounds * per, sizeof(double));
		}
		prefill(storeopt, st == 1, user, key);
		/* interleaved rounds: each window sees the same machine */
		for (int r = 0; r < rounds; r++) {
			for (int w = 0; w < 4; w++) {
				char svc[32];

				snprintf(svc, sizeof(svc), "b%d-%ld", st, windows[w]);
				for (int i = 0; i < per; i++) {
					struct pam_conv pc = { app_conv, NULL };
					pam_handle_t *ph;
					char pw[64];
					double t0;
					int rv;

					snprintf(pw, sizeof(pw), "new-%ld-%d-%d", windows[w],
						 r, i);
					pc.appdata_ptr = pw;
					t0 = app_now();
					setenv("PAM_AUTHTOK", pw, 1);
					pam_start_confdir(svc, user, &pc, svcdir, &ph);
					rv = pam_authenticate(ph, 0);
					pam_end(ph, rv);
					lat[w][n[w]++] = app_now() - t0;
					if (rv != PAM_SUCCESS) {
						fprintf(stderr, "login failed: %d\n", rv);
						return 1;
					}
				}
			}
		}
		for (int w = 0; w < 4; w++) {
			qsort(lat[w], (size_t)n[w], sizeof(double), app_cmp_double);
			printf("store=%-5s window=%-4ld p50 %7.1f us  p99 %7.1f us\n",
			       st == 0 ? "file" : "redis", windows[w],
			       lat[w][n[w] / 2] * 1e6, lat[w][n[w] * 99 / 100] * 1e6);
			free(lat[w]);
		}
	}
	return 0;
}
