/*
 * The redis client end to end against a lying server: the module's Redis
 * operations (users.h, the store=redis replay store) connect to a UNIX
 * socket this harness listens on, and the "server" answers every command
 * with the fuzz input, then closes.  This runs the real read loop
 * (pu_redis_read: partial replies, several replies per round trip, EOF,
 * protocol errors) and every caller's handling of what came back, SCAN's
 * paging included.  The first input byte picks the operation.
 *
 * Whatever the server sends, the module must not crash, leak, or report
 * success for a reply it did not understand; every failure carries a
 * message.  The sentinel path is left out: it would connect to whatever
 * address the lying sentinel names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backends/redis/users.h"
#include "backends/replay/store.h"
#include "common/redis_client.h"
#include "fuzz.h"
#include "resp.h"

static char dir[64];
static char sock_path[128];
static int listen_fd = -1;

static void cleanup(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	unlink(sock_path);
	rmdir(dir);
}

static void setup(void)
{
	struct sockaddr_un sa;

	snprintf(dir, sizeof(dir), "/tmp/pu-fuzz.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/redis.sock", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 4) != 0)
		abort();
	atexit(cleanup);
}

struct counts {
	size_t n;
};

static bool name_fn(const char *name, size_t len, void *arg)
{
	struct counts *c = arg;

	(void)name;
	(void)len;
	return ++c->n < 1000;
}

static void session_fn(const char *id, const char *value, void *arg)
{
	struct counts *c = arg;

	FUZZ_CHECK(id != NULL && value != NULL);
	c->n++;
}

/* operation k on connection r; returns its status and err */
static enum pu_status run_op(unsigned k, struct pu_redis *r,
			     const struct pu_deadline *dl, struct pu_err *err)
{
	static const struct pu_lockout lock = { 3, 900, 600 };
	static const unsigned char mac[PU_MAC_LEN] = { 1, 2, 3 };
	const struct pu_origin from = { "sshd", "192.0.2.1" };
	const struct pu_session sess = { "0123456789abcdef0123456789abcdef",
					  "sshd", "ssh", "192.0.2.1", "bob" };
	static const unsigned char id[PU_ID_LEN] = { 9, 8, 7 };
	struct pu_replay_opts ro;
	struct pu_replay_ctx ctx;
	struct pu_user u;
	struct pu_failures f;
	struct counts c = { 0 };
	enum pu_status st = PU_OK;

	memset(&ro, 0, sizeof(ro));
	ro.window = 5;
	ro.remember = 3;
	ro.pending_ttl = 300;
	ro.store = PU_STORE_REDIS;
	ro.commit = (k & 1) ? PU_COMMIT_AUTH : PU_COMMIT_SESSION;
	memset(&ctx, 0, sizeof(ctx));
	ctx.o = &ro;
	ctx.prefix = "pam:";
	ctx.redis = r;
	ctx.dl = dl;
	ctx.store = &pu_replay_store_redis;

	switch (k % 17) {
	case 0:
		st = pu_users_fetch(r, dl, "pam:", NULL, "alice", &u, &f, err);
		if (st != PU_OK)
			FUZZ_CHECK(u.password[0] == '\0'); /* wiped */
		FUZZ_TERMINATED(u.password);
		break;
	case 1:
		st = pu_users_fetch(r, dl, "pam:", &lock, "alice", &u, &f, err);
		if (st != PU_OK)
			FUZZ_CHECK(u.password[0] == '\0');
		FUZZ_TERMINATED(u.password);
		if (st == PU_OK)
			FUZZ_CHECK(f.count >= 0);
		break;
	case 2:
		st = pu_users_sessions(r, dl, "pam:", "alice", session_fn, &c,
				       err);
		break;
	case 3: {
		long long times[8];
		size_t n = 99;

		st = pu_users_failure_times(r, dl, "pam:", "alice", times, 8,
					    &n, err);
		FUZZ_CHECK(n <= 8);
		for (size_t i = 0; st == PU_OK && i < n; i++)
			FUZZ_CHECK(times[i] >= 0);
		break;
	}
	case 4:
		st = pu_users_scan(r, 1000, "pam:", "user", name_fn, &c, err);
		break;
	case 5:
		st = pu_users_set_password(r, dl, "pam:", "alice", PU_PW_CAS,
					   "$y$old", "$y$new", 1700000000LL, err);
		break;
	case 6:
		st = pu_users_set_password(r, dl, "pam:", "alice",
					   PU_PW_CREATE, NULL, "$y$new",
					   1700000000LL, err);
		break;
	case 7:
		st = pu_users_set_field(r, dl, "pam:", "alice", "disabled", "1",
					err);
		break;
	case 8:
		st = pu_users_delete(r, dl, "pam:", "alice", err);
		break;
	case 9: {
		struct pu_auth_begin *b = calloc(1, sizeof(*b));

		if (b == NULL)
			break;
		st = pu_users_auth_begin(r, dl, "pam:", &lock, "alice",
					 1700000000LL, b, err);
		if (st == PU_OK) {
			FUZZ_TERMINATED(b->u.password);
			FUZZ_TERMINATED(b->dummy);
			FUZZ_CHECK(!(b->locked && b->counted));
			st = pu_users_auth_end(r, dl, "pam:", "alice",
					       (enum pu_auth_outcome)(k >> 5 & 3),
					       b, "$6$salt$", &from, err);
		} else {
			FUZZ_CHECK(b->u.password[0] == '\0');
		}
		free(b);
		break;
	}
	case 10:
		st = pu_users_clear_failures(r, dl, "pam:", "alice", err);
		break;
	case 11:
		if (k & 32) {
			st = pu_users_session_open(r, dl, "pam:", "alice", &sess,
						   1700000000LL, err);
		} else {
			bool existed = false;

			st = pu_users_session_close(r, dl, "pam:", "alice", &sess,
						    &existed, err);
		}
		break;
	case 12: {
		bool replayed = true;

		st = pu_replay_store_redis.login(&ctx, "alice", mac,
						 1700000000LL,
						 (k & 32) ? id : NULL,
						 &replayed, err);
		if (st != PU_OK)
			FUZZ_CHECK(!replayed); /* an error never reads as a hit */
		break;
	}
	case 13: {
		bool committed = true;

		st = pu_replay_store_redis.commit(&ctx, "alice", id, 1700000000LL,
						  &committed, err);
		if (st != PU_OK)
			FUZZ_CHECK(!committed);
		break;
	}
	case 14: {
		bool used = true;

		st = pu_replay_store_redis.pwhist(&ctx, "alice", mac,
						  1700000000LL, (k & 32) != 0,
						  &used, err);
		if (st != PU_OK)
			FUZZ_CHECK(!used);
		break;
	}
	case 15: {
		struct pu_replay_data *d = malloc(sizeof(*d));

		if (d == NULL)
			abort();
		st = pu_replay_store_redis.load(&ctx, "alice", d, err);
		if (st == PU_OK)
			FUZZ_CHECK(d->hist.n <= PU_REPLAY_MAX &&
				   d->pend.n <= PU_REPLAY_MAX &&
				   d->pw.n <= PU_REPLAY_MAX);
		free(d);
		break;
	}
	case 16:
		st = pu_replay_store_redis.clear(&ctx, "alice", err);
		break;
	}
	return st;
}

