/*
 * Host names resolved under the call's deadline, with c-ares: /etc/hosts,
 * then DNS per /etc/resolv.conf, driven by this process's own poll loop
 * (no threads, no stray lookups after the deadline: the channel is
 * destroyed with whatever it still waits for).  Its sockets are made
 * CLOEXEC and non-blocking and never raise SIGPIPE.  A numeric address is
 * not looked up at all.
 */
#ifndef PU_RESOLVE_H
#define PU_RESOLVE_H

#include <netdb.h>
#include <stddef.h>

#include "deadline.h"
#include "status.h"

#define PU_RESOLVE_MAX 8

struct pu_addrs {
	struct sockaddr_storage a[PU_RESOLVE_MAX];
	socklen_t len[PU_RESOLVE_MAX];
	size_t n;
};

/* host (a name, an IPv4 or an IPv6 literal) and port into addresses, in
 * the resolver's order. */
enum pu_status pu_resolve(const char *host, const char *port,
			  const struct pu_deadline *dl, struct pu_addrs *out,
			  struct pu_err *err);

#endif
