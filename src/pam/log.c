#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4) that is not a control
 * character, or 0. */
static size_t good_char(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x20 || c == 0x7f)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* C1 controls (U+0080..U+009F, e.g. CSI U+009B), overlongs,
	 * surrogates and beyond U+10FFFF */
	if (cp < 0xa0 || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

const char *pu_log_printable(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	if (size == 0)
		return "";
	if (s == NULL) {
		buf[0] = '\0';
		return buf;
	}
	while (*p != '\0') {
		size_t n = good_char(p);

		if (n == 0) {
			if (used + 2 > size)
				break;
			buf[used++] = '?';
			p++;
			continue;
		}
		if (used + n + 1 > size)
			break;
		memcpy(buf + used, p, n);
		used += n;
		p += n;
	}
	buf[used] = '\0';
	return buf;
}

const char *pu_log_quote(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t used = 0;

	if (size < 3)
		return "\"\"";
	buf[used++] = '"';
	while (*p != '\0') {
		char esc[8];
		size_t n = good_char(p), k;

		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			k = 4;
			n = 1;
		} else if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			k = 2;
		} else {
			memcpy(esc, p, n);
			k = n;
		}
		if (used + k + 2 > size)
			break;
		memcpy(buf + used, esc, k);
		used += k;
		p += n;
	}
	buf[used++] = '"';
	buf[used] = '\0';
	return buf;
}
