#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char base_dir[PATH_MAX];
static char svc_dir[PATH_MAX];
static char module_path[PATH_MAX];
static int log_fd = -1;
static bool created_dev_log;
static char log_buf[1 << 16];
static size_t log_len;

const char *it_dir(void) { return base_dir; }
const char *it_module(void) { return module_path; }

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

static pthread_t log_thread;
static void *log_reader(void *arg);

static void start_syslog_capture(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (log_fd < 0)
		die("socket");
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
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
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

static void *log_reader(void *arg)
{
	char msg[2048];

	(void)arg;
	for (;;) {
		struct pollfd p = { .fd = log_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&log_mu);
		while ((n = recv(log_fd, msg, sizeof(msg) - 1, 0)) > 0) {
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

void it_init(void)
{
	const char *mod = getenv("PU_MODULE");
	char *tmpl;

	if (mod == NULL)
		mod = "build/pam_unified.so";
	if (realpath(mod, module_path) == NULL)
		die(mod);
	if (asprintf(&tmpl, "/tmp/pu-it.XXXXXX") < 0 || mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	snprintf(base_dir, sizeof(base_dir), "%s", tmpl);
	free(tmpl);
	chmod(base_dir, 0755); /* servers running as nobody must reach it */
	snprintf(svc_dir, sizeof(svc_dir), "%s/pam.d", base_dir);
	if (mkdir(svc_dir, 0755) != 0)
		die("mkdir");
	it_service("other", "auth required pam_deny.so\n"
			    "account required pam_deny.so\n"
			    "password required pam_deny.so\n"
			    "session required pam_deny.so\n");
#ifndef IT_CONFDIR
	setenv("PAM_WRAPPER", "1", 1);
	/* pam_syslog goes to the real syslog(3), which we capture */
	setenv("PAM_WRAPPER_USE_SYSLOG", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", svc_dir, 1);
#endif
	start_syslog_capture();
}

void it_cleanup(void)
{
	char cmd[PATH_MAX + 16];

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

void it_service(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", svc_dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		die(path);
	for (const char *p = text; *p; p++) {
		if (p[0] == '%' && p[1] == 'M') {
			fputs(module_path, fp);
			p++;
		} else {
			fputc(*p, fp);
		}
	}
	fclose(fp);
}

void it_service_all(const char *name, const char *args)
{
	char text[8192];

	snprintf(text, sizeof(text),
		 "auth required %%M %s\naccount required %%M %s\n"
		 "password required %%M %s\nsession required %%M %s\n",
		 args, args, args, args);
	it_service(name, text);
}

struct it_conv it_conv1(const char *a)
{
	struct it_conv c;

	memset(&c, 0, sizeof(c));
	c.answers[0] = a;
	return c;
}

pid_t it_spawn(char *const argv[], const char *sock, uid_t uid)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char out[PATH_MAX];
		int null = open("/dev/null", O_RDONLY);
		int log;

		/* servers die with the test and keep their chatter in a file */
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
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

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
		size_t used = strlen(c->out);

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

#ifdef IT_CONFDIR
/* Sanitizer builds: pam_wrapper dlopens libpam with RTLD_DEEPBIND, which
 * ASan refuses, so these use libpam 1.5's pam_start_confdir() on the same
 * private directory (never both in one binary). */
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

int it_start(const char *svc, const char *user, struct pam_conv *pc,
	     pam_handle_t **ph)
{
	int rc = pam_start_confdir(svc, user, pc, svc_dir, ph);

	if (rc == PAM_SUCCESS)
		rc = pam_set_item(*ph, PAM_FAIL_DELAY, (const void *)no_delay);
	return rc;
}

static int run_case(pam_handle_t *ph, const struct pam_testcase *tc)
{
	switch (tc->pam_operation) {
	case PAMTEST_AUTHENTICATE: return pam_authenticate(ph, tc->flags);
	case PAMTEST_SETCRED: return pam_setcred(ph, tc->flags);
	case PAMTEST_ACCOUNT: return pam_acct_mgmt(ph, tc->flags);
	case PAMTEST_OPEN_SESSION: return pam_open_session(ph, tc->flags);
	case PAMTEST_CLOSE_SESSION: return pam_close_session(ph, tc->flags);
	case PAMTEST_CHAUTHTOK: return pam_chauthtok(ph, tc->flags);
	default: return PAM_SYSTEM_ERR;
	}
}

void it_ops(const char *svc, const char *user, struct pam_testcase *cases,
	    size_t n, struct it_conv *conv)
{
	struct it_conv empty;
	struct pam_conv pc;
	pam_handle_t *ph = NULL;
	int rv = PAM_SUCCESS;

	if (conv == NULL) {
		memset(&empty, 0, sizeof(empty));
		conv = &empty;
	}
	pc.conv = it_conv_fn;
	pc.appdata_ptr = conv;
	if (it_start(svc, user, &pc, &ph) != PAM_SUCCESS)
		abort();
	for (size_t i = 0; i < n; i++)
		rv = cases[i].op_rv = run_case(ph, &cases[i]);
	pam_end(ph, rv);
}
#else
int it_start(const char *svc, const char *user, struct pam_conv *pc,
	     pam_handle_t **ph)
{
	return pam_start(svc, user, pc, ph);
}

void it_ops(const char *svc, const char *user, struct pam_testcase *cases,
	    size_t n, struct it_conv *conv)
{
	struct it_conv empty;

	if (conv == NULL) {
		memset(&empty, 0, sizeof(empty));
		conv = &empty;
	}
	/* returns PAMTEST_ERR_CASE when an op's code differs from
	 * expected_rv: callers assert op_rv themselves */
	(void)_pamtest_conv(svc, user, it_conv_fn, conv, cases, n, NULL);
}
#endif

int it_op(const char *svc, const char *user, enum pamtest_ops op, int flags,
	  struct it_conv *conv)
{
	struct pam_testcase tc[] = { pam_test_flags(op, PAM_SUCCESS, flags) };

	tc[0].op_rv = -1;
	it_ops(svc, user, tc, 1, conv);
	return tc[0].op_rv;
}

int it_run(char *const argv[], const char *input, char *out, size_t size)
{
	int in[2], outp[2], status;
	pid_t pid;
	size_t used = 0;

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
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
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int it_chauthtok_as_user(const char *svc, const char *user, const char *old,
			 const char *newpw)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct it_conv c;

		memset(&c, 0, sizeof(c));
		c.answers[0] = old;
		c.answers[1] = c.answers[2] = newpw;
		if (setresuid(65534, 0, 0) != 0)
			_exit(200);
		/* exit, not _exit: pam_wrapper removes its copy on the way out */
		exit(it_op(svc, user, PAMTEST_CHAUTHTOK, 0, &c) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
