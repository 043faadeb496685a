#define PAM_SM_ACCOUNT
#include <security/pam_modules.h>

#include "pam/call.h"

PU_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return pu_dispatch(pamh, PU_OP_ACCT_MGMT, flags, argc, argv);
}
