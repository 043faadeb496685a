#include "backend.h"

#include <stddef.h>

const struct pu_backend *pu_backend_find(enum pu_backend_id id)
{
	switch (id) {
	case PU_BACKEND_SOCKET:
		return &pu_backend_socket;
	case PU_BACKEND_REDIS:
		return &pu_backend_redis;
	case PU_BACKEND_REPLAY:
		return &pu_backend_replay;
	case PU_BACKEND_NONE:
		break;
	}
	return NULL;
}
