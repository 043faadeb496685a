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
/* small helpers                                                     */

double h_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "hostile: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

const char *h_path(const struct h_env *e, const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", e->dir, name);
	return buf[i];
}

void h_write_file(const char *path, mode_t mode, const char *text)
{
	char tmp[PATH_MAX];
	int fd;
	size_t len = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		die("write %s: %s", tmp, strerror(errno));
	fchmod(fd, mode);
	close(fd);
	if (rename(tmp, path) != 0)
		die("rename %s: %s", path, strerror(errno));
}

static const struct {
	int code;
	const char *name;
} pam_names[] = {
	{ PAM_SUCCESS, "SUCCESS" },
	{ PAM_AUTH_ERR, "AUTH_ERR" },
	{ PAM_AUTHINFO_UNAVAIL, "AUTHINFO_UNAVAIL" },
	{ PAM_USER_UNKNOWN, "USER_UNKNOWN" },
	{ PAM_SESSION_ERR, "SESSION_ERR" },
	{ PAM_AUTHTOK_ERR, "AUTHTOK_ERR" },
	{ PAM_PERM_DENIED, "PERM_DENIED" },
	{ PAM_ACCT_EXPIRED, "ACCT_EXPIRED" },
	{ PAM_NEW_AUTHTOK_REQD, "NEW_AUTHTOK_REQD" },
	{ PAM_SERVICE_ERR, "SERVICE_ERR" },
	{ PAM_SYSTEM_ERR, "SYSTEM_ERR" },
	{ PAM_BUF_ERR, "BUF_ERR" },
	{ PAM_CONV_ERR, "CONV_ERR" },
	{ PAM_IGNORE, "IGNORE" },
	{ PAM_CRED_ERR, "CRED_ERR" },
	{ PAM_ABORT, "ABORT" },
	{ PAM_AUTHTOK_RECOVERY_ERR, "AUTHTOK_RECOVERY_ERR" },
	{ PAM_TRY_AGAIN, "TRY_AGAIN" },
};

static const char *code_name(int rc)
{
	static char buf[32];

	for (size_t i = 0; i < sizeof(pam_names) / sizeof(pam_names[0]); i++)
		if (pam_names[i].code == rc)
			return pam_names[i].name;
	snprintf(buf, sizeof(buf), "PAM code %d", rc);
	return buf;
}

static const char *op_name(enum h_op op)
{
	switch (op) {
	case H_AUTH: return "auth";
	case H_ACCT: return "acct";
	case H_OPEN: return "open";
	case H_CLOSE: return "close";
	case H_CHAUTHTOK: return "chauthtok";
	default: return "none";
	}
}

static enum h_op op_parse(const char *s)
{
	for (enum h_op op = H_AUTH; op <= H_CHAUTHTOK; op++)
		if (strcmp(s, op_name(op)) == 0)
			return op;
	return H_NONE;
}

/* ---------------------------------------------------------------- */
/* processes: every one the suite starts carries H_MARK in its       */
/* environment, and none may outlive the suite                       */

static char mark_env[64];

pid_t h_spawn(char *const argv[], bool keep_stdout)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if (!keep_stdout) {
			int nul = open("/dev/null", O_WRONLY);

			if (nul >= 0)
				dup2(nul, 1);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "hostile: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

void h_stop(pid_t pid)
{
	double end;
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	end = h_now() + 3;
	while (h_now() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* processes other than this one that carry our mark; kills them */
static int leftovers(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;
	char path[64], buf[65536];

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);
		ssize_t n;
		int fd;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
			buf[n] = '\0';
			if (strcmp(buf + i, mark_env) == 0) {
				printf("FAIL process %d started by the suite is still "
				       "running; killed\n", (int)pid);
				kill(pid, SIGKILL);
				found++;
				break;
			}
		}
	}
	closedir(d);
	return found;
}

