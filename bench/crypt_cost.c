/* crypt_cost SETTING [N]: median microseconds of one crypt_r with SETTING
 * (the hash work every login pays, reported apart from module overhead)
 * crypt_cost --hash PREFIX COUNT PASSWORD: print a new hash */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"

int main(int argc, char **argv)
{
	int n = argc > 2 && strcmp(argv[1], "--hash") ? atoi(argv[2]) : 50;
	double *t = calloc((size_t)n, sizeof(double));
	struct crypt_data *cd = calloc(1, sizeof(*cd));

	if (argc < 2 || t == NULL || cd == NULL)
		return 2;
	if (strcmp(argv[1], "--hash") == 0 && argc == 5) {
		char setting[CRYPT_GENSALT_OUTPUT_SIZE];

		if (crypt_gensalt_rn(argv[2], strtoul(argv[3], NULL, 10), NULL, 0,
				     setting, sizeof(setting)) == NULL ||
		    crypt_r(argv[4], setting, cd) == NULL)
			return 1;
		printf("%s\n", cd->output);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (crypt_r("bench-password", argv[1], cd) == NULL)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(t, (size_t)n, sizeof(double), app_cmp_double);
	printf("%.1f\n", t[n / 2]);
	return 0;
}
