/*
 * The v1 reply: pu_v1_decode() on the raw bytes, and on the line
 * pu_io_read_line() takes from a socket.  Checked against the rule of
 * SPEC 6 / wire.h, written out again here: one line "WORD[ msg]\n"
 * (a CR before the LF is allowed), WORD one of OK DENY UNKNOWN EXPIRED
 * NEWTOK ERROR, at most PU_REPLY_MAX bytes, no NUL or CR in it; the
 * message is what follows the first space, and a message goes to the
 * user (pam_info/pam_error), so it is one line of text.
 */
#include "backends/socket/wire.h"
#include "fuzz.h"
#include "sockpair.h"

static const struct {
	const char *word;
	enum pu_status status;
} words[] = {
	{ "OK", PU_OK },           { "DENY", PU_DENIED },
	{ "UNKNOWN", PU_USER_UNKNOWN }, { "EXPIRED", PU_EXPIRED },
	{ "NEWTOK", PU_NEWTOK },   { "ERROR", PU_UNAVAIL },
};

/* the status the reply should decode to, or PU_STATUS_COUNT for garbage;
 * *msg and *mlen get the message */
static enum pu_status expected(const uint8_t *r, size_t len,
			       const uint8_t **msg, size_t *mlen)
{
	size_t line, w;

	*msg = NULL;
	*mlen = 0;
	if (len == 0 || len > PU_REPLY_MAX || r[len - 1] != '\n')
		return PU_STATUS_COUNT;
	line = len - 1;
	if (line > 0 && r[line - 1] == '\r')
		line--;
	/* one line: no NUL, CR or LF before the end */
	if (memchr(r, '\0', line) || memchr(r, '\r', line) ||
	    memchr(r, '\n', line))
		return PU_STATUS_COUNT;
	for (w = 0; w < line && r[w] != ' '; w++)
		;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) == w &&
		    memcmp(words[i].word, r, w) == 0) {
			if (w < line) {
				*msg = r + w + 1;
				*mlen = line - w - 1;
			}
			return words[i].status;
		}
	}
	return PU_STATUS_COUNT;
}

static void check(const uint8_t *r, size_t len)
{
	struct pu_err err = { PU_OK, "" };
	struct pu_v1_reply *out = malloc(sizeof(*out));
	const uint8_t *msg;
	size_t mlen;
	enum pu_status want = expected(r, len, &msg, &mlen);
	enum pu_status st;

	if (out == NULL)
		abort();
	memset(out, 0xa5, sizeof(*out));
	st = pu_v1_decode((const char *)r, len, out, &err);
	FUZZ_TERMINATED(out->msg);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL);
		FUZZ_CHECK(out->status == PU_UNAVAIL); /* fail closed */
		FUZZ_CHECK(out->msg[0] == '\0');
		FUZZ_CHECK(want == PU_STATUS_COUNT);
		free(out);
		return;
	}
	FUZZ_CHECK(want != PU_STATUS_COUNT);
	FUZZ_CHECK(out->status == want);
	FUZZ_CHECK(strlen(out->msg) == mlen);
	FUZZ_CHECK(mlen == 0 || memcmp(out->msg, msg, mlen) == 0);
	/* one line: the message shown to the user holds no line break */
	FUZZ_CHECK(strpbrk(out->msg, "\r\n") == NULL);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[PU_REPLY_MAX + 1];
	size_t len = 0;

	if (size > 2 * PU_REPLY_MAX + 16)
		return -1;
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
