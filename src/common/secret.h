/* Secret files (Redis password, later keys): root-owned, mode 0400 or
 * 0600, no symlinks; trailing whitespace, CR and LF trimmed; empty is an
 * error.  The result is malloc'd: wipe it with pu_secret_free(). */
#ifndef PU_SECRET_H
#define PU_SECRET_H

#include <stddef.h>

#include "status.h"

enum pu_status pu_secret_read(const char *path, char **secret, size_t *len,
			      struct pu_err *err);
void pu_secret_free(char *secret);

/* Constant-time equality of two byte strings of equal length. */
int pu_ct_equal(const void *a, const void *b, size_t len);

#endif
