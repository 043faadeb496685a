/*
 * unifiedctl's shared state and helpers.  Every command goes through the
 * stores the module uses (src/backends/redis/users.h,
 * src/backends/replay/store.h), as faillock(8) goes through pam_faillock's
 * tally code: unifiedctl sends no Redis command of its own.
 */
#ifndef PU_CLI_H
#define PU_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/deadline.h"
#include "common/options.h"
#include "common/redis_client.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct ctl {
	struct pu_options o;
	struct pu_redis *r;        /* connected by ctl_redis() */
	struct pu_deadline dl;
	bool password_stdin;
	const char *at;            /* user expire --at */
	long older_than;           /* sessions prune --older-than DAYS; -1 */
	long count;                /* events --count N */
	const char *service;
	const char *config;        /* --config */
	int nmod;                  /* KEY=VALUE module options */
	const char **mod;
};

/* "unifiedctl: WHAT: REASON" on stderr; 2 for a configuration error,
 * 1 otherwise. */
int ctl_fail(const char *what, const struct pu_err *err);
/* "unifiedctl: MESSAGE" on stderr; returns code */
int ctl_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A fresh deadline (timeout=) for the next step. */
void ctl_restart(struct ctl *c);

/* Connects to the Redis the options name (once); 0 or an exit status. */
int ctl_redis(struct ctl *c);

/* A user name the stores accept (no CR, LF; not empty); 0 or 2. */
int ctl_user_name(const char *user);

/* One line from stdin, or twice from the terminal without echo; wipe and
 * free it with ctl_password_free. */
char *ctl_read_password(bool from_stdin);
void ctl_password_free(char *pw);

/* "YYYY-MM-DD" (UTC) of t, or "never" for 0. */
const char *ctl_date(long long t, char *buf, size_t size);
const char *ctl_datetime(long long t, char *buf, size_t size);

/* Names from a store, printed with controls replaced. */
void ctl_print_name(FILE *fp, const char *s, size_t len);

/* The commands (cmd_*.c).  argv[0] is the command's first word after the
 * command name; argc may be 0. */
int cmd_check(struct ctl *c, int argc, char **argv);
int cmd_user(struct ctl *c, int argc, char **argv);
int cmd_faillock(struct ctl *c, int argc, char **argv);
int cmd_sessions(struct ctl *c, int argc, char **argv);
int cmd_events(struct ctl *c, int argc, char **argv);
int cmd_init(struct ctl *c, int argc, char **argv);
int cmd_history(struct ctl *c, int argc, char **argv);

#endif
