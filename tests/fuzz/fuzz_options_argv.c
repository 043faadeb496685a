/*
 * Module arguments: pu_options_build_with() without a config file.  The
 * input is the /etc/pam.d line's arguments, one per line (an argument
 * can hold any byte but '\n' and NUL, as a [bracketed] pam.d argument
 * can).  A built struct must keep every promise of options.h; a failure
 * must be PU_CONFIG with a message (fail closed, never half-applied).
 */
#include "fuzz.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *argv[MAX_ARGS];
	struct pu_options o, again;
	struct pu_err err = { PU_OK, "" }, err2 = { PU_OK, "" };
	char path[PU_PATH_LEN];
	bool explicit_path = false;
	enum pu_status st, st2, pst;
	char *text, *p;
	int argc = 0;

	if (size > 16384)
		return -1;
	text = fuzz_cstr(data, size);
	if (text == NULL)
		return -1;
	for (p = text; argc < MAX_ARGS;) {
		char *nl = strchr(p, '\n');

		argv[argc++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (size == 0)
		argc = 0;

	st = pu_options_build_with(&o, NULL, argc, argv, "sshd", &err);
	if (st == PU_OK)
		fuzz_check_options(&o);
	else
		fuzz_check_err(st, &err);
	/* argv problems are configuration errors, nothing else */
	FUZZ_CHECK(st == PU_OK || st == PU_CONFIG);

	/* the same arguments give the same answer */
	st2 = pu_options_build_with(&again, NULL, argc, argv, "sshd", &err2);
	FUZZ_CHECK(st2 == st);
	if (st == PU_OK)
		FUZZ_CHECK(memcmp(&o, &again, sizeof(o)) == 0);
	else
		FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0);

	/* pu_options_build() finds the file the same way the build names it */
	pst = pu_options_config_path(argc, argv, path, sizeof(path),
				     &explicit_path, &err2);
	if (st == PU_OK) {
		FUZZ_CHECK(pst == PU_OK);
		FUZZ_CHECK(strcmp(path, o.config) == 0);
		FUZZ_CHECK(explicit_path == o.config_explicit);
	}
	if (pst == PU_OK)
		FUZZ_CHECK(path[0] == '/');

	free(text);
	return 0;
}
