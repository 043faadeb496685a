/*
 * Text that leaves the module: messages to the user and syslog lines.
 * Neither may carry terminal controls a peer or a user name smuggled in.
 */
#ifndef PU_LOG_H
#define PU_LOG_H

#include <stddef.h>

/* s with every C0/C1 control, DEL and invalid UTF-8 byte replaced by '?',
 * truncated to fit; NULL becomes "". */
const char *pu_log_printable(const char *s, char *buf, size_t size);

/* s as a double-quoted key=value field: '"' and '\' are escaped with a
 * backslash, controls and invalid UTF-8 become \xNN. */
const char *pu_log_quote(const char *s, char *buf, size_t size);

#endif
