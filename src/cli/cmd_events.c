/* unifiedctl events: the audit trail the redis backend keeps, one stream
 * per user (PREFIX events:{user}), read through the user store; with no
 * user, the newest events of the whole fleet, every primary scanned. */
#include <stdlib.h>
#include <string.h>

#include "backends/redis/users.h"
#include "cli/cli.h"

#define LINE 512

struct row {
	unsigned long long ms, seq;
	char user[128];
	char text[LINE];
};

/* the newest max events seen so far, newest first */
struct newest {
	struct ctl *c;
	struct row *rows;
	size_t n, max;
	int rc;
};

static bool newer(unsigned long long ms, unsigned long long seq,
		  const struct row *r)
{
	return ms > r->ms || (ms == r->ms && seq > r->seq);
}

static void clean(char *dst, size_t size, const char *src)
{
	size_t i = 0;

	for (; *src && i + 1 < size; src++, i++)
		dst[i] = (unsigned char)*src < 0x20 || *src == 0x7f ? '?' : *src;
	dst[i] = '\0';
}

static void keep(const char *user, const struct pu_event *e, void *arg)
{
	struct newest *w = arg;
	struct row *r;
	size_t at = w->n, used = 0;

	while (at > 0 && newer(e->ms, e->seq, &w->rows[at - 1]))
		at--;
	if (at == w->max)
		return;
	if (w->n < w->max)
		w->n++;
	memmove(&w->rows[at + 1], &w->rows[at],
		(w->n - 1 - at) * sizeof(w->rows[0]));
	r = &w->rows[at];
	r->ms = e->ms;
	r->seq = e->seq;
	clean(r->user, sizeof(r->user), user);
	r->text[0] = '\0';
	for (size_t i = 0; i < e->n && used + 1 < sizeof(r->text); i++) {
		char name[64], value[192];

		if (strcmp(e->name[i], "user") == 0)
			continue;
		clean(name, sizeof(name), e->name[i]);
		clean(value, sizeof(value), e->value[i]);
		used += (size_t)snprintf(r->text + used, sizeof(r->text) - used,
					 " %s=%s", name, value);
		if (used >= sizeof(r->text))
			used = sizeof(r->text) - 1;
	}
}

static bool events_scan(const char *name, size_t len, void *arg)
{
	struct newest *w = arg;
	struct pu_err err = { PU_OK, "" };
	char user[128];

	if (len >= sizeof(user))
		return true; /* not a name the store writes */
	memcpy(user, name, len);
	user[len] = '\0';
	ctl_restart(w->c);
	if (pu_users_events(w->c->r, &w->c->dl, w->c->o.prefix, user, w->max,
			    keep, w, &err) != PU_OK) {
		w->rc = ctl_fail(user, &err);
		return false;
	}
	return true;
}

int cmd_events(struct ctl *c, int argc, char **argv)
{
	struct pu_err err = { PU_OK, "" };
	struct newest w = { c, NULL, 0, (size_t)c->count, EXIT_OK };
	int rc;

	if (argc > 1)
		return ctl_error(EXIT_USAGE, "usage: unifiedctl events [USER] "
				 "[--count N]");
	if (argc == 1 && (rc = ctl_user_name(argv[0])) != EXIT_OK)
		return rc;
	if ((rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	w.rows = calloc(w.max + 1, sizeof(*w.rows));
	if (w.rows == NULL)
		return ctl_error(EXIT_FAIL, "out of memory");
	if (argc == 1) {
		ctl_restart(c);
		if (pu_users_events(c->r, &c->dl, c->o.prefix, argv[0], w.max,
				    keep, &w, &err) != PU_OK)
			w.rc = ctl_fail(argv[0], &err);
	} else if (pu_users_scan(c->r, c->o.timeout_ms, c->o.prefix, "events",
				 events_scan, &w, &err) != PU_OK) {
		w.rc = ctl_fail("events", &err);
	}
	/* oldest first, as a log reads */
	for (size_t i = w.n; w.rc == EXIT_OK && i > 0; i--) {
		char when[32];

		printf("%s.%03llu %s%s\n",
		       ctl_datetime((long long)(w.rows[i - 1].ms / 1000), when,
				    sizeof(when)),
		       w.rows[i - 1].ms % 1000, w.rows[i - 1].user,
		       w.rows[i - 1].text);
	}
	free(w.rows);
	return w.rc;
}
