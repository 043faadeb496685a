#define _GNU_SOURCE
#include "net.h"

#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum pu_status pu_endpoint_parse(const char *spec, struct pu_endpoint *ep,
				 struct pu_err *err)
{
	const char *hp = spec, *colon;
	size_t hl, pl;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(spec, "unix:", 5) == 0) {
		if (spec[5] != '/')
			return pu_fail(err, PU_CONFIG, "%.80s: not an absolute path",
				       spec);
		if (strlen(spec + 5) >= sizeof(ep->path))
			return pu_fail(err, PU_CONFIG, "%.80s: socket path too long",
				       spec);
		ep->is_unix = true;
		memcpy(ep->path, spec + 5, strlen(spec + 5) + 1);
		return PU_OK;
	}
	if (strncmp(spec, "tcp://", 6) == 0) {
		hp = spec + 6;
	} else if (strncmp(spec, "rediss://", 9) == 0) {
		hp = spec + 9;
		ep->tls = true;
	}
	colon = strrchr(hp, ':');
	if (colon == NULL || colon == hp || colon[1] == '\0')
		return pu_fail(err, PU_CONFIG, "%.80s: expected unix:/path, "
			       "tcp://host:port, rediss://host:port or host:port",
			       spec);
	hl = (size_t)(colon - hp);
	if (hp[0] == '[') { /* [::1]:6379 */
		struct in6_addr a6;
		char lit[64];
		char *zone;

		if (hl < 3 || hp[hl - 1] != ']' || hl - 2 >= sizeof(lit))
			return pu_fail(err, PU_CONFIG, "%.80s: bad [address]", spec);
		memcpy(lit, hp + 1, hl - 2);
		lit[hl - 2] = '\0';
		/* a link-local address may name its interface: fe80::1%eth0 */
		zone = strchr(lit, '%');
		if (zone != NULL &&
		    (zone[1] == '\0' || strspn(zone + 1, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		     strlen(zone + 1)))
			return pu_fail(err, PU_CONFIG, "%.80s: bad zone", spec);
		if (zone != NULL)
			*zone = '\0';
		if (inet_pton(AF_INET6, lit, &a6) != 1)
			return pu_fail(err, PU_CONFIG,
				       "%.80s: brackets hold an IPv6 address", spec);
		hp++;
		hl -= 2;
	} else if (memchr(hp, ']', hl) != NULL) {
		return pu_fail(err, PU_CONFIG, "%.80s: bad [address]", spec);
	} else if (memchr(hp, ':', hl) != NULL) {
		return pu_fail(err, PU_CONFIG,
			       "%.80s: an IPv6 address goes in brackets", spec);
	}
	pl = strlen(colon + 1);
	if (hl >= sizeof(ep->host) || pl >= sizeof(ep->port) ||
	    strspn(colon + 1, "0123456789") != pl || atoi(colon + 1) < 1 ||
	    atoi(colon + 1) > 65535)
		return pu_fail(err, PU_CONFIG, "%.80s: bad host or port", spec);
	memcpy(ep->host, hp, hl);
	ep->host[hl] = '\0';
	memcpy(ep->port, colon + 1, pl + 1);
	return PU_OK;
}

/* The owner of pu_unix_connect_owned, its name looked up at most once
 * per connect, and only when a uid other than root is met. */
struct owner {
	const struct pu_unix_owner *o;
	bool looked_up;
	bool known;
	uid_t uid;
};

static enum pu_status owner_uid(struct owner *w, struct pu_err *err)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (w->looked_up)
		return PU_OK;
	w->looked_up = true;
	if (w->o->name == NULL) {
		w->known = true;
		w->uid = w->o->uid;
		return PU_OK;
	}
	if (getpwnam_r(w->o->name, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL) {
		if (!w->o->name_optional)
			return pu_fail(err, PU_CONFIG, "%s=%.40s: no such user",
				       w->o->what, w->o->name);
		return PU_OK; /* root only */
	}
	w->known = true;
	w->uid = pw.pw_uid;
	return PU_OK;
}

/* *ok: uid is root or the owner */
static enum pu_status trusted(struct owner *w, uid_t uid, bool *ok,
			      struct pu_err *err)
{
	enum pu_status st = PU_OK;

	*ok = uid == 0;
	if (!*ok) {
		st = owner_uid(w, err);
		*ok = st == PU_OK && w->known && uid == w->uid;
	}
	return st;
}

static enum pu_status check_path(const char *path, struct owner *w,
				 struct pu_err *err)
{
	char dir[PATH_MAX];
	struct stat st;
	const char *slash;
	size_t dlen;
	enum pu_status s;
	bool ok;

