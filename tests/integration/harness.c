#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backends/redis/users.h"
#include "common/options.h"

static char base_dir[PATH_MAX];
static char conf_dir[PATH_MAX];
static char module_path[PATH_MAX];
static int log_fd = -1;
static bool created_dev_log;
static char log_buf[1 << 16];
static size_t log_len;

const char *it_dir(void) { return base_dir; }
const char *it_confdir(void) { return conf_dir; }
const char *it_module(void) { return module_path; }

const char *it_build(void)
{
	const char *b = getenv("PU_BUILD");

	return b != NULL ? b : "build";
}

const char *it_python(void)
{
	/* Debian's interpreter: servers may run as nobody, who cannot
	 * reach a per-user interpreter under /root */
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" :
						       "python3";
}

double it_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	abort();
}

const char *it_path(const char *name)
{
	static char buf[8][PATH_MAX];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", base_dir, name);
	return buf[i];
}

void it_write_file(const char *path, mode_t mode, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		die(path);
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

const char *it_show(const char *s)
{
	static char buf[4][256];
	static int i;
	size_t k = 0;

	i = (i + 1) % 4;
	if (s == NULL)
		return "(null)";
	for (; *s != '\0' && k + 5 < sizeof(buf[i]); s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n' || ch == '\r' || ch < 0x20 || ch == '"' || ch == '\\')
			k += (size_t)snprintf(buf[i] + k, sizeof(buf[i]) - k,
					      ch == '\n' ? "\\n" :
					      ch == '\r' ? "\\r" :
					      ch == '"' ? "\\\"" :
					      ch == '\\' ? "\\\\" : "\\x%02x", ch);
		else
			buf[i][k++] = (char)ch;
	}
	if (*s != '\0')
		k += (size_t)snprintf(buf[i] + k, sizeof(buf[i]) - k, "...");
	buf[i][k] = '\0';
	return buf[i];
}

/* ---------------- syslog capture ---------------- */

static pthread_t log_thread;
static void *log_reader(void *arg);

static void start_syslog_capture(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd < 0)
		die("socket");
	/* each datagram comes with its sender's pid (log_reader keeps ours) */
	if (setsockopt(log_fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 },
		       sizeof(int)) != 0)
		die("SO_PASSCRED");
	/* Where no syslog daemon runs (CI, containers) the test owns
	 * /dev/log for its lifetime; otherwise it leaves it alone and
	 * the log assertions read nothing (they then fail loudly). */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/dev/log");
	if (access("/dev/log", F_OK) == 0) {
		/* left behind by a killed run? nobody answers on it */
		int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
		    errno == ECONNREFUSED)
			unlink("/dev/log");
		close(probe);
	}
	if (access("/dev/log", F_OK) != 0) {
		if (bind(log_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			die("bind /dev/log");
		created_dev_log = true;
		chmod("/dev/log", 0666);
	} else {
		/* a syslog daemon (or another test run) owns /dev/log: in a
		 * private mount namespace, put our socket over it; the
		 * machine's /dev/log is not touched */
		char mine[PATH_MAX];
		struct sockaddr_un own = { .sun_family = AF_UNIX };

		snprintf(mine, sizeof(mine), "%s/log.sock", base_dir);
		snprintf(own.sun_path, sizeof(own.sun_path), "%s", mine);
		if (bind(log_fd, (struct sockaddr *)&own, sizeof(own)) != 0)
			die("bind log.sock");
		chmod(mine, 0666);
		if (unshare(CLONE_NEWNS) != 0 ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount(mine, "/dev/log", NULL, MS_BIND, NULL) != 0)
			fprintf(stderr, "harness: /dev/log is taken and no private "
					"mount namespace: %s; log assertions will fail\n",
				strerror(errno));
	}
	pthread_create(&log_thread, NULL, log_reader, NULL);
}

/* syslog(3) blocks once a datagram socket's queue (10) is full, so a
 * thread reads it all the time */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* Whether pid is this test process or one of its descendants (a forked
 * pam_login, unifiedctl, a server).  When the test owns the machine's
 * /dev/log, every other process there logs into it too (another run's
 * benchmark once flooded the buffer and pushed a line a test waited for
 * out).  A sender already gone cannot be placed and is kept, so a
 * short-lived stranger's line may still get in; a flood comes from a
 * process that lives. */
static bool log_sender_ours(pid_t pid)
{
	pid_t self = getpid();

	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		char path[64], buf[512], *p;
		FILE *fp;
		int ppid;

		if (pid == self)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		fp = fopen(path, "re");
		if (fp == NULL)
			return true;
		p = fgets(buf, sizeof(buf), fp);
		fclose(fp);
		/* pid (comm) state ppid ...: comm may hold anything */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %d", &ppid) != 1)
			return true;
		pid = ppid;
	}
	return false;
}

