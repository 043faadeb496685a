/*
 * unifiedctl user, faillock and sessions: the redis user store's own
 * operations (src/backends/redis/users.h), nothing else.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "backends/redis/lockout.h"
#include "backends/redis/users.h"
#include "cli/cli.h"
#include "common/hash.h"

#define MAX_FAILURES 1024

static int store_error(const char *user, const struct pu_err *err)
{
	if (err->status == PU_USER_UNKNOWN)
		return ctl_error(EXIT_FAIL, "%s: no such user", user);
	return ctl_fail(user, err);
}

/* ---- user add | passwd ---- */

static int set_password(struct ctl *c, const char *user, bool create)
{
	struct pu_err err = { PU_OK, "" };
	char hash[PU_HASH_MAX];
	enum pu_status st;
	char *pw;

	pw = ctl_read_password(c->password_stdin);
	if (pw == NULL)
		return EXIT_FAIL;
	if ((long)strlen(pw) < c->o.policy.minlen) {
		ctl_password_free(pw);
		return ctl_error(EXIT_FAIL, "password shorter than minlen=%ld",
				 c->o.policy.minlen);
	}
	st = pu_hash_make(pw, c->o.policy.hash, hash, sizeof(hash), &err);
	ctl_password_free(pw);
	if (st != PU_OK)
		return ctl_fail("hash", &err);
	/* the prompt and the hashing took time: a fresh deadline */
	ctl_restart(c);
	st = pu_users_set_password(c->r, &c->dl, c->o.prefix, user,
				   create ? PU_PW_CREATE : PU_PW_EXISTING, NULL,
				   hash, (long long)time(NULL), &err);
	explicit_bzero(hash, sizeof(hash));
	if (st == PU_DENIED && create)
		return ctl_error(EXIT_FAIL, "%s: user exists", user);
	if (st != PU_OK)
		return store_error(user, &err);
	printf("%s: %s\n", user, create ? "created" : "password changed");
	return EXIT_OK;
}

/* ---- user lock | unlock | must-change | expire ---- */

static int set_field(struct ctl *c, const char *user, const char *field,
		     const char *value, const char *done)
{
	struct pu_err err = { PU_OK, "" };

	if (pu_users_set_field(c->r, &c->dl, c->o.prefix, user, field, value,
			       &err) != PU_OK)
		return store_error(user, &err);
	printf("%s: %s\n", user, done);
	return EXIT_OK;
}

/* YYYY-MM-DD (UTC), as chage -E takes it; 00:00 of that day */
static bool parse_date(const char *s, long long *out)
{
	struct tm tm, norm;
	char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || strlen(s) != 10)
		return false;
	norm = tm;
	t = timegm(&norm);
	/* 2025-02-30 would normalise to March: refuse it */
	if (t <= 0 || norm.tm_mday != tm.tm_mday || norm.tm_mon != tm.tm_mon)
		return false;
	*out = (long long)t;
	return true;
}

static int expire(struct ctl *c, const char *user)
{
	char value[24], msg[64], day[16];
	long long t;

	if (c->at == NULL)
		return ctl_error(EXIT_USAGE, "user expire needs --at YYYY-MM-DD or --at never");
	if (strcmp(c->at, "never") == 0 || strcmp(c->at, "-1") == 0)
		return set_field(c, user, "expires", NULL, "never expires");
	if (!parse_date(c->at, &t))
		return ctl_error(EXIT_USAGE, "--at %s: expected YYYY-MM-DD or never",
				 c->at);
	snprintf(value, sizeof(value), "%lld", t);
	snprintf(msg, sizeof(msg), "expires %s", ctl_date(t, day, sizeof(day)));
	return set_field(c, user, "expires", value, msg);
}

/* ---- user show | del | list ---- */

