/*
 * socket backend: hands the request to a local daemon over a UNIX stream
 * socket, one request per connection.  protocol=redirector speaks
 * pam_redirector's wire (authenticate only); protocol=v1 covers all six
 * operations.  Formats are in wire.h; trust checks and I/O under the
 * deadline in src/common/net.h.
 */
#define _GNU_SOURCE
#include "backends/backend.h"

#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/socket/wire.h"
#include "common/net.h"

static enum pu_support socket_support(const struct pu_options *o,
				      enum pu_op op)
{
	if (o->socket.protocol == PU_PROTO_V1)
		return PU_IMPLEMENTED;
	switch (op) {
	case PU_OP_AUTHENTICATE:
	case PU_OP_SETCRED:
		return PU_IMPLEMENTED;
	case PU_OP_CHAUTHTOK:
		return PU_STUB_ERROR;
	default:
		return PU_STUB_IGNORE;
	}
}

/* connect + send + read one line, all under the call's deadline; the
 * request buffer (it holds passwords) is wiped here whatever happens */
static enum pu_status exchange(struct pu_call *c, struct pu_buf *req,
			       char *reply, size_t *rlen)
{
	enum pu_status st;
	int fd = -1;

	st = pu_unix_connect(c->opts->socket.path,
			     (uid_t)c->opts->socket.peer_uid,
			     &c->deadline, &fd, &c->err);
	if (st == PU_OK)
		st = pu_io_write_all(fd, req->data, req->len, &c->deadline,
				     &c->err);
	pu_buf_wipe(req);
	if (st == PU_OK) {
		/* v1 and redirector are both done after the peer half-closes
		 * or writes a line; tell it we are done sending */
		shutdown(fd, SHUT_WR);
		st = pu_io_read_line(fd, reply, PU_REPLY_MAX, rlen,
				     &c->deadline, &c->err);
	}
	if (fd >= 0)
		close(fd);
	return st;
}

static enum pu_status run_redirector(struct pu_call *c)
{
	char reply[PU_REPLY_MAX + 1];
	struct pu_buf req = { NULL, 0, 0 };
	const char *pw;
	enum pu_status st;
	size_t len;

	if (c->op == PU_OP_SETCRED)
		return PU_OK;
	/* only authenticate reaches here (socket_support) */
	pu_fail_delay(c);
	st = pu_get_password(c, PAM_AUTHTOK, NULL, &pw);
	if (st == PU_OK)
		st = pu_check_empty(c, pw);
	if (st == PU_OK)
		st = pu_redirector_encode(&req, c->user, pw, &c->err);
	if (st != PU_OK)
		return st;
	st = exchange(c, &req, reply, &len);
	if (st == PU_OK)
		st = pu_redirector_decode(reply, len, &c->err);
	explicit_bzero(reply, sizeof(reply));
	return st;
}

static enum pu_status v1_chauthtok_fields(struct pu_call *c,
					  struct pu_v1_request *r)
{
	const void *old = NULL;
	bool prelim;
	enum pu_status st = pu_chauthtok_prelim(c, &prelim);

	if (st != PU_OK)
		return st;
	if (prelim) {
		r->phase = "prelim";
		/* root changes any password without knowing the old one */
		if (pu_caller_is_root(c))
			return PU_OK;
		return pu_get_password(c, PAM_OLDAUTHTOK, "Current password: ",
				       &r->old_password);
	}
	r->phase = "update";
	if (pam_get_item(c->pamh, PAM_OLDAUTHTOK, &old) == PAM_SUCCESS)
		r->old_password = old;
	st = pu_get_password(c, PAM_AUTHTOK, NULL, &r->new_password);
	if (st == PU_OK)
		st = pu_check_empty(c, r->new_password);
	return st;
}

static enum pu_status run_v1(struct pu_call *c)
{
	char reply[PU_REPLY_MAX + 1];
	struct pu_v1_reply *rep;
	struct pu_buf req = { NULL, 0, 0 };
	struct pu_v1_request r;
	enum pu_status st = PU_OK;
	size_t len;

	memset(&r, 0, sizeof(r));
	r.op = pu_op_name(c->op);
	r.service = c->service;
	r.user = c->user;
	r.rhost = c->rhost;
	r.ruser = c->ruser;
	r.tty = c->tty;

	if (c->op == PU_OP_AUTHENTICATE) {
		pu_fail_delay(c);
		st = pu_get_password(c, PAM_AUTHTOK, NULL, &r.password);
		if (st == PU_OK)
			st = pu_check_empty(c, r.password);
	} else if (c->op == PU_OP_CHAUTHTOK) {
		st = v1_chauthtok_fields(c, &r);
	}
	if (st == PU_OK)
		st = pu_v1_encode(&req, &r, &c->err);
	if (st != PU_OK)
		return st;

	st = exchange(c, &req, reply, &len);
	if (st != PU_OK)
		return st;

	rep = malloc(sizeof(*rep));
	if (rep == NULL)
		return pu_fail(&c->err, PU_NOMEM, "out of memory");
	st = pu_v1_decode(reply, len, rep, &c->err);
	if (st == PU_OK) {
		st = rep->status;
		if (st != PU_OK)
			pu_fail(&c->err, st, "server said %.*s",
				(int)(len > 80 ? 80 : len - 1), reply);
		pu_tell(c, st == PU_OK ? PAM_TEXT_INFO : PAM_ERROR_MSG,
			rep->msg);
	}
	free(rep);
	return st;
}

static enum pu_status socket_run(struct pu_call *c)
{
	const struct pu_socket_opts *o = &c->opts->socket;

	pu_debug(c, "socket %s protocol=%s op=%s", o->path,
		 o->protocol == PU_PROTO_V1 ? "v1" : "redirector",
		 pu_op_name(c->op));
	return o->protocol == PU_PROTO_V1 ? run_v1(c) : run_redirector(c);
}

const struct pu_backend pu_backend_socket = {
	.name = "socket",
	.support = socket_support,
	.run = socket_run,
};
