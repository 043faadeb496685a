/* The Redis user store's pure decoders, fed real hiredis replies: RESP
 * bytes through a redisReader, as the module receives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/redis/users.h"

#define NIL ((const char *)0)

/* ---------------- RESP ---------------- */

struct resp {
	char *p;
	size_t len, cap;
};

static void resp_add(struct resp *r, const void *s, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->p = realloc(r->p, r->cap);
		assert_non_null(r->p);
	}
	memcpy(r->p + r->len, s, n);
	r->len += n;
	r->p[r->len] = '\0';
}

static void resp_fmt(struct resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void resp_fmt(struct resp *r, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(tmp));
	resp_add(r, tmp, (size_t)n);
}

/* a bulk string of n bytes, or nil */
static void resp_bulk(struct resp *r, const char *s, size_t n)
{
	if (s == NIL) {
		resp_add(r, "$-1\r\n", 5);
		return;
	}
	resp_fmt(r, "$%zu\r\n", n);
	resp_add(r, s, n);
	resp_add(r, "\r\n", 2);
}

/* One whole reply from RESP bytes; anything else is a broken test. */
static redisReply *reply_of(const char *bytes, size_t len)
{
	redisReader *rd = redisReaderCreate();
	void *rep = NULL, *more = NULL;

	assert_non_null(rd);
	assert_int_equal(redisReaderFeed(rd, bytes, len), REDIS_OK);
	assert_int_equal(redisReaderGetReply(rd, &rep), REDIS_OK);
	assert_non_null(rep);
	assert_int_equal(redisReaderGetReply(rd, &more), REDIS_OK);
	assert_null(more);
	redisReaderFree(rd);
	return rep;
}

static redisReply *reply_str(const char *bytes)
{
	return reply_of(bytes, strlen(bytes));
}

/* The HMGET reply for pu_user_fields: 7 values, NIL for absent. */
static redisReply *hmget(const char *const v[PU_USER_FIELDS])
{
	struct resp r = { NULL, 0, 0 };
	redisReply *rep;

	resp_fmt(&r, "*%d\r\n", PU_USER_FIELDS);
	for (size_t i = 0; i < PU_USER_FIELDS; i++)
		resp_bulk(&r, v[i], v[i] ? strlen(v[i]) : 0);
	rep = reply_of(r.p, r.len);
	free(r.p);
	return rep;
}

static enum pu_status record(const redisReply *rep, struct pu_user *u)
{
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_users_parse_record(rep, u, &err);

	if (st != PU_OK)
		assert_true(err.msg[0] != '\0');
	return st;
}

static enum pu_status record_of(const char *const v[PU_USER_FIELDS],
				struct pu_user *u)
{
	redisReply *rep = hmget(v);
	enum pu_status st = record(rep, u);

	freeReplyObject(rep);
	return st;
}

enum { PW, DISABLED, EXPIRES, MUST_CHANGE, CHANGED, MAX_AGE, WARN_AGE };

/* ---------------- the user record ---------------- */

static void field_order(void **state)
{
	static const char *const want[PU_USER_FIELDS] = {
		"password", "disabled", "expires", "must_change", "changed",
		"max_age", "warn_age",
	};

	(void)state;
	for (size_t i = 0; i < PU_USER_FIELDS; i++)
		assert_string_equal(pu_user_fields[i], want[i]);
}

static void no_such_user(void **state)
{
	const char *v[PU_USER_FIELDS] = { NIL, NIL, NIL, NIL, NIL, NIL, NIL };
	struct pu_user u;

	(void)state;
	memset(&u, 0x5a, sizeof(u));
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_false(u.exists);
	assert_false(u.has_password);
	assert_string_equal(u.password, "");
	assert_false(u.disabled);
	assert_false(u.must_change);
	assert_int_equal(u.expires, 0);
	assert_int_equal(u.changed, 0);
	assert_int_equal(u.max_age, -1);
	assert_int_equal(u.warn_age, -1);
}

