/* Text that leaves the module: no terminal controls, no broken UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pam/log.h"

static const struct {
	const char *in, *out;
} printable_rows[] = {
	{ "alice", "alice" },
	{ "", "" },
	{ "a b~", "a b~" },
	/* C0 controls and DEL */
	{ "a\tb\nc\rd", "a?b?c?d" },
	{ "\x1b[31mred", "?[31mred" },
	{ "\x01\x1f", "??" },
	{ "x\x7fy", "x?y" },
	/* C1 controls as raw bytes (not UTF-8 either) */
	{ "\x80", "?" },
	{ "\x9b" "2J", "?2J" },
	{ "\x85\x9f", "??" },
	/* C1 controls as UTF-8: U+0080, U+0085 (NEL), U+009B (CSI),
	 * U+009F; the whole sequence is refused, byte by byte */
	{ "\xc2\x80", "??" },
	{ "\xc2\x85", "??" },
	{ "a\xc2\x9b" "2Jb", "a??2Jb" },
	{ "\xc2\x9f", "??" },
	/* U+00A0 is the first character after them */
	{ "\xc2\xa0", "\xc2\xa0" },
	/* valid UTF-8 kept: 2, 3 and 4 bytes, and the edges */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "\xe2\x82\xac" "5", "\xe2\x82\xac" "5" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ "\xdf\xbf", "\xdf\xbf" },             /* U+07FF */
	{ "\xe0\xa0\x80", "\xe0\xa0\x80" },     /* U+0800 */
	{ "\xed\x9f\xbf", "\xed\x9f\xbf" },     /* U+D7FF */
	{ "\xee\x80\x80", "\xee\x80\x80" },     /* U+E000 */
	{ "\xef\xbf\xbf", "\xef\xbf\xbf" },     /* U+FFFF */
	{ "\xf0\x90\x80\x80", "\xf0\x90\x80\x80" }, /* U+10000 */
	{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" }, /* U+10FFFF */
	/* overlong forms */
	{ "\xc0\xaf", "??" },
	{ "\xc1\xbf", "??" },
	{ "\xe0\x80\xaf", "???" },
	{ "\xe0\x9f\xbf", "???" },
	{ "\xf0\x80\x80\xaf", "????" },
	{ "\xf0\x8f\xbf\xbf", "????" },
	/* surrogates, beyond U+10FFFF, bytes that never start a character */
	{ "\xed\xa0\x80", "???" },
	{ "\xed\xbf\xbf", "???" },
	{ "\xf4\x90\x80\x80", "????" },
	{ "\xf5\x80\x80\x80", "????" },
	{ "\xf8\x88\x80\x80\x80", "?????" },
	{ "\xfe\xff", "??" },
	/* cut short: by the end, by an ASCII byte, by another lead */
	{ "ab\xe2\x82", "ab??" },
	{ "\xe2\x82z", "??z" },
	{ "\xc3\xc3\xa9", "?\xc3\xa9" },
	{ "\xf0\x9f\x98", "???" },
	/* a lone continuation byte */
	{ "a\xa9z", "a?z" },
};

static void printable(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(printable_rows) / sizeof(printable_rows[0]);
	     i++) {
		/* on the heap, exactly sized: ASan sees a read past the NUL */
		char *in = strdup(printable_rows[i].in);
		const char *got;

		assert_non_null(in);
		got = pu_log_printable(in, buf, sizeof(buf));
		free(in);
		assert_ptr_equal(got, buf);
		if (strcmp(got, printable_rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, got,
				 printable_rows[i].out);
	}
}

static void printable_null_and_tiny(void **state)
{
	char buf[8] = "xxxxxxx";

	(void)state;
	assert_string_equal(pu_log_printable(NULL, buf, sizeof(buf)), "");
	assert_string_equal(buf, "");
	/* size 0: nothing written */
	memcpy(buf, "xxxxxxx", 8);
	assert_string_equal(pu_log_printable("abc", buf, 0), "");
	assert_string_equal(buf, "xxxxxxx");
	assert_string_equal(pu_log_printable(NULL, buf, 0), "");
	assert_string_equal(pu_log_printable("abc", buf, 1), "");
	assert_string_equal(pu_log_printable("\x01", buf, 1), "");
}

