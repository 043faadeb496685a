#define _GNU_SOURCE
#include "stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "net.h"

#define KEY_MAX (64 * 1024)

struct transport {
	enum pu_status (*write)(struct pu_stream *s, const void *buf, size_t len,
				const struct pu_deadline *dl, struct pu_err *err);
	enum pu_status (*read)(struct pu_stream *s, void *buf, size_t cap,
			       size_t *n, const struct pu_deadline *dl,
			       struct pu_err *err);
};

struct pu_stream {
	const struct transport *t;
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;      /* owned by ssl */
	char peer[400];        /* the session key: name, host, port */
};

/* ---------------- plain ---------------- */

static enum pu_status plain_write(struct pu_stream *s, const void *buf,
				  size_t len, const struct pu_deadline *dl,
				  struct pu_err *err)
{
	return pu_io_write_all(s->fd, buf, len, dl, err);
}

/* one recv of what is there, after waiting under the deadline */
static enum pu_status fd_read(int fd, void *buf, size_t cap, size_t *n,
			      const struct pu_deadline *dl, struct pu_err *err)
{
	for (;;) {
		ssize_t k;
		enum pu_status st = pu_io_wait_readable(fd, dl, err);

		if (st != PU_OK)
			return st;
		k = recv(fd, buf, cap, 0);
		if (k >= 0) {
			*n = (size_t)k;
			return PU_OK;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return pu_fail(err, PU_UNAVAIL, "recv: %s", strerror(errno));
	}
}

static enum pu_status plain_read(struct pu_stream *s, void *buf, size_t cap,
				 size_t *n, const struct pu_deadline *dl,
				 struct pu_err *err)
{
	return fd_read(s->fd, buf, cap, n, dl, err);
}

static const struct transport plain = { plain_write, plain_read };

enum pu_status pu_stream_plain(int fd, struct pu_stream **out,
			       struct pu_err *err)
{
	struct pu_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL) {
		close(fd);
		return pu_fail(err, PU_NOMEM, "out of memory");
	}
	s->t = &plain;
	s->fd = fd;
	*out = s;
	return PU_OK;
}

/* ---------------- TLS on memory BIOs ---------------- */

/* "alert unknown ca" of OpenSSL's "tlsv1 alert unknown ca" */
static const char *alert(unsigned long e)
{
	const char *r = ERR_reason_error_string(e);
	const char *a = r ? strstr(r, "alert ") : NULL;

	return a ? a : r ? r : "?";
}

/* the alerts of a server that refused the client's certificate */
static bool refused_cert(int reason)
{
	return reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
	       reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
	       reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED;
}

/* the most telling reason OpenSSL has for what just failed */
static enum pu_status tls_fail(struct pu_stream *s, struct pu_err *err,
			       const char *what)
{
	long v = s->ssl ? SSL_get_verify_result(s->ssl) : X509_V_OK;
	unsigned long e = ERR_peek_last_error();
	char buf[160] = "";

	if (v != X509_V_OK) {
		snprintf(buf, sizeof(buf), "certificate verification failed: %s",
			 X509_verify_cert_error_string(v));
	} else if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		if (ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER ||
		    ERR_GET_REASON(e) == SSL_R_PACKET_LENGTH_TOO_LONG)
			snprintf(buf, sizeof(buf),
				 "not a TLS server (plain text on a TLS port?)");
		else if (ERR_GET_REASON(e) ==
			 SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
			 ERR_GET_REASON(e) == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE)
			snprintf(buf, sizeof(buf),
				 "%s (the server wants a client certificate: "
				 "redis_tls_cert=)", alert(e));
		else if (refused_cert(ERR_GET_REASON(e)))
			snprintf(buf, sizeof(buf), "%s (the server refused "
				 "our client certificate)", alert(e));
	} else {
		snprintf(buf, sizeof(buf), "failed");
	}
	ERR_clear_error();
	return pu_fail(err, PU_UNAVAIL, "TLS %s: %s", what, buf);
}

