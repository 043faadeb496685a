/* The one status -> PAM code mapping (SPEC section 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <security/_pam_types.h>
#include <string.h>

#include "pam/pamcode.h"

static void only_ok_is_success(void **state)
{
	(void)state;
	for (int op = 0; op < PU_OP_COUNT; op++) {
		assert_int_equal(pu_status_to_pam(op, PU_OK), PAM_SUCCESS);
		for (int st = 1; st < PU_STATUS_COUNT; st++)
			assert_int_not_equal(pu_status_to_pam(op, st), PAM_SUCCESS);
		assert_int_equal(pu_status_to_pam(op, PU_STATUS_COUNT),
				 PAM_SERVICE_ERR);
	}
	assert_int_equal(pu_status_to_pam(PU_OP_COUNT, PU_DENIED), PAM_SERVICE_ERR);
}

static void table(void **state)
{
	static const struct {
		enum pu_op op;
		enum pu_status st;
		int pam;
	} rows[] = {
		{ PU_OP_AUTHENTICATE, PU_DENIED, PAM_AUTH_ERR },
		{ PU_OP_AUTHENTICATE, PU_USER_UNKNOWN, PAM_USER_UNKNOWN },
		{ PU_OP_AUTHENTICATE, PU_UNAVAIL, PAM_AUTHINFO_UNAVAIL },
		{ PU_OP_AUTHENTICATE, PU_EXPIRED, PAM_ACCT_EXPIRED },
		{ PU_OP_AUTHENTICATE, PU_NEWTOK, PAM_NEW_AUTHTOK_REQD },
		{ PU_OP_AUTHENTICATE, PU_CONFIG, PAM_SERVICE_ERR },
		{ PU_OP_AUTHENTICATE, PU_NOMEM, PAM_BUF_ERR },
		{ PU_OP_AUTHENTICATE, PU_IGNORE, PAM_IGNORE },
		{ PU_OP_AUTHENTICATE, PU_CONV, PAM_CONV_ERR },
		{ PU_OP_SETCRED, PU_DENIED, PAM_CRED_ERR },
		{ PU_OP_SETCRED, PU_UNAVAIL, PAM_CRED_UNAVAIL },
		{ PU_OP_SETCRED, PU_USER_UNKNOWN, PAM_USER_UNKNOWN },
		{ PU_OP_SETCRED, PU_EXPIRED, PAM_CRED_EXPIRED },
		{ PU_OP_ACCT_MGMT, PU_DENIED, PAM_PERM_DENIED },
		{ PU_OP_ACCT_MGMT, PU_USER_UNKNOWN, PAM_USER_UNKNOWN },
		{ PU_OP_ACCT_MGMT, PU_EXPIRED, PAM_ACCT_EXPIRED },
		{ PU_OP_ACCT_MGMT, PU_NEWTOK, PAM_NEW_AUTHTOK_REQD },
		{ PU_OP_ACCT_MGMT, PU_UNAVAIL, PAM_AUTHINFO_UNAVAIL },
		{ PU_OP_ACCT_MGMT, PU_CONFIG, PAM_SERVICE_ERR },
		{ PU_OP_OPEN_SESSION, PU_UNAVAIL, PAM_SESSION_ERR },
		{ PU_OP_OPEN_SESSION, PU_DENIED, PAM_SESSION_ERR },
		{ PU_OP_OPEN_SESSION, PU_USER_UNKNOWN, PAM_SESSION_ERR },
		{ PU_OP_OPEN_SESSION, PU_CONFIG, PAM_SERVICE_ERR },
		{ PU_OP_OPEN_SESSION, PU_IGNORE, PAM_IGNORE },
		{ PU_OP_CLOSE_SESSION, PU_UNAVAIL, PAM_SESSION_ERR },
		{ PU_OP_CHAUTHTOK, PU_DENIED, PAM_AUTHTOK_ERR },
		{ PU_OP_CHAUTHTOK, PU_UNAVAIL, PAM_AUTHTOK_ERR },
		{ PU_OP_CHAUTHTOK, PU_USER_UNKNOWN, PAM_USER_UNKNOWN },
		{ PU_OP_CHAUTHTOK, PU_NEWTOK, PAM_AUTHTOK_ERR },
		{ PU_OP_CHAUTHTOK, PU_CONFIG, PAM_SERVICE_ERR },
		{ PU_OP_CHAUTHTOK, PU_NOMEM, PAM_BUF_ERR },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pu_status_to_pam(rows[i].op, rows[i].st) != rows[i].pam)
			fail_msg("%s/%s -> %d, want %d", pu_op_name(rows[i].op),
				 pu_status_name(rows[i].st),
				 pu_status_to_pam(rows[i].op, rows[i].st),
				 rows[i].pam);
}

static void fail_sets_message(void **state)
{
	struct pu_err err = { PU_OK, "" };
	char longer[300];

	(void)state;
	assert_int_equal(pu_fail(&err, PU_UNAVAIL, "x=%d", 5), PU_UNAVAIL);
	assert_int_equal(err.status, PU_UNAVAIL);
	assert_string_equal(err.msg, "x=5");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	pu_fail(&err, PU_CONFIG, "%s", longer);
	assert_int_equal(strlen(err.msg), PU_ERRMSG_LEN - 1);
	assert_int_equal(pu_fail(NULL, PU_DENIED, "ignored"), PU_DENIED);
	assert_string_equal(pu_op_name(PU_OP_CHAUTHTOK), "chauthtok");
	assert_string_equal(pu_op_name(PU_OP_COUNT), "?");
	assert_string_equal(pu_status_name(PU_STATUS_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_ok_is_success),
		cmocka_unit_test(table),
		cmocka_unit_test(fail_sets_message),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
