#define PAM_SM_PASSWORD
#include <security/pam_modules.h>

#include "pam/call.h"

PU_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return pu_dispatch(pamh, PU_OP_CHAUTHTOK, flags, argc, argv);
}