static int show(struct ctl *c, const char *user)
{
	struct pu_err err = { PU_OK, "" };
	struct pu_user u;
	struct pu_failures f;
	char d1[16], d2[16];

	if (pu_users_fetch(c->r, &c->dl, c->o.prefix, NULL, user, &u, &f,
			   &err) != PU_OK)
		return ctl_fail(user, &err);
	if (!u.exists)
		return ctl_error(EXIT_FAIL, "%s: no such user", user);
	printf("%s\n", user);
	/* the method only, never the hash */
	printf("  password: %s\n",
	       pu_hash_method(u.has_password ? u.password : NULL));
	explicit_bzero(u.password, sizeof(u.password));
	printf("  disabled: %s\n", u.disabled ? "yes" : "no");
	printf("  must_change: %s\n", u.must_change ? "yes" : "no");
	printf("  expires: %s\n", ctl_date(u.expires, d1, sizeof(d1)));
	printf("  changed: %s\n",
	       u.changed > 0 ? ctl_date(u.changed, d2, sizeof(d2)) : "unknown");
	if (u.max_age >= 0)
		printf("  max_age: %ld days\n", u.max_age);
	if (u.warn_age >= 0)
		printf("  warn_age: %ld days\n", u.warn_age);
	return EXIT_OK;
}

static bool print_user(const char *name, size_t len, void *arg)
{
	(void)arg;
	ctl_print_name(stdout, name, len);
	return true;
}

static int list(struct ctl *c, const char *kind)
{
	struct pu_err err = { PU_OK, "" };

	if (pu_users_scan(c->r, c->o.timeout_ms, c->o.prefix, kind, print_user,
			  NULL, &err) != PU_OK)
		return ctl_fail("list", &err);
	return EXIT_OK;
}

static int del(struct ctl *c, const char *user)
{
	struct pu_err err = { PU_OK, "" };

	if (pu_users_delete(c->r, &c->dl, c->o.prefix, user, &err) != PU_OK)
		return store_error(user, &err);
	printf("%s: deleted (record, failures, sessions)\n", user);
	return EXIT_OK;
}

