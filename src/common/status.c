#include "status.h"

#include <stdio.h>

enum pu_status pu_fail(struct pu_err *err, enum pu_status status,
		       const char *fmt, ...)
{
	if (err != NULL) {
		va_list ap;

		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return status;
}

const char *pu_op_name(enum pu_op op)
{
	static const char *const names[PU_OP_COUNT] = {
		[PU_OP_AUTHENTICATE] = "authenticate",
		[PU_OP_SETCRED] = "setcred",
		[PU_OP_ACCT_MGMT] = "acct_mgmt",
		[PU_OP_OPEN_SESSION] = "open_session",
		[PU_OP_CLOSE_SESSION] = "close_session",
		[PU_OP_CHAUTHTOK] = "chauthtok",
	};

	return (op >= 0 && op < PU_OP_COUNT) ? names[op] : "?";
}

const char *pu_status_name(enum pu_status status)
{
	static const char *const names[PU_STATUS_COUNT] = {
		[PU_OK] = "ok",
		[PU_DENIED] = "denied",
		[PU_USER_UNKNOWN] = "user-unknown",
		[PU_EXPIRED] = "expired",
		[PU_NEWTOK] = "new-authtok-required",
		[PU_UNAVAIL] = "unavailable",
		[PU_CONFIG] = "config-error",
		[PU_NOMEM] = "no-memory",
		[PU_IGNORE] = "ignore",
		[PU_CONV] = "conversation-error",
	};

	return (status >= 0 && status < PU_STATUS_COUNT) ? names[status] : "?";
}
