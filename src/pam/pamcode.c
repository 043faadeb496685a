#include "pamcode.h"

#include <security/_pam_types.h>

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