int cmd_user(struct ctl *c, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	const char *user = argc > 1 ? argv[1] : NULL;
	int rc;

	if (strcmp(sub, "list") == 0 && argc == 1) {
		rc = ctl_redis(c);
		return rc ? rc : list(c, "user");
	}
	if (argc != 2)
		return ctl_error(EXIT_USAGE, "usage: unifiedctl user SUBCOMMAND USER "
				 "(see unifiedctl user --help)");
	if ((rc = ctl_user_name(user)) != EXIT_OK)
		return rc;
	if (strcmp(sub, "expire") == 0 && c->at == NULL)
		return expire(c, user);
	if ((rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	if (strcmp(sub, "add") == 0)
		return set_password(c, user, true);
	if (strcmp(sub, "passwd") == 0)
		return set_password(c, user, false);
	if (strcmp(sub, "lock") == 0)
		return set_field(c, user, "disabled", "1", "locked");
	if (strcmp(sub, "unlock") == 0)
		return set_field(c, user, "disabled", NULL, "unlocked");
	if (strcmp(sub, "must-change") == 0)
		return set_field(c, user, "must_change", "1",
				 "must change the password at the next login");
	if (strcmp(sub, "expire") == 0)
		return expire(c, user);
	if (strcmp(sub, "del") == 0)
		return del(c, user);
	if (strcmp(sub, "show") == 0)
		return show(c, user);
	return ctl_error(EXIT_USAGE, "user %s: unknown subcommand", sub);
}

/* ---- faillock ---- */

static int faillock_user(struct ctl *c, const char *user)
{
	struct pu_err err = { PU_OK, "" };
	long long *times = calloc(MAX_FAILURES, sizeof(*times));
	size_t n = 0;
	char when[32];

	if (times == NULL)
		return ctl_error(EXIT_FAIL, "out of memory");
	if (pu_users_failure_times(c->r, &c->dl, c->o.prefix, user, times,
				   MAX_FAILURES, &n, &err) != PU_OK) {
		free(times);
		return ctl_fail(user, &err);
	}
	printf("%s: %zu recent failure(s)\n", user, n);
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", ctl_datetime(times[i], when, sizeof(when)));
	free(times);
	return EXIT_OK;
}

struct locked_scan {
	struct ctl *c;
	size_t shown;
	int rc;
};

/* one user found by the scan: show it if the lockout rule locks it now */
static bool show_if_locked(const char *name, size_t len, void *arg)
{
	struct locked_scan *s = arg;
	struct ctl *c = s->c;
	struct pu_err err = { PU_OK, "" };
	struct pu_user u;
	struct pu_failures f;
	char *user = strndup(name, len), until[32];
	long long unlock_at = 0, now = (long long)time(NULL);
	bool on = pu_lockout_enabled(&c->o.lock);

	if (user == NULL)
		return false;
	ctl_restart(c);
	if (pu_users_fetch(c->r, &c->dl, c->o.prefix, on ? &c->o.lock : NULL,
			   user, &u, &f, &err) != PU_OK) {
		s->rc = ctl_fail(user, &err);
		free(user);
		return false;
	}
	explicit_bzero(u.password, sizeof(u.password));
	if (on && pu_lockout_active(&c->o.lock, &f, now, &unlock_at)) {
		printf("%s: locked, %d failure(s), until %s\n", user, f.count,
		       unlock_at ? ctl_datetime(unlock_at, until, sizeof(until)) :
				   "reset");
		s->shown++;
	}
	free(user);
	return true;
}

int cmd_faillock(struct ctl *c, int argc, char **argv)
{
	struct pu_err err = { PU_OK, "" };
	struct locked_scan s = { c, 0, EXIT_OK };
	int rc;

	if (argc < 1 || argc > 2 || (strcmp(argv[0], "show") != 0 &&
				     strcmp(argv[0], "reset") != 0) ||
	    (strcmp(argv[0], "reset") == 0 && argc != 2))
		return ctl_error(EXIT_USAGE, "usage: unifiedctl faillock show [USER] | "
				 "faillock reset USER");
	if (argc == 2 && (rc = ctl_user_name(argv[1])) != EXIT_OK)
		return rc;
	if ((rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	if (strcmp(argv[0], "reset") == 0) {
		if (pu_users_clear_failures(c->r, &c->dl, c->o.prefix, argv[1],
					    &err) != PU_OK)
			return ctl_fail(argv[1], &err);
		printf("%s: failures cleared\n", argv[1]);
		return EXIT_OK;
	}
	if (argc == 2)
		return faillock_user(c, argv[1]);
	if (!pu_lockout_enabled(&c->o.lock))
		return ctl_error(EXIT_USAGE, "deny=0: the lockout is off, nobody is "
				 "locked (give deny= as the module has it)");
	if (pu_users_scan(c->r, c->o.timeout_ms, c->o.prefix, "fail",
			  show_if_locked, &s, &err) != PU_OK)
		return ctl_fail("faillock", &err);
	if (s.rc == EXIT_OK && s.shown == 0)
		printf("no user is locked\n");
	return s.rc;
}

/* ---- sessions ---- */

/* s with controls replaced, no newline */
static void put_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void print_session(const char *id, const char *value, void *arg)
{
	static const char *const names[] = { "service", "tty", "rhost", "ruser",
					     "host", "pid" };
	char field[256], when[32];

	(void)arg;
	printf("  ");
	put_clean(id);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pu_session_field(value, names[i], field, sizeof(field));
		printf(" %s=", names[i]);
		put_clean(field);
	}
	pu_session_field(value, "start", field, sizeof(field));
	printf(" start=%s\n", ctl_datetime(atoll(field), when, sizeof(when)));
}

struct prune {
	struct ctl *c;
	const char *user;
	char host[256];
	long long now;
	size_t removed;
	int rc;
	/* ids to remove, collected while reading the user's sessions */
	char (*ids)[PU_SESSION_ID_LEN + 1];
	char (*why)[64];
	size_t n, cap;
};

/* one record: is it a session that can no longer close? */
static void judge_session(const char *id, const char *value, void *arg)
{
	struct prune *p = arg;
	char host[256], pid[24], start[24], why[64] = "";
	long long started;
	long pidv;

	pu_session_field(value, "host", host, sizeof(host));
	pu_session_field(value, "pid", pid, sizeof(pid));
	pu_session_field(value, "start", start, sizeof(start));
	started = atoll(start);
	pidv = atol(pid);
	if (strcmp(host, p->host) == 0 && pidv > 0 && kill((pid_t)pidv, 0) != 0 &&
	    errno == ESRCH)
		snprintf(why, sizeof(why), "process %ld is gone", pidv);
	else if (p->c->older_than >= 0 &&
		 started < p->now - p->c->older_than * 86400)
		snprintf(why, sizeof(why), "older than %ld days", p->c->older_than);
	if (why[0] == '\0' || strlen(id) > PU_SESSION_ID_LEN)
		return;
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		void *ni = realloc(p->ids, ncap * sizeof(*p->ids));
		void *nw;

		if (ni == NULL)
			return;
		p->ids = ni;
		nw = realloc(p->why, ncap * sizeof(*p->why));
		if (nw == NULL)
			return;
		p->why = nw;
		p->cap = ncap;
	}
	snprintf(p->ids[p->n], sizeof(p->ids[p->n]), "%s", id);
	snprintf(p->why[p->n], sizeof(p->why[p->n]), "%s", why);
	p->n++;
}

static bool prune_user(const char *name, size_t len, void *arg)
{
	struct prune *p = arg;
	struct ctl *c = p->c;
	struct pu_err err = { PU_OK, "" };
	char *user = strndup(name, len);

	if (user == NULL)
		return false;
	p->n = 0;
	ctl_restart(c);
	if (pu_users_sessions(c->r, &c->dl, c->o.prefix, user, judge_session, p,
			      &err) != PU_OK) {
		p->rc = ctl_fail(user, &err);
		free(user);
		return false;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (pu_users_session_remove(c->r, &c->dl, c->o.prefix, user,
					    p->ids[i], &err) != PU_OK) {
			p->rc = ctl_fail(user, &err);
			break;
		}
		put_clean(user);
		printf(": removed session %s (%s)\n", p->ids[i], p->why[i]);
		p->removed++;
	}
	free(user);
	return p->rc == EXIT_OK;
}

static int prune(struct ctl *c)
{
	struct pu_err err = { PU_OK, "" };
	struct prune p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.now = (long long)time(NULL);
	if (gethostname(p.host, sizeof(p.host)) != 0)
		p.host[0] = '\0';
	p.host[sizeof(p.host) - 1] = '\0';
	if ((rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	if (pu_users_scan(c->r, c->o.timeout_ms, c->o.prefix, "sessions",
			  prune_user, &p, &err) != PU_OK)
		p.rc = ctl_fail("sessions prune", &err);
	if (p.rc == EXIT_OK)
		printf("%zu session record(s) removed\n", p.removed);
	free(p.ids);
	free(p.why);
	return p.rc;
}

static int sessions_of(struct ctl *c, const char *user)
{
	struct pu_err err = { PU_OK, "" };

	ctl_restart(c);
	printf("%s\n", user);
	if (pu_users_sessions(c->r, &c->dl, c->o.prefix, user, print_session,
			      NULL, &err) != PU_OK)
		return ctl_fail(user, &err);
	return EXIT_OK;
}

static bool sessions_scan(const char *name, size_t len, void *arg)
{
	struct locked_scan *s = arg;
	char *user = strndup(name, len);

	if (user == NULL)
		return false;
	s->rc = sessions_of(s->c, user);
	free(user);
	return s->rc == EXIT_OK;
}

int cmd_sessions(struct ctl *c, int argc, char **argv)
{
	struct pu_err err = { PU_OK, "" };
	struct locked_scan s = { c, 0, EXIT_OK };
	int rc;

	if (argc == 1 && strcmp(argv[0], "prune") == 0)
		return prune(c);
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "usage: unifiedctl sessions [USER] | "
				 "sessions prune [--older-than DAYS]");
	if (argc == 1 && (rc = ctl_user_name(argv[0])) != EXIT_OK)
		return rc;
	if ((rc = ctl_redis(c)) != EXIT_OK)
		return rc;
	if (argc == 1)
		return sessions_of(c, argv[0]);
	if (pu_users_scan(c->r, c->o.timeout_ms, c->o.prefix, "sessions",
			  sessions_scan, &s, &err) != PU_OK)
		return ctl_fail("sessions", &err);
	return s.rc;
}
