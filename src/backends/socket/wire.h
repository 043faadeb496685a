/*
 * Socket backend wire formats.  Pure: bytes in, struct out, every length
 * checked, no I/O.
 *
 * redirector (pam_redirector's wire):
 *   request  "USER\nPASSWORD\n"
 *   reply    "0" [whitespace]  -> success
 *            "1" [whitespace]  -> denied
 *            anything else, empty, EOF -> unavailable
 *
 * v1:
 *   request  key=value lines ended by an empty line:
 *            v=1, op=, phase= (chauthtok), service=, user=, rhost=, ruser=,
 *            tty=, password=, old_password=, new_password= (when needed)
 *   reply    one line "WORD[ msg]\n", WORD one of
 *            OK DENY UNKNOWN EXPIRED NEWTOK ERROR; at most 4 KiB.
 *
 * No field may contain '\n', '\r' or NUL.
 */
#ifndef PU_WIRE_H
#define PU_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/status.h"

#define PU_REPLY_MAX 4096

/* true when the len bytes at s hold no '\n', '\r' or NUL */
bool pu_wire_field_ok(const char *s, size_t len);

struct pu_buf {
	char *data;   /* malloc'd; wiped and freed by pu_buf_wipe */
	size_t len;
	size_t cap;
};

void pu_buf_wipe(struct pu_buf *b);

enum pu_status pu_redirector_encode(struct pu_buf *out, const char *user,
				    const char *password, struct pu_err *err);
/* eof: the server closed the connection after these bytes */
enum pu_status pu_redirector_decode(const char *reply, size_t len,
				    struct pu_err *err);

struct pu_v1_request {
	const char *op;           /* required */
	const char *phase;        /* chauthtok only */
	const char *service;
	const char *user;         /* required */
	const char *rhost;
	const char *ruser;
	const char *tty;
	const char *password;     /* NULL: not sent */
	const char *old_password;
	const char *new_password;
};

/* A user name that cannot be sent is PU_USER_UNKNOWN, any other field
 * PU_DENIED; both without contacting anyone. */
enum pu_status pu_v1_encode(struct pu_buf *out,
			    const struct pu_v1_request *req,
			    struct pu_err *err);

struct pu_v1_reply {
	enum pu_status status;    /* OK->PU_OK, DENY->PU_DENIED, ... */
	char msg[PU_REPLY_MAX];   /* may be empty */
};

enum pu_status pu_v1_decode(const char *reply, size_t len,
			    struct pu_v1_reply *out, struct pu_err *err);

#endif
