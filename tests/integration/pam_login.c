/*
 * pam_login CONFDIR SERVICE USER PASSWORD [session]
 * A minimal real libpam application (no pam_wrapper): pam_start_confdir on
 * a private service directory, authenticate, optionally open a session.
 * Exit status: the PAM code of the first step that failed, or 0.
 */
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

#include "../../bench/app.h"

int main(int argc, char **argv)
{
	struct pam_conv pc = { app_conv, NULL };
	pam_handle_t *ph = NULL;
	int rv;

	if (argc < 5)
		return 100;
	pc.appdata_ptr = argv[4];
	rv = pam_start_confdir(argv[2], argv[3], &pc, argv[1], &ph);
	if (rv != PAM_SUCCESS)
		return rv;
	rv = pam_authenticate(ph, 0);
	if (rv == PAM_SUCCESS && argc > 5 && strcmp(argv[5], "session") == 0)
		rv = pam_open_session(ph, 0);
	pam_end(ph, rv);
	return rv;
}
