/*
 * UNIX stream socket client under a deadline, SSSD style: stat the path
 * (socket, owner, directory not group/other-writable), connect
 * non-blocking with CLOEXEC, check SO_PEERCRED, then write/read with
 * poll() against the one deadline.  No pam_handle_t here.
 */
#ifndef PU_NET_H
#define PU_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "deadline.h"
#include "status.h"

/* Where to connect: "unix:/path", "tcp://host:port", "rediss://host:port"
 * (TLS) or "host:port" ("[v6]:port" for an IPv6 literal). */
struct pu_endpoint {
	bool is_unix;
	bool tls;
	char path[108];       /* sun_path */
	char host[256];
	char port[8];
};

enum pu_status pu_endpoint_parse(const char *spec, struct pu_endpoint *ep,
				 struct pu_err *err);

/* Trust checks on the path before connecting. */
enum pu_status pu_unix_check_path(const char *path, uid_t peer_uid,
				  struct pu_err *err);

/* Checks the path, connects, checks the peer; *fd is set on PU_OK. */
enum pu_status pu_unix_connect(const char *path, uid_t peer_uid,
			       const struct pu_deadline *dl, int *fd,
			       struct pu_err *err);

/* Who besides root may own a socket and its directory and listen on it:
 * uid, or the user name when name is set.  A name_optional one (a
 * default) is looked up only when a uid other than root is met, so an
 * all-root setup costs no passwd lookup, and one that does not exist
 * means root only; any other name is looked up first, and one that does
 * not exist is PU_CONFIG.  what names the option in messages. */
struct pu_unix_owner {
	uid_t uid;
	const char *name;
	bool name_optional;
	const char *what;
};
enum pu_status pu_unix_connect_owned(const char *path,
				     const struct pu_unix_owner *own,
				     const struct pu_deadline *dl, int *fd,
				     struct pu_err *err);

/* Connect without the trust checks (Redis authenticates with AUTH). */
enum pu_status pu_unix_connect_plain(const char *path,
				     const struct pu_deadline *dl, int *fd,
				     struct pu_err *err);

/* TCP under the deadline, CLOEXEC, TCP_NODELAY: a name is resolved within
 * the deadline (resolve.h) and its addresses tried in order. */
enum pu_status pu_tcp_connect(const char *host, const char *port,
			      const struct pu_deadline *dl, int *fd,
			      struct pu_err *err);

/* Waits for readability under the deadline (PU_UNAVAIL on expiry). */
enum pu_status pu_io_wait_readable(int fd, const struct pu_deadline *dl,
				   struct pu_err *err);

enum pu_status pu_io_write_all(int fd, const void *buf, size_t len,
			       const struct pu_deadline *dl,
			       struct pu_err *err);

/*
 * Reads until a '\n' (kept in buf), EOF, or cap bytes.  *len gets the
 * byte count; buf is NUL-terminated (so buf must hold cap + 1 bytes).
 * Running past cap without a newline is PU_UNAVAIL ("oversized").
 */
enum pu_status pu_io_read_line(int fd, char *buf, size_t cap, size_t *len,
			       const struct pu_deadline *dl,
			       struct pu_err *err);

#endif