/* recv(2) of one datagram into msg; *ours: it came from a process of
 * this test run (log_sender_ours) */
static ssize_t log_recv(char *msg, size_t size, bool *ours)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = { msg, size - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = &c, .msg_controllen = sizeof(c) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(log_fd, &mh, 0);

	*ours = true;
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		struct ucred cred;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_CREDENTIALS)
			continue;
		memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
		*ours = log_sender_ours(cred.pid);
	}
	return n;
}

static void *log_reader(void *arg)
{
	char msg[2048];
	bool ours;

	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = log_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&log_mu);
		while ((n = log_recv(msg, sizeof(msg), &ours)) > 0) {
			if (!ours)
				continue;
			if (log_len + (size_t)n + 2 >= sizeof(log_buf))
				log_len = 0; /* keep the newest */
			memcpy(log_buf + log_len, msg, (size_t)n);
			log_len += (size_t)n;
			log_buf[log_len++] = '\n';
			log_buf[log_len] = '\0';
		}
		pthread_mutex_unlock(&log_mu);
		if (n == 0)
			break;
	}
	return NULL;
}

/* give the reader a moment to collect what was just sent */
static void settle(void)
{
	usleep(20000);
}

void it_log_clear(void)
{
	settle();
	pthread_mutex_lock(&log_mu);
	log_len = 0;
	log_buf[0] = '\0';
	pthread_mutex_unlock(&log_mu);
}

const char *it_log_text(void)
{
	settle();
	return log_buf;
}

bool it_log_has_quiet(const char *needle)
{
	bool found;

	settle();
	pthread_mutex_lock(&log_mu);
	found = strstr(log_buf, needle) != NULL;
	pthread_mutex_unlock(&log_mu);
	return found;
}

bool it_log_has(const char *needle)
{
	bool found;

	settle();
	pthread_mutex_lock(&log_mu);
	found = strstr(log_buf, needle) != NULL;
	pthread_mutex_unlock(&log_mu);
	if (!found)
		fprintf(stderr, "harness: log has no \"%s\"; log is:\n%s\n", needle,
			log_buf);
	return found;
}

/* ---------------- setup, stacks ---------------- */

void it_init(void)
{
	const char *mod = getenv("PU_MODULE");
	char tmpl[] = "/tmp/pu-it.XXXXXX";

	if (mod == NULL)
		mod = "build/pam_unified.so";
	if (realpath(mod, module_path) == NULL)
		die(mod);
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	snprintf(base_dir, sizeof(base_dir), "%s", tmpl);
	chmod(base_dir, 0755); /* servers running as nobody must reach it */
	snprintf(conf_dir, sizeof(conf_dir), "%s/pam.d", base_dir);
	if (mkdir(conf_dir, 0755) != 0)
		die("mkdir");
	/* a service no test wrote falls back to "other": deny everything */
	it_stack("other", "auth     required pam_deny.so\n"
			  "account  required pam_deny.so\n"
			  "password required pam_deny.so\n"
			  "session  required pam_deny.so\n");
	start_syslog_capture();
}

static void stop_servers(bool only_tests);

void it_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	stop_servers(false);
	if (created_dev_log)
		unlink("/dev/log");
	if (log_fd >= 0)
		close(log_fd);
	if (base_dir[0] != '\0' && getenv("PU_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", base_dir);
	}
}

