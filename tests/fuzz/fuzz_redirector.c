/*
 * pam_redirector's reply: pu_redirector_decode() on the raw bytes, and on
 * the line pu_io_read_line() takes from a socket.  The decoder is checked
 * against the rule in SPEC 6 / wire.h, written out again here: "0" or
 * "1", then only white space, at most PU_REPLY_MAX bytes; anything else
 * (empty, garbage, oversized) is PU_UNAVAIL, never PU_OK.
 */
#include "backends/socket/wire.h"
#include "fuzz.h"
#include "sockpair.h"

static enum pu_status expected(const uint8_t *r, size_t len)
{
	if (len == 0 || len > PU_REPLY_MAX || (r[0] != '0' && r[0] != '1'))
		return PU_UNAVAIL;
	for (size_t i = 1; i < len; i++)
		if (r[i] != ' ' && r[i] != '\t' && r[i] != '\r' && r[i] != '\n')
			return PU_UNAVAIL;
	return r[0] == '0' ? PU_OK : PU_DENIED;
}

static void check(const uint8_t *r, size_t len)
{
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_redirector_decode((const char *)r, len, &err);

	FUZZ_CHECK(st == expected(r, len));
	if (st != PU_OK)
		fuzz_check_err(st, &err);
	else
		FUZZ_CHECK(err.status == PU_OK); /* untouched on success */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[PU_REPLY_MAX + 1];
	size_t len = 0;

	if (size > 2 * PU_REPLY_MAX + 16)
		return -1;
	/* malloc'd copy: ASan sees a read past the reply */
	{
		uint8_t *copy = malloc(size ? size : 1);

		if (copy == NULL)
			abort();
		memcpy(copy, data, size);
		check(copy, size);
		free(copy);
	}
	if (fuzz_read_line(data, size, buf, PU_REPLY_MAX, &len) == PU_OK)
		check((const uint8_t *)buf, len);
	return 0;
}
