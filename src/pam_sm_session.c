#define PAM_SM_SESSION
#include <security/pam_modules.h>

#include "pam/call.h"

PU_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
			const char **argv)
{
	return pu_dispatch(pamh, PU_OP_OPEN_SESSION, flags, argc, argv);
}

PU_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
			 const char **argv)
{
	return pu_dispatch(pamh, PU_OP_CLOSE_SESSION, flags, argc, argv);
}