static void password_only(void **state)
{
	const char *v[PU_USER_FIELDS] = { "$y$j9T$salt$hash", NIL, NIL, NIL,
					  NIL, NIL, NIL };
	struct pu_user u;

	(void)state;
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_true(u.exists);
	assert_true(u.has_password);
	assert_string_equal(u.password, "$y$j9T$salt$hash");
	assert_false(u.disabled);
	assert_false(u.must_change);
	assert_int_equal(u.expires, 0);
	assert_int_equal(u.changed, 0);
	assert_int_equal(u.max_age, -1);
	assert_int_equal(u.warn_age, -1);
	/* an empty password is a present one (the backend decides) */
	v[PW] = "";
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_true(u.exists);
	assert_true(u.has_password);
	assert_string_equal(u.password, "");
}

static void no_password(void **state)
{
	const char *v[PU_USER_FIELDS] = { NIL, "1", NIL, NIL, NIL, NIL, NIL };
	struct pu_user u;

	(void)state;
	/* a record without a password still exists */
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_true(u.exists);
	assert_false(u.has_password);
	assert_true(u.disabled);
	v[DISABLED] = NIL;
	v[WARN_AGE] = "3";
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_true(u.exists);
	assert_int_equal(u.warn_age, 3);
}

static void every_field(void **state)
{
	const char *v[PU_USER_FIELDS] = {
		"$6$salt$hash", "1", "1800000000", "1", "1690000000", "90", "14",
	};
	struct pu_user u;

	(void)state;
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_true(u.exists);
	assert_true(u.has_password);
	assert_string_equal(u.password, "$6$salt$hash");
	assert_true(u.disabled);
	assert_true(u.must_change);
	assert_int_equal(u.expires, 1800000000LL);
	assert_int_equal(u.changed, 1690000000LL);
	assert_int_equal(u.max_age, 90);
	assert_int_equal(u.warn_age, 14);
	/* zeros are values, not absence */
	v[DISABLED] = v[EXPIRES] = v[MUST_CHANGE] = v[CHANGED] = "0";
	v[MAX_AGE] = v[WARN_AGE] = "0";
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_false(u.disabled);
	assert_false(u.must_change);
	assert_int_equal(u.expires, 0);
	assert_int_equal(u.changed, 0);
	assert_int_equal(u.max_age, 0);
	assert_int_equal(u.warn_age, 0);
	/* the largest number read: 18 digits; ages are capped */
	v[EXPIRES] = v[CHANGED] = "999999999999999999";
	v[MAX_AGE] = "100001";
	v[WARN_AGE] = "999999999999999999";
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_int_equal(u.expires, 999999999999999999LL);
	assert_int_equal(u.changed, 999999999999999999LL);
	assert_int_equal(u.max_age, 100000);
	assert_int_equal(u.warn_age, 100000);
	v[MAX_AGE] = "100000";
	v[WARN_AGE] = "007";
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_int_equal(u.max_age, 100000);
	assert_int_equal(u.warn_age, 7);
}

static void strict_numbers(void **state)
{
	static const char *const bad[] = {
		" 1", "1 ", "+1", "-5", "-0", "1.0", "1e3", "0x10", "", "one",
		"1\n", "\t1", "١", /* Arabic-Indic digit one */
		"1234567890123456789", "9999999999999999999999",
	};
	static const int fields[] = { EXPIRES, CHANGED, MAX_AGE, WARN_AGE };
	const char *v[PU_USER_FIELDS] = { "$y$x", NIL, NIL, NIL, NIL, NIL, NIL };
	struct pu_user u;

	(void)state;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			v[fields[f]] = bad[i];
			if (record_of(v, &u) != PU_UNAVAIL)
				fail_msg("%s = \"%s\" accepted",
					 pu_user_fields[fields[f]], bad[i]);
		}
		v[fields[f]] = "12";
		assert_int_equal(record_of(v, &u), PU_OK);
		v[fields[f]] = NIL;
	}
}

