/*
 * The configuration file: pu_config_parse() (libconfig text, @include
 * refused, settings flattened to argv strings), then pu_options_build_with()
 * for a few services.  Promises checked:
 *  - a parse either gives a config or an error, never both or neither;
 *  - a built struct keeps every promise of options.h;
 *  - a bad setting anywhere in the file fails every service the same way
 *    (another service's group is checked, not skipped: fail closed);
 *  - module arguments still win over the file.
 */
#include "fuzz.h"

#define PATH "/etc/security/pam_unified.conf"

static const char *const services[] = { NULL, "sshd", "login", "su" };
#define NSERVICES (sizeof(services) / sizeof(services[0]))

static bool is_file_error(const struct pu_err *err)
{
	return strncmp(err->msg, PATH ":", strlen(PATH) + 1) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pu_config *cfg = (struct pu_config *)1;
	struct pu_err err = { PU_OK, "" };
	struct pu_err first = { PU_OK, "" };
	bool have_first = false;
	enum pu_status st;
	char *text;

	if (size > 256 * 1024) /* CONFIG_MAX: pu_config_load reads no more */
		return -1;
	text = fuzz_cstr(data, size); /* pu_config_load refuses a NUL byte */
	if (text == NULL)
		return -1;

	st = pu_config_parse(PATH, text, &cfg, &err);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_CONFIG || st == PU_NOMEM);
		FUZZ_CHECK(cfg == NULL);
		FUZZ_CHECK(is_file_error(&err));
		free(text);
		return 0;
	}
	FUZZ_CHECK(cfg != NULL);
	FUZZ_CHECK(strcmp(pu_config_path(cfg), PATH) == 0);

	for (size_t i = 0; i < NSERVICES; i++) {
		struct pu_options o;
		struct pu_err e = { PU_OK, "" };

		st = pu_options_build_with(&o, cfg, 0, NULL, services[i], &e);
		if (st == PU_OK) {
			fuzz_check_options(&o);
			/* a file error would have failed this service too */
			FUZZ_CHECK(!have_first);
			continue;
		}
		fuzz_check_err(st, &e);
		FUZZ_CHECK(st == PU_CONFIG);
		if (is_file_error(&e)) {
			if (have_first)
				FUZZ_CHECK(strcmp(first.msg, e.msg) == 0);
			else if (i > 0)
				FUZZ_CHECK(!"an earlier service built from this file");
			first = e;
			have_first = true;
		}
	}

	/* argv after the file: these two always win */
	{
		const char *argv[] = { "backend=socket", "socket=/run/fuzz.sock",
				       "protocol=v1", "use_first_pass=false",
				       "try_first_pass=false" };
		struct pu_options o;
		struct pu_err e = { PU_OK, "" };

		st = pu_options_build_with(&o, cfg, 5, argv, "sshd", &e);
		if (st == PU_OK) {
			fuzz_check_options(&o);
			FUZZ_CHECK(o.backend == PU_BACKEND_SOCKET);
			FUZZ_CHECK(strcmp(o.socket.path, "/run/fuzz.sock") == 0);
			FUZZ_CHECK(o.socket.protocol == PU_PROTO_V1);
		} else {
			fuzz_check_err(st, &e);
			/* only the file can make this argv fail */
			FUZZ_CHECK(is_file_error(&e));
		}
	}

	pu_config_free(cfg);
	free(text);
	return 0;
}
