/*
 * unifiedctl -- pam_unified's admin command (as faillock(8) is
 * pam_faillock's): the same option parser, Redis client and stores as the
 * module.
 *
 *   unifiedctl [--config F] [--service S] [KEY=VALUE ...] COMMAND ...
 *
 * Passwords come from the terminal without echo, or from one line of
 * standard input with --password-stdin; never from the command line.
 * Exit status: 0 done, 1 failed (backend, no such user), 2 usage/config.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/version.h"
#include "pam/log.h"

struct command {
	const char *name;
	enum pu_backend_id backend;   /* implied backend= (NONE: check) */
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "check", PU_BACKEND_NONE, cmd_check,
	  "unifiedctl check [--config FILE] [--service NAME] [MODULE-ARGS ...]\n"
	  "  Parses the config file and the arguments exactly as the module does,\n"
	  "  checks key and secret files, and reaches every configured backend\n"
	  "  (socket trust checks, Redis AUTH, Sentinel).  One line per check;\n"
	  "  exit 0 only if every check passed.\n" },
	{ "user", PU_BACKEND_REDIS, cmd_user,
	  "unifiedctl [OPTIONS] user add|passwd USER [--password-stdin]\n"
	  "unifiedctl [OPTIONS] user lock|unlock|must-change|del|show USER\n"
	  "unifiedctl [OPTIONS] user expire USER --at YYYY-MM-DD|never\n"
	  "unifiedctl [OPTIONS] user list\n"
	  "  Manage users in the Redis store (redis= or sentinel= options).\n" },
	{ "faillock", PU_BACKEND_REDIS, cmd_faillock,
	  "unifiedctl [OPTIONS] faillock show [USER] | faillock reset USER\n"
	  "  USER's recent failures (the fleet-wide lockout), or with no USER\n"
	  "  every locked user; reset clears USER's failures.\n" },
	{ "sessions", PU_BACKEND_REDIS, cmd_sessions,
	  "unifiedctl [OPTIONS] sessions [USER]\n"
	  "unifiedctl [OPTIONS] sessions prune [--older-than DAYS]\n"
	  "  Open sessions recorded by the redis backend.  prune removes the\n"
	  "  records of this host's sessions whose process is gone, and with\n"
	  "  --older-than those of any host started more than DAYS days ago.\n" },
	{ "events", PU_BACKEND_REDIS, cmd_events,
	  "unifiedctl [OPTIONS] events [USER] [--count N]\n"
	  "  The newest N (default 20) audit events of USER, or of everyone\n"
	  "  (every primary of a Cluster), oldest first: when, who, what.\n" },
	{ "init", PU_BACKEND_REPLAY, cmd_init,
	  "unifiedctl [OPTIONS] init\n"
	  "  Create the replay key (key_file=, root, 0600) and store directory\n"
	  "  (dir=, 0700); an existing key is checked and kept.\n" },
	{ "history", PU_BACKEND_REPLAY, cmd_history,
	  "unifiedctl [OPTIONS] history show|clear USER\n"
	  "  Replay entries of USER: counts and times, never secrets.\n" },
};

static void usage(FILE *fp)
{
	fputs("usage: unifiedctl [--config FILE] [--service NAME] [KEY=VALUE ...] COMMAND\n"
	      "       unifiedctl --version | --help | COMMAND --help\n"
	      "\n"
	      "  check [MODULE-ARGS...]               validate config, reach backends\n"
	      "  user add USER [--password-stdin]     create USER with a password\n"
	      "  user passwd USER [--password-stdin]  set USER's password\n"
	      "  user lock USER | user unlock USER    disable / enable the account\n"
	      "  user must-change USER                force a password change\n"
	      "  user expire USER --at YYYY-MM-DD|never   expire the account that day\n"
	      "  user del USER                        delete USER, failures, sessions\n"
	      "  user show USER | user list           show (never the hash itself)\n"
	      "  faillock show [USER] | faillock reset USER\n"
	      "  sessions [USER]                      open sessions\n"
	      "  sessions prune [--older-than DAYS]   remove sessions that cannot close\n"
	      "  events [USER] [--count N]            the newest audit events\n"
	      "  init                                 create key_file= and dir= (replay)\n"
	      "  history show USER | history clear USER   replay entries (never secrets)\n"
	      "\n"
	      "KEY=VALUE are module options (redis=, sentinel=, prefix=, hash=, ...);\n"
	      "they override the config file, as on a /etc/pam.d line.\n", fp);
}

