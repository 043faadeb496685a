/*
 * The hostile-peer suite's driver (see hostile.h).  Linked against -lpam
 * (and -lcrypt for the test hashes) only: real libpam, services written
 * to a private directory and opened with pam_start_confdir().
 *
 *   hostile [-v] [--only SUBSTRING] [--no-race] [--races N]
 *
 * One line per case; the closing line is "hostile: N passed, M failed".
 */
#define _GNU_SOURCE
#include "hostile.h"

#include <crypt.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- */
/* the servers and the module lines                                  */

struct server {
	const char *name;     /* "redis", "socket" */
	const char *script;
	pid_t pid;
	char modes[256][64];  /* from --list */
	char docs[256][160];
	bool used[256];
	int nmodes;
};

static struct server servers[] = {
	{ "redis", "hostile_redis.py", 0, { { 0 } }, { { 0 } }, { 0 }, 0 },
	{ "socket", "hostile_socket.py", 0, { { 0 } }, { { 0 } }, { 0 }, 0 },
};
#define NSERVERS (sizeof(servers) / sizeof(servers[0]))

static struct server *server_named(const char *name)
{
	for (size_t i = 0; i < NSERVERS; i++)
		if (strcmp(servers[i].name, name) == 0)
			return &servers[i];
	return NULL;
}