	if (path == NULL || path[0] != '/')
		return pu_fail(err, PU_CONFIG, "socket path must be absolute");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return pu_fail(err, PU_CONFIG, "socket path too long");
	if (lstat(path, &st) != 0)
		return pu_fail(err, PU_UNAVAIL, "socket %s: %s", path,
			       strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return pu_fail(err, PU_UNAVAIL, "untrusted socket %s: not a socket",
			       path);
	if ((s = trusted(w, st.st_uid, &ok, err)) != PU_OK)
		return s;
	if (!ok)
		return pu_fail(err, PU_UNAVAIL,
			       "untrusted socket %s: owned by uid %u, not root or %s",
			       path, (unsigned)st.st_uid, w->o->what);

	slash = strrchr(path, '/');
	dlen = slash == path ? 1 : (size_t)(slash - path);
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	/* stat, not lstat: /var/run -> /run is a normal symlink */
	if (stat(dir, &st) != 0)
		return pu_fail(err, PU_UNAVAIL, "socket directory %s: %s", dir,
			       strerror(errno));
	if ((s = trusted(w, st.st_uid, &ok, err)) != PU_OK)
		return s;
	if (!ok)
		return pu_fail(err, PU_UNAVAIL,
			       "untrusted socket directory %s: owned by uid %u",
			       dir, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return pu_fail(err, PU_UNAVAIL,
			       "untrusted socket directory %s: writable by group or others",
			       dir);
	return PU_OK;
}

enum pu_status pu_unix_check_path(const char *path, uid_t peer_uid,
				  struct pu_err *err)
{
	const struct pu_unix_owner o = { peer_uid, NULL, false, "peer_uid" };
	struct owner w = { &o, false, false, 0 };

	return check_path(path, &w, err);
}

static enum pu_status wait_fd(int fd, short events, const struct pu_deadline *dl,
			      const char *what, struct pu_err *err)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
		int left = pu_deadline_left_ms(dl);
		int rc;

		if (left == 0)
			return pu_fail(err, PU_UNAVAIL, "timed out waiting to %s",
				       what);
		rc = poll(&p, 1, left);
		if (rc > 0)
			return PU_OK;
		if (rc == 0)
			continue; /* re-check the deadline */
		if (errno != EINTR)
			return pu_fail(err, PU_UNAVAIL, "poll: %s",
				       strerror(errno));
	}
}

static enum pu_status check_peer(int fd, struct owner *w, struct pu_err *err)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	enum pu_status st;
	bool ok;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return pu_fail(err, PU_UNAVAIL, "SO_PEERCRED: %s",
			       strerror(errno));
	if ((st = trusted(w, cred.uid, &ok, err)) != PU_OK)
		return st;
	if (!ok)
		return pu_fail(err, PU_UNAVAIL,
			       "untrusted peer: server runs as uid %u, not root or %s",
			       (unsigned)cred.uid, w->o->what);
	return PU_OK;
}

enum pu_status pu_unix_connect_plain(const char *path,
				     const struct pu_deadline *dl, int *fd,
				     struct pu_err *err)
{
	struct sockaddr_un sa;
	enum pu_status st;
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return pu_fail(err, PU_CONFIG, "socket path too long");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pu_fail(err, PU_UNAVAIL, "socket: %s", strerror(errno));

	for (;;) {
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* listen backlog full: retry briefly, within the deadline */
			int left = pu_deadline_left_ms(dl);

			if (left == 0) {
				st = pu_fail(err, PU_UNAVAIL,
					     "connect %s: backlog full until deadline",
					     path);
				goto fail;
			}
			poll(NULL, 0, left < 5 ? left : 5);
			continue;
		}
		if (errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t l = sizeof(soerr);

			st = wait_fd(s, POLLOUT, dl, "connect", err);
			if (st != PU_OK)
				goto fail;
			if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &l) != 0 ||
			    soerr != 0) {
				st = pu_fail(err, PU_UNAVAIL, "connect %s: %s",
					     path, strerror(soerr ? soerr : errno));
				goto fail;
			}
			break;
		}
		st = pu_fail(err, PU_UNAVAIL, "connect %s: %s", path,
			     strerror(errno));
		goto fail;
	}
	*fd = s;
	return PU_OK;
fail:
	close(s);
	return st;
}

enum pu_status pu_unix_connect_owned(const char *path,
				     const struct pu_unix_owner *own,
				     const struct pu_deadline *dl, int *fd,
				     struct pu_err *err)
{
	struct owner w = { own, false, false, 0 };
	enum pu_status st = PU_OK;
	int s = -1;