/* ---------------------------------------------------------------- */
/* syslog capture.  The suite runs in a private mount namespace with */
/* a private /dev: every entry of the machine's /dev bind-mounted    */
/* into a directory of ours, except log, which is our own datagram   */
/* socket there.  So the machine's /dev/log is never touched, and    */
/* nobody else can take ours away (a /dev/log bind-mounted over the  */
/* machine's would vanish when another test run unlinks that one).   */

static int log_fd = -1;
static char log_buf[1 << 18];
static size_t log_len;

int h_log_fd(void)
{
	return log_fd;
}

static void mirror_dev(const char *root)
{
	DIR *d = opendir("/dev");
	struct dirent *de;

	if (d == NULL)
		die("/dev: %s", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX], link[PATH_MAX];
		struct stat st;
		ssize_t n;
		int fd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "log") == 0)
			continue;
		snprintf(src, sizeof(src), "/dev/%s", de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", root, de->d_name);
		if (lstat(src, &st) != 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(src, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				if (symlink(link, dst) != 0)
					die("symlink %s: %s", dst, strerror(errno));
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) != 0)
				die("mkdir %s: %s", dst, strerror(errno));
		} else {
			fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0)
				die("create %s: %s", dst, strerror(errno));
			close(fd);
		}
		if (mount(src, dst, "none", MS_BIND | MS_REC, NULL) != 0)
			die("bind %s: %s", src, strerror(errno));
	}
	closedir(d);
}

