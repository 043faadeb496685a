/*
 * Feeding fuzz input to hiredis's redisReader.
 *
 * hiredis 0.14's reader allocates the declared element count of an
 * aggregate before any element arrives: "*2147483647\r\n" asks for 16 GiB
 * (a known issue, being fixed in the client with a cap of its own).  Until
 * then the harness refuses inputs that declare a count above
 * FUZZ_RESP_MAX_AGG anywhere: a '*' followed by digits is taken as a
 * declaration wherever it is, which also refuses some bulk payloads (a
 * small loss of coverage, never a missed allocation).
 */
#ifndef PU_FUZZ_RESP_H
#define PU_FUZZ_RESP_H

#include <hiredis/hiredis.h>

#include "fuzz.h"

#define FUZZ_RESP_MAX_AGG 64
#define FUZZ_RESP_MAX_INPUT 65536

static inline bool fuzz_resp_acceptable(const uint8_t *data, size_t size)
{
	if (size > FUZZ_RESP_MAX_INPUT)
		return false;
	for (size_t i = 0; i < size; i++) {
		unsigned long long n = 0;
		size_t j = i + 1;

		if (data[i] != '*')
			continue;
		if (j < size && data[j] == '-')
			j++;
		for (; j < size && data[j] >= '0' && data[j] <= '9'; j++) {
			n = n * 10 + (data[j] - '0');
			if (n > FUZZ_RESP_MAX_AGG)
				return false;
		}
	}
	return true;
}

#endif