	/* a name the administrator chose is checked every time (a typo is a
	 * configuration error, root-owned socket or not); the default one
	 * only when needed */
	if (own->name != NULL && !own->name_optional)
		st = owner_uid(&w, err);
	if (st == PU_OK)
		st = check_path(path, &w, err);
	if (st == PU_OK)
		st = pu_unix_connect_plain(path, dl, &s, err);
	if (st == PU_OK) {
		st = check_peer(s, &w, err);
		if (st != PU_OK) {
			close(s);
			return st;
		}
		*fd = s;
	}
	return st;
}

enum pu_status pu_unix_connect(const char *path, uid_t peer_uid,
			       const struct pu_deadline *dl, int *fd,
			       struct pu_err *err)
{
	const struct pu_unix_owner o = { peer_uid, NULL, false, "peer_uid" };

	return pu_unix_connect_owned(path, &o, dl, fd, err);
}

enum pu_status pu_io_wait_readable(int fd, const struct pu_deadline *dl,
				   struct pu_err *err)
{
	return wait_fd(fd, POLLIN, dl, "read reply", err);
}

/* one address: a non-blocking connect under the deadline */
static enum pu_status connect_addr(const struct sockaddr *sa, socklen_t len,
				   const char *host, const char *port,
				   const struct pu_deadline *dl, int *fd,
				   struct pu_err *err)
{
	int one = 1, soerr = 0, s;
	socklen_t l = sizeof(soerr);
	enum pu_status st;

	s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return pu_fail(err, PU_UNAVAIL, "socket: %s", strerror(errno));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, sa, len) != 0) {
		if (errno != EINPROGRESS) {
			st = pu_fail(err, PU_UNAVAIL, "connect %.60s:%.8s: %s",
				     host, port, strerror(errno));
			close(s);
			return st;
		}
		st = wait_fd(s, POLLOUT, dl, "connect", err);
		if (st == PU_OK &&
		    (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &l) != 0 ||
		     soerr != 0))
			st = pu_fail(err, PU_UNAVAIL, "connect %.60s:%.8s: %s", host,
				     port, strerror(soerr ? soerr : errno));
		if (st != PU_OK) {
			close(s);
			return st;
		}
	}
	*fd = s;
	return PU_OK;
}

enum pu_status pu_tcp_connect(const char *host, const char *port,
			      const struct pu_deadline *dl, int *fd,
			      struct pu_err *err)
{
	struct pu_addrs addrs;
	enum pu_status st = pu_resolve(host, port, dl, &addrs, err);

	if (st != PU_OK)
		return st;
	/* every address of the name, in order, within the one deadline */
	for (size_t i = 0; i < addrs.n; i++) {
		st = connect_addr((const struct sockaddr *)&addrs.a[i],
				  addrs.len[i], host, port, dl, fd, err);
		if (st == PU_OK || pu_deadline_left_ms(dl) == 0)
			return st;
	}
	return st;
}

enum pu_status pu_io_write_all(int fd, const void *buf, size_t len,
			       const struct pu_deadline *dl, struct pu_err *err)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			enum pu_status st = wait_fd(fd, POLLOUT, dl, "send", err);

			if (st != PU_OK)
				return st;
			continue;
		}
		return pu_fail(err, PU_UNAVAIL, "send: %s",
			       n < 0 ? strerror(errno) : "no progress");
	}
	return PU_OK;
}

enum pu_status pu_io_read_line(int fd, char *buf, size_t cap, size_t *len,
			       const struct pu_deadline *dl, struct pu_err *err)
{
	size_t used = 0;

	*len = 0;
	buf[0] = '\0';
	for (;;) {
		ssize_t n;

		if (used == cap)
			return pu_fail(err, PU_UNAVAIL,
				       "oversized reply (more than %zu bytes)", cap);
		n = recv(fd, buf + used, cap - used, 0);
		if (n > 0) {
			char *nl = memchr(buf + used, '\n', (size_t)n);

			used += (size_t)n;
			buf[used] = '\0';
			*len = used;
			if (nl != NULL) {
				/* one line per connection: a reply with more
				 * after its line is garbage */
				*len = (size_t)(nl - buf) + 1;
				if (*len != used)
					return pu_fail(err, PU_UNAVAIL,
						       "garbage reply (more than one line)");
				buf[*len] = '\0';
				return PU_OK;
			}
			continue;
		}
		if (n == 0)
			return PU_OK; /* EOF: the codec decides */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			enum pu_status st = wait_fd(fd, POLLIN, dl, "read reply",
						    err);

			if (st != PU_OK)
				return st;
			continue;
		}
		return pu_fail(err, PU_UNAVAIL, "recv: %s", strerror(errno));
	}
}
