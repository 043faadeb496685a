/*
 * Text leaving the module (src/pam/log.h): pu_log_printable() and
 * pu_log_quote() on any bytes, into buffers of any size.  The first byte
 * is the buffer size.  Promised: the result is NUL-terminated inside the
 * buffer, valid UTF-8 with no C0/C1 control or DEL; printable keeps every
 * good character and turns each bad byte into one '?'; quote is "..."
 * with '"' and '\' escaped and every bad byte as \xNN, and unquoting it
 * gives back a prefix of the input.
 */
#include "fuzz.h"
#include "pam/log.h"

/* valid UTF-8, no control (C0, DEL, C1), no surrogate, no overlong */
static bool clean_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned char c = *s;
		size_t n;
		unsigned long cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			s++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < 0xa0 || (n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
		    cp > 0x10ffff)
			return false;
		s += n;
	}
	return true;
}

static void printable(const char *in, size_t size)
{
	char *buf = malloc(size ? size : 1);
	const char *out;

	if (buf == NULL)
		abort();
	memset(buf, 'Z', size ? size : 1);
	out = pu_log_printable(in, buf, size);
	if (size == 0) {
		FUZZ_CHECK(strcmp(out, "") == 0);
		free(buf);
		return;
	}
	FUZZ_CHECK(out == buf);
	FUZZ_CHECK(memchr(buf, '\0', size) != NULL);
	FUZZ_CHECK(clean_utf8((const unsigned char *)buf));
	/* same length as the input's prefix: one '?' per bad byte */
	{
		size_t ol = strlen(buf);

		FUZZ_CHECK(ol <= strlen(in));
		for (size_t i = 0; i < ol; i++)
			FUZZ_CHECK(buf[i] == in[i] || buf[i] == '?');
		/* truncated only when the next character did not fit */
		if (ol < strlen(in))
			FUZZ_CHECK(ol + 5 > size);
	}
	free(buf);
}

static void quote(const char *in, size_t size)
{
	char *buf = malloc(size ? size : 1);
	const char *out;
	size_t ol, i, j;

	if (buf == NULL)
		abort();
	out = pu_log_quote(in, buf, size);
	if (size < 3) {
		FUZZ_CHECK(strcmp(out, "\"\"") == 0);
		free(buf);
		return;
	}
	FUZZ_CHECK(out == buf);
	FUZZ_CHECK(memchr(buf, '\0', size) != NULL);
	FUZZ_CHECK(clean_utf8((const unsigned char *)buf));
	ol = strlen(buf);
	FUZZ_CHECK(ol >= 2 && buf[0] == '"' && buf[ol - 1] == '"');
	/* unquote: a prefix of the input */
	for (i = 1, j = 0; i < ol - 1;) {
		unsigned char c = (unsigned char)buf[i];

		FUZZ_CHECK(c != '"'); /* every inner quote is escaped */
		if (c != '\\') {
			FUZZ_CHECK(buf[i] == in[j]);
			i++;
			j++;
			continue;
		}
		FUZZ_CHECK(i + 1 < ol - 1);
		if (buf[i + 1] == '"' || buf[i + 1] == '\\') {
			FUZZ_CHECK(in[j] == buf[i + 1]);
			i += 2;
			j++;
			continue;
		}
		FUZZ_CHECK(buf[i + 1] == 'x' && i + 3 < ol - 1);
		{
			char hex[3] = { buf[i + 2], buf[i + 3], '\0' };

			FUZZ_CHECK(strtoul(hex, NULL, 16) == (unsigned char)in[j]);
		}
		i += 4;
		j++;
	}
	FUZZ_CHECK(j <= strlen(in));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t bufsize;
	char *in;

	if (size < 1 || size > 4096)
		return -1;
	bufsize = data[0];
	in = fuzz_cstr(data + 1, size - 1);
	if (in == NULL)
		return -1;
	printable(in, bufsize);
	quote(in, bufsize);
	/* the sizes the module uses */
	printable(in, 256);
	quote(in, 512);
	FUZZ_CHECK(strcmp(pu_log_printable(NULL, (char[4]){ 0 }, 4), "") == 0);
	free(in);
	return 0;
}
