/*
 * pam_login CONFDIR SERVICE USER PASSWORD [session]
 * A minimal real libpam application for the concurrency tests (many at
 * once, each its own process): pam_start_confdir on the tests' private
 * service directory, authenticate, optionally open a session.
 * Exit status: the PAM code of the first step that failed, or 0.
 */
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

/* answers every prompt with the password in appdata */
static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *appdata)
{
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		r[i].resp = strdup(appdata);
		if (r[i].resp == NULL) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
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