/* what the SSL engine wrote into wbio, onto the socket */
static enum pu_status flush(struct pu_stream *s, const struct pu_deadline *dl,
			    struct pu_err *err)
{
	char buf[16384];

	while (BIO_ctrl_pending(s->wbio) > 0) {
		int n = BIO_read(s->wbio, buf, sizeof(buf));
		enum pu_status st;

		if (n <= 0)
			return pu_fail(err, PU_UNAVAIL, "TLS: BIO_read failed");
		st = pu_io_write_all(s->fd, buf, (size_t)n, dl, err);
		explicit_bzero(buf, (size_t)n);
		if (st != PU_OK)
			return st;
	}
	return PU_OK;
}

/* bytes from the socket into rbio; PU_UNAVAIL at EOF */
static enum pu_status fill(struct pu_stream *s, const struct pu_deadline *dl,
			   const char *what, struct pu_err *err)
{
	char buf[16384];
	size_t n = 0;
	enum pu_status st = fd_read(s->fd, buf, sizeof(buf), &n, dl, err);

	if (st != PU_OK)
		return st;
	if (n == 0)
		return pu_fail(err, PU_UNAVAIL, "TLS: connection closed %s", what);
	if (BIO_write(s->rbio, buf, (int)n) != (int)n)
		return pu_fail(err, PU_UNAVAIL, "TLS: BIO_write failed");
	return PU_OK;
}

/*
 * Under TLS 1.3 the server judges the client's certificate after the
 * client has finished its side of the handshake, so a refusal (an alert,
 * then a close or a reset) meets the first write or read instead.  What
 * the socket still holds is fed to the engine so that the reason is the
 * alert ("certificate required", "unknown ca"), not "connection reset";
 * without an alert, st and its message stay.
 */
static enum pu_status pending_alert(struct pu_stream *s, enum pu_status st,
				    const char *what, struct pu_err *err)
{
	char buf[4096];
	size_t total = 0, n = 0;
	int rc;

	for (;;) {
		ssize_t k = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (k <= 0 || total + (size_t)k > 65536 ||
		    BIO_write(s->rbio, buf, (int)k) != (int)k)
			break;
		total += (size_t)k;
	}
	ERR_clear_error();
	rc = SSL_read_ex(s->ssl, buf, sizeof(buf), &n);
	explicit_bzero(buf, sizeof(buf));
	if (rc != 1 && SSL_get_error(s->ssl, rc) == SSL_ERROR_SSL)
		return tls_fail(s, err, what);
	ERR_clear_error();
	return st;
}

static enum pu_status tls_write(struct pu_stream *s, const void *buf,
				size_t len, const struct pu_deadline *dl,
				struct pu_err *err)
{
	enum pu_status st;

	ERR_clear_error();
	while (len > 0) {
		size_t done = 0;
		int rc = SSL_write_ex(s->ssl, buf, len, &done);

		if (rc != 1) {
			int e = SSL_get_error(s->ssl, rc);

			if (e != SSL_ERROR_WANT_READ)
				return tls_fail(s, err, "write");
			st = flush(s, dl, err);
			if (st == PU_OK)
				st = fill(s, dl, "while writing", err);
			if (st != PU_OK)
				return pending_alert(s, st, "write", err);
			continue;
		}
		buf = (const char *)buf + done;
		len -= done;
	}
	st = flush(s, dl, err);
	return st == PU_OK ? PU_OK : pending_alert(s, st, "write", err);
}

static enum pu_status tls_read(struct pu_stream *s, void *buf, size_t cap,
			       size_t *n, const struct pu_deadline *dl,
			       struct pu_err *err)
{
	ERR_clear_error();
	for (;;) {
		int rc = SSL_read_ex(s->ssl, buf, cap, n);
		int e;
		enum pu_status st;

		if (rc == 1)
			return PU_OK;
		e = SSL_get_error(s->ssl, rc);
		if (e == SSL_ERROR_ZERO_RETURN) {
			*n = 0;
			return PU_OK;
		}
		if (e != SSL_ERROR_WANT_READ)
			return tls_fail(s, err, "read");
		st = flush(s, dl, err); /* a key update, a ticket ack */
		if (st != PU_OK)
			return st;
		st = fd_read(s->fd, buf, cap, n, dl, err);
		if (st != PU_OK && pu_deadline_left_ms(dl) > 0)
			return pending_alert(s, st, "read", err);
		if (st != PU_OK)
			return st;
		if (*n == 0)
			return PU_OK; /* closed without close_notify */
		if (BIO_write(s->rbio, buf, (int)*n) != (int)*n)
			return pu_fail(err, PU_UNAVAIL, "TLS: BIO_write failed");
	}
}

