/*
 * The hostile suite's harness: files, the processes it starts (none may
 * outlive it), the syslog capture, and the child that runs PAM calls.
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

void h_die(const char *fmt, ...)
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
		h_die("write %s: %s", tmp, strerror(errno));
	fchmod(fd, mode);
	close(fd);
	if (rename(tmp, path) != 0)
		h_die("rename %s: %s", path, strerror(errno));
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

const char *h_code_name(int rc)
{
	static char buf[32];

	for (size_t i = 0; i < sizeof(pam_names) / sizeof(pam_names[0]); i++)
		if (pam_names[i].code == rc)
			return pam_names[i].name;
	snprintf(buf, sizeof(buf), "PAM code %d", rc);
	return buf;
}

const char *h_op_name(enum h_op op)
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

enum h_op h_op_parse(const char *s)
{
	for (enum h_op op = H_AUTH; op <= H_CHAUTHTOK; op++)
		if (strcmp(s, h_op_name(op)) == 0)
			return op;
	return H_NONE;
}

/* ---------------------------------------------------------------- */
/* processes: every one the suite starts carries H_MARK in its       */
/* environment, and none may outlive the suite                       */

static char mark_env[64];

/* every process started from here on carries it */
void h_set_mark(void)
{
	snprintf(mark_env, sizeof(mark_env), "PU_HOSTILE_RUN=%d.%ld",
		 (int)getpid(), (long)time(NULL));
	putenv(mark_env);
}

pid_t h_spawn(char *const argv[], bool keep_stdout)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		h_die("fork: %s", strerror(errno));
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
int h_leftovers(void)
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
		h_die("/dev: %s", strerror(errno));
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
					h_die("symlink %s: %s", dst, strerror(errno));
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(dst, 0755) != 0)
				h_die("mkdir %s: %s", dst, strerror(errno));
		} else {
			fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
			if (fd < 0)
				h_die("create %s: %s", dst, strerror(errno));
			close(fd);
		}
		if (mount(src, dst, "none", MS_BIND | MS_REC, NULL) != 0)
			h_die("bind %s: %s", src, strerror(errno));
	}
	closedir(d);
}

void h_log_start(const struct h_env *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char root[PATH_MAX];
	int rcv = 1 << 20;

	snprintf(root, sizeof(root), "%s", h_path(e, "dev"));
	if (mkdir(root, 0755) != 0)
		h_die("mkdir %s: %s", root, strerror(errno));
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
		h_die("no private mount namespace: %s", strerror(errno));
	mirror_dev(root);
	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd < 0)
		h_die("socket: %s", strerror(errno));
	setsockopt(log_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log", root);
	if (bind(log_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		h_die("bind %s: %s", sa.sun_path, strerror(errno));
	chmod(sa.sun_path, 0666);
	if (mount(root, "/dev", "none", MS_BIND | MS_REC, NULL) != 0)
		h_die("bind %s over /dev: %s", root, strerror(errno));
}

void h_log_stop(void)
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
void h_print_summaries(const char *indent)
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

/* a failure asks libpam for pam_unix's 2-second delay: the suite times
 * the module's own work, so the delay is not slept */
static void no_delay(int retval, unsigned usec_delay, void *appdata)
{
	(void)retval;
	(void)usec_delay;
	(void)appdata;
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
	pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay);
	pam_set_item(ph, PAM_TTY, "pts/hostile");
	/* numeric: libpam's audit record resolves a host name, and a DNS
	 * lookup that waits for an absent resolver would be timed as ours */
	pam_set_item(ph, PAM_RHOST, "127.0.0.1");
	ev.tag = 'R';
	send_event(evfd, &ev);
	if (waitfd >= 0) {
		while (read(waitfd, &c, 1) > 0)
			;
		close(waitfd);
	}
	for (int i = 10; i < argc; i++) {
		enum h_op op = h_op_parse(argv[i]);

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
		h_die("fork: %s", strerror(errno));
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

