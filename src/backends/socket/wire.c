#define _GNU_SOURCE
#include "wire.h"

#include <stdlib.h>
#include <string.h>

bool pu_wire_field_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\0')
			return false;
	return true;
}

void pu_buf_wipe(struct pu_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL) {
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}

static enum pu_status buf_add(struct pu_buf *b, const char *s, size_t n,
			      struct pu_err *err)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *nd;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		/* never realloc: the old block may hold a password */
		nd = malloc(ncap);
		if (nd == NULL)
			return pu_fail(err, PU_NOMEM, "out of memory");
		if (b->data != NULL) {
			memcpy(nd, b->data, b->len);
			explicit_bzero(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return PU_OK;
}

enum pu_status pu_redirector_encode(struct pu_buf *out, const char *user,
				    const char *password, struct pu_err *err)
{
	if (user == NULL || !pu_wire_field_ok(user, strlen(user)))
		return pu_fail(err, PU_USER_UNKNOWN,
			       "user name holds CR, LF or NUL: not sent");
	if (password == NULL || !pu_wire_field_ok(password, strlen(password)))
		return pu_fail(err, PU_DENIED,
			       "password holds CR, LF or NUL: not sent");
	if (buf_add(out, user, strlen(user), err) != PU_OK ||
	    buf_add(out, "\n", 1, err) != PU_OK ||
	    buf_add(out, password, strlen(password), err) != PU_OK ||
	    buf_add(out, "\n", 1, err) != PU_OK) {
		pu_buf_wipe(out);
		return PU_NOMEM;
	}
	return PU_OK;
}

static bool all_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

enum pu_status pu_redirector_decode(const char *reply, size_t len,
				    struct pu_err *err)
{
	if (len == 0)
		return pu_fail(err, PU_UNAVAIL, "empty reply");
	if (len > PU_REPLY_MAX)
		return pu_fail(err, PU_UNAVAIL, "oversized reply");
	if ((reply[0] == '0' || reply[0] == '1') && all_space(reply + 1, len - 1))
		return reply[0] == '0' ? PU_OK :
		       pu_fail(err, PU_DENIED, "server denied");
	return pu_fail(err, PU_UNAVAIL, "garbage reply");
}

static enum pu_status add_field(struct pu_buf *b, const char *key,
				const char *value, enum pu_status bad,
				struct pu_err *err)
{
	size_t vlen;

	if (value == NULL)
		return PU_OK;
	vlen = strlen(value);
	if (!pu_wire_field_ok(value, vlen))
		return pu_fail(err, bad, "%s holds CR, LF or NUL: not sent", key);
	if (buf_add(b, key, strlen(key), err) != PU_OK ||
	    buf_add(b, "=", 1, err) != PU_OK ||
	    buf_add(b, value, vlen, err) != PU_OK ||
	    buf_add(b, "\n", 1, err) != PU_OK)
		return PU_NOMEM;
	return PU_OK;
}

enum pu_status pu_v1_encode(struct pu_buf *out,
			    const struct pu_v1_request *r, struct pu_err *err)
{
	enum pu_status st;

	if (r->op == NULL || r->user == NULL)
		return pu_fail(err, PU_CONFIG, "v1 request without op or user");
	if ((st = add_field(out, "v", "1", PU_DENIED, err)) != PU_OK ||
	    (st = add_field(out, "op", r->op, PU_DENIED, err)) != PU_OK ||
	    (st = add_field(out, "phase", r->phase, PU_DENIED, err)) != PU_OK ||
	    (st = add_field(out, "service", r->service ? r->service : "",
			    PU_DENIED, err)) != PU_OK ||
	    (st = add_field(out, "user", r->user, PU_USER_UNKNOWN, err)) != PU_OK ||
	    (st = add_field(out, "rhost", r->rhost ? r->rhost : "", PU_DENIED,
			    err)) != PU_OK ||
	    (st = add_field(out, "ruser", r->ruser ? r->ruser : "", PU_DENIED,
			    err)) != PU_OK ||
	    (st = add_field(out, "tty", r->tty ? r->tty : "", PU_DENIED,
			    err)) != PU_OK ||
	    (st = add_field(out, "password", r->password, PU_DENIED, err)) != PU_OK ||
	    (st = add_field(out, "old_password", r->old_password, PU_DENIED,
			    err)) != PU_OK ||
	    (st = add_field(out, "new_password", r->new_password, PU_DENIED,
			    err)) != PU_OK ||
	    (st = buf_add(out, "\n", 1, err)) != PU_OK) {
		pu_buf_wipe(out);
		return st;
	}
	return PU_OK;
}

enum pu_status pu_v1_decode(const char *reply, size_t len,
			    struct pu_v1_reply *out, struct pu_err *err)
{
	static const struct {
		const char *word;
		enum pu_status status;
	} words[] = {
		{ "OK", PU_OK },           { "DENY", PU_DENIED },
		{ "UNKNOWN", PU_USER_UNKNOWN }, { "EXPIRED", PU_EXPIRED },
		{ "NEWTOK", PU_NEWTOK },   { "ERROR", PU_UNAVAIL },
	};
	size_t wlen, line;

	out->status = PU_UNAVAIL;
	out->msg[0] = '\0';
	if (len == 0)
		return pu_fail(err, PU_UNAVAIL, "empty reply");
	if (len > PU_REPLY_MAX)
		return pu_fail(err, PU_UNAVAIL, "oversized reply");
	if (reply[len - 1] != '\n')
		return pu_fail(err, PU_UNAVAIL, "truncated reply (no newline)");
	line = len - 1;
	if (line > 0 && reply[line - 1] == '\r')
		line--;
	/* one line: no NUL, CR or LF before its end */
	if (memchr(reply, '\0', line) != NULL || memchr(reply, '\r', line) != NULL ||
	    memchr(reply, '\n', line) != NULL)
		return pu_fail(err, PU_UNAVAIL, "garbage reply (control bytes)");

	for (wlen = 0; wlen < line && reply[wlen] != ' '; wlen++)
		;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) != wlen ||
		    memcmp(words[i].word, reply, wlen) != 0)
			continue;
		out->status = words[i].status;
		if (wlen < line) {
			size_t mlen = line - wlen - 1;

			memcpy(out->msg, reply + wlen + 1, mlen);
			out->msg[mlen] = '\0';
		}
		return PU_OK;
	}
	return pu_fail(err, PU_UNAVAIL, "garbage reply");
}