static void flags_fail_closed(void **state)
{
	static const char *const bad[] = {
		"true", "yes", "2", " 1", "1 ", "01", "", "-1", "on", "TRUE",
		"10",
	};
	static const int fields[] = { DISABLED, MUST_CHANGE };
	const char *v[PU_USER_FIELDS] = { "$y$x", NIL, NIL, NIL, NIL, NIL, NIL };
	struct pu_user u;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		bool *flag = fields[f] == DISABLED ? &u.disabled :
			     &u.must_change;

		v[fields[f]] = "1";
		assert_int_equal(record_of(v, &u), PU_OK);
		assert_true(*flag);
		v[fields[f]] = "0";
		assert_int_equal(record_of(v, &u), PU_OK);
		assert_false(*flag);
		v[fields[f]] = NIL;
		assert_int_equal(record_of(v, &u), PU_OK);
		assert_false(*flag);
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			v[fields[f]] = bad[i];
			if (record_of(v, &u) != PU_UNAVAIL)
				fail_msg("%s = \"%s\" accepted",
					 pu_user_fields[fields[f]], bad[i]);
		}
		v[fields[f]] = NIL;
	}
}

static void password_bytes(void **state)
{
	char big[PU_HASH_MAX + 1];
	struct resp r = { NULL, 0, 0 };
	redisReply *rep;
	struct pu_user u;
	const char *v[PU_USER_FIELDS] = { big, NIL, NIL, NIL, NIL, NIL, NIL };

	(void)state;
	/* PU_HASH_MAX - 1 bytes fit with their NUL; PU_HASH_MAX do not */
	memset(big, 'h', sizeof(big));
	big[PU_HASH_MAX - 1] = '\0';
	assert_int_equal(record_of(v, &u), PU_OK);
	assert_int_equal(strlen(u.password), PU_HASH_MAX - 1);
	big[PU_HASH_MAX - 1] = 'h';
	big[PU_HASH_MAX] = '\0';
	assert_int_equal(record_of(v, &u), PU_UNAVAIL);
	/* a NUL inside would cut the hash short: refused */
	resp_fmt(&r, "*%d\r\n", PU_USER_FIELDS);
	resp_bulk(&r, "$6$a\0b", 6);
	for (size_t i = 1; i < PU_USER_FIELDS; i++)
		resp_bulk(&r, NIL, 0);
	rep = reply_of(r.p, r.len);
	assert_int_equal(rep->element[0]->len, 6);
	assert_int_equal(record(rep, &u), PU_UNAVAIL);
	freeReplyObject(rep);
	free(r.p);
}

static void wrong_shape(void **state)
{
	static const char *const bad[] = {
		"$-1\r\n", "*-1\r\n", "*0\r\n", ":7\r\n", "+OK\r\n",
		"$5\r\nhello\r\n", "-ERR wrong\r\n",
		"*6\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n",
		"*8\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n",
	};
	struct pu_user u;

	(void)state;
	assert_int_equal(record(NULL, &u), PU_UNAVAIL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		redisReply *rep = reply_str(bad[i]);

		if (record(rep, &u) != PU_UNAVAIL)
			fail_msg("reply %zu accepted", i);
		freeReplyObject(rep);
	}
}

static void element_not_a_string(void **state)
{
	static const char *const odd[] = {
		":1\r\n", "*1\r\n$1\r\n1\r\n", "*0\r\n", "+1\r\n", "-ERR x\r\n",
	};
	struct pu_user u;

	(void)state;
	/* each kind of element, in each position */
	for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
		for (size_t pos = 0; pos < PU_USER_FIELDS; pos++) {
			struct resp r = { NULL, 0, 0 };
			redisReply *rep;

			resp_fmt(&r, "*%d\r\n", PU_USER_FIELDS);
			for (size_t i = 0; i < PU_USER_FIELDS; i++) {
				if (i == pos)
					resp_add(&r, odd[k], strlen(odd[k]));
				else
					resp_bulk(&r, i == 0 ? "$y$x" : "1",
						  i == 0 ? 4 : 1);
			}
			rep = reply_of(r.p, r.len);
			if (record(rep, &u) != PU_UNAVAIL)
				fail_msg("element %zu as %.2s accepted", pos,
					 odd[k]);
			freeReplyObject(rep);
			free(r.p);
		}
	}
}

