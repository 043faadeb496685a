/* The single status -> PAM return code mapping (SPEC section 5). */
#ifndef PU_PAMCODE_H
#define PU_PAMCODE_H

#include "common/status.h"

int pu_status_to_pam(enum pu_op op, enum pu_status status);

#endif
