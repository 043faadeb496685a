/* Secret files (Redis password, replay key): root-owned, mode 0400 or
 * 0600, no symlinks, a regular file (pu_file_read's rules); trailing
 * whitespace, CR and LF trimmed; empty is an error.  The result is
 * malloc'd: wipe it with pu_secret_free(). */
#ifndef PU_SECRET_H
#define PU_SECRET_H

#include <stddef.h>

#include "status.h"

#define PU_SECRET_MAX 4096

enum pu_status pu_secret_read(const char *path, char **secret, size_t *len,
			      struct pu_err *err);
void pu_secret_free(char *secret);

#endif