static void printable_truncation(void **state)
{
	static const struct {
		const char *in;
		size_t size;
		const char *out;
	} rows[] = {
		{ "abcdef", 4, "abc" },
		{ "abc", 4, "abc" },
		{ "\x01\x02\x03\x04", 3, "??" },
		/* a character that does not fit whole is left out */
		{ "a\xe2\x82\xac", 4, "a" },
		{ "a\xe2\x82\xac", 5, "a\xe2\x82\xac" },
		{ "\xf0\x9f\x98\x80", 4, "" },
		{ "\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80" },
		{ "\xc3\xa9\xc3\xa9", 4, "\xc3\xa9" },
		{ "\xc3\xa9\x01", 4, "\xc3\xa9?" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		pu_log_printable(rows[i].in, buf, rows[i].size);
		if (strcmp(buf, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, buf,
				 rows[i].out);
		/* nothing written past size */
		for (size_t k = rows[i].size; k < sizeof(buf); k++)
			assert_int_equal(buf[k], 'Z');
	}
}

/* Whatever the input and size, the result fits and is already clean. */
static void printable_is_idempotent(void **state)
{
	static const char mixed[] =
		"u\xc3\xa9\x1b[0m\xe2\x82\xac\xc2\x9b\xff\xf0\x9f\x98\x80"
		"\x7f\xe2\x82\"\\\xf4\x8f\xbf\xbf\xc0\xaf end";
	char a[64], b[64];

	(void)state;
	for (size_t size = 1; size <= sizeof(a); size++) {
		pu_log_printable(mixed, a, size);
		assert_true(strlen(a) < size);
		pu_log_printable(a, b, sizeof(b));
		assert_string_equal(a, b);
		for (const unsigned char *p = (const unsigned char *)a; *p; p++)
			assert_true(*p >= 0x20 && *p != 0x7f);
	}
}

static const struct {
	const char *in, *out;
} quote_rows[] = {
	{ "alice", "\"alice\"" },
	{ "", "\"\"" },
	{ "two words", "\"two words\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "a\\b", "\"a\\\\b\"" },
	{ "\\x41", "\"\\\\x41\"" },
	{ "\"\\\"", "\"\\\"\\\\\\\"\"" },
	{ "a\nb", "\"a\\x0ab\"" },
	{ "\x1b[2J", "\"\\x1b[2J\"" },
	{ "\t\r", "\"\\x09\\x0d\"" },
	{ "\x7f", "\"\\x7f\"" },
	{ "\x9b", "\"\\x9b\"" },
	{ "\xc2\x9b", "\"\\xc2\\x9b\"" },
	{ "\xc0\xaf", "\"\\xc0\\xaf\"" },
	{ "\xff", "\"\\xff\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	{ "user=x result=ok", "\"user=x result=ok\"" },
};

static void quote(void **state)
{
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(quote_rows) / sizeof(quote_rows[0]); i++) {
		char *in = strdup(quote_rows[i].in);
		const char *got;

		assert_non_null(in);
		got = pu_log_quote(in, buf, sizeof(buf));
		free(in);
		assert_ptr_equal(got, buf);
		if (strcmp(got, quote_rows[i].out) != 0)
			fail_msg("row %zu: got %s, want %s", i, got,
				 quote_rows[i].out);
	}
	assert_string_equal(pu_log_quote(NULL, buf, sizeof(buf)), "\"\"");
}

static void quote_truncation(void **state)
{
	static const struct {
		const char *in;
		size_t size;
		const char *out;
	} rows[] = {
		{ "abcdef", 6, "\"abc\"" },
		{ "abc", 6, "\"abc\"" },
		{ "abc", 3, "\"\"" },
		/* an escape is whole or absent */
		{ "ab\n", 8, "\"ab\"" },
		{ "ab\n", 9, "\"ab\\x0a\"" },
		{ "a\"", 5, "\"a\"" },
		{ "a\"", 6, "\"a\\\"\"" },
		/* so is a character */
		{ "a\xe2\x82\xac", 6, "\"a\"" },
		{ "a\xe2\x82\xac", 7, "\"a\xe2\x82\xac\"" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		pu_log_quote(rows[i].in, buf, rows[i].size);
		if (strcmp(buf, rows[i].out) != 0)
			fail_msg("row %zu: got %s, want %s", i, buf, rows[i].out);
		for (size_t k = rows[i].size; k < sizeof(buf); k++)
			assert_int_equal(buf[k], 'Z');
	}
	/* too small for even the quotes: a constant, the buffer untouched */
	memset(buf, 'Z', sizeof(buf));
	assert_string_equal(pu_log_quote("abc", buf, 2), "\"\"");
	assert_string_equal(pu_log_quote("abc", buf, 0), "\"\"");
	assert_int_equal(buf[0], 'Z');
}

/* Every size: fits, closed by a quote, no control, no lone backslash. */
static void quote_any_size(void **state)
{
	static const char mixed[] =
		"a\"\\\n\xc3\xa9\x1b\xc2\x9b\xe2\x82\xac\x7f\xff z";
	char buf[80];

	(void)state;
	for (size_t size = 3; size <= sizeof(buf); size++) {
		size_t n, i;

		pu_log_quote(mixed, buf, size);
		n = strlen(buf);
		assert_true(n < size);
		assert_true(n >= 2);
		assert_int_equal(buf[0], '"');
		assert_int_equal(buf[n - 1], '"');
		for (i = 1; i < n - 1; i++) {
			unsigned char c = (unsigned char)buf[i];

			assert_true(c >= 0x20 && c != 0x7f);
			if (c == '"')
				fail_msg("size %zu: bare quote at %zu: %s", size,
					 i, buf);
			if (c == '\\') {
				/* \\, \" or \xNN, never cut */
				i++;
				assert_true(i < n - 1);
				if (buf[i] == 'x')
					i += 2;
				else
					assert_true(buf[i] == '\\' ||
						    buf[i] == '"');
				assert_true(i < n - 1);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(printable),
		cmocka_unit_test(printable_null_and_tiny),
		cmocka_unit_test(printable_truncation),
		cmocka_unit_test(printable_is_idempotent),
		cmocka_unit_test(quote),
		cmocka_unit_test(quote_truncation),
		cmocka_unit_test(quote_any_size),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