void it_stack(const char *service, const char *fmt, ...)
{
	static const struct {
		const char *token;
		const char *value;
	} subst[] = {
		{ "{module}", module_path },
		{ "{dir}", base_dir },
	};
	char path[PATH_MAX], text[16384];
	va_list ap;
	FILE *fp;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		fprintf(stderr, "harness: the stack of %s is too long\n", service);
		abort();
	}
	snprintf(path, sizeof(path), "%s/%s", conf_dir, service);
	fp = fopen(path, "w");
	if (fp == NULL)
		die(path);
	for (const char *p = text; *p != '\0';) {
		size_t k;

		for (k = 0; k < IT_NELEM(subst); k++)
			if (strncmp(p, subst[k].token, strlen(subst[k].token)) == 0)
				break;
		if (k < IT_NELEM(subst)) {
			fputs(subst[k].value, fp);
			p += strlen(subst[k].token);
		} else {
			fputc(*p++, fp);
		}
	}
	if (fclose(fp) != 0)
		die(path);
}

/* ---------------- the conversation ---------------- */

int it_conv_fn(int num_msg, const struct pam_message **msg,
	       struct pam_response **resp, void *appdata)
{
	struct it_conv *c = appdata;
	struct pam_response *r;

	if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)num_msg, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < num_msg; i++) {
		size_t used;

		if (c == NULL) { /* no conversation: no answers, messages dropped */
			if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
			    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
				continue;
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_CONV_ERR;
		}
		used = strlen(c->out);

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (c->on_prompt != NULL)
				c->on_prompt(c->prompts, c->arg);
			c->prompts++;
			if (c->next >= IT_MAX_ANSWERS || c->answers[c->next] == NULL) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(c->answers[c->next++]);
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			snprintf(c->out + used, sizeof(c->out) - used, "%s%s\n",
				 msg[i]->msg_style == PAM_ERROR_MSG ? "E:" : "I:",
				 msg[i]->msg);
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---------------- PAM calls ---------------- */

const char *it_op_name(enum it_op op)
{
	switch (op) {
	case IT_AUTHENTICATE: return "authenticate";
	case IT_SETCRED: return "setcred";
	case IT_ACCT_MGMT: return "acct_mgmt";
	case IT_OPEN_SESSION: return "open_session";
	case IT_CLOSE_SESSION: return "close_session";
	case IT_CHAUTHTOK: return "chauthtok";
	}
	return "?";
}

const char *it_code_name(int code)
{
	static char other[32];

	switch (code) {
#define C(x) case x: return #x
	C(PAM_SUCCESS); C(PAM_OPEN_ERR); C(PAM_SYMBOL_ERR);
	C(PAM_SERVICE_ERR); C(PAM_SYSTEM_ERR); C(PAM_BUF_ERR);
	C(PAM_PERM_DENIED); C(PAM_AUTH_ERR); C(PAM_CRED_INSUFFICIENT);
	C(PAM_AUTHINFO_UNAVAIL); C(PAM_USER_UNKNOWN); C(PAM_MAXTRIES);
	C(PAM_NEW_AUTHTOK_REQD); C(PAM_ACCT_EXPIRED); C(PAM_SESSION_ERR);
	C(PAM_CRED_UNAVAIL); C(PAM_CRED_EXPIRED); C(PAM_CRED_ERR);
	C(PAM_NO_MODULE_DATA); C(PAM_CONV_ERR); C(PAM_AUTHTOK_ERR);
	C(PAM_AUTHTOK_RECOVERY_ERR); C(PAM_AUTHTOK_LOCK_BUSY);
	C(PAM_AUTHTOK_DISABLE_AGING); C(PAM_TRY_AGAIN); C(PAM_IGNORE);
	C(PAM_ABORT); C(PAM_AUTHTOK_EXPIRED); C(PAM_MODULE_UNKNOWN);
	C(PAM_BAD_ITEM); C(PAM_CONV_AGAIN); C(PAM_INCOMPLETE);
#undef C
	}
	snprintf(other, sizeof(other), "PAM code %d", code);
	return other;
}

/* failed logins ask libpam for a delay (pam_unix's 2 s): the tests do
 * not sleep it, and remember the longest asked for */
static unsigned int longest_delay;

static void no_delay(int retval, unsigned usec_delay, void *appdata)
{
	(void)appdata;
	if (retval != PAM_SUCCESS && usec_delay > longest_delay)
		longest_delay = usec_delay;
}

unsigned int it_fail_delay_take(void)
{
	unsigned int d = longest_delay;

	longest_delay = 0;
	return d;
}

pam_handle_t *it_begin(const char *svc, const char *user, struct it_conv *conv)
{
	struct pam_conv pc = { it_conv_fn, conv };
	pam_handle_t *ph = NULL;
	int rv = pam_start_confdir(svc, user, &pc, conf_dir, &ph);

	if (rv == PAM_SUCCESS)
		rv = pam_set_item(ph, PAM_FAIL_DELAY, (const void *)no_delay);
	if (rv != PAM_SUCCESS) {
		fprintf(stderr, "harness: pam_start_confdir(%s): %s\n", svc,
			it_code_name(rv));
		abort();
	}
	return ph;
}

int it_call(pam_handle_t *ph, enum it_op op, int flags)
{
	switch (op) {
	case IT_AUTHENTICATE: return pam_authenticate(ph, flags);
	case IT_SETCRED: return pam_setcred(ph, flags);
	case IT_ACCT_MGMT: return pam_acct_mgmt(ph, flags);
	case IT_OPEN_SESSION: return pam_open_session(ph, flags);
	case IT_CLOSE_SESSION: return pam_close_session(ph, flags);
	case IT_CHAUTHTOK: return pam_chauthtok(ph, flags);
	}
	return PAM_SYSTEM_ERR;
}

void it_end(pam_handle_t *ph, int last_status)
{
	pam_end(ph, last_status);
}

int it_op(const char *svc, const char *user, enum it_op op, int flags,
	  struct it_conv *conv)
{
	pam_handle_t *ph = it_begin(svc, user, conv);
	int rv = it_call(ph, op, flags);

	it_end(ph, rv);
	return rv;
}

void it_assert_cases_at(const char *svc, const struct it_case *cases,
			size_t n, const char *file, int line)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const struct it_case *k = &cases[i];
		struct it_conv c = IT_CONV(k->answers[0], k->answers[1],
					   k->answers[2]);
		const char *where = k->svc != NULL ? k->svc : svc;
		int rv = it_op(where, k->user, k->op, k->flags, &c);
		bool code_ok = rv == k->code;
		bool out_ok = k->out == NULL || strcmp(c.out, k->out) == 0;
		bool prompts_ok = k->prompts == 0 || c.prompts == k->prompts - 1;

		if (code_ok && out_ok && prompts_ok)
			continue;
		bad++;
		print_error("%s:%d: %s cases[%zu]: user \"%s\" %s%s: ", file, line,
			    where, i, it_show(k->user), it_op_name(k->op),
			    k->flags & PAM_SILENT ? " PAM_SILENT" : "");
		if (!code_ok)
			print_error("got %s, want %s; ", it_code_name(rv),
				    it_code_name(k->code));
		if (!out_ok)
			print_error("said \"%s\", want \"%s\"; ", it_show(c.out),
				    it_show(k->out));
		if (!prompts_ok)
			print_error("%d prompts, want %d", c.prompts,
				    k->prompts - 1);
		print_error("\n");
	}
	if (bad > 0) {
		print_error("%d of %zu cases failed\n", bad, n);
		_fail(file, line);
	}
}

