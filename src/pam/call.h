/*
 * PAM glue: one struct pu_call per pam_sm_* invocation, built by the
 * dispatcher and handed to the backend.  Only src/pam, the dispatcher and
 * the backends see pam_handle_t; src/common never does.
 */
#ifndef PU_CALL_H
#define PU_CALL_H

#include <security/pam_modules.h>
#include <stdbool.h>

#include "common/deadline.h"
#include "common/options.h"
#include "common/status.h"

struct pu_call {
	pam_handle_t *pamh;
	enum pu_op op;
	int flags;
	const struct pu_options *opts;
	struct pu_deadline deadline;   /* started once; I/O only */
	const char *user;
	const char *service;
	const char *rhost;
	const char *ruser;
	const char *tty;
	struct pu_err err;             /* reason for the summary log line */
};

/*
 * The password for item (PAM_AUTHTOK or PAM_OLDAUTHTOK), honouring
 * use_first_pass / try_first_pass / use_authtok.  Time spent at a prompt
 * does not count against the deadline.  The string belongs to libpam (it
 * is the PAM item); do not free it.
 */
enum pu_status pu_get_password(struct pu_call *c, int item,
			       const char *prompt, const char **pw);

/* An empty password is allowed only with nullok, and never when the
 * application passed PAM_DISALLOW_NULL_AUTHTOK (PU_DENIED otherwise). */
enum pu_status pu_check_empty(struct pu_call *c, const char *pw);

/* Asks libpam for pam_unix's 2-second delay should the stack fail
 * (nodelay: none). */
void pu_fail_delay(struct pu_call *c);

/* passwd(1) run by root: no old password is asked (unless root renews
 * its own expired password, PAM_CHANGE_EXPIRED_AUTHTOK). */
bool pu_caller_is_root(const struct pu_call *c);

/* chauthtok's pass: true for PAM_PRELIM_CHECK, false for
 * PAM_UPDATE_AUTHTOK; PU_CONFIG when neither flag is set. */
enum pu_status pu_chauthtok_prelim(struct pu_call *c, bool *prelim);

/* A message to the user unless quiet or PAM_SILENT. msg is sanitised. */
void pu_tell(struct pu_call *c, int style, const char *msg);

/* LOG_DEBUG only under debug=; never pass a secret here. */
void pu_debug(struct pu_call *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The six pam_sm_* definitions carry this; everything else is hidden. */
#define PU_EXPORT __attribute__((visibility("default")))

/* Entry point for all six pam_sm_* functions (src/dispatch.c). */
int pu_dispatch(pam_handle_t *pamh, enum pu_op op, int flags, int argc,
		const char **argv);

#endif
