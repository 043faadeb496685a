/*
 * A backend is a table: whether it implements each operation for the
 * given options, and one function that runs the implemented ones.  A
 * backend uses src/pam and src/common, never another backend.
 */
#ifndef PU_BACKEND_H
#define PU_BACKEND_H

#include "pam/call.h"

enum pu_support {
	PU_IMPLEMENTED,
	PU_STUB_IGNORE,   /* PAM_IGNORE, LOG_DEBUG under debug */
	PU_STUB_ERROR,    /* PAM_SERVICE_ERR, LOG_ERR */
};

struct pu_backend {
	const char *name;
	enum pu_support (*support)(const struct pu_options *o, enum pu_op op);
	enum pu_status (*run)(struct pu_call *c);
};

extern const struct pu_backend pu_backend_socket;
extern const struct pu_backend pu_backend_redis;
extern const struct pu_backend pu_backend_replay;

const struct pu_backend *pu_backend_find(enum pu_backend_id id);

#endif