int ctl_fail(const char *what, const struct pu_err *err)
{
	fprintf(stderr, "unifiedctl: %s: %s\n", what, err->msg);
	return err->status == PU_CONFIG ? EXIT_USAGE : EXIT_FAIL;
}

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("unifiedctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void ctl_restart(struct ctl *c)
{
	pu_deadline_start(&c->dl, c->o.timeout_ms);
}

int ctl_redis(struct ctl *c)
{
	struct pu_err err = { PU_OK, "" };

	if (c->r != NULL)
		return EXIT_OK;
	if (pu_redis_conn_validate(&c->o.conn, &err) != PU_OK)
		return ctl_fail("redis", &err);
	ctl_restart(c);
	if (pu_redis_connect(&c->o.conn, &c->dl, &c->r, &err) != PU_OK)
		return ctl_fail("redis", &err);
	return EXIT_OK;
}

int ctl_user_name(const char *user)
{
	if (user == NULL || user[0] == '\0' || strpbrk(user, "\r\n") != NULL)
		return ctl_error(EXIT_USAGE, "bad user name");
	return EXIT_OK;
}

void ctl_password_free(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

static char *read_line(FILE *fp)
{
	char *s = NULL;
	size_t n = 0;
	ssize_t len = getline(&s, &n, fp);

	if (len <= 0) {
		if (s != NULL)
			explicit_bzero(s, n);
		free(s);
		return NULL;
	}
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

char *ctl_read_password(bool from_stdin)
{
	struct termios old, noecho;
	char *a, *b;
	FILE *tty;

	if (from_stdin)
		return read_line(stdin);
	tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		ctl_error(EXIT_FAIL, "no terminal; use --password-stdin");
		return NULL;
	}
	tcgetattr(fileno(tty), &old);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	fputs("New password: ", tty);
	fflush(tty);
	a = read_line(tty);
	fputs("\nRetype new password: ", tty);
	fflush(tty);
	b = read_line(tty);
	fputs("\n", tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fclose(tty);
	if (a == NULL || b == NULL || strcmp(a, b) != 0) {
		ctl_error(EXIT_FAIL, "passwords do not match");
		ctl_password_free(a);
		ctl_password_free(b);
		return NULL;
	}
	ctl_password_free(b);
	return a;
}

const char *ctl_date(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "never");
	else
		strftime(buf, size, "%Y-%m-%d", &tm);
	return buf;
}

const char *ctl_datetime(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL)
		snprintf(buf, size, "-");
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* as the module's log lines: C0 and C1 controls (0x9b alone or as
 * U+009B is a CSI to some terminals) and bytes that are not UTF-8 become
 * '?', one per byte */
void ctl_print_name(FILE *fp, const char *s, size_t len)
{
	char *raw = malloc(len + 1), *out = malloc(len + 1);

	if (raw != NULL && out != NULL) {
		for (size_t i = 0; i < len; i++)
			raw[i] = s[i] == '\0' ? '\x01' : s[i];
		raw[len] = '\0';
		fputs(pu_log_printable(raw, out, len + 1), fp);
	} else {
		fputs("(out of memory)", fp);
	}
	fputc('\n', fp);
	free(raw);
	free(out);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* the KEY=VALUE options, config=, and the command's backend= last: a
 * file written for another backend may still name the Redis servers */
static int build_options(struct ctl *c, const struct command *cmd)
{
	struct pu_err err = { PU_OK, "" };
	const char **args = calloc((size_t)c->nmod + 2, sizeof(*args));
	char *cfg = NULL;
	int n = 0, rc = EXIT_OK;

	if (args == NULL)
		return ctl_error(EXIT_FAIL, "out of memory");
	for (int i = 0; i < c->nmod; i++)
		args[n++] = c->mod[i];
	if (c->config != NULL && asprintf(&cfg, "config=%s", c->config) >= 0)
		args[n++] = cfg;
	args[n++] = cmd->backend == PU_BACKEND_REPLAY ? "backend=replay" :
		    "backend=redis";
	if (c->config != NULL && cfg == NULL)
		rc = ctl_error(EXIT_FAIL, "out of memory");
	else if (pu_options_build(&c->o, n, args, c->service, &err) != PU_OK)
		rc = ctl_fail("configuration", &err);
	free(cfg);
	free(args);
	return rc;
}

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "service", required_argument, NULL, 's' },
	{ "password-stdin", no_argument, NULL, 'p' },
	{ "at", required_argument, NULL, 'a' },
	{ "older-than", required_argument, NULL, 'o' },
	{ "count", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct ctl *c = calloc(1, sizeof(*c));
	const struct command *cmd = NULL;
	bool help = false;
	int opt, i, rc;

	if (c == NULL)
		return EXIT_FAIL;
	c->older_than = -1;
	c->count = 20;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c->config = optarg; break;
		case 's': c->service = optarg; break;
		case 'p': c->password_stdin = true; break;
		case 'a': c->at = optarg; break;
		case 'o': {
			char *end;

			c->older_than = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || c->older_than < 0) {
				free(c);
				return ctl_error(EXIT_USAGE,
						 "--older-than takes a number of days");
			}
			break;
		}
		case 'n': {
			char *end;

			c->count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || c->count < 1 ||
			    c->count > 10000) {
				free(c);
				return ctl_error(EXIT_USAGE,
						 "--count takes a number in 1..10000");
			}
			break;
		}
		case 'h': help = true; break;
		case 'V':
			printf("unifiedctl (pam_unified) %s\n", PU_VERSION);
			free(c);
			return EXIT_OK;
		default:
			usage(stderr);
			free(c);
			return EXIT_USAGE;
		}
	}
	/* KEY=VALUE options, then the command and its words */
	c->mod = (const char **)argv + optind;
	for (i = optind; i < argc && strchr(argv[i], '=') != NULL; i++)
		c->nmod++;
	if (i < argc)
		cmd = find_command(argv[i]);
	if (help || cmd == NULL) {
		if (cmd != NULL)
			fputs(cmd->help, stdout);
		else
			usage(help ? stdout : stderr);
		free(c);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	if (cmd->backend == PU_BACKEND_NONE) {
		rc = cmd->run(c, argc - i - 1, argv + i + 1);
	} else {
		rc = build_options(c, cmd);
		if (rc == EXIT_OK)
			rc = cmd->run(c, argc - i - 1, argv + i + 1);
	}
	pu_redis_free(c->r);
	free(c);
	return rc;
}
