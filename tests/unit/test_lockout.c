/* The lockout rule (pam_faillock's), as a table of cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>

#include "backends/redis/lockout.h"

#define L 1700000000LL /* the latest failure in every row */

static void enabled(void **state)
{
	struct pu_lockout l = { 0, 900, 600 };

	(void)state;
	assert_false(pu_lockout_enabled(NULL));
	assert_false(pu_lockout_enabled(&l));
	l.deny = 1;
	assert_true(pu_lockout_enabled(&l));
	l.deny = 1000;
	assert_true(pu_lockout_enabled(&l));
}

static void table(void **state)
{
	static const struct {
		const char *name;
		long deny, fail_interval, unlock_time;
		int count;
		long long oldest, now;
		bool locked;
		long long unlock_at; /* checked when locked */
	} rows[] = {
		{ "deny 0 is off", 0, 900, 600, 5, L - 10, L + 1, false, 0 },
		{ "below deny", 3, 900, 600, 2, L - 10, L + 1, false, 0 },
		{ "no failures", 3, 900, 600, 0, 0, L, false, 0 },
		{ "at deny, within the interval", 3, 900, 600, 3, L - 100,
		  L + 10, true, L + 600 },
		{ "deny 1, one failure", 1, 900, 600, 1, L, L + 1, true,
		  L + 600 },
		{ "more than deny (store kept extra)", 3, 900, 600, 4, L - 10,
		  L + 1, true, L + 600 },
		{ "all in the same second", 3, 1, 600, 3, L, L, true, L + 600 },
		{ "spread wider than the interval", 3, 900, 600, 3, L - 901,
		  L + 1, false, 0 },
		{ "spread far wider", 3, 60, 600, 3, L - 86400, L + 1, false, 0 },
		{ "spread one second inside", 3, 900, 600, 3, L - 899, L + 1,
		  true, L + 600 },
		/* pam_faillock counts a failure only while
		 * latest - t < fail_interval */
		{ "spread exactly the interval", 3, 900, 600, 3, L - 900,
		  L + 1, false, 0 },
		{ "unlock_time 0: locked until reset", 3, 900, 0, 3, L - 10,
		  L + 10LL * 365 * 86400, true, 0 },
		{ "unlock_time 0, right away", 3, 900, 0, 3, L - 10, L, true, 0 },
		{ "one second before unlock", 3, 900, 600, 3, L - 10, L + 599,
		  true, L + 600 },
		/* pam_faillock unlocks only when latest + unlock_time < now:
		 * still locked at that second */
		{ "at unlock", 3, 900, 600, 3, L - 10, L + 600, true, L + 600 },
		{ "after unlock", 3, 900, 600, 3, L - 10, L + 601, false, 0 },
		{ "long after unlock", 3, 900, 600, 3, L - 10, L + 86400, false,
		  0 },
		{ "clock behind the latest failure", 3, 900, 600, 3, L - 10,
		  L - 5, true, L + 600 },
		{ "at the failure itself", 3, 900, 600, 3, L - 10, L, true,
		  L + 600 },
		{ "unlock shorter than the interval", 3, 900, 30, 3, L - 800,
		  L + 29, true, L + 30 },
		{ "unlock shorter than the interval, last second", 3, 900, 30,
		  3, L - 800, L + 30, true, L + 30 },
		{ "unlock shorter than the interval, over", 3, 900, 30, 3,
		  L - 800, L + 31, false, 0 },
		{ "largest options", 1000, 31536000, 31536000, 1000,
		  L - 31535999, L + 31536000, true, L + 31536000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pu_lockout l = { rows[i].deny, rows[i].fail_interval,
					rows[i].unlock_time };
		struct pu_failures f = { rows[i].count, L, rows[i].oldest };
		long long at = -1;
		bool got = pu_lockout_active(&l, &f, rows[i].now, &at);

		if (got != rows[i].locked)
			fail_msg("%s: locked=%d, want %d", rows[i].name, got,
				 rows[i].locked);
		if (got && at != rows[i].unlock_at)
			fail_msg("%s: unlock_at=%lld, want %lld", rows[i].name,
				 at, rows[i].unlock_at);
		/* every path sets it: never left as the caller had it */
		if (at == -1)
			fail_msg("%s: unlock_at not set", rows[i].name);
	}
}

/* Off or too few failures: nothing to unlock. */
static void unlock_at_zero_when_never_locked(void **state)
{
	struct pu_lockout l = { 3, 900, 600 };
	struct pu_failures few = { 2, L, L - 10 }, wide = { 3, L, L - 5000 };
	long long at = 42;

	(void)state;
	assert_false(pu_lockout_active(&l, &few, L, &at));
	assert_int_equal(at, 0);
	at = 42;
	assert_false(pu_lockout_active(&l, &wide, L, &at));
	assert_int_equal(at, 0);
	l.deny = 0;
	at = 42;
	assert_false(pu_lockout_active(&l, &few, L, &at));
	assert_int_equal(at, 0);
	at = 42;
	assert_false(pu_lockout_active(NULL, &few, L, &at));
	assert_int_equal(at, 0);
}

/* Once unlock_time has passed, nothing to unlock either. */
static void unlock_at_zero_after_unlock(void **state)
{
	struct pu_lockout l = { 3, 900, 600 };
	struct pu_failures f = { 3, L, L - 10 };
	long long at = 42;

	(void)state;
	assert_false(pu_lockout_active(&l, &f, L + 601, &at));
	assert_int_equal(at, 0);
}

/* The rule does not depend on where "now" is relative to the epoch. */
static void large_times(void **state)
{
	struct pu_lockout l = { 2, 60, 600 };
	struct pu_failures f = { 2, LLONG_MAX / 2, LLONG_MAX / 2 - 59 };
	long long at = 0;

	(void)state;
	assert_true(pu_lockout_active(&l, &f, LLONG_MAX / 2 + 1, &at));
	assert_int_equal(at, LLONG_MAX / 2 + 600);
	assert_true(pu_lockout_active(&l, &f, LLONG_MAX / 2 + 600, &at));
	assert_false(pu_lockout_active(&l, &f, LLONG_MAX / 2 + 601, &at));
	f.oldest = 0;
	assert_false(pu_lockout_active(&l, &f, LLONG_MAX / 2 + 1, &at));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enabled),
		cmocka_unit_test(table),
		cmocka_unit_test(unlock_at_zero_when_never_locked),
		cmocka_unit_test(unlock_at_zero_after_unlock),
		cmocka_unit_test(large_times),
	};

	return cmocka_run_group_tests_name("lockout", tests, NULL, NULL);
}