static const struct transport tls = { tls_write, tls_read };

/* the client key: a secret file, read with the secret rules */
static enum pu_status load_key(SSL_CTX *ctx, const char *path,
			       struct pu_err *err)
{
	static const struct pu_file_rules rules = {
		.trust = PU_TRUST_SECRET, .max = KEY_MAX, .missing_ok = false,
		.fail = PU_CONFIG, .what = "TLS key",
	};
	char *pem = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	BIO *b;
	enum pu_status st = pu_file_read(path, &rules, &pem, &len, err);

	if (st != PU_OK)
		return st;
	b = BIO_new_mem_buf(pem, (int)len);
	if (b != NULL)
		key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	pu_file_free(pem, len);
	if (key == NULL) {
		ERR_clear_error();
		return pu_fail(err, PU_CONFIG, "TLS key %s: not a PEM private key",
			       path);
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		st = pu_fail(err, PU_CONFIG,
			     "TLS key %s: does not match redis_tls_cert=", path);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return st;
}

static int new_session(SSL *ssl, SSL_SESSION *sess);

static enum pu_status new_ctx(const struct pu_tls_opts *o, SSL_CTX **out,
			      struct pu_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	struct stat st;
	enum pu_status s = PU_OK;
	int ok;

	*out = NULL;
	if (ctx == NULL)
		return pu_fail(err, PU_NOMEM, "TLS: SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* sessions go to the table below, never to OpenSSL's own cache */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_session);
	if (o->ca == NULL || o->ca[0] == '\0')
		ok = SSL_CTX_set_default_verify_paths(ctx);
	else if (stat(o->ca, &st) == 0 && S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_locations(ctx, NULL, o->ca);
	else
		ok = SSL_CTX_load_verify_locations(ctx, o->ca, NULL);
	if (ok != 1)
		s = pu_fail(err, PU_CONFIG, "redis_tls_ca=%.80s: cannot be loaded",
			    o->ca ? o->ca : "");
	if (s == PU_OK && o->cert != NULL && o->cert[0] != '\0') {
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1)
			s = pu_fail(err, PU_CONFIG,
				    "redis_tls_cert=%.80s: cannot be loaded", o->cert);
		else
			s = load_key(ctx, o->key, err);
	}
	ERR_clear_error();
	if (s != PU_OK) {
		SSL_CTX_free(ctx);
		return s;
	}
	*out = ctx;
	return PU_OK;
}

/*
 * The process's TLS contexts and sessions: the module's second mutable
 * global (config_cache.c has the first), a small table behind a mutex.
 *
 * A context (the CA store loaded, the client certificate and key) costs
 * more than a handshake: ~0.3 ms for SSL_CTX_new, ~0.5 ms to load one CA
 * file, ~90 ms for Debian's whole system store.  A slot keeps one per
 * configuration (redis_tls_ca, _cert, _key) while every file it read
 * stays the same version (lstat: device, inode, size, mode, owner, mtime,
 * ctime), so a rotated CA or key, or a key file whose mode went wrong, is
 * read again (and refused again, with the secret rules) at the next
 * connection.
 *
 * Each slot holds the last session ticket per server (the name verified,
 * the host and the port), so that the second connection of a login
 * (close_session opens its own) and every later login of a long-lived
 * process resume instead of doing a full handshake.  A session is only
 * ever offered to the name its certificate was verified for, through the
 * same CA configuration: a resumed session is bound to what the full
 * handshake verified (OpenSSL keeps the verify result in the session;
 * no handshake that failed verification yields one).
 *
 * The lock is never waited on for long (a child forked while another
 * thread held it would wait forever): after a short while a connection
 * goes without the table, with a context of its own and a full handshake.
 */
#define TLS_SLOTS 4
#define TLS_SESSIONS 8

struct tls_slot {
	char key[3 * PU_TLS_PATH_MAX];
	struct pu_file_version v[3];
	SSL_CTX *ctx;                         /* one reference is the slot's */
	struct {
		char peer[400];
		SSL_SESSION *sess;
	} sess[TLS_SESSIONS];
	unsigned next_sess;
	unsigned long used;
};

static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_slot tls_slots[TLS_SLOTS];
static unsigned long tls_clock;

static bool lock_tls(void)
{
	return pu_lock_briefly(&tls_mu);
}

static void versions_of(const struct pu_tls_opts *o,
			struct pu_file_version v[3])
{
	pu_file_version(o->ca && o->ca[0] ? o->ca :
			X509_get_default_cert_file(), &v[0]);
	pu_file_version(o->cert, &v[1]);
	pu_file_version(o->key, &v[2]);
}

static void slot_clear(struct tls_slot *sl)
{
	for (unsigned i = 0; i < TLS_SESSIONS; i++) {
		SSL_SESSION_free(sl->sess[i].sess);
		sl->sess[i].sess = NULL;
		sl->sess[i].peer[0] = '\0';
	}
	SSL_CTX_free(sl->ctx);
	memset(sl, 0, sizeof(*sl));
}

/* "ca\ncert\nkey": the configuration a slot is for */
static bool config_key(const struct pu_tls_opts *o, char *key, size_t size)
{
	int n = snprintf(key, size, "%s\n%s\n%s", o->ca ? o->ca : "",
			 o->cert ? o->cert : "", o->key ? o->key : "");

	return n > 0 && (size_t)n < size;
}

/* under tls_mu: the slot of this configuration at this version, or NULL */
static struct tls_slot *find_slot(const char *key,
				  const struct pu_file_version v[3])
{
	for (unsigned i = 0; i < TLS_SLOTS; i++) {
		struct tls_slot *sl = &tls_slots[i];

		if (sl->ctx != NULL && strcmp(sl->key, key) == 0) {
			if (pu_file_version_same(&sl->v[0], &v[0]) &&
			    pu_file_version_same(&sl->v[1], &v[1]) &&
			    pu_file_version_same(&sl->v[2], &v[2]))
				return sl;
			slot_clear(sl); /* a file changed: read it again */
		}
	}
	return NULL;
}

/* under tls_mu: a free slot, or the least recently used one emptied */
static struct tls_slot *free_slot(void)
{
	struct tls_slot *lru = &tls_slots[0];

	for (unsigned i = 0; i < TLS_SLOTS; i++) {
		if (tls_slots[i].ctx == NULL)
			return &tls_slots[i];
		if (tls_slots[i].used < lru->used)
			lru = &tls_slots[i];
	}
	slot_clear(lru);
	return lru;
}

/*
 * The context for o (one reference for the caller) and, when the table
 * has one for peer, a copy of its session to offer (the caller's, or
 * NULL).
 */
static enum pu_status get_ctx(const struct pu_tls_opts *o, const char *peer,
			      SSL_CTX **ctx, SSL_SESSION **sess,
			      struct pu_err *err)
{
	char key[3 * PU_TLS_PATH_MAX];
	struct pu_file_version v[3];
	struct tls_slot *sl;
	enum pu_status st;

	*ctx = NULL;
	*sess = NULL;
	if (!config_key(o, key, sizeof(key)) || !lock_tls())
		return new_ctx(o, ctx, err);
	versions_of(o, v);
	sl = find_slot(key, v);
	if (sl == NULL) {
		/* loaded under the lock: the first connection of a
		 * configuration pays for it once, the others wait on it */
		st = new_ctx(o, ctx, err);
		if (st != PU_OK) {
			pthread_mutex_unlock(&tls_mu);
			return st;
		}
		sl = free_slot();
		snprintf(sl->key, sizeof(sl->key), "%s", key);
		memcpy(sl->v, v, sizeof(sl->v));
		sl->ctx = *ctx;
	}
	SSL_CTX_up_ref(sl->ctx);
	*ctx = sl->ctx;
	sl->used = ++tls_clock;
	for (unsigned i = 0; o->resume && i < TLS_SESSIONS; i++) {
		if (sl->sess[i].sess != NULL &&
		    strcmp(sl->sess[i].peer, peer) == 0) {
			/* a copy too: OpenSSL marks the session of a
			 * connection freed without close_notify not
			 * resumable, and the table's is shared */
			if (SSL_SESSION_is_resumable(sl->sess[i].sess))
				*sess = SSL_SESSION_dup(sl->sess[i].sess);
			break;
		}
	}
	pthread_mutex_unlock(&tls_mu);
	return PU_OK;
}

/*
 * OpenSSL's new-session callback (TLS 1.3: a ticket after the handshake,
 * read with a reply): a copy kept in the slot of the context, for the
 * stream's peer, replacing that peer's older one.  Returns 0: the
 * reference OpenSSL passes stays its own.
 */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
	const struct pu_stream *s = SSL_get_app_data(ssl);
	SSL_CTX *ctx = SSL_get_SSL_CTX(ssl);
	SSL_SESSION *copy;

	if (s == NULL || s->peer[0] == '\0' ||
	    SSL_get_verify_result(ssl) != X509_V_OK || !lock_tls())
		return 0;
	for (unsigned i = 0; i < TLS_SLOTS; i++) {
		struct tls_slot *sl = &tls_slots[i];
		unsigned k = TLS_SESSIONS;

		if (sl->ctx != ctx)
			continue;
		for (unsigned j = 0; j < TLS_SESSIONS; j++)
			if (sl->sess[j].sess != NULL &&
			    strcmp(sl->sess[j].peer, s->peer) == 0)
				k = j;
		if (k == TLS_SESSIONS)
			k = sl->next_sess++ % TLS_SESSIONS;
		/* a copy: OpenSSL marks the connection's own session not
		 * resumable when it is freed without a close_notify */
		copy = SSL_SESSION_dup(sess);
		if (copy != NULL) {
			SSL_SESSION_free(sl->sess[k].sess);
			sl->sess[k].sess = copy;
			memcpy(sl->sess[k].peer, s->peer, sizeof(s->peer));
		}
		break;
	}
	pthread_mutex_unlock(&tls_mu);
	return 0;
}

static bool is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static enum pu_status set_name(SSL *ssl, const char *name, struct pu_err *err)
{
	if (is_ip(name)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
			return pu_fail(err, PU_CONFIG, "TLS: bad IP %.60s", name);
		return PU_OK;
	}
	if (SSL_set1_host(ssl, name) != 1 ||
	    SSL_set_tlsext_host_name(ssl, name) != 1)
		return pu_fail(err, PU_CONFIG, "TLS: bad server name %.60s", name);
	return PU_OK;
}

enum pu_status pu_stream_tls(int fd, const struct pu_tls_opts *o,
			     const char *host, const char *port,
			     const struct pu_deadline *dl,
			     struct pu_stream **out, struct pu_err *err)
{
	const char *name = o->server_name && o->server_name[0] ? o->server_name :
			   host;
	SSL_SESSION *sess = NULL;
	struct pu_stream *s;
	enum pu_status st;

