/*
 * Redis replies as the redis backend decodes them: the input is RESP
 * bytes for hiredis's redisReader (several replies may follow each
 * other), and each reply goes to pu_users_parse_record() (HMGET of the
 * user's fields) and pu_users_parse_failures() (ZREVRANGE WITHSCORES).
 * Each decoder is checked against the rules in users.h: a record is read
 * strictly (flags "0"/"1", numbers plain decimal), and what it returns is
 * exactly what the reply held; the lockout rule is then run on it.
 */
#include "backends/redis/lockout.h"
#include "backends/redis/users.h"
#include "fuzz.h"
#include "resp.h"

/* plain decimal, at most 18 digits (users.c's rule, written out again) */
static bool number(const redisReply *e, long long *v)
{
	*v = 0;
	if (e->type != REDIS_REPLY_STRING || e->len == 0 || e->len > 18)
		return false;
	for (size_t i = 0; i < e->len; i++) {
		if (e->str[i] < '0' || e->str[i] > '9')
			return false;
		*v = *v * 10 + (e->str[i] - '0');
	}
	return true;
}

static void check_record(const redisReply *rep)
{
	struct pu_user u;
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_users_parse_record(rep, &u, &err);
	bool any = false;

	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL);
		return;
	}
	FUZZ_CHECK(rep->type == REDIS_REPLY_ARRAY);
	FUZZ_CHECK(rep->elements == PU_USER_FIELDS);
	for (size_t i = 0; i < PU_USER_FIELDS; i++) {
		const redisReply *e = rep->element[i];

		FUZZ_CHECK(e->type == REDIS_REPLY_NIL ||
			   e->type == REDIS_REPLY_STRING);
		any |= e->type != REDIS_REPLY_NIL;
	}
	FUZZ_CHECK(u.exists == any);

	/* password: the stored string, whole, as a C string */
	FUZZ_TERMINATED(u.password);
	FUZZ_CHECK(u.has_password == (rep->element[0]->type == REDIS_REPLY_STRING));
	if (u.has_password) {
		FUZZ_CHECK(strlen(u.password) == rep->element[0]->len);
		FUZZ_CHECK(memcmp(u.password, rep->element[0]->str,
				  rep->element[0]->len) == 0);
	} else {
		FUZZ_CHECK(u.password[0] == '\0');
	}
	/* flags */
	{
		const redisReply *d = rep->element[1], *m = rep->element[3];

		FUZZ_CHECK(d->type == REDIS_REPLY_NIL ||
			   (d->len == 1 && (d->str[0] == '0' || d->str[0] == '1')));
		FUZZ_CHECK(m->type == REDIS_REPLY_NIL ||
			   (m->len == 1 && (m->str[0] == '0' || m->str[0] == '1')));
		FUZZ_CHECK(u.disabled == (d->type != REDIS_REPLY_NIL && d->str[0] == '1'));
		FUZZ_CHECK(u.must_change == (m->type != REDIS_REPLY_NIL && m->str[0] == '1'));
	}
	/* numbers */
	{
		static const size_t idx[] = { 2, 4, 5, 6 };
		long long v[4];

		for (size_t k = 0; k < 4; k++) {
			const redisReply *e = rep->element[idx[k]];

			if (e->type == REDIS_REPLY_NIL) {
				v[k] = -2;
				continue;
			}
			FUZZ_CHECK(number(e, &v[k]));
		}
		FUZZ_CHECK(u.expires == (v[0] == -2 ? 0 : v[0]));
		FUZZ_CHECK(u.changed == (v[1] == -2 ? 0 : v[1]));
		FUZZ_CHECK(u.max_age == (v[2] == -2 ? -1 : v[2] > 100000 ? 100000 : v[2]));
		FUZZ_CHECK(u.warn_age == (v[3] == -2 ? -1 : v[3] > 100000 ? 100000 : v[3]));
		FUZZ_CHECK(u.expires >= 0 && u.changed >= 0);
	}
}

static void check_failures(const redisReply *rep)
{
	struct pu_failures f;
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_users_parse_failures(rep, &f, &err);

	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_UNAVAIL);
		return;
	}
	FUZZ_CHECK(rep->type == REDIS_REPLY_ARRAY && rep->elements % 2 == 0);
	FUZZ_CHECK(f.count >= 0 && (size_t)f.count == rep->elements / 2);
	if (f.count == 0) {
		FUZZ_CHECK(f.latest == 0 && f.oldest == 0);
	} else {
		long long first, last;

		FUZZ_CHECK(number(rep->element[1], &first));
		FUZZ_CHECK(number(rep->element[rep->elements - 1], &last));
		FUZZ_CHECK(f.latest == first && f.oldest == last);
	}

	/* the rule on what was read: no overflow, unlock after the latest */
	{
		static const struct pu_lockout locks[] = {
			{ 0, 900, 600 }, { 1, 1, 0 }, { 3, 900, 600 },
			{ 1000, 31536000, 31536000 },
		};

		for (size_t i = 0; i < sizeof(locks) / sizeof(locks[0]); i++) {
			long long at = -1;
			bool on = pu_lockout_active(&locks[i], &f, 1700000000LL,
						    &at);

			FUZZ_CHECK(at >= 0);
			if (on && locks[i].unlock_time > 0)
				FUZZ_CHECK(at == f.latest + locks[i].unlock_time);
			if (on)
				FUZZ_CHECK(f.count >= locks[i].deny &&
					   locks[i].deny > 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd;

	if (!fuzz_resp_acceptable(data, size))
		return -1;
	rd = redisReaderCreate();
	if (rd == NULL)
		abort();
	if (redisReaderFeed(rd, (const char *)data, size) != REDIS_OK)
		abort();
	for (int n = 0; n < 64; n++) {
		void *reply = NULL;

		if (redisReaderGetReply(rd, &reply) != REDIS_OK || reply == NULL)
			break;
		check_record(reply);
		check_failures(reply);
		/* a NULL reply (no answer at all) is an error too */
		if (n == 0) {
			struct pu_user u;
			struct pu_failures f;

			FUZZ_CHECK(pu_users_parse_record(NULL, &u, NULL) == PU_UNAVAIL);
			FUZZ_CHECK(pu_users_parse_failures(NULL, &f, NULL) == PU_UNAVAIL);
		}
		freeReplyObject(reply);
	}
	redisReaderFree(rd);
	return 0;
}
