#define _GNU_SOURCE
#include "config_cache.h"

#include <stdlib.h>
#include <string.h>

#define DATA_NAME "pam_unified_config"

struct entry {
	struct entry *next;
	char *path;
	bool explicit_path;
	struct pu_config *cfg;   /* NULL: err holds why */
	struct pu_err err;
};

static void cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct entry *e = data;

	(void)pamh;
	/* replaced by a new head that links to this list: it owns it now */
	if (error_status & PAM_DATA_REPLACE)
		return;
	while (e != NULL) {
		struct entry *next = e->next;

		pu_config_free(e->cfg);
		free(e->path);
		free(e);
		e = next;
	}
}

enum pu_status pu_config_for_handle(pam_handle_t *pamh, const char *path,
				    bool explicit_path,
				    const struct pu_config **cfg,
				    struct pu_err *err)
{
	const void *data = NULL;
	struct entry *head = NULL, *e;

	*cfg = NULL;
	if (pam_get_data(pamh, DATA_NAME, &data) == PAM_SUCCESS)
		head = (struct entry *)data;
	for (e = head; e != NULL; e = e->next)
		if (e->explicit_path == explicit_path && strcmp(e->path, path) == 0)
			break;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL || (e->path = strdup(path)) == NULL) {
			free(e);
			return pu_fail(err, PU_NOMEM, "out of memory");
		}
		e->explicit_path = explicit_path;
		if (pu_config_load(path, explicit_path, &e->cfg, &e->err) != PU_OK)
			e->cfg = NULL;
		e->next = head;
		if (pam_set_data(pamh, DATA_NAME, e, cleanup) != PAM_SUCCESS) {
			e->next = NULL;
			cleanup(pamh, e, 0);
			return pu_fail(err, PU_NOMEM, "pam_set_data failed");
		}
	}
	if (e->cfg == NULL) {
		if (err != NULL)
			*err = e->err;
		return e->err.status;
	}
	*cfg = e->cfg;
	return PU_OK;
}