	*out = NULL;
	ERR_clear_error();
	st = pu_stream_plain(fd, &s, err);
	if (st != PU_OK)
		return st;
	s->t = &tls;
	/* the name verified first: a session is only for that name */
	snprintf(s->peer, sizeof(s->peer), "%s\n%s\n%s", name, host, port);
	st = get_ctx(o, s->peer, &s->ctx, &sess, err);
	if (st == PU_OK && ((s->ssl = SSL_new(s->ctx)) == NULL ||
			    (s->rbio = BIO_new(BIO_s_mem())) == NULL ||
			    (s->wbio = BIO_new(BIO_s_mem())) == NULL)) {
		BIO_free(s->rbio);
		s->rbio = NULL;
		st = pu_fail(err, PU_NOMEM, "TLS: out of memory");
	}
	if (st == PU_OK) {
		SSL_set_bio(s->ssl, s->rbio, s->wbio);
		SSL_set_connect_state(s->ssl);
		SSL_set_app_data(s->ssl, s);
		if (!o->resume)
			s->peer[0] = '\0'; /* no ticket kept either */
		st = set_name(s->ssl, name, err);
	}
	if (st == PU_OK && sess != NULL && SSL_set_session(s->ssl, sess) != 1)
		ERR_clear_error(); /* a full handshake then */
	SSL_SESSION_free(sess);
	while (st == PU_OK) {
		int rc = SSL_do_handshake(s->ssl);
		int e = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, rc);

