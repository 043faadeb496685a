#include "status.h"

#include <security/_pam_types.h>
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

/*
 * Rows follow SPEC section 5.  Where SPEC is silent (DENY or UNAVAIL for
 * setcred and the session group) we pick the code the Module Writers'
 * Guide lists as valid for that group: PAM_CRED_ERR / PAM_CRED_UNAVAIL for
 * setcred, PAM_SESSION_ERR for sessions.  Anything unknown is
 * PAM_SERVICE_ERR: never PAM_SUCCESS.
 */
int pu_status_to_pam(enum pu_op op, enum pu_status status)
{
	if (status < PU_OK || status >= PU_STATUS_COUNT)
		return PAM_SERVICE_ERR;
	switch (status) {
	case PU_OK:
		return PAM_SUCCESS;
	case PU_IGNORE:
		return PAM_IGNORE;
	case PU_CONFIG:
		return PAM_SERVICE_ERR;
	case PU_NOMEM:
		return PAM_BUF_ERR;
	case PU_CONV:
		return PAM_CONV_ERR;
	default:
		break;
	}

	switch (op) {
	case PU_OP_AUTHENTICATE:
		switch (status) {
		case PU_DENIED: return PAM_AUTH_ERR;
		case PU_USER_UNKNOWN: return PAM_USER_UNKNOWN;
		case PU_EXPIRED: return PAM_ACCT_EXPIRED;
		case PU_NEWTOK: return PAM_NEW_AUTHTOK_REQD;
		case PU_UNAVAIL: return PAM_AUTHINFO_UNAVAIL;
		default: return PAM_SERVICE_ERR;
		}
	case PU_OP_SETCRED:
		switch (status) {
		case PU_DENIED: return PAM_CRED_ERR;
		case PU_USER_UNKNOWN: return PAM_USER_UNKNOWN;
		case PU_EXPIRED: return PAM_CRED_EXPIRED;
		case PU_NEWTOK: return PAM_CRED_ERR;
		case PU_UNAVAIL: return PAM_CRED_UNAVAIL;
		default: return PAM_SERVICE_ERR;
		}
	case PU_OP_ACCT_MGMT:
		switch (status) {
		case PU_DENIED: return PAM_PERM_DENIED;
		case PU_USER_UNKNOWN: return PAM_USER_UNKNOWN;
		case PU_EXPIRED: return PAM_ACCT_EXPIRED;
		case PU_NEWTOK: return PAM_NEW_AUTHTOK_REQD;
		case PU_UNAVAIL: return PAM_AUTHINFO_UNAVAIL;
		default: return PAM_SERVICE_ERR;
		}
	case PU_OP_OPEN_SESSION:
	case PU_OP_CLOSE_SESSION:
		return PAM_SESSION_ERR;
	case PU_OP_CHAUTHTOK:
		switch (status) {
		case PU_USER_UNKNOWN: return PAM_USER_UNKNOWN;
		default: return PAM_AUTHTOK_ERR;
		}
	default:
		return PAM_SERVICE_ERR;
	}
}
