/*
 * logins: PAM transactions for the fleet suite, many in one process.
 *
 *   logins CONFDIR SERVICE USERFMT FIRST COUNT OPS
 *
 * For each k in FIRST .. FIRST+COUNT-1: pam_start_confdir(SERVICE, user),
 * user = USERFMT with k (printf %d, or a plain name), then the OPS in
 * order (a: authenticate, m: acct_mgmt, o: open_session, c:
 * close_session, p: chauthtok), stopping at the first that fails.  The
 * password (and for p the new one, twice) comes from the environment:
 * PU_PASSWORD, PU_NEW_PASSWORD -- never from the command line.
 *
 * Prints one line per transaction that did not succeed ("USER OP CODE")
 * and then "ok=N failed=M codes=CODE:N,..."; exit 0 when all succeeded.
 * With COUNT 1, the last line is the code of the first op that failed (or
 * PAM_SUCCESS) and its time: "code=PAM_... secs=S".
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const names[] = {
	[PAM_SUCCESS] = "PAM_SUCCESS",
	[PAM_OPEN_ERR] = "PAM_OPEN_ERR",
	[PAM_SYMBOL_ERR] = "PAM_SYMBOL_ERR",
	[PAM_SERVICE_ERR] = "PAM_SERVICE_ERR",
	[PAM_SYSTEM_ERR] = "PAM_SYSTEM_ERR",
	[PAM_BUF_ERR] = "PAM_BUF_ERR",
	[PAM_PERM_DENIED] = "PAM_PERM_DENIED",
	[PAM_AUTH_ERR] = "PAM_AUTH_ERR",
	[PAM_CRED_INSUFFICIENT] = "PAM_CRED_INSUFFICIENT",
	[PAM_AUTHINFO_UNAVAIL] = "PAM_AUTHINFO_UNAVAIL",
	[PAM_USER_UNKNOWN] = "PAM_USER_UNKNOWN",
	[PAM_MAXTRIES] = "PAM_MAXTRIES",
	[PAM_NEW_AUTHTOK_REQD] = "PAM_NEW_AUTHTOK_REQD",
	[PAM_ACCT_EXPIRED] = "PAM_ACCT_EXPIRED",
	[PAM_SESSION_ERR] = "PAM_SESSION_ERR",
	[PAM_CRED_UNAVAIL] = "PAM_CRED_UNAVAIL",
	[PAM_CRED_EXPIRED] = "PAM_CRED_EXPIRED",
	[PAM_CRED_ERR] = "PAM_CRED_ERR",
	[PAM_NO_MODULE_DATA] = "PAM_NO_MODULE_DATA",
	[PAM_CONV_ERR] = "PAM_CONV_ERR",
	[PAM_AUTHTOK_ERR] = "PAM_AUTHTOK_ERR",
	[PAM_AUTHTOK_RECOVERY_ERR] = "PAM_AUTHTOK_RECOVERY_ERR",
	[PAM_AUTHTOK_LOCK_BUSY] = "PAM_AUTHTOK_LOCK_BUSY",
	[PAM_AUTHTOK_DISABLE_AGING] = "PAM_AUTHTOK_DISABLE_AGING",
	[PAM_TRY_AGAIN] = "PAM_TRY_AGAIN",
	[PAM_IGNORE] = "PAM_IGNORE",
	[PAM_ABORT] = "PAM_ABORT",
	[PAM_AUTHTOK_EXPIRED] = "PAM_AUTHTOK_EXPIRED",
	[PAM_MODULE_UNKNOWN] = "PAM_MODULE_UNKNOWN",
	[PAM_BAD_ITEM] = "PAM_BAD_ITEM",
	[PAM_CONV_AGAIN] = "PAM_CONV_AGAIN",
	[PAM_INCOMPLETE] = "PAM_INCOMPLETE",
};

static const char *name_of(int rv)
{
	if (rv >= 0 && rv < (int)(sizeof(names) / sizeof(names[0])) && names[rv])
		return names[rv];
	return "PAM_?";
}

struct answers {
	int asked;   /* echo-off prompts so far in this transaction */
	int op;      /* 'p': old, new, new */
};

/* every echo-off prompt: the password, then (chauthtok) the new one */
static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *data)
{
	struct answers *a = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;

		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
			v = a->op == 'p' && a->asked > 0 ?
			    getenv("PU_NEW_PASSWORD") : getenv("PU_PASSWORD");
			a->asked++;
		} else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			v = "";
		}
		if (v != NULL && (r[i].resp = strdup(v)) == NULL) {
			for (int k = 0; k < i; k++)
				free(r[k].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int run_op(pam_handle_t *ph, char op)
{
	switch (op) {
	case 'a': return pam_authenticate(ph, 0);
	case 'm': return pam_acct_mgmt(ph, 0);
	case 'o': return pam_open_session(ph, 0);
	case 'c': return pam_close_session(ph, 0);
	case 'p': return pam_chauthtok(ph, 0);
	default: return PAM_ABORT;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long first, count, ok = 0, failed = 0;
	long by_code[64] = { 0 };
	int last = PAM_SUCCESS;
	double t0 = now();

	if (argc != 7) {
		fprintf(stderr, "usage: logins CONFDIR SERVICE USERFMT FIRST "
			"COUNT OPS\n");
		return 2;
	}
	first = atol(argv[4]);
	count = atol(argv[5]);
	for (long k = first; k < first + count; k++) {
		struct answers a = { 0, 0 };
		struct pam_conv pc = { conv, &a };
		pam_handle_t *ph = NULL;
		char user[256];
		const char *op = argv[6];
		int rv;

		snprintf(user, sizeof(user), argv[3], (int)k);
		rv = pam_start_confdir(argv[2], user, &pc, argv[1], &ph);
		for (; rv == PAM_SUCCESS && *op; op++) {
			a.asked = 0;
			a.op = *op;
			rv = run_op(ph, *op);
			if (rv != PAM_SUCCESS)
				break;
		}
		if (ph != NULL)
			pam_end(ph, rv);
		last = rv;
		if (rv == PAM_SUCCESS) {
			ok++;
		} else {
			failed++;
			printf("%s %c %s\n", user, *op ? *op : '-', name_of(rv));
		}
		if (rv >= 0 && rv < 64)
			by_code[rv]++;
	}
	printf("ok=%ld failed=%ld codes=", ok, failed);
	for (int i = 0, sep = 0; i < 64; i++)
		if (by_code[i]) {
			printf("%s%s:%ld", sep++ ? "," : "", name_of(i), by_code[i]);
		}
	printf("\n");
	if (count == 1)
		printf("code=%s secs=%.3f\n", name_of(last), now() - t0);
	return failed ? 1 : 0;
}