		st = flush(s, dl, err);
		if (rc == 1 || st != PU_OK)
			break;
		if (e != SSL_ERROR_WANT_READ) {
			st = tls_fail(s, err, "handshake");
			break;
		}
		st = fill(s, dl, "during the TLS handshake (not a TLS server?)",
			  err);
		/* a plain-text Redis waits for the end of a line that a
		 * ClientHello never sends: it times out rather than closes */
		if (st == PU_UNAVAIL && pu_deadline_left_ms(dl) == 0)
			st = pu_fail(err, PU_UNAVAIL, "TLS handshake timed out "
				     "(not a TLS server, or a hung one?)");
	}
	if (st != PU_OK) {
		pu_stream_free(s);
		return st;
	}
	*out = s;
	return PU_OK;
}

/* ---------------- common ---------------- */

enum pu_status pu_stream_write(struct pu_stream *s, const void *buf,
			       size_t len, const struct pu_deadline *dl,
			       struct pu_err *err)
{
	return s->t->write(s, buf, len, dl, err);
}

enum pu_status pu_stream_read(struct pu_stream *s, void *buf, size_t cap,
			      size_t *n, const struct pu_deadline *dl,
			      struct pu_err *err)
{
	*n = 0;
	return s->t->read(s, buf, cap, n, dl, err);
}

