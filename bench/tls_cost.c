/*
 * tls_cost CA CERT KEY NAME [N]: what OpenSSL itself costs on this machine
 * for one TLS handshake, client and server in this one process over a BIO
 * pair (no sockets, no Redis): a full one (the certificate verified for
 * NAME) and a resumed one (the ticket of the previous).  Prints
 *   full_us=X resumed_us=Y
 * the median CPU microseconds of each (client + server), the floor under
 * the rediss:// rows of make bench.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app.h"

static SSL_SESSION *saved;

static int keep(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	SSL_SESSION_free(saved);
	saved = SSL_SESSION_dup(sess);
	return 0;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one handshake and a PING/PONG; 1 when it worked as asked */
static int handshake(SSL_CTX *cc, SSL_CTX *sc, const char *name, int resume)
{
	SSL *c = SSL_new(cc), *s = SSL_new(sc);
	BIO *bc = NULL, *bs = NULL;
	char buf[64];
	size_t n;
	int ok = 0, dc = 0, ds = 0;

	if (c == NULL || s == NULL || !BIO_new_bio_pair(&bc, 0, &bs, 0))
		goto out;
	SSL_set_bio(c, bc, bc);
	SSL_set_bio(s, bs, bs);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set1_host(c, name);
	if (resume && saved != NULL)
		SSL_set_session(c, saved);
	for (int i = 0; i < 20 && !(dc && ds); i++) {
		dc = dc || SSL_do_handshake(c) == 1;
		ds = ds || SSL_do_handshake(s) == 1;
	}
	ok = dc && ds && SSL_write_ex(c, "PING\r\n", 6, &n) &&
	     SSL_read_ex(s, buf, sizeof(buf), &n) &&
	     SSL_write_ex(s, "+PONG\r\n", 7, &n) &&
	     SSL_read_ex(c, buf, sizeof(buf), &n) &&
	     SSL_get_verify_result(c) == X509_V_OK &&
	     SSL_session_reused(c) == resume;
out:
	SSL_free(c);
	SSL_free(s);
	return ok;
}

int main(int argc, char **argv)
{
	int n = argc > 5 ? atoi(argv[5]) : 200;
	double *t = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	double med[2];
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method());

	if (argc < 5 || n <= 0 || t == NULL || sc == NULL || cc == NULL ||
	    SSL_CTX_use_certificate_chain_file(sc, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sc, argv[3], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(cc, argv[1], NULL) != 1) {
		fprintf(stderr, "usage: tls_cost CA CERT KEY NAME [N]\n");
		return 2;
	}
	SSL_CTX_set_min_proto_version(cc, TLS1_2_VERSION);
	SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(cc, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(cc, keep);
	for (int resume = 0; resume < 2; resume++) {
		for (int i = 0; i < n; i++) {
			double a = cpu_now();

			if (!handshake(cc, sc, argv[4], resume)) {
				fprintf(stderr, "tls_cost: handshake failed\n");
				return 1;
			}
			t[i] = (cpu_now() - a) * 1e6;
		}
		qsort(t, (size_t)n, sizeof(double), app_cmp_double);
		med[resume] = t[n / 2];
	}
	printf("full_us=%.0f resumed_us=%.0f\n", med[0], med[1]);
	SSL_SESSION_free(saved);
	SSL_CTX_free(cc);
	SSL_CTX_free(sc);
	free(t);
	return 0;
}