/* ---------------- failures ---------------- */

static enum pu_status failures_of(const char *bytes, size_t len,
				  struct pu_failures *f)
{
	struct pu_err err = { PU_OK, "" };
	redisReply *rep = reply_of(bytes, len);
	enum pu_status st = pu_users_parse_failures(rep, f, &err);

	if (st != PU_OK)
		assert_true(err.msg[0] != '\0');
	freeReplyObject(rep);
	return st;
}

static enum pu_status failures_str(const char *bytes, struct pu_failures *f)
{
	return failures_of(bytes, strlen(bytes), f);
}

static void failures(void **state)
{
	struct pu_failures f;

	(void)state;
	memset(&f, 0x5a, sizeof(f));
	assert_int_equal(failures_str("*0\r\n", &f), PU_OK);
	assert_int_equal(f.count, 0);
	assert_int_equal(f.latest, 0);
	assert_int_equal(f.oldest, 0);
	assert_int_equal(failures_str("*2\r\n$2\r\nm1\r\n$10\r\n1700000300\r\n",
				      &f), PU_OK);
	assert_int_equal(f.count, 1);
	assert_int_equal(f.latest, 1700000300LL);
	assert_int_equal(f.oldest, 1700000300LL);
	/* ZREVRANGE: newest first; latest is the first score, oldest the
	 * last, as the reply gives them */
	assert_int_equal(failures_str("*6\r\n"
				      "$2\r\nm3\r\n$10\r\n1700000300\r\n"
				      "$2\r\nm2\r\n$10\r\n1700000200\r\n"
				      "$2\r\nm1\r\n$10\r\n1700000100\r\n", &f),
			 PU_OK);
	assert_int_equal(f.count, 3);
	assert_int_equal(f.latest, 1700000300LL);
	assert_int_equal(f.oldest, 1700000100LL);
	assert_int_equal(failures_str("*4\r\n"
				      "$1\r\na\r\n$1\r\n5\r\n"
				      "$1\r\nb\r\n$1\r\n9\r\n", &f), PU_OK);
	assert_int_equal(f.latest, 5);
	assert_int_equal(f.oldest, 9);
}