void it_assert_steps_at(const char *svc, const char *user,
			struct it_conv *conv, const struct it_step *steps,
			size_t n, const char *file, int line)
{
	pam_handle_t *ph = it_begin(svc, user, conv);
	int rv = PAM_SUCCESS, bad = 0;

	for (size_t i = 0; i < n; i++) {
		rv = it_call(ph, steps[i].op, steps[i].flags);
		if (rv == steps[i].code)
			continue;
		bad++;
		print_error("%s:%d: %s steps[%zu]: user \"%s\" %s: got %s, want %s\n",
			    file, line, svc, i, it_show(user),
			    it_op_name(steps[i].op), it_code_name(rv),
			    it_code_name(steps[i].code));
	}
	it_end(ph, rv);
	if (bad > 0)
		_fail(file, line);
}

void it_assert_code_at(int got, int want, const char *file, int line,
		       const char *fmt, ...)
{
	va_list ap;

	if (got == want)
		return;
	print_error("%s:%d: ", file, line);
	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error(": got %s, want %s\n", it_code_name(got), it_code_name(want));
	_fail(file, line);
}

int it_chauthtok_as_user(const char *svc, const char *user, const char *old,
			 const char *newpw)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct it_conv c = IT_CONV(old, newpw, newpw);

		if (setresuid(65534, 0, 0) != 0)
			_exit(200);
		/* _exit: LeakSanitizer in a child forked from a threaded
		 * process (the log reader) reports false leaks */
		_exit(it_op(svc, user, IT_CHAUTHTOK, 0, &c) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---------------- servers ---------------- */

#define MAX_SERVERS 32

/* Only the harness reaps its servers, so a pid in this table is a live
 * child or an unreaped zombie: never a recycled pid someone else owns. */
static struct {
	pid_t pid;
	bool of_test;     /* started by a test, not by its group's setup */
	char what[160];   /* program and socket, for messages */
} servers[MAX_SERVERS];
static bool in_test;

/* true when pid was ours and is now forgotten */
static bool forget(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (pid > 0 && servers[i].pid == pid) {
			servers[i].pid = 0;
			return true;
		}
	return false;
}

pid_t it_spawn(char *const argv[], const char *sock, uid_t uid)
{
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < MAX_SERVERS && slot < 0; i++)
		if (servers[i].pid == 0)
			slot = i;
	if (slot < 0) {
		fprintf(stderr, "harness: more than %d servers\n", MAX_SERVERS);
		abort();
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char out[PATH_MAX];
		int null = open("/dev/null", O_RDONLY);
		int log;

		/* a safety net: servers die with the test even if it dies */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(out, sizeof(out), "%s/servers.log", base_dir);
		log = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(null, 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	servers[slot].pid = pid;
	servers[slot].of_test = in_test;
	snprintf(servers[slot].what, sizeof(servers[slot].what), "%s%s%s",
		 argv[1] != NULL && strstr(argv[0], "python") ? argv[1] : argv[0],
		 sock != NULL ? " on " : "", sock != NULL ? sock : "");
	if (sock != NULL) {
		for (int i = 0; i < 1000; i++) {
			struct stat st;

			if (stat(sock, &st) == 0)
				return pid;
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				fprintf(stderr, "harness: %s exited early\n", argv[0]);
				abort();
			}
			usleep(10000);
		}
		fprintf(stderr, "harness: %s did not create %s\n", argv[0], sock);
		abort();
	}
	return pid;
}

void it_stop(pid_t pid)
{
	if (!forget(pid))
		return; /* not ours, or stopped already */
	kill(pid, SIGTERM);
	kill(pid, SIGCONT); /* a stopped server must see its SIGTERM */
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void it_kill(pid_t pid)
{
	if (!forget(pid))
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void stop_servers(bool only_tests)
{
	for (int i = MAX_SERVERS - 1; i >= 0; i--)
		if (servers[i].pid != 0 && (servers[i].of_test || !only_tests))
			it_stop(servers[i].pid);
}

int it_test_setup(void **state)
{
	(void)state;
	in_test = true;
	it_log_clear();
	return 0;
}

int it_test_teardown(void **state)
{
	int lost = 0;

	(void)state;
	stop_servers(true);
	in_test = false;
	/* the group's servers must outlive every test: one that died
	 * (crashed, or killed from outside) explains what fails next */
	for (int i = 0; i < MAX_SERVERS; i++) {
		int status;

		if (servers[i].pid == 0 ||
		    waitpid(servers[i].pid, &status, WNOHANG) != servers[i].pid)
			continue;
		print_error("harness: %s (pid %d) died during this test: %s %d\n",
			    servers[i].what, (int)servers[i].pid,
			    WIFSIGNALED(status) ? "signal" : "exit status",
			    WIFSIGNALED(status) ? WTERMSIG(status)
						: WEXITSTATUS(status));
		servers[i].pid = 0;
		lost++;
	}
	return lost > 0 ? -1 : 0;
}

pid_t it_redis_start(const char *sock, ...)
{
	char *argv[32] = { "redis-server", "--port", "0", "--unixsocket",
			   (char *)sock, "--unixsocketperm", "700", "--save", "",
			   "--appendonly", "no", "--dir", (char *)it_dir() };
	int n = 13;
	va_list ap;
	char *a;

	va_start(ap, sock);
	while ((a = va_arg(ap, char *)) != NULL && n < 31)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return it_spawn(argv, sock, 0);
}

static char cli_out[65536];

const char *it_redis_cli(const char *first, ...)
{
	char *argv[40] = { "redis-cli", (char *)first };
	int n = 2;
	size_t l;
	va_list ap;
	char *a;

	va_start(ap, first);
	while ((a = va_arg(ap, char *)) != NULL && n < 39)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	if (it_run(argv, NULL, cli_out, sizeof(cli_out)) != 0)
		return NULL;
	l = strlen(cli_out);
	while (l > 0 && cli_out[l - 1] == '\n')
		cli_out[--l] = '\0';
	return cli_out;
}

long it_redis_connections(const char *sock)
{
	const char *info = it_redis_cli("-s", sock, "INFO", "stats", NULL);
	const char *v = info ? strstr(info, "total_connections_received:") : NULL;

	if (v == NULL) {
		fprintf(stderr, "harness: no INFO stats from %s\n", sock);
		abort();
	}
	return atol(v + strlen("total_connections_received:"));
}

const char *it_key_prefix(const char *prefix, const char *kind,
			  const char *user)
{
	static char buf[4][PU_KEY_MAX];
	static int i;

	i = (i + 1) % 4;
	if (!pu_users_key(buf[i], sizeof(buf[i]), prefix, kind, user)) {
		fprintf(stderr, "harness: no key for %s\n", it_show(user));
		abort();
	}
	return buf[i];
}

/* the module's default prefix= */
static const char *default_prefix(void)
{
	static struct pu_options o;

	if (o.prefix[0] == '\0')
		pu_options_defaults(&o);
	return o.prefix;
}

const char *it_key(const char *kind, const char *user)
{
	return it_key_prefix(default_prefix(), kind, user);
}

/* ---------------- processes ---------------- */

int it_run_io(char *const argv[], const char *input, char *out, size_t size,
	      char *err, size_t errsize)
{
	static int runs;
	char errpath[PATH_MAX];
	int in[2], outp[2], status, errfd = -1;
	pid_t pid;
	size_t used = 0;

	if (err != NULL) {
		snprintf(errpath, sizeof(errpath), "%s/stderr.%d", base_dir, runs++);
		errfd = open(errpath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (errfd < 0)
			die(errpath);
		unlink(errpath);
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		if (errfd >= 0)
			dup2(errfd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (input != NULL && write(in[1], input, strlen(input)) < 0)
		perror("harness: write");
	close(in[1]);
	for (;;) {
		char buf[512];
		ssize_t n = read(outp[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		if (out != NULL && used + 1 < size) {
			size_t k = (size_t)n < size - 1 - used ? (size_t)n
							       : size - 1 - used;

			memcpy(out + used, buf, k);
			used += k;
		}
	}
	if (out != NULL)
		out[used] = '\0';
	close(outp[0]);
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (errfd >= 0) {
		ssize_t n = pread(errfd, err, errsize - 1, 0);

		err[n > 0 ? n : 0] = '\0';
		close(errfd);
	}
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int it_run(char *const argv[], const char *input, char *out, size_t size)
{
	return it_run_io(argv, input, out, size, NULL, 0);
}

int it_count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int n = 0, ch;

	if (fp == NULL)
		return 0;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

void it_filter_tests(void)
{
	const char *p = getenv("IT_FILTER");

	if (p != NULL && *p != '\0')
		cmocka_set_test_filter(p);
}