/* The server: accepts one connection, writes the whole reply stream
 * (non-blocking: the harness caps it far below the socket buffer), shuts
 * its sending side and leaves the fd open for the client's commands. */
struct server {
	const uint8_t *data;
	size_t size;
	int fd;
};

static void *serve(void *arg)
{
	/* the handshake's ROLE is answered as a primary would, so that the
	 * fuzzed stream starts at SELECT (redis_db=) or the operation */
	static const char role[] = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
	struct server *s = arg;
	size_t done = 0;

	s->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (s->fd < 0)
		abort();
	if (send(s->fd, role, sizeof(role) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(role) - 1)
		abort();
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	while (done < s->size) {
		ssize_t n = send(s->fd, s->data + done, s->size - done,
				 MSG_NOSIGNAL);

		if (n <= 0)
			break; /* what does not fit is not sent */
		done += (size_t)n;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pu_redis_conn conn;
	struct pu_deadline dl;
	struct pu_err err = { PU_OK, "" };
	struct pu_redis *r = NULL;
	struct server srv;
	pthread_t th;
	enum pu_status st;
	unsigned k;

	if (size < 1 || !fuzz_resp_acceptable(data + 1, size - 1))
		return -1;
	if (listen_fd < 0)
		setup();
	k = data[0];
	srv.data = data + 1;
	srv.size = size - 1;
	srv.fd = -1;

	memset(&conn, 0, sizeof(conn));
	snprintf(conn.redis, sizeof(conn.redis), "unix:%s", sock_path);
	/* redis_db=N: the handshake's SELECT (after ROLE, which the server
	 * answers first) reads the first fuzzed reply */
	conn.db = (k & 64) ? 1 : 0;

	if (pthread_create(&th, NULL, serve, &srv) != 0)
		abort();
	pu_deadline_start(&dl, 2000);
	st = pu_redis_connect(&conn, &dl, &r, &err);
	pthread_join(th, NULL);
	if (st != PU_OK) {
		/* only SELECT can fail here, or ROLE when fuzzed bytes
		 * arrived with its reply (a reply nobody asked for) */
		FUZZ_CHECK(conn.db != 0 ||
			   strstr(err.msg, "more replies than commands") != NULL);
		FUZZ_CHECK(r == NULL);
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL);
	} else {
		st = run_op(k & 63, r, &dl, &err);
		if (st != PU_OK)
			fuzz_check_err(st, &err);
		FUZZ_CHECK(st != PU_CONFIG && st != PU_NOMEM);
		pu_redis_free(r);
	}
	/* the server's EOF ends every wait long before the deadline */
	FUZZ_CHECK(pu_deadline_left_ms(&dl) > 0);
	close(srv.fd);
	return 0;
}