static void failures_garbage(void **state)
{
	static const char *const bad[] = {
		/* not an array */
		"$-1\r\n", "*-1\r\n", ":0\r\n", "+OK\r\n", "-ERR x\r\n",
		"$1\r\n1\r\n",
		/* odd count */
		"*1\r\n$2\r\nm1\r\n",
		"*3\r\n$2\r\nm1\r\n$1\r\n5\r\n$2\r\nm2\r\n",
		/* scores that are not whole seconds */
		"*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n",
		"*2\r\n$1\r\nm\r\n$3\r\nabc\r\n",
		"*2\r\n$1\r\nm\r\n$0\r\n\r\n",
		"*2\r\n$1\r\nm\r\n$2\r\n-1\r\n",
		"*2\r\n$1\r\nm\r\n$2\r\n 1\r\n",
		"*2\r\n$1\r\nm\r\n$5\r\n1e+09\r\n",
		"*2\r\n$1\r\nm\r\n$3\r\ninf\r\n",
		"*2\r\n$1\r\nm\r\n$19\r\n1234567890123456789\r\n",
		"*2\r\n$1\r\nm\r\n$-1\r\n",
		"*2\r\n$1\r\nm\r\n:5\r\n",
		"*2\r\n$1\r\nm\r\n*1\r\n$1\r\n5\r\n",
		/* the garbage in the last pair */
		"*4\r\n$1\r\na\r\n$1\r\n5\r\n$1\r\nb\r\n$1\r\nx\r\n",
	};
	struct pu_err err = { PU_OK, "" };
	struct pu_failures f;

	(void)state;
	assert_int_equal(pu_users_parse_failures(NULL, &f, &err), PU_UNAVAIL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (failures_str(bad[i], &f) != PU_UNAVAIL)
			fail_msg("failures reply %zu accepted: %s", i, bad[i]);
}

/* A reply of n pairs. */
static enum pu_status failures_n(size_t pairs, struct pu_failures *f)
{
	struct resp r = { NULL, 0, 0 };
	enum pu_status st;

	resp_fmt(&r, "*%zu\r\n", 2 * pairs);
	for (size_t i = 0; i < pairs; i++)
		resp_add(&r, "$1\r\nm\r\n$1\r\n7\r\n", 14);
	st = failures_of(r.p, r.len, f);
	free(r.p);
	return st;
}

static void failures_cap(void **state)
{
	struct pu_failures f;

	(void)state;
	assert_int_equal(failures_n(100000, &f), PU_OK);
	assert_int_equal(f.count, 100000);
	assert_int_equal(failures_n(100001, &f), PU_UNAVAIL);
}

/* ---------------- keys ---------------- */

static void users_key(void **state)
{
	const char *want = "pam:user:{alice}";
	size_t n = strlen(want);
	char buf[64];

	(void)state;
	assert_true(pu_users_key(buf, sizeof(buf), "pam:", "user", "alice"));
	assert_string_equal(buf, want);
	/* exactly fits with its NUL */
	assert_true(pu_users_key(buf, n + 1, "pam:", "user", "alice"));
	assert_string_equal(buf, want);
	/* one byte short: does not fit, and says so */
	assert_false(pu_users_key(buf, n, "pam:", "user", "alice"));
	assert_false(pu_users_key(buf, 1, "pam:", "user", "alice"));
	assert_true(pu_users_key(buf, sizeof(buf), "", "fail", "bob"));
	assert_string_equal(buf, "fail:{bob}");
	assert_true(pu_users_key(buf, sizeof(buf), "x:", "sessions", ""));
	assert_string_equal(buf, "x:sessions:{}");
}

static void users_key_max(void **state)
{
	char user[PU_KEY_MAX], buf[PU_KEY_MAX];
	size_t fixed = strlen("pam:user:{}");

	(void)state;
	memset(user, 'u', sizeof(user));
	/* the longest user name that fits a PU_KEY_MAX buffer */
	user[PU_KEY_MAX - 1 - fixed] = '\0';
	assert_true(pu_users_key(buf, sizeof(buf), "pam:", "user", user));
	assert_int_equal(strlen(buf), PU_KEY_MAX - 1);
	user[PU_KEY_MAX - 1 - fixed] = 'u';
	user[PU_KEY_MAX - fixed] = '\0';
	assert_false(pu_users_key(buf, sizeof(buf), "pam:", "user", user));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(field_order),
		cmocka_unit_test(no_such_user),
		cmocka_unit_test(password_only),
		cmocka_unit_test(no_password),
		cmocka_unit_test(every_field),
		cmocka_unit_test(strict_numbers),
		cmocka_unit_test(flags_fail_closed),
		cmocka_unit_test(password_bytes),
		cmocka_unit_test(wrong_shape),
		cmocka_unit_test(element_not_a_string),
		cmocka_unit_test(failures),
		cmocka_unit_test(failures_garbage),
		cmocka_unit_test(failures_cap),
		cmocka_unit_test(users_key),
		cmocka_unit_test(users_key_max),
	};

	return cmocka_run_group_tests_name("users", tests, NULL, NULL);
}
