/*
 * The dispatcher: every pam_sm_* entry point is one call to pu_dispatch().
 * Options (the file parsed once per handle) -> backend -> stub policy ->
 * run under one deadline -> the one PAM-code mapping -> one summary line.
 *
 * Log lines are key=value: op=, user=, rhost=, backend=, result= (a
 * pu_status_name token) and reason="..." (quoted, escaped).
 */
#define _GNU_SOURCE
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "backends/backend.h"
#include "common/managed.h"
#include "pam/call.h"
#include "pam/config_cache.h"
#include "pam/log.h"
#include "pam/pamcode.h"

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

static void summary(const struct pu_call *c, const char *backend,
		    enum pu_status st)
{
	char u[300], r[300], reason[2 * PU_ERRMSG_LEN + 8];

	if (st == PU_IGNORE && !c->opts->debug)
		return;
	pam_syslog(c->pamh, log_priority(st),
		   "op=%s user=%s rhost=%s backend=%s result=%s%s%s",
		   pu_op_name(c->op), pu_log_quote(c->user, u, sizeof(u)),
		   pu_log_quote(c->rhost, r, sizeof(r)), backend,
		   pu_status_name(st), st != PU_OK ? " reason=" : "",
		   st != PU_OK ? pu_log_quote(c->err.msg, reason, sizeof(reason))
			       : "");
}

static void config_error(pam_handle_t *pamh, enum pu_op op,
			 const struct pu_err *err)
{
	char reason[2 * PU_ERRMSG_LEN + 8];

	pam_syslog(pamh, LOG_ERR, "op=%s result=%s reason=%s", pu_op_name(op),
		   pu_status_name(err->status == PU_NOMEM ? PU_NOMEM : PU_CONFIG),
		   pu_log_quote(err->msg, reason, sizeof(reason)));
}

static const char *item_str(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
		return NULL;
	return v;
}

/* defaults -> the handle's parsed config file -> argv */
static enum pu_status build_options(pam_handle_t *pamh, int argc,
				    const char **argv, const char *service,
				    struct pu_options *o, struct pu_err *err)
{
	const struct pu_config *cfg = NULL;
	char path[PU_PATH_LEN];
	bool explicit_path = false;
	enum pu_status st;

	st = pu_options_config_path(argc, argv, path, sizeof(path),
				    &explicit_path, err);
	if (st == PU_OK)
		st = pu_config_for_handle(pamh, path, explicit_path, &cfg, err);
	if (st == PU_OK)
		st = pu_options_build_with(o, cfg, argc, argv, service, err);
	return st;
}

/* PAM_IGNORE or PAM_SERVICE_ERR for a group the backend does not
 * implement (SPEC section 4; unsupported= overrides) */
static int stub(pam_handle_t *pamh, const struct pu_backend *be,
		const struct pu_options *o, enum pu_op op, enum pu_support sup)
{
	if (o->unsupported == PU_UNSUP_IGNORE)
		sup = PU_STUB_IGNORE;
	else if (o->unsupported == PU_UNSUP_ERROR)
		sup = PU_STUB_ERROR;
	if (sup == PU_STUB_ERROR) {
		pam_syslog(pamh, LOG_ERR,
			   "op=%s backend=%s result=config-error reason=\"backend "
			   "%s (this configuration) does not implement %s\"",
			   pu_op_name(op), be->name, be->name, pu_op_name(op));
		return PAM_SERVICE_ERR;
	}
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG,
			   "op=%s backend=%s result=ignore reason=\"not implemented\"",
			   pu_op_name(op), be->name);
	return PAM_IGNORE;
}

/* the user name, or the PAM code to return without one */
static int get_user(struct pu_call *c)
{
	int rc = pam_get_user(c->pamh, &c->user, NULL);

	if (rc == PAM_SUCCESS && c->user != NULL && c->user[0] != '\0')
		return PAM_SUCCESS;
	pam_syslog(c->pamh, LOG_NOTICE,
		   "op=%s result=user-unknown reason=\"cannot determine the user "
		   "name: %s\"", pu_op_name(c->op), pam_strerror(c->pamh, rc));
	if (rc == PAM_SUCCESS)
		return pu_status_to_pam(c->op, PU_USER_UNKNOWN);
	return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : rc;
}

/*
 * A password line that steps aside for a user it does not manage still
 * asks for the passwords when it is the first of its block (no
 * use_authtok): pam-auth-update gives only the first module of the
 * password block the lines that prompt, and the modules after it
 * (pam_unix) use_authtok.  Asked as libpam asks them; then PAM_IGNORE.
 */
