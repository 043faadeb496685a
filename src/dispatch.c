/*
 * The dispatcher: every pam_sm_* entry point is one call to pu_dispatch().
 * Build the options for this call, pick the backend, handle stubs, run the
 * operation under one deadline, map the status to a PAM code in one place,
 * and write one summary line to syslog.
 */
#define _GNU_SOURCE
#include "pam/call.h"

#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "backends/backend.h"

/* Copies s with anything unprintable replaced, for logs and messages. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i = 0;

	if (s == NULL)
		return "";
	for (; s[i] != '\0' && i + 1 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	buf[i] = '\0';
	return buf;
}

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
	pam_prompt(c->pamh, style, NULL, "%s", printable(msg, buf, sizeof(buf)));
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
	int rc;

	*pw = NULL;
	if (pam_get_item(c->pamh, item, &cur) == PAM_SUCCESS && cur != NULL) {
		*pw = cur;
		return PU_OK;
	}
	if (only_stacked)
		return pu_fail(&c->err, PU_DENIED,
			       "no password from an earlier module (use_first_pass/use_authtok)");
	rc = pam_get_authtok(c->pamh, item, pw, prompt);
	if (rc != PAM_SUCCESS || *pw == NULL) {
		*pw = NULL;
		return from_pam(rc == PAM_SUCCESS ? PAM_AUTHTOK_ERR : rc,
				&c->err, "reading password");
	}
	return PU_OK;
}

static int log_priority(enum pu_status st)
{
	switch (st) {
	case PU_OK:
		return LOG_INFO;
	case PU_DENIED:
	case PU_USER_UNKNOWN:
	case PU_EXPIRED:
	case PU_NEWTOK:
		return LOG_NOTICE;
	case PU_IGNORE:
		return LOG_DEBUG;
	default:
		return LOG_ERR;
	}
}

static void summary(struct pu_call *c, const char *backend,
		    enum pu_status st, int rc)
{
	char u[128], r[128], reason[PU_ERRMSG_LEN];

	if (st == PU_IGNORE && !c->opts->debug)
		return;
	pam_syslog(c->pamh, log_priority(st),
		   "user=%s rhost=%s backend=%s result=%s%s%s",
		   printable(c->user, u, sizeof(u)),
		   printable(c->rhost, r, sizeof(r)), backend,
		   pam_strerror(c->pamh, rc), c->err.msg[0] ? " reason=" : "",
		   printable(c->err.msg, reason, sizeof(reason)));
}

static const char *item_str(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
		return NULL;
	return v;
}

int pu_dispatch(pam_handle_t *pamh, enum pu_op op, int flags, int argc,
		const char **argv)
{
	struct pu_options opts;
	struct pu_call c;
	const struct pu_backend *be;
	enum pu_support sup;
	enum pu_status st;
	int rc;

	memset(&c, 0, sizeof(c));
	c.pamh = pamh;
	c.op = op;
	c.flags = flags;
	c.opts = &opts;
	c.service = item_str(pamh, PAM_SERVICE);

	if (pu_options_build(&opts, argc, argv, c.service, &c.err) != PU_OK) {
		pam_syslog(pamh, LOG_ERR, "configuration error: %s", c.err.msg);
		return c.err.status == PU_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
	}
	opts.silent = (flags & PAM_SILENT) != 0;

	be = pu_backend_find(opts.backend);
	if (be == NULL) {
		pam_syslog(pamh, LOG_ERR, "configuration error: backend %s not available",
			   pu_backend_name(opts.backend));
		return PAM_SERVICE_ERR;
	}

	sup = be->support(&opts, op);
	if (sup != PU_IMPLEMENTED) {
		if (opts.unsupported == PU_UNSUP_IGNORE)
			sup = PU_STUB_IGNORE;
		else if (opts.unsupported == PU_UNSUP_ERROR)
			sup = PU_STUB_ERROR;
		if (sup == PU_STUB_ERROR) {
			pam_syslog(pamh, LOG_ERR,
				   "backend %s (this configuration) does not implement %s",
				   be->name, pu_op_name(op));
			return PAM_SERVICE_ERR;
		}
		if (opts.debug)
			pam_syslog(pamh, LOG_DEBUG,
				   "backend %s does not implement %s: ignored",
				   be->name, pu_op_name(op));
		return PAM_IGNORE;
	}

	c.rhost = item_str(pamh, PAM_RHOST);
	c.ruser = item_str(pamh, PAM_RUSER);
	c.tty = item_str(pamh, PAM_TTY);
	/* the deadline is started by the backend when its I/O begins:
	 * time spent at a password prompt is the user's, not the peer's */
	pu_deadline_start(&c.deadline, opts.timeout_ms);

	rc = pam_get_user(pamh, &c.user, NULL);
	if (rc != PAM_SUCCESS || c.user == NULL || c.user[0] == '\0') {
		pam_syslog(pamh, LOG_NOTICE, "cannot determine the user name: %s",
			   pam_strerror(pamh, rc));
		if (rc == PAM_SUCCESS)
			return pu_status_to_pam(op, PU_USER_UNKNOWN);
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
	}

	st = be->run(&c);
	if (st == PU_OK)
		c.err.msg[0] = '\0'; /* a fallback that worked is no reason */
	rc = pu_status_to_pam(op, st);
	if (st != PU_OK && rc == PAM_SUCCESS)
		rc = PAM_SERVICE_ERR; /* belt and braces: fail closed */
	summary(&c, be->name, st, rc);
	return rc;
}
