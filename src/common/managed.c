#define _GNU_SOURCE
#include "managed.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#define BUF_START 16384
#define BUF_MAX (4 * 1024 * 1024)

bool pu_managed_set(const struct pu_options *o)
{
	return o->managed_group[0] != '\0' || o->managed_uid[0] != '\0';
}

/* getpwnam_r / getgrnam_r with a buffer that grows on ERANGE */
static int lookup_pw(const char *name, struct passwd *pw, char **buf)
{
	size_t size = BUF_START;
	struct passwd *res = NULL;
	int rc;

	for (;;) {
		char *nb = realloc(*buf, size);

		if (nb == NULL)
			return ENOMEM;
		*buf = nb;
		rc = getpwnam_r(name, pw, *buf, size, &res);
		if (rc != ERANGE || size >= BUF_MAX)
			break;
		size *= 2;
	}
	return rc != 0 ? rc : res == NULL ? ENOENT : 0;
}

static int lookup_gr(const char *name, struct group *gr, char **buf)
{
	size_t size = BUF_START;
	struct group *res = NULL;
	int rc;

	for (;;) {
		char *nb = realloc(*buf, size);

		if (nb == NULL)
			return ENOMEM;
		*buf = nb;
		rc = getgrnam_r(name, gr, *buf, size, &res);
		if (rc != ERANGE || size >= BUF_MAX)
			break;
		size *= 2;
	}
	return rc != 0 ? rc : res == NULL ? ENOENT : 0;
}

static bool in_group(const struct group *gr, const struct passwd *pw)
{
	if (pw->pw_gid == gr->gr_gid)
		return true;
	for (char **m = gr->gr_mem; m != NULL && *m != NULL; m++)
		if (strcmp(*m, pw->pw_name) == 0)
			return true;
	return false;
}

enum pu_status pu_user_managed(const struct pu_options *o, const char *user,
			       bool *managed, struct pu_err *err)
{
	char *pbuf = NULL, *gbuf = NULL;
	struct passwd pw;
	struct group gr;
	unsigned long lo, hi;
	enum pu_status st = PU_OK;
	int rc;

	*managed = !pu_managed_set(o);
	if (*managed)
		return PU_OK;
	rc = lookup_pw(user, &pw, &pbuf);
	if (rc == ENOENT) {
		free(pbuf);
		return PU_OK; /* not a local user: not managed */
	}
	if (rc != 0) {
		free(pbuf);
		return pu_fail(err, rc == ENOMEM ? PU_NOMEM : PU_UNAVAIL,
			       "looking up user: %s", strerror(rc));
	}
	if (o->managed_uid[0] != '\0' && pu_uid_range(o->managed_uid, &lo, &hi) &&
	    pw.pw_uid >= lo && pw.pw_uid <= hi)
		*managed = true;
	if (!*managed && o->managed_group[0] != '\0') {
		rc = lookup_gr(o->managed_group, &gr, &gbuf);
		if (rc == 0)
			*managed = in_group(&gr, &pw);
		else if (rc == ENOENT)
			st = pu_fail(err, PU_CONFIG, "managed_group=%s: no such group",
				     o->managed_group);
		else
			st = pu_fail(err, rc == ENOMEM ? PU_NOMEM : PU_UNAVAIL,
				     "looking up group: %s", strerror(rc));
	}
	free(pbuf);
	free(gbuf);
	return st;
}