static int collect_for_next(struct pu_call *c, const struct pu_options *o)
{
	const char *pw = NULL;
	int rc;

	if (c->op != PU_OP_CHAUTHTOK || o->use_authtok)
		return PAM_IGNORE;
	if (c->flags & PAM_PRELIM_CHECK) {
		if (getuid() == 0 && !(c->flags & PAM_CHANGE_EXPIRED_AUTHTOK))
			return PAM_IGNORE;
		rc = pam_get_authtok(c->pamh, PAM_OLDAUTHTOK, &pw,
				     "Current password: ");
	} else {
		rc = pam_get_authtok(c->pamh, PAM_AUTHTOK, &pw, NULL);
	}
	return rc == PAM_SUCCESS ? PAM_IGNORE : rc;
}

/*
 * Is this user the line's (managed_group=, managed_uid=)?  PAM_SUCCESS
 * when it is, PAM_IGNORE when it is not: the line steps aside.  A group
 * that does not exist manages nobody (and says so at LOG_ERR): a missing
 * group must not lock root out.
 */
static int managed(struct pu_call *c, const struct pu_options *o)
{
	struct pu_err err = { PU_OK, "" };
	bool mine = true;
	int rc;

	if (!pu_managed_set(o))
		return PAM_SUCCESS;
	if (c->user == NULL && (rc = get_user(c)) != PAM_SUCCESS)
		return rc;
	if (pu_user_managed(o, c->user, &mine, &err) != PU_OK) {
		if (err.status == PU_CONFIG) {
			config_error(c->pamh, c->op, &err);
			mine = false;
		} else {
			return pu_status_to_pam(c->op, err.status);
		}
	}
	if (mine)
		return PAM_SUCCESS;
	if (o->debug)
		pam_syslog(c->pamh, LOG_DEBUG,
			   "op=%s result=ignore reason=\"not a managed user\"",
			   pu_op_name(c->op));
	return collect_for_next(c, o);
}

static int run(struct pu_call *c, const struct pu_backend *be)
{
	enum pu_status st;
	int rc;

	if (c->user == NULL && (rc = get_user(c)) != PAM_SUCCESS)
		return rc;
	/* one deadline for every I/O of this call; prompts and hashing
	 * pause it */
	pu_deadline_start(&c->deadline, c->opts->timeout_ms);
	st = be->run(c);
	summary(c, be->name, st);
	rc = pu_status_to_pam(c->op, st);
	if (st != PU_OK && rc == PAM_SUCCESS)
		rc = PAM_SERVICE_ERR; /* belt and braces: fail closed */
	return rc;
}

int pu_dispatch(pam_handle_t *pamh, enum pu_op op, int flags, int argc,
		const char **argv)
{
	struct pu_options *opts;
	struct pu_call c;
	const struct pu_backend *be;
	enum pu_support sup;
	bool checked = false;
	int rc;

	memset(&c, 0, sizeof(c));
	c.pamh = pamh;
	c.op = op;
	c.flags = flags;
	c.service = item_str(pamh, PAM_SERVICE);
	opts = malloc(sizeof(*opts));
	if (opts == NULL)
		return PAM_BUF_ERR;
	c.opts = opts;
	/* users this line does not manage never depend on its file or its
	 * backend: decided from the module line alone, before either */
	if (pu_options_managed_argv(opts, argc, argv, &c.err) != PU_OK) {
		config_error(pamh, op, &c.err);
		rc = PAM_SERVICE_ERR;
		goto out;
	}
	if (pu_managed_set(opts)) {
		checked = true;
		if ((rc = managed(&c, opts)) != PAM_SUCCESS)
			goto out;
	}
	if (build_options(pamh, argc, argv, c.service, opts, &c.err) != PU_OK) {
		config_error(pamh, op, &c.err);
		rc = c.err.status == PU_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
		goto out;
	}
	opts->silent = (flags & PAM_SILENT) != 0;
	if (!checked && (rc = managed(&c, opts)) != PAM_SUCCESS)
		goto out;

	be = pu_backend_find(opts->backend);
	if (be == NULL) {
		pu_fail(&c.err, PU_CONFIG, "backend %s not available",
			pu_backend_name(opts->backend));
		config_error(pamh, op, &c.err);
		rc = PAM_SERVICE_ERR;
		goto out;
	}
	sup = be->support(opts, op);
	if (sup != PU_IMPLEMENTED) {
		rc = stub(pamh, be, opts, op, sup);
		goto out;
	}
	c.rhost = item_str(pamh, PAM_RHOST);
	c.ruser = item_str(pamh, PAM_RUSER);
	c.tty = item_str(pamh, PAM_TTY);
	rc = run(&c, be);
out:
	free(opts);
	return rc;
}
