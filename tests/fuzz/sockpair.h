/*
 * A reply as the socket backend receives it: the bytes go into one end of
 * a socketpair, that end is shut, and pu_io_read_line() reads the other
 * end exactly as exchange() in socket_backend.c does.  The returned line
 * is then checked against the input (the first line, or all of it).
 */
#ifndef PU_FUZZ_SOCKPAIR_H
#define PU_FUZZ_SOCKPAIR_H

#include <sys/socket.h>
#include <unistd.h>

#include "common/deadline.h"
#include "common/net.h"
#include "fuzz.h"

/* buf holds cap + 1 bytes */
static inline enum pu_status fuzz_read_line(const uint8_t *data, size_t size,
					    char *buf, size_t cap, size_t *len)
{
	struct pu_deadline dl;
	struct pu_err err = { PU_OK, "" };
	enum pu_status st;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	for (size_t done = 0; done < size;) {
		ssize_t n = send(sv[1], data + done, size - done, MSG_NOSIGNAL);

		if (n <= 0)
			abort(); /* the harness caps size below the buffer */
		done += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	pu_deadline_start(&dl, 1000);
	st = pu_io_read_line(sv[0], buf, cap, len, &dl, &err);
	close(sv[0]);
	close(sv[1]);

	if (st != PU_OK)
		fuzz_check_err(st, &err);
	/* what pu_io_read_line promises (net.h) */
	{
		const uint8_t *nl = memchr(data, '\n', size < cap ? size : cap);

		if (nl != NULL) {
			size_t k = (size_t)(nl - data) + 1;

			/* everything was written before the read, so one
			 * recv sees what follows the line: one line per
			 * connection, more after it is garbage */
			if (k == size || k == cap) {
				FUZZ_CHECK(st == PU_OK);
				FUZZ_CHECK(*len == k);
			} else {
				FUZZ_CHECK(st == PU_UNAVAIL);
			}
		} else if (size < cap) {
			FUZZ_CHECK(st == PU_OK); /* EOF: the codec decides */
			FUZZ_CHECK(*len == size);
		} else {
			FUZZ_CHECK(st == PU_UNAVAIL); /* oversized */
		}
	}
	if (st == PU_OK) {
		FUZZ_CHECK(*len <= cap);
		FUZZ_CHECK(buf[*len] == '\0');
		FUZZ_CHECK(memcmp(buf, data, *len) == 0);
	}
	return st;
}

#endif
