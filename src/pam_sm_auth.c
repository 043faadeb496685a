#define PAM_SM_AUTH
#include <security/pam_modules.h>

#include "pam/call.h"

PU_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
			const char **argv)
{
	return pu_dispatch(pamh, PU_OP_AUTHENTICATE, flags, argc, argv);
}

PU_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return pu_dispatch(pamh, PU_OP_SETCRED, flags, argc, argv);
}
