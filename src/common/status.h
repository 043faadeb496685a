/*
 * Outcomes and errors shared by every layer below the PAM glue.
 *
 * Code in src/common and src/backends reports what happened as an
 * enum pu_status plus a short message (hiredis style: a code and a fixed
 * buffer set in one place).  Exactly one function, pu_status_to_pam() in
 * src/pam/pamcode.c, turns that into a PAM return code, per group.
 */
#ifndef PU_STATUS_H
#define PU_STATUS_H

#include <stdarg.h>

enum pu_op {
	PU_OP_AUTHENTICATE = 0,
	PU_OP_SETCRED,
	PU_OP_ACCT_MGMT,
	PU_OP_OPEN_SESSION,
	PU_OP_CLOSE_SESSION,
	PU_OP_CHAUTHTOK,
	PU_OP_COUNT
};

enum pu_status {
	PU_OK = 0,          /* credentials right / operation done */
	PU_DENIED,          /* wrong password, refused, locked out */
	PU_USER_UNKNOWN,    /* user not in the store */
	PU_EXPIRED,         /* account expired */
	PU_NEWTOK,          /* password must be changed */
	PU_UNAVAIL,         /* backend down, timed out, garbage, untrusted */
	PU_CONFIG,          /* bad option, bad config, unreadable secret */
	PU_NOMEM,           /* out of memory */
	PU_IGNORE,          /* this line has no say (stub) */
	PU_CONV,            /* the application's conversation failed */
	PU_STATUS_COUNT
};

#define PU_ERRMSG_LEN 128

struct pu_err {
	enum pu_status status;
	char msg[PU_ERRMSG_LEN];
};

/* Sets err (if not NULL) and returns status, so callers can write
 * `return pu_fail(err, PU_UNAVAIL, "connect: %s", strerror(e));` */
enum pu_status pu_fail(struct pu_err *err, enum pu_status status,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *pu_op_name(enum pu_op op);
/* The token of the log's result= field: ok, denied, user-unknown, ... */
const char *pu_status_name(enum pu_status status);

#endif
