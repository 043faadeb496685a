/*
 * The lockout race: 20 logins of one user at the same moment against a
 * real redis-server, with deny=3.  19 type a wrong password; the 20th
 * types the right one, and is let go only once deny failures are
 * recorded, so the account is locked by then whatever the scheduler does
 * (count first, clear on success: users.h).  Every login must get
 * PAM_AUTH_ERR, and at most deny of them may have had their password
 * checked: the module logs, under debug,
 *   "redis: checking a password against the stored hash"   (a real check)
 *   "redis: the same work on a dummy setting"              (a refused one)
 * and every login does exactly one of the two.
 */
#define _GNU_SOURCE
#include "hostile.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define RACERS 20
#define DENY 3
#define RIGHT_PW "race-right-password"
#define CHECK_LINE "redis: checking a password against the stored hash"
#define DUMMY_LINE "redis: the same work on a dummy setting"

/* ---- a few commands to the real server, without hiredis ---- */

static int rc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 2, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* sends argv as a RESP array; out gets the reply's first line ("+OK",
 * ":3", "$5"...) */
static bool rc_cmd(int fd, char *out, size_t size, int argc,
		   const char *const *argv)
{
	char buf[4096];
	size_t used = 0, o = 0;
	char c;

	used += (size_t)snprintf(buf, sizeof(buf), "*%d\r\n", argc);
	for (int i = 0; i < argc && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "$%zu\r\n%s\r\n", strlen(argv[i]),
					 argv[i]);
	if (used >= sizeof(buf) ||
	    send(fd, buf, used, MSG_NOSIGNAL) != (ssize_t)used)
		return false;
	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			out[o] = '\0';
			if (out[0] == '$' && atoi(out + 1) > 0) {
				/* the bulk's bytes and CRLF: not needed */
				for (int k = atoi(out + 1) + 2; k > 0; k--)
					if (read(fd, &c, 1) != 1)
						return false;
			}
			return true;
		}
		if (c != '\r' && o + 1 < size)
			out[o++] = c;
	}
	return false;
}

static long rc_int(int fd, int argc, const char *const *argv)
{
	char line[256];

	if (!rc_cmd(fd, line, sizeof(line), argc, argv) || line[0] != ':')
		return -1;
	return atol(line + 1);
}

static pid_t start_redis(const struct h_env *e, const char *sock)
{
	char *argv[] = {
		(char *)"redis-server", (char *)"--port", (char *)"0",
		(char *)"--unixsocket", (char *)sock,
		(char *)"--unixsocketperm", (char *)"700",
		(char *)"--save", (char *)"", (char *)"--appendonly", (char *)"no",
		(char *)"--dir", (char *)e->dir, (char *)"--daemonize", (char *)"no",
		NULL,
	};
	const char *ping[] = { "PING" };
	pid_t pid = h_spawn(argv, false);
	double end = h_now() + 10;

	while (h_now() < end) {
		char line[64];
		int fd = rc_connect(sock);
		bool up = fd >= 0 && rc_cmd(fd, line, sizeof(line), 1, ping) &&
			  strcmp(line, "+PONG") == 0;

		if (fd >= 0)
			close(fd);
		if (up)
			return pid;
		usleep(10000);
	}
	h_stop(pid);
	return -1;
}

/* ---- one run ---- */

struct run {
	int rc[RACERS];
	double secs[RACERS];
	double begin[RACERS];
	bool done[RACERS];
	int checks, dummies;
	bool right_released_after_lock;
	long fails_when_released;
};

static void read_events(int fd, struct run *r, int *ready, int *ended)
{
	struct h_event x;

	while (read(fd, &x, sizeof(x)) == (ssize_t)sizeof(x)) {
		if (x.who < 0 || x.who >= RACERS)
			continue;
		if (x.tag == 'R') {
			(*ready)++;
		} else if (x.tag == 'B') {
			r->begin[x.who] = h_now();
		} else if (x.tag == 'E') {
			r->rc[x.who] = x.rc;
			r->secs[x.who] = h_now() - r->begin[x.who];
			r->done[x.who] = true;
			(*ended)++;
		}
	}
}