/* %D is the private directory, %P the hostile Redis's TCP port */
static const struct {
	const char *name;
	const char *args;
} profiles[] = {
	/* hash=sha512: chauthtok's new hash costs milliseconds, not the
	 * default yescrypt's tenth of a second, so what the timings show is
	 * the peer's doing */
	{ "hr", "backend=redis redis=unix:%D/hr.sock hash=sha512" },
	{ "hr-auth", "backend=redis redis=unix:%D/hr.sock "
		     "redis_password_file=%D/redis.pass" },
	{ "hr-db", "backend=redis redis=unix:%D/hr.sock redis_db=3" },
	{ "hr-hmac", "backend=redis redis=unix:%D/hr.sock redis_auth=hmac "
		     "redis_password_file=%D/hmac.pass" },
	{ "hr-sentinel", "backend=redis sentinel=127.0.0.1:%P "
			 "sentinel_master=mymaster" },
	{ "hr-untrusted", "backend=redis redis=unix:%D/ww/hr.sock" },
	{ "hr-stale", "backend=redis redis=unix:%D/hr-stale.sock" },
	{ "hr-noaccept", "backend=redis redis=unix:%D/hr-noaccept.sock" },
	{ "hs-redir", "backend=socket socket=%D/hs.sock protocol=redirector" },
	{ "hs-v1", "backend=socket socket=%D/hs.sock protocol=v1" },
	{ "hs-redir-untrusted", "backend=socket socket=%D/ww/hs.sock "
				"protocol=redirector" },
	{ "hs-v1-untrusted", "backend=socket socket=%D/ww/hs.sock protocol=v1" },
	{ "hs-redir-stale", "backend=socket socket=%D/hs-stale.sock "
			    "protocol=redirector" },
	{ "hs-v1-stale", "backend=socket socket=%D/hs-stale.sock protocol=v1" },
	{ "hs-redir-noaccept", "backend=socket socket=%D/hs-noaccept.sock "
			       "protocol=redirector" },
	{ "hs-v1-noaccept", "backend=socket socket=%D/hs-noaccept.sock "
			    "protocol=v1" },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

static bool profile_known(const char *name)
{
	for (size_t i = 0; i < NPROFILES; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return true;
	return false;
}

static void expand(const struct h_env *e, const char *in, const char *port,
		   char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = in; *p != '\0' && o + 1 < size; p++) {
		const char *sub = NULL;

		if (p[0] == '%' && p[1] == 'D')
			sub = e->dir;
		else if (p[0] == '%' && p[1] == 'P')
			sub = port;
		if (sub != NULL) {
			o += (size_t)snprintf(out + o, size - o, "%s", sub);
			if (o >= size)
				o = size - 1;
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* a service with all four groups on one module line */
static void write_service(const struct h_env *e, const char *name,
			  const char *args)
{
	char path[PATH_MAX], text[8192], line[4096];

	snprintf(line, sizeof(line), "%s config=%s %s", e->module,
		 h_path(e, "empty.conf"), args);
	snprintf(text, sizeof(text),
		 "auth     required %s\naccount  required %s\n"
		 "password required %s\nsession  required %s\n",
		 line, line, line, line);
	snprintf(path, sizeof(path), "%s/%s", e->svc_dir, name);
	h_write_file(path, 0644, text);
}

static void write_services(const struct h_env *e, const char *port)
{
	char args[4096], withto[4200];

	for (size_t i = 0; i < NPROFILES; i++) {
		expand(e, profiles[i].args, port, args, sizeof(args));
		snprintf(withto, sizeof(withto), "timeout=%d %s", H_TIMEOUT_MS,
			 args);
		write_service(e, profiles[i].name, withto);
	}
	/* the race's line, as the issue gives it */
	expand(e, "backend=redis redis=unix:%D/redis.sock deny=3 "
		  "unlock_time=600 debug", port, args, sizeof(args));
	write_service(e, "race", args);
}

static void list_modes(const struct h_env *e, struct server *s)
{
	char cmd[PATH_MAX * 2], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/%s --list", e->scripts,
		 s->script);
	p = popen(cmd, "r");
	if (p == NULL)
		h_die("popen %s: %s", cmd, strerror(errno));
	while (fgets(line, sizeof(line), p) != NULL && s->nmodes < 256) {
		char *tab = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (tab == NULL)
			continue;
		*tab = '\0';
		snprintf(s->modes[s->nmodes], sizeof(s->modes[0]), "%s", line);
		snprintf(s->docs[s->nmodes], sizeof(s->docs[0]), "%s", tab + 1);
		s->nmodes++;
	}
	if (pclose(p) != 0 || s->nmodes == 0)
		h_die("%s --list failed", s->script);
}

static int mode_index(const struct server *s, const char *mode)
{
	for (int i = 0; i < s->nmodes; i++)
		if (strcmp(s->modes[i], mode) == 0)
			return i;
	return -1;
}

static void wait_for_file(const char *path, pid_t pid)
{
	double end = h_now() + 15;
	int status;

	while (access(path, F_OK) != 0) {
		if (h_now() > end || waitpid(pid, &status, WNOHANG) == pid)
			h_die("server did not come up (%s)", path);
		usleep(5000);
	}
}

static void start_servers(const struct h_env *e, const char *known_hash,
			  char *port, size_t port_size)
{
	char *ra[] = {
		(char *)"/usr/bin/python3",
		NULL, /* the script, below */
		(char *)"--socket", NULL, (char *)"--control", NULL,
		(char *)"--hash", (char *)known_hash,
		(char *)"--port-file", NULL, (char *)"--untrusted", NULL,
		(char *)"--stale", NULL, (char *)"--noaccept", NULL,
		(char *)"--ready", NULL, NULL,
	};
	char *sa[] = {
		(char *)"/usr/bin/python3", NULL,
		(char *)"--socket", NULL, (char *)"--control", NULL,
		(char *)"--untrusted", NULL, (char *)"--stale", NULL,
		(char *)"--noaccept", NULL, (char *)"--ready", NULL, NULL,
	};
	char rscript[PATH_MAX], sscript[PATH_MAX], buf[32];
	char p[9][PATH_MAX];
	FILE *f;

	snprintf(rscript, sizeof(rscript), "%s/hostile_redis.py", e->scripts);
	snprintf(sscript, sizeof(sscript), "%s/hostile_socket.py", e->scripts);
	snprintf(p[0], PATH_MAX, "%s", h_path(e, "hr.sock"));
	snprintf(p[1], PATH_MAX, "%s", h_path(e, "hr.mode"));
	snprintf(p[2], PATH_MAX, "%s", h_path(e, "hr.port"));
	snprintf(p[3], PATH_MAX, "%s", h_path(e, "ww/hr.sock"));
	snprintf(p[4], PATH_MAX, "%s", h_path(e, "hr-stale.sock"));
	snprintf(p[5], PATH_MAX, "%s", h_path(e, "hr-noaccept.sock"));
	snprintf(p[6], PATH_MAX, "%s", h_path(e, "hr.ready"));
	ra[1] = rscript;
	ra[3] = p[0];
	ra[5] = p[1];
	ra[9] = p[2];
	ra[11] = p[3];
	ra[13] = p[4];
	ra[15] = p[5];
	ra[17] = p[6];
	h_write_file(p[1], 0644, "good\n");
	server_named("redis")->pid = h_spawn(ra, false);

	snprintf(p[7], PATH_MAX, "%s", h_path(e, "hs.sock"));
	snprintf(p[8], PATH_MAX, "%s", h_path(e, "hs.mode"));
	sa[1] = sscript;
	sa[3] = p[7];
	sa[5] = p[8];
	sa[7] = (char *)h_path(e, "ww/hs.sock");
	sa[9] = (char *)h_path(e, "hs-stale.sock");
	sa[11] = (char *)h_path(e, "hs-noaccept.sock");
	sa[13] = (char *)h_path(e, "hs.ready");
	h_write_file(p[8], 0644, "good\n");
	server_named("socket")->pid = h_spawn(sa, false);

	wait_for_file(p[6], server_named("redis")->pid);
	wait_for_file(h_path(e, "hs.ready"), server_named("socket")->pid);
	f = fopen(p[2], "r");
	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL)
		h_die("no TCP port from the hostile Redis");
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(port, port_size, "%s", buf);
}

/* ---------------------------------------------------------------- */
/* one case                                                          */

struct outcome {
	int rc[H_MAX_STEPS];
	double secs[H_MAX_STEPS];   /* wall time of each call, parent-measured */
	bool ended[H_MAX_STEPS];
	int nsteps;
	long rss_kib;
	bool killed, crashed;
	int status;
	int nmsg, nbad;
	char bad[200];
	char seen[200];
};

static int nsteps_of(const struct h_case *c)
{
	int n = 0;

	while (n < H_MAX_STEPS && c->steps[n].op != H_NONE)
		n++;
	return n;
}

static void run_one(const struct h_env *e, const struct h_case *c,
		    struct outcome *o)
{
	char ops[128] = "";
	double begin[H_MAX_STEPS] = { 0 }, t0;
	int ev[2], cur = -1;
	pid_t pid;
	struct rusage ru;
	char evbuf[sizeof(struct h_event) * 8];
	size_t evlen = 0;
	bool eof = false;

	memset(o, 0, sizeof(*o));
	o->nsteps = nsteps_of(c);
	for (int i = 0; i < o->nsteps; i++) {
		o->rc[i] = -1;
		snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s%s",
			 i ? "," : "", h_op_name(c->steps[i].op));
	}
	h_write_file(h_path(e, strcmp(c->server, "redis") == 0 ? "hr.mode" :
							       "hs.mode"),
		     0644, c->mode);
	if (pipe2(ev, O_CLOEXEC) != 0)
		h_die("pipe: %s", strerror(errno));
	h_log_clear();
	t0 = h_now();
	pid = h_start_child(e, c->profile, H_USER, H_KNOWN_PW, ev[1], -1, 0,
			    ops);
	close(ev[1]);
	while (!eof) {
		struct pollfd p[2] = { { ev[0], POLLIN, 0 },
				       { h_log_fd(), POLLIN, 0 } };
		double now;
		ssize_t n;

		poll(p, h_log_fd() >= 0 ? 2 : 1, 20);
		h_log_drain();
		now = h_now();
		if (p[0].revents) {
			n = read(ev[0], evbuf + evlen, sizeof(evbuf) - evlen);
			if (n <= 0) {
				eof = true;
			} else {
				evlen += (size_t)n;
			}
			while (evlen >= sizeof(struct h_event)) {
				struct h_event x;

				memcpy(&x, evbuf, sizeof(x));
				memmove(evbuf, evbuf + sizeof(x), evlen - sizeof(x));
				evlen -= sizeof(x);
				if (x.step < 0 || x.step >= H_MAX_STEPS)
					continue;
				if (x.tag == 'B') {
					cur = x.step;
					begin[cur] = now;
				} else if (x.tag == 'E') {
					o->rc[x.step] = x.rc;
					o->secs[x.step] = now - begin[x.step];
					o->ended[x.step] = true;
					cur = -1;
				} else if (x.tag == 'M') {
					o->nmsg = x.nmsg;
					o->nbad = x.nbad;
					memcpy(o->bad, x.bad, sizeof(o->bad));
					memcpy(o->seen, x.seen, sizeof(o->seen));
				}
			}
		}
		if (!o->killed &&
		    ((cur >= 0 && now - begin[cur] > H_KILL_MS / 1000.0) ||
		     now - t0 > o->nsteps * H_KILL_MS / 1000.0 + 5)) {
			kill(pid, SIGKILL);
			o->killed = true;
			if (cur >= 0)
				o->secs[cur] = now - begin[cur];
		}
	}
	close(ev[0]);
	if (wait4(pid, &o->status, 0, &ru) == pid)
		o->rss_kib = ru.ru_maxrss;
	o->crashed = !o->killed && (!WIFEXITED(o->status) ||
				    WEXITSTATUS(o->status) != 0);
	usleep(2000);
	h_log_drain();
}

struct maxima {
	double secs;
	long rss;
	char secs_case[96], rss_case[96];
};

/* prints the case's line; returns true when it passed */
static bool judge(const struct h_env *e, const struct h_case *c,
		  const struct outcome *o, const char *doc, struct maxima *mx)
{
	char problems[2048] = "", codes[256] = "";
	double worst = 0;
	bool fail_open = false, plain;

#define PROBLEM(...)                                                     \
	snprintf(problems + strlen(problems),                            \
		 sizeof(problems) - strlen(problems), "%s",              \
		 problems[0] ? "; " : "");                               \
	snprintf(problems + strlen(problems),                            \
		 sizeof(problems) - strlen(problems), __VA_ARGS__)

	for (int i = 0; i < o->nsteps; i++) {
		const struct h_step *s = &c->steps[i];

		if (o->secs[i] > worst)
			worst = o->secs[i];
		snprintf(codes + strlen(codes), sizeof(codes) - strlen(codes),
			 "%s%s%s%s", i ? ", " : "",
			 o->nsteps > 1 ? h_op_name(s->op) : "",
			 o->nsteps > 1 ? " " : "",
			 o->ended[i] ? h_code_name(o->rc[i]) :
				       (o->killed ? "killed" : "no result"));
		if (!o->ended[i]) {
			if (o->killed && o->secs[i] > 0) {
				PROBLEM("%s still running after %.2f s (limit %.2f s): "
					"killed", h_op_name(s->op), o->secs[i],
					H_CALL_LIMIT_MS / 1000.0);
			} else if (!o->killed) {
				PROBLEM("%s: no result", h_op_name(s->op));
			}
			break;
		}
		if (o->rc[i] == PAM_SUCCESS && s->want != PAM_SUCCESS)
			fail_open = true;
		if (o->rc[i] != s->want && o->rc[i] != s->alt) {
			PROBLEM("%s: %s, expected %s%s%s", h_op_name(s->op),
				h_code_name(o->rc[i]), h_code_name(s->want),
				s->alt >= 0 ? " or " : "",
				s->alt >= 0 ? h_code_name(s->alt) : "");
		}
		if (o->secs[i] > H_CALL_LIMIT_MS / 1000.0) {
			PROBLEM("%s took %.2f s (limit %.2f s)", h_op_name(s->op),
				o->secs[i], H_CALL_LIMIT_MS / 1000.0);
		}
	}
	if (o->rss_kib > H_RSS_LIMIT_KIB) {
		PROBLEM("peak RSS %ld MiB (limit %ld MiB)", o->rss_kib / 1024,
			H_RSS_LIMIT_KIB / 1024);
	}
	if (o->crashed) {
		if (WIFSIGNALED(o->status)) {
			PROBLEM("child killed by signal %d", WTERMSIG(o->status));
		} else {
			PROBLEM("child exited %d", WEXITSTATUS(o->status));
		}
	}
	if (o->nbad > 0) {
		PROBLEM("%d message(s) to the user with control characters: "
			"\"%s\"", o->nbad, o->bad);
	}
	if ((c->flags & H_MSGS) && o->nmsg == 0 && !o->killed) {
		PROBLEM("the peer's message never reached the user");
	}
	if (worst > mx->secs) {
		mx->secs = worst;
		snprintf(mx->secs_case, sizeof(mx->secs_case), "%s %s",
			 c->server, c->mode);
	}
	if (o->rss_kib > mx->rss) {
		mx->rss = o->rss_kib;
		snprintf(mx->rss_case, sizeof(mx->rss_case), "%s %s", c->server,
			 c->mode);
	}
	/* the usual profiles (hr, hs-v1) go unnamed */
	plain = strcmp(c->profile, "hr") == 0 || strcmp(c->profile, "hs-v1") == 0;
	printf("%s %s %s%s%s: %s in %.2f s, %ld MiB%s (%s)\n",
	       problems[0] ? (fail_open ? "FAIL-OPEN" : "FAIL") : "ok  ",
	       c->server, c->mode, plain ? "" : " @", plain ? "" : c->profile,
	       codes, worst, (o->rss_kib + 1023) / 1024,
	       (c->flags & H_CONTROL) ? ", control" : "", doc);
	if (problems[0]) {
		printf("     %s\n", problems);
		h_print_summaries("     module: ");
	} else if (e->verbose) {
		h_print_summaries("     module: ");
	}
	if ((problems[0] || e->verbose) && o->nmsg > 0)
		printf("     the user saw: \"%s\"\n", o->seen);
	fflush(stdout);
	return problems[0] == '\0';
#undef PROBLEM
}

/* every case names a known server, mode and profile; every mode has a case */
static int check_table(void)
{
	int bad = 0;

	for (size_t i = 0; i < h_ncases; i++) {
		const struct h_case *c = &h_cases[i];
		struct server *s = server_named(c->server);
		int m = s ? mode_index(s, c->mode) : -1;

		if (s == NULL || m < 0 || !profile_known(c->profile) ||
		    nsteps_of(c) == 0) {
			printf("FAIL table: case %s %s @%s names no such server, "
			       "mode or profile\n", c->server, c->mode, c->profile);
			bad++;
			continue;
		}
		s->used[m] = true;
	}
	for (size_t i = 0; i < NSERVERS; i++)
		for (int m = 0; m < servers[i].nmodes; m++)
			if (!servers[i].used[m]) {
				printf("FAIL table: %s mode %s has no case\n",
				       servers[i].name, servers[i].modes[m]);
				bad++;
			}
	return bad;
}

static void make_env(struct h_env *e, const char *module, const char *scripts)
{
	char tmpl[] = "/tmp/pu-hostile.XXXXXX";

	memset(e, 0, sizeof(*e));
	if (realpath(module, e->module) == NULL)
		h_die("module %s: %s", module, strerror(errno));
	if (realpath(scripts, e->scripts) == NULL)
		h_die("scripts %s: %s", scripts, strerror(errno));
	if (readlink("/proc/self/exe", e->self, sizeof(e->self) - 1) < 0)
		h_die("/proc/self/exe: %s", strerror(errno));
	if (mkdtemp(tmpl) == NULL)
		h_die("mkdtemp: %s", strerror(errno));
	snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
	chmod(e->dir, 0755);
	snprintf(e->svc_dir, sizeof(e->svc_dir), "%s/pam.d", e->dir);
	if (mkdir(e->svc_dir, 0755) != 0 || mkdir(h_path(e, "ww"), 0777) != 0)
		h_die("mkdir: %s", strerror(errno));
	chmod(h_path(e, "ww"), 0777); /* group- and world-writable: untrusted */
	h_write_file(h_path(e, "empty.conf"), 0644, "# hostile suite\n");
	h_write_file(h_path(e, "redis.pass"), 0600, "hostile-redis-secret\n");
	h_write_file(h_path(e, "hmac.pass"), 0600,
		     "hostile-hmac-secret-0123456789abcdefghij\n");
}

static void remove_env(const struct h_env *e)
{
	char cmd[PATH_MAX + 16];

	if (strncmp(e->dir, "/tmp/pu-hostile.", 16) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "hostile: could not remove %s\n", e->dir);
}

static void usage(void)
{
	fprintf(stderr, "usage: hostile [-v] [--only SUBSTRING] [--no-race] "
			"[--races N] [--module SO] [--scripts DIR]\n");
	exit(2);
}

struct run_opts {
	const char *only;
	bool race;
	int races;
};

/* the suite proper, in its own mount namespace; *passed and *failed
 * get its counts */
static void suite(struct h_env *e, const struct run_opts *ro, int *passed,
		  int *failed)
{
	struct crypt_data *cd;
	struct maxima mx = { 0, 0, "", "" };
	char port[32], known[256];
	int n_redis = 0, n_socket = 0;

	/* the hash of the password the tests type, cheap to check */
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		h_die("out of memory");
	snprintf(known, sizeof(known), "%s",
		 crypt_r(H_KNOWN_PW, "$5$rounds=1000$hostilesalt$", cd));
	free(cd);
	if (known[0] != '$')
		h_die("crypt_r failed");

	h_log_start(e);
	for (size_t i = 0; i < NSERVERS; i++)
		list_modes(e, &servers[i]);
	start_servers(e, known, port, sizeof(port));
	write_services(e, port);
	printf("hostile: %d redis modes, %d socket modes, %zu cases; module %s; "
	       "timeout=%d, limits %.2f s per call and %ld MiB\n",
	       server_named("redis")->nmodes, server_named("socket")->nmodes,
	       h_ncases, e->module, H_TIMEOUT_MS, H_CALL_LIMIT_MS / 1000.0,
	       H_RSS_LIMIT_KIB / 1024);

	if (ro->only == NULL) {
		int bad = check_table();

		*failed += bad;
		if (bad == 0)
			(*passed)++;
	}
	for (size_t i = 0; i < h_ncases; i++) {
		const struct h_case *c = &h_cases[i];
		struct server *s = server_named(c->server);
		int m = s ? mode_index(s, c->mode) : -1;
		char label[256];
		struct outcome o;

		snprintf(label, sizeof(label), "%s %s @%s", c->server, c->mode,
			 c->profile);
		if (ro->only != NULL && strstr(label, ro->only) == NULL)
			continue;
		if (m < 0)
			continue; /* reported by check_table */
		run_one(e, c, &o);
		if (judge(e, c, &o, s->docs[m], &mx))
			(*passed)++;
		else
			(*failed)++;
		if (strcmp(c->server, "redis") == 0)
			n_redis++;
		else
			n_socket++;
	}
	printf("hostile: %d redis cases, %d socket cases; slowest call %.2f s "
	       "(%s), largest peak RSS %ld MiB (%s)\n", n_redis, n_socket,
	       mx.secs, mx.secs_case, (mx.rss + 1023) / 1024, mx.rss_case);
	for (size_t i = 0; i < NSERVERS; i++)
		h_stop(servers[i].pid);
	if (ro->race) {
		int ok = 0;

		*failed += h_race(e, ro->races, &ok);
		*passed += ok;
	}
	h_log_stop();
}

int main(int argc, char **argv)
{
	const char *module = getenv("PU_MODULE");
	const char *scripts = "tests/hostile";
	struct run_opts ro = { NULL, true, 3 };
	struct h_env e;
	int counts[2] = { 0, 0 }, res[2], status;
	bool verbose = false;
	double t0 = h_now();
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "--child") == 0)
		return h_child_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--no-race") == 0)
			ro.race = false;
		else if (strcmp(argv[i], "--races") == 0 && i + 1 < argc)
			ro.races = atoi(argv[++i]);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			ro.only = argv[++i];
		else if (strcmp(argv[i], "--module") == 0 && i + 1 < argc)
			module = argv[++i];
		else if (strcmp(argv[i], "--scripts") == 0 && i + 1 < argc)
			scripts = argv[++i];
		else
			usage();
	}
	if (geteuid() != 0)
		h_die("must run as root (socket trust checks, a private /dev/log)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	h_set_mark();
	make_env(&e, module ? module : "build/pam_unified.so", scripts);
	e.verbose = verbose;

	/* the suite in a child with its own mount namespace; this process
	 * stays outside it, to check for leftovers and remove the
	 * directory (whose dev/ holds the namespace's mount points) */
	if (pipe2(res, O_CLOEXEC) != 0)
		h_die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		h_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		suite(&e, &ro, &counts[0], &counts[1]);
		if (write(res[1], counts, sizeof(counts)) != (ssize_t)sizeof(counts))
			_exit(3);
		fflush(NULL);
		_exit(0);
	}
	close(res[1]);
	if (read(res[0], counts, sizeof(counts)) != (ssize_t)sizeof(counts)) {
		printf("FAIL the suite ended before its end\n");
		counts[1]++;
	}
	close(res[0]);
	/* under valgrind --error-exitcode, errors show here */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		printf("FAIL the suite's process ended with status 0x%x\n", status);
		counts[1]++;
	}
	if (h_leftovers() > 0) {
		counts[1]++;
	} else {
		printf("ok   no process started by the suite outlived it\n");
		counts[0]++;
	}
	remove_env(&e);
	printf("hostile: %.1f s\n", h_now() - t0);
	printf("hostile: %d passed, %d failed\n", counts[0], counts[1]);
	return counts[1] ? 1 : 0;
}
