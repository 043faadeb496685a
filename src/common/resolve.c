#define _GNU_SOURCE
#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---------------- the resolver's sockets ---------------- */

static ares_socket_t r_socket(int domain, int type, int protocol, void *ud)
{
	(void)ud;
	return socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
}

static int r_close(ares_socket_t fd, void *ud)
{
	(void)ud;
	return close(fd);
}

static int r_connect(ares_socket_t fd, const struct sockaddr *sa,
		     ares_socklen_t len, void *ud)
{
	(void)ud;
	return connect(fd, sa, len);
}

static ares_ssize_t r_recvfrom(ares_socket_t fd, void *buf, size_t len,
			       int flags, struct sockaddr *from,
			       ares_socklen_t *fromlen, void *ud)
{
	(void)ud;
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

/* A UDP name server that is not there answers with ICMP, which the
 * socket keeps as an error for the next call.  When that call is the
 * send of the second query (A and AAAA go out together) the error ends
 * that query only, and the first one waits for a reply that will never
 * come: the whole deadline.  So a refused send is sent once more: its
 * own refusal then reaches the reader (poll: POLLERR, recvfrom:
 * ECONNREFUSED), and c-ares gives up on the server for every query. */
static ares_ssize_t r_sendv(ares_socket_t fd, const struct iovec *iov,
			    int n, void *ud)
{
	struct msghdr m;
	ares_ssize_t rc;

	(void)ud;
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = (size_t)n;
	rc = sendmsg(fd, &m, MSG_NOSIGNAL);
	if (rc < 0 && errno == ECONNREFUSED)
		rc = sendmsg(fd, &m, MSG_NOSIGNAL);
	return rc;
}

static const struct ares_socket_functions sockets = {
	r_socket, r_close, r_connect, r_recvfrom, r_sendv,
};

/* c-ares wants this once per process; it is a no-op on Linux but for its
 * reference count, which pthread_once keeps right */
static pthread_once_t ares_once = PTHREAD_ONCE_INIT;
static int ares_init_rc;

static void init_ares(void)
{
	ares_init_rc = ares_library_init(ARES_LIB_INIT_ALL);
}

/* ---------------- one lookup ---------------- */

struct lookup {
	bool done;
	int status;
	struct pu_addrs *out;
};

static void on_result(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct lookup *l = arg;

	(void)timeouts;
	l->done = true;
	l->status = status;
	if (status == ARES_SUCCESS && res != NULL) {
		for (struct ares_addrinfo_node *n = res->nodes;
		     n != NULL && l->out->n < PU_RESOLVE_MAX; n = n->ai_next) {
			if (n->ai_addrlen > sizeof(l->out->a[0]))
				continue;
			memcpy(&l->out->a[l->out->n], n->ai_addr, n->ai_addrlen);
			l->out->len[l->out->n] = (socklen_t)n->ai_addrlen;
			l->out->n++;
		}
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
}

/* an IPv6 literal, with its interface when it names one (fe80::1%eth0) */
static bool v6_literal(const char *host, struct sockaddr_in6 *v6)
{
	char lit[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	char *zone;

	if (strlen(host) >= sizeof(lit))
		return false;
	memcpy(lit, host, strlen(host) + 1);
	zone = strchr(lit, '%');
	if (zone != NULL)
		*zone++ = '\0';
	if (inet_pton(AF_INET6, lit, &v6->sin6_addr) != 1)
		return false;
	if (zone != NULL) {
		/* an unknown interface leaves scope 0: connect() refuses a
		 * link-local address without one, and says so */
		v6->sin6_scope_id = zone[strspn(zone, "0123456789")] == '\0' ?
				    (uint32_t)strtoul(zone, NULL, 10) :
				    if_nametoindex(zone);
	}
	return true;
}

static bool numeric(const char *host, const char *port, struct pu_addrs *out)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->a[0];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->a[0];
	unsigned short p = (unsigned short)atoi(port);

	memset(&out->a[0], 0, sizeof(out->a[0]));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(p);
		out->len[0] = sizeof(*v4);
	} else if (v6_literal(host, v6)) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p);
		out->len[0] = sizeof(*v6);
	} else {
		return false;
	}
	out->n = 1;
	return true;
}

/* poll the resolver's sockets until the lookup is done or the deadline */
static enum pu_status drive(ares_channel ch, struct lookup *l,
			    const struct pu_deadline *dl, const char *host,
			    struct pu_err *err)
{
	while (!l->done) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd p[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		/* unsigned: ARES_GETSOCK_WRITABLE of the 16th socket shifts an
		 * int's 1 by 31 places (undefined) */
		unsigned bits = (unsigned)ares_getsock(ch, socks,
						       ARES_GETSOCK_MAXNUM);
		int np = 0, left = pu_deadline_left_ms(dl), wait, rc;

		if (left == 0)
			return pu_fail(err, PU_UNAVAIL,
				       "resolving %.60s: timed out", host);
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = (short)((bits & (1u << i) ? POLLIN : 0) |
					   (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ?
					    POLLOUT : 0));

			if (ev == 0)
				continue;
			p[np].fd = socks[i];
			p[np].events = ev;
			p[np].revents = 0;
			np++;
		}
		tvp = ares_timeout(ch, NULL, &tv);
		wait = left;
		if (tvp != NULL && tvp->tv_sec * 1000 + tvp->tv_usec / 1000 < wait)
			wait = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) + 1;
		rc = poll(p, (nfds_t)np, wait);
		if (rc < 0 && errno != EINTR)
			return pu_fail(err, PU_UNAVAIL, "poll: %s", strerror(errno));
		if (rc <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (int i = 0; i < np; i++)
			ares_process_fd(ch,
					p[i].revents & (POLLIN | POLLERR | POLLHUP) ?
					p[i].fd : ARES_SOCKET_BAD,
					p[i].revents & POLLOUT ? p[i].fd :
					ARES_SOCKET_BAD);
	}
	return PU_OK;
}

enum pu_status pu_resolve(const char *host, const char *port,
			  const struct pu_deadline *dl, struct pu_addrs *out,
			  struct pu_err *err)
{
	struct ares_options opts;
	struct ares_addrinfo_hints hints;
	struct lookup l = { false, 0, out };
	ares_channel ch;
	enum pu_status st;
	int left = pu_deadline_left_ms(dl);

	out->n = 0;
	if (numeric(host, port, out))
		return PU_OK;
	pthread_once(&ares_once, init_ares);
	if (ares_init_rc != ARES_SUCCESS)
		return pu_fail(err, PU_UNAVAIL, "c-ares: %s",
			       ares_strerror(ares_init_rc));
	memset(&opts, 0, sizeof(opts));
	opts.timeout = left > 0 ? left : 1;   /* milliseconds per try */
	opts.tries = 1;
	opts.lookups = (char *)"fb";           /* /etc/hosts, then DNS */
	if (ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			      ARES_OPT_LOOKUPS) != ARES_SUCCESS)
		return pu_fail(err, PU_UNAVAIL, "c-ares: cannot start a resolver");
	ares_set_socket_functions(ch, &sockets, NULL);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ares_getaddrinfo(ch, host, port, &hints, on_result, &l);
	st = drive(ch, &l, dl, host, err);
	ares_destroy(ch); /* a lookup still running ends here */
	if (st != PU_OK)
		return st;
	if (l.status != ARES_SUCCESS || out->n == 0)
		return pu_fail(err, PU_UNAVAIL, "resolving %.60s: %s", host,
			       l.status != ARES_SUCCESS ? ares_strerror(l.status) :
			       "no address");
	return PU_OK;
}
