/*
 * What the backends need from the conversation and the PAM items:
 * passwords (under the stacking options), messages to the user, debug
 * lines, and the small decisions every backend makes the same way.
 */
#define _GNU_SOURCE
#include "call.h"

#include <security/pam_ext.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

void pu_debug(struct pu_call *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->opts->debug)
		return;
	va_start(ap, fmt);
	pam_vsyslog(c->pamh, LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void pu_tell(struct pu_call *c, int style, const char *msg)
{
	char buf[512];

	if (c->opts->quiet || c->opts->silent || msg == NULL || *msg == '\0')
		return;
	pam_prompt(c->pamh, style, NULL, "%s",
		   pu_log_printable(msg, buf, sizeof(buf)));
}

static enum pu_status from_pam(int rc, struct pu_err *err, const char *what)
{
	switch (rc) {
	case PAM_SUCCESS:
		return PU_OK;
	case PAM_BUF_ERR:
		return pu_fail(err, PU_NOMEM, "%s: out of memory", what);
	case PAM_CONV_ERR:
	case PAM_CONV_AGAIN:
		return pu_fail(err, PU_CONV, "%s: conversation failed", what);
	default:
		return pu_fail(err, PU_DENIED, "%s: %s", what,
			       pam_strerror(NULL, rc));
	}
}

enum pu_status pu_get_password(struct pu_call *c, int item,
			       const char *prompt, const char **pw)
{
	const void *cur = NULL;
	bool only_stacked = c->opts->use_first_pass ||
			    (item == PAM_AUTHTOK && c->opts->use_authtok);
	struct timespec mark;
	int rc;

	*pw = NULL;
	if (pam_get_item(c->pamh, item, &cur) == PAM_SUCCESS && cur != NULL) {
		*pw = cur;
		return PU_OK;
	}
	if (only_stacked)
		return pu_fail(&c->err, PU_DENIED,
			       "no password from an earlier module (use_first_pass/use_authtok)");
	/* the user's typing is not the peer's time */
	mark = pu_deadline_pause();
	rc = pam_get_authtok(c->pamh, item, pw, prompt);
	pu_deadline_resume(&c->deadline, &mark);
	if (rc != PAM_SUCCESS || *pw == NULL) {
		*pw = NULL;
		return from_pam(rc == PAM_SUCCESS ? PAM_AUTHTOK_ERR : rc,
				&c->err, "reading password");
	}
	return PU_OK;
}

enum pu_status pu_check_empty(struct pu_call *c, const char *pw)
{
	if (pw[0] != '\0')
		return PU_OK;
	if (!c->opts->nullok)
		return pu_fail(&c->err, PU_DENIED,
			       "empty password refused (no nullok)");
	/* the application's word wins over nullok, as with pam_unix */
	if (c->flags & PAM_DISALLOW_NULL_AUTHTOK)
		return pu_fail(&c->err, PU_DENIED,
			       "empty password refused (PAM_DISALLOW_NULL_AUTHTOK)");
	return PU_OK;
}

void pu_fail_delay(struct pu_call *c)
{
	/* as pam_unix: libpam waits this long (or what the application's
	 * PAM_FAIL_DELAY function decides) when the stack fails */
	if (!c->opts->nodelay)
		pam_fail_delay(c->pamh, 2000000);
}

bool pu_caller_is_root(const struct pu_call *c)
{
	return getuid() == 0 && !(c->flags & PAM_CHANGE_EXPIRED_AUTHTOK);
}

enum pu_status pu_chauthtok_prelim(struct pu_call *c, bool *prelim)
{
	*prelim = (c->flags & PAM_PRELIM_CHECK) != 0;
	if (!*prelim && !(c->flags & PAM_UPDATE_AUTHTOK))
		return pu_fail(&c->err, PU_CONFIG,
			       "chauthtok without PRELIM_CHECK or UPDATE_AUTHTOK");
	return PU_OK;
}