static bool race_once(const struct h_env *e, int rfd, struct run *r)
{
	const char *zcard[] = { "ZCARD", "pam:fail:{racer}" };
	int ev[2], go[2], go_right[2], ready = 0, ended = 0;
	pid_t pids[RACERS];
	double end;
	bool released_right = false;

	memset(r, 0, sizeof(*r));
	if (pipe2(ev, O_CLOEXEC) != 0 || pipe2(go, O_CLOEXEC) != 0 ||
	    pipe2(go_right, O_CLOEXEC) != 0)
		return false;
	fcntl(ev[0], F_SETFL, O_NONBLOCK);
	h_log_clear();
	for (int i = 0; i < RACERS; i++) {
		char pw[64];
		bool right = i == RACERS - 1;

		snprintf(pw, sizeof(pw), "wrong-password-%02d", i);
		pids[i] = h_start_child(e, "race", "racer", right ? RIGHT_PW : pw,
					ev[1], right ? go_right[0] : go[0], i,
					"auth");
		r->rc[i] = -1;
	}
	close(ev[1]);
	close(go[0]);
	close(go_right[0]);

	end = h_now() + 30;
	while (ended < RACERS && h_now() < end) {
		struct pollfd p[2] = { { ev[0], POLLIN, 0 },
				       { h_log_fd(), POLLIN, 0 } };

		poll(p, h_log_fd() >= 0 ? 2 : 1, 5);
		h_log_drain();
		read_events(ev[0], r, &ready, &ended);
		if (ready == RACERS && go[1] >= 0) {
			close(go[1]); /* the 19 wrong ones, at once */
			go[1] = -1;
		}
		if (go[1] < 0 && !released_right) {
			long fails = rc_int(rfd, 2, zcard);

			/* the right one goes once deny failures are counted
			 * (or, should that never happen, once the 19 ended:
			 * the assertions then say what went wrong) */
			if (fails >= DENY || ended >= RACERS - 1) {
				r->fails_when_released = fails;
				r->right_released_after_lock = fails >= DENY;
				close(go_right[1]);
				go_right[1] = -1;
				released_right = true;
			}
		}
	}
	if (go[1] >= 0)
		close(go[1]);
	if (go_right[1] >= 0)
		close(go_right[1]);
	for (int i = 0; i < RACERS; i++) {
		int status;

		if (ended < RACERS)
			kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	read_events(ev[0], r, &ready, &ended);
	close(ev[0]);
	usleep(20000);
	h_log_drain();
	r->checks = h_log_count(CHECK_LINE);
	r->dummies = h_log_count(DUMMY_LINE);
	return ended == RACERS;
}

int h_race(const struct h_env *e, int runs, int *passed)
{
	char sock[512], setting[CRYPT_GENSALT_OUTPUT_SIZE], line[256];
	char hash[512];
	const char *h = NULL;
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *hset[] = { "HSET", "pam:user:{racer}", "password", hash };
	const char *del[] = { "DEL", "pam:fail:{racer}" };
	int failed = 0, rfd;
	pid_t pid;

	*passed = 0;
	snprintf(sock, sizeof(sock), "%s", h_path(e, "redis.sock"));
	if (cd == NULL ||
	    crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL ||
	    (h = crypt_r(RIGHT_PW, setting, cd)) == NULL || h[0] != '$') {
		printf("FAIL race: no yescrypt hash (crypt_gensalt_rn/crypt_r)\n");
		free(cd);
		return 1;
	}
	snprintf(hash, sizeof(hash), "%s", h);
	free(cd);
	pid = start_redis(e, sock);
	if (pid < 0) {
		printf("FAIL race: redis-server did not start\n");
		return 1;
	}
	rfd = rc_connect(sock);
	if (rfd < 0 || !rc_cmd(rfd, line, sizeof(line), 4, hset) ||
	    line[0] != ':') {
		printf("FAIL race: could not store the user\n");
		if (rfd >= 0)
			close(rfd);
		h_stop(pid);
		return 1;
	}
	for (int run = 1; run <= runs; run++) {
		struct run r;
		int auth_err = 0, other = -1;
		double slowest = 0;
		bool ok;

		rc_int(rfd, 2, del);
		ok = race_once(e, rfd, &r);
		for (int i = 0; i < RACERS; i++) {
			if (r.rc[i] == PAM_AUTH_ERR)
				auth_err++;
			else if (other < 0)
				other = i;
			if (r.secs[i] > slowest)
				slowest = r.secs[i];
		}
		ok = ok && auth_err == RACERS && r.checks <= DENY &&
		     r.checks + r.dummies == RACERS &&
		     r.right_released_after_lock;
		printf("%s race run %d: %d/%d AUTH_ERR (the right password's: %s), "
		       "%d password checks (deny=%d), %d dummy; right password "
		       "let go at %ld recorded failures; slowest %.2f s\n",
		       ok ? "ok  " : "FAIL", run, auth_err, RACERS,
		       r.rc[RACERS - 1] == PAM_AUTH_ERR ? "AUTH_ERR" :
		       pam_strerror(NULL, r.rc[RACERS - 1]), r.checks, DENY,
		       r.dummies, r.fails_when_released, slowest);
		if (!ok) {
			if (other >= 0)
				printf("     login %d got %s\n", other,
				       r.rc[other] < 0 ? "no result" :
				       pam_strerror(NULL, r.rc[other]));
			if (r.checks + r.dummies != RACERS)
				printf("     %d hash lines for %d logins: is the "
				       "syslog capture working?\n",
				       r.checks + r.dummies, RACERS);
			if (e->verbose)
				printf("%s", h_log_text());
			failed++;
		} else {
			(*passed)++;
		}
	}
	close(rfd);
	h_stop(pid);
	return failed;
}
