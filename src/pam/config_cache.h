/*
 * The configuration file, parsed once per PAM handle: the first call of a
 * handle reads and parses it (or finds it absent), and the later calls of
 * the same handle reuse the result, errors included.  A login's four
 * groups therefore open the file once, not four times.
 */
#ifndef PU_CONFIG_CACHE_H
#define PU_CONFIG_CACHE_H

#include <security/pam_modules.h>
#include <stdbool.h>

#include "common/options.h"

/* *cfg stays valid until pam_end. */
enum pu_status pu_config_for_handle(pam_handle_t *pamh, const char *path,
				    bool explicit_path,
				    const struct pu_config **cfg,
				    struct pu_err *err);

#endif
