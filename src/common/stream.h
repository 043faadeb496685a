/*
 * A byte stream to a server under the call's deadline: plain (send with
 * MSG_NOSIGNAL, recv) or TLS (OpenSSL on memory BIOs, so that every byte
 * still goes through this file's own non-blocking send/recv and poll:
 * the deadline covers the handshake, no write can raise SIGPIPE).
 * Transports are a table of functions, as in hiredis.  No pam_handle_t.
 *
 * TLS always verifies: the chain against tls_ca (a file or a directory;
 * default the system store) and the name (tls_server_name, default the
 * host the URI named; an IP literal is checked as an IP).  TLS 1.2 at
 * least.  There is no switch to turn verification off.
 */
#ifndef PU_STREAM_H
#define PU_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "status.h"

struct pu_stream;

struct pu_tls_opts {
	const char *ca;           /* file or directory; "" = system store */
	const char *cert;         /* client certificate chain; "" = none */
	const char *key;          /* its key: root, 0400/0600 */
	const char *server_name;  /* "" = host */
	bool resume;              /* offer and keep session tickets */
};

/* the longest ca, cert or key path a context is cached for */
#define PU_TLS_PATH_MAX 4096

/* Takes fd (closed by pu_stream_free, or here on failure). */
enum pu_status pu_stream_plain(int fd, struct pu_stream **out,
			       struct pu_err *err);

/* Handshakes and verifies under dl; takes fd as pu_stream_plain does. */
enum pu_status pu_stream_tls(int fd, const struct pu_tls_opts *o,
			     const char *host, const char *port,
			     const struct pu_deadline *dl,
			     struct pu_stream **out, struct pu_err *err);

enum pu_status pu_stream_write(struct pu_stream *s, const void *buf,
			       size_t len, const struct pu_deadline *dl,
			       struct pu_err *err);

/* Waits under dl for at least one byte; *n = 0 means the peer closed. */
enum pu_status pu_stream_read(struct pu_stream *s, void *buf, size_t cap,
			      size_t *n, const struct pu_deadline *dl,
			      struct pu_err *err);

/* An idle stream the server did not close (nothing to read, no error). */
bool pu_stream_idle_ok(struct pu_stream *s);

bool pu_stream_is_tls(const struct pu_stream *s);

/* "TLSv1.3 ECDHE... subject CN=..; expires YYYY-MM-DD" (unifiedctl check) */
void pu_stream_describe(const struct pu_stream *s, char *buf, size_t size);

void pu_stream_free(struct pu_stream *s);

#endif