bool pu_stream_idle_ok(struct pu_stream *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN, .revents = 0 };
	char b;

	if (s->ssl != NULL && SSL_pending(s->ssl) > 0)
		return false;
	if (poll(&p, 1, 0) == 0)
		return true;
	/* TLS 1.3 servers send session tickets after the handshake: those
	 * bytes are not a closed connection.  Plain: nothing may be there. */
	if (s->ssl != NULL && (p.revents & POLLIN) &&
	    recv(s->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1)
		return true;
	return (p.revents & POLLIN) &&
	       recv(s->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == -1 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool pu_stream_is_tls(const struct pu_stream *s)
{
	return s != NULL && s->ssl != NULL;
}

void pu_stream_describe(const struct pu_stream *s, char *buf, size_t size)
{
	X509 *cert;
	char subject[256] = "?", expiry[32] = "?";
	const ASN1_TIME *na;
	struct tm tm;

	if (s == NULL || s->ssl == NULL) {
		snprintf(buf, size, "plain text");
		return;
	}
	cert = SSL_get1_peer_certificate(s->ssl);
	if (cert != NULL) {
		X509_NAME_oneline(X509_get_subject_name(cert), subject,
				  sizeof(subject));
		na = X509_get0_notAfter(cert);
		if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
			strftime(expiry, sizeof(expiry), "%Y-%m-%d", &tm);
		X509_free(cert);
	}
	snprintf(buf, size, "%s %s, certificate %s, expires %s, %s",
		 SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl), subject,
		 expiry, SSL_session_reused(s->ssl) ? "session resumed" :
		 "full handshake");
}

void pu_stream_free(struct pu_stream *s)
{
	if (s == NULL)
		return;
	if (s->ssl != NULL)
		SSL_free(s->ssl); /* frees both BIOs */
	SSL_CTX_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
