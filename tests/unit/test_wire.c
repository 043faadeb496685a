/* Wire codecs: every well-formed and every malformed reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "backends/socket/wire.h"

static enum pu_status rdec(const char *s)
{
	struct pu_err err = { PU_OK, "" };

	return pu_redirector_decode(s, strlen(s), &err);
}

static void redirector_replies(void **state)
{
	char big[PU_REPLY_MAX + 2];

	(void)state;
	assert_int_equal(rdec("0"), PU_OK);
	assert_int_equal(rdec("0\n"), PU_OK);
	assert_int_equal(rdec("0 \t\r\n"), PU_OK);
	assert_int_equal(rdec("1"), PU_DENIED);
	assert_int_equal(rdec("1\n"), PU_DENIED);
	/* pam_redirector let these through as success; we do not */
	assert_int_equal(rdec(""), PU_UNAVAIL);
	assert_int_equal(rdec("\n"), PU_UNAVAIL);
	assert_int_equal(rdec("00"), PU_UNAVAIL);
	assert_int_equal(rdec("0x"), PU_UNAVAIL);
	assert_int_equal(rdec(" 0"), PU_UNAVAIL);
	assert_int_equal(rdec("2"), PU_UNAVAIL);
	assert_int_equal(rdec("OK\n"), PU_UNAVAIL);
	assert_int_equal(rdec("0\nextra"), PU_UNAVAIL);
	assert_int_equal(pu_redirector_decode("0\0", 2, NULL), PU_UNAVAIL);
	memset(big, ' ', sizeof(big));
	big[0] = '0';
	assert_int_equal(pu_redirector_decode(big, PU_REPLY_MAX + 1, NULL),
			 PU_UNAVAIL);
}

static void redirector_request(void **state)
{
	struct pu_buf b = { NULL, 0, 0 };

	(void)state;
	assert_int_equal(pu_redirector_encode(&b, "alice", "pw d", NULL), PU_OK);
	assert_int_equal(b.len, strlen("alice\npw d\n"));
	assert_memory_equal(b.data, "alice\npw d\n", b.len);
	pu_buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(pu_redirector_encode(&b, "al\nice", "x", NULL),
			 PU_USER_UNKNOWN);
	assert_int_equal(pu_redirector_encode(&b, "alice", "x\ry", NULL),
			 PU_DENIED);
	assert_null(b.data);
	pu_buf_wipe(NULL);
}

static void field_check(void **state)
{
	(void)state;
	assert_true(pu_wire_field_ok("abc", 3));
	assert_true(pu_wire_field_ok("", 0));
	assert_false(pu_wire_field_ok("a\nb", 3));
	assert_false(pu_wire_field_ok("a\rb", 3));
	assert_false(pu_wire_field_ok("a\0b", 3));
}

static void v1_request(void **state)
{
	struct pu_buf b = { NULL, 0, 0 };
	struct pu_v1_request r;
	const char *want = "v=1\nop=chauthtok\nphase=update\nservice=passwd\n"
			   "user=alice\nrhost=\nruser=\ntty=pts/1\n"
			   "old_password=old\nnew_password=new pw\n\n";

	(void)state;
	memset(&r, 0, sizeof(r));
	r.op = "chauthtok";
	r.phase = "update";
	r.service = "passwd";
	r.user = "alice";
	r.tty = "pts/1";
	r.old_password = "old";
	r.new_password = "new pw";
	assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_OK);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	pu_buf_wipe(&b);

	/* each field: CR or LF refused, nothing produced */
	{
		const char **fields[] = { &r.service, &r.rhost, &r.ruser, &r.tty,
					  &r.old_password, &r.new_password,
					  &r.phase };

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			const char *save = *fields[i];

			*fields[i] = "x\ny";
			assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_DENIED);
			assert_null(b.data);
			*fields[i] = "x\ry";
			assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_DENIED);
			*fields[i] = save;
		}
	}
	r.user = "ali\nce";
	assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_USER_UNKNOWN);
	r.user = NULL;
	assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_CONFIG);
	assert_null(b.data);
}

static void v1_request_grows(void **state)
{
	struct pu_buf b = { NULL, 0, 0 };
	struct pu_v1_request r;
	char pw[3000];

	(void)state;
	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.op = "authenticate";
	r.user = "alice";
	r.password = pw;
	assert_int_equal(pu_v1_encode(&b, &r, NULL), PU_OK);
	assert_true(b.len > sizeof(pw));
	assert_non_null(strstr(b.data, "\npassword=ppp"));
	assert_memory_equal(b.data + b.len - 2, "\n\n", 2);
	pu_buf_wipe(&b);
}

static enum pu_status vdec(const char *s, struct pu_v1_reply *out)
{
	return pu_v1_decode(s, strlen(s), out, NULL);
}

static void v1_replies(void **state)
{
	static const struct {
		const char *line;
		enum pu_status status;
		const char *msg;
	} good[] = {
		{ "OK\n", PU_OK, "" },
		{ "OK Welcome back\n", PU_OK, "Welcome back" },
		{ "OK \n", PU_OK, "" },
		{ "DENY\n", PU_DENIED, "" },
		{ "DENY Wrong password\n", PU_DENIED, "Wrong password" },
		{ "UNKNOWN\n", PU_USER_UNKNOWN, "" },
		{ "EXPIRED Account expired\n", PU_EXPIRED, "Account expired" },
		{ "NEWTOK Change it\n", PU_NEWTOK, "Change it" },
		{ "ERROR db down\n", PU_UNAVAIL, "db down" },
		{ "OK crlf\r\n", PU_OK, "crlf" },
	};
	static const char *const bad[] = {
		"", "\n", "OK", "OK partial", "ok\n", "OKAY\n", " OK\n",
		"YES\n", "0\n", "DENY\rx\n", "OK\tx\n", "\r\n",
	};
	struct pu_v1_reply rep;
	char big[PU_REPLY_MAX + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(vdec(good[i].line, &rep), PU_OK);
		assert_int_equal(rep.status, good[i].status);
		assert_string_equal(rep.msg, good[i].msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vdec(bad[i], &rep) != PU_UNAVAIL)
			fail_msg("reply \"%s\" was accepted", bad[i]);
		assert_int_equal(rep.status, PU_UNAVAIL);
	}
	assert_int_equal(pu_v1_decode("OK a\0b\n", 7, &rep, NULL), PU_UNAVAIL);
	/* exactly 4 KiB including the newline is fine; one more is not */
	memset(big, 'A', sizeof(big));
	memcpy(big, "OK ", 3);
	big[PU_REPLY_MAX - 1] = '\n';
	assert_int_equal(pu_v1_decode(big, PU_REPLY_MAX, &rep, NULL), PU_OK);
	assert_int_equal(strlen(rep.msg), PU_REPLY_MAX - 4);
	big[PU_REPLY_MAX - 1] = 'A';
	big[PU_REPLY_MAX] = '\n';
	assert_int_equal(pu_v1_decode(big, PU_REPLY_MAX + 1, &rep, NULL),
			 PU_UNAVAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redirector_replies),
		cmocka_unit_test(redirector_request),
		cmocka_unit_test(field_check),
		cmocka_unit_test(v1_request),
		cmocka_unit_test(v1_request_grows),
		cmocka_unit_test(v1_replies),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