static void log_start(const struct h_env *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char root[PATH_MAX];
	int rcv = 1 << 20;

	snprintf(root, sizeof(root), "%s", h_path(e, "dev"));
	if (mkdir(root, 0755) != 0)
		die("mkdir %s: %s", root, strerror(errno));
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
		die("no private mount namespace: %s", strerror(errno));
	mirror_dev(root);
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(log_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log", root);
	if (bind(log_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind %s: %s", sa.sun_path, strerror(errno));
	chmod(sa.sun_path, 0666);
	if (mount(root, "/dev", "none", MS_BIND | MS_REC, NULL) != 0)
		die("bind %s over /dev: %s", root, strerror(errno));
}

static void log_stop(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void h_log_drain(void)
{
	char msg[8192];
	ssize_t n;

	if (log_fd < 0)
		return;
	while ((n = recv(log_fd, msg, sizeof(msg) - 1, 0)) > 0) {
		if (log_len + (size_t)n + 2 >= sizeof(log_buf))
			log_len = 0; /* keep the newest */
		memcpy(log_buf + log_len, msg, (size_t)n);
		log_len += (size_t)n;
		log_buf[log_len++] = '\n';
		log_buf[log_len] = '\0';
	}
}

void h_log_clear(void)
{
	h_log_drain();
	log_len = 0;
	log_buf[0] = '\0';
}

const char *h_log_text(void)
{
	return log_buf;
}

int h_log_count(const char *needle)
{
	int n = 0;

	for (const char *p = log_buf; (p = strstr(p, needle)) != NULL;
	     p += strlen(needle))
		n++;
	return n;
}

/* the module's summary lines (op=... result=...) of the captured log */
static void print_summaries(const char *indent)
{
	const char *p = log_buf;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *op = memmem(p, len, "op=", 3);

		if (op != NULL && memmem(p, len, "result=", 7) != NULL)
			printf("%s%.*s\n", indent, (int)(len - (size_t)(op - p)), op);
		p += len + (nl ? 1 : 0);
	}
}

/* ---------------------------------------------------------------- */
/* the child: one PAM handle, the ops of one case                    */

struct child_conv {
	const char *pw;
	int nmsg, nbad;
	char bad[200];
	char seen[200];   /* the last message, escaped */
};

/* valid UTF-8 without C0 controls, DEL or C1 controls (U+0080..U+009F) */
static bool clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned long cp;
		int n;

		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			cp = *p & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < 0xa0 || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
}

static void escape(const char *s, char *out, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s;
	     *p != '\0' && o + 5 < size; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

static int child_conv_fn(int num_msg, const struct pam_message **msg,
			 struct pam_response **resp, void *appdata)
{
	struct child_conv *cv = appdata;
	struct pam_response *r;

	if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)num_msg, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < num_msg; i++) {
		const char *text = msg[i]->msg ? msg[i]->msg : "";

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			r[i].resp = strdup(cv->pw);
			break;
		default:
			cv->nmsg++;
			escape(text, cv->seen, sizeof(cv->seen));
			break;
		}
		if (!clean_text(text) && cv->nbad++ == 0)
			escape(text, cv->bad, sizeof(cv->bad));
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void send_event(int fd, const struct h_event *ev)
{
	if (write(fd, ev, sizeof(*ev)) != (ssize_t)sizeof(*ev))
		_exit(3);
}

static int call(pam_handle_t *ph, enum h_op op)
{
	switch (op) {
	case H_AUTH: return pam_authenticate(ph, 0);
	case H_ACCT: return pam_acct_mgmt(ph, 0);
	case H_OPEN: return pam_open_session(ph, 0);
	case H_CLOSE: return pam_close_session(ph, 0);
	case H_CHAUTHTOK: return pam_chauthtok(ph, 0);
	default: return PAM_SYSTEM_ERR;
	}
}

/* --child SVC_DIR SERVICE USER PW NEWPW EVFD WAITFD WHO OPS... */
int h_child_main(int argc, char **argv)
{
	struct child_conv cv = { NULL, 0, 0, "", "" };
	struct pam_conv pc = { child_conv_fn, &cv };
	struct h_event ev;
	pam_handle_t *ph = NULL;
	int evfd, waitfd, who, rc = PAM_SYSTEM_ERR;
	char c;

	if (argc < 10)
		return 2;
	evfd = atoi(argv[7]);
	waitfd = atoi(argv[8]);
	who = atoi(argv[9]);
	memset(&ev, 0, sizeof(ev));
	ev.who = who;
	if (pam_start_confdir(argv[3], argv[4], &pc, argv[2], &ph) != PAM_SUCCESS)
		return 4;
	pam_set_item(ph, PAM_TTY, "pts/hostile");
	pam_set_item(ph, PAM_RHOST, "hostile.invalid");
	ev.tag = 'R';
	send_event(evfd, &ev);
	if (waitfd >= 0) {
		while (read(waitfd, &c, 1) > 0)
			;
		close(waitfd);
	}
	for (int i = 10; i < argc; i++) {
		enum h_op op = op_parse(argv[i]);

		cv.pw = op == H_CHAUTHTOK ? argv[6] : argv[5];
		ev.tag = 'B';
		ev.step = i - 10;
		send_event(evfd, &ev);
		rc = call(ph, op);
		ev.tag = 'E';
		ev.rc = rc;
		send_event(evfd, &ev);
	}
	ev.tag = 'M';
	ev.nmsg = cv.nmsg;
	ev.nbad = cv.nbad;
	snprintf(ev.bad, sizeof(ev.bad), "%s", cv.bad);
	snprintf(ev.seen, sizeof(ev.seen), "%s", cv.seen);
	send_event(evfd, &ev);
	pam_end(ph, rc);
	return 0;
}

pid_t h_start_child(const struct h_env *e, const char *service,
		    const char *user, const char *pw, int evfd, int waitfd,
		    int who, const char *ops)
{
	char evs[16], ws[16], whos[16], opsbuf[128];
	char *argv[16];
	int argc = 0;
	pid_t pid;

	snprintf(evs, sizeof(evs), "%d", evfd);
	snprintf(ws, sizeof(ws), "%d", waitfd);
	snprintf(whos, sizeof(whos), "%d", who);
	snprintf(opsbuf, sizeof(opsbuf), "%s", ops);
	argv[argc++] = (char *)e->self;
	argv[argc++] = (char *)"--child";
	argv[argc++] = (char *)e->svc_dir;
	argv[argc++] = (char *)service;
	argv[argc++] = (char *)user;
	argv[argc++] = (char *)pw;
	argv[argc++] = (char *)H_NEW_PW;
	argv[argc++] = evs;
	argv[argc++] = ws;
	argv[argc++] = whos;
	for (char *tok = strtok(opsbuf, ","); tok && argc < 15;
	     tok = strtok(NULL, ","))
		argv[argc++] = tok;
	argv[argc] = NULL;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* only the event pipe and the barrier survive the exec */
		fcntl(evfd, F_SETFD, 0);
		if (waitfd >= 0)
			fcntl(waitfd, F_SETFD, 0);
		execv(e->self, argv);
		_exit(127);
	}
	return pid;
}

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
		die("popen %s: %s", cmd, strerror(errno));
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
		die("%s --list failed", s->script);
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
			die("server did not come up (%s)", path);
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
		die("no TCP port from the hostile Redis");
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
			 i ? "," : "", op_name(c->steps[i].op));
	}
	h_write_file(h_path(e, strcmp(c->server, "redis") == 0 ? "hr.mode" :
							       "hs.mode"),
		     0644, c->mode);
	if (pipe2(ev, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
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

		poll(p, log_fd >= 0 ? 2 : 1, 20);
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
			 o->nsteps > 1 ? op_name(s->op) : "",
			 o->nsteps > 1 ? " " : "",
			 o->ended[i] ? code_name(o->rc[i]) :
				       (o->killed ? "killed" : "no result"));
		if (!o->ended[i]) {
			if (o->killed && o->secs[i] > 0) {
				PROBLEM("%s still running after %.2f s (limit %.2f s): "
					"killed", op_name(s->op), o->secs[i],
					H_CALL_LIMIT_MS / 1000.0);
			} else if (!o->killed) {
				PROBLEM("%s: no result", op_name(s->op));
			}
			break;
		}
		if (o->rc[i] == PAM_SUCCESS && s->want != PAM_SUCCESS)
			fail_open = true;
		if (o->rc[i] != s->want && o->rc[i] != s->alt) {
			PROBLEM("%s: %s, expected %s%s%s", op_name(s->op),
				code_name(o->rc[i]), code_name(s->want),
				s->alt >= 0 ? " or " : "",
				s->alt >= 0 ? code_name(s->alt) : "");
		}
		if (o->secs[i] > H_CALL_LIMIT_MS / 1000.0) {
			PROBLEM("%s took %.2f s (limit %.2f s)", op_name(s->op),
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
		print_summaries("     module: ");
	} else if (e->verbose) {
		print_summaries("     module: ");
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
		die("module %s: %s", module, strerror(errno));
	if (realpath(scripts, e->scripts) == NULL)
		die("scripts %s: %s", scripts, strerror(errno));
	if (readlink("/proc/self/exe", e->self, sizeof(e->self) - 1) < 0)
		die("/proc/self/exe: %s", strerror(errno));
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
	chmod(e->dir, 0755);
	snprintf(e->svc_dir, sizeof(e->svc_dir), "%s/pam.d", e->dir);
	if (mkdir(e->svc_dir, 0755) != 0 || mkdir(h_path(e, "ww"), 0777) != 0)
		die("mkdir: %s", strerror(errno));
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
		die("out of memory");
	snprintf(known, sizeof(known), "%s",
		 crypt_r(H_KNOWN_PW, "$5$rounds=1000$hostilesalt$", cd));
	free(cd);
	if (known[0] != '$')
		die("crypt_r failed");

	log_start(e);
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
	log_stop();
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
		die("must run as root (socket trust checks, a private /dev/log)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(mark_env, sizeof(mark_env), "PU_HOSTILE_RUN=%d.%ld",
		 (int)getpid(), (long)time(NULL));
	putenv(mark_env);
	make_env(&e, module ? module : "build/pam_unified.so", scripts);
	e.verbose = verbose;

	/* the suite in a child with its own mount namespace; this process
	 * stays outside it, to check for leftovers and remove the
	 * directory (whose dev/ holds the namespace's mount points) */
	if (pipe2(res, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
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
	if (leftovers() > 0) {
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
