/*
 * The socket requests: pu_redirector_encode() and pu_v1_encode().  The
 * input is a presence mask byte, then up to 11 fields separated by 0x1f.
 * A field holding CR or LF must be refused before anything is sent
 * (user name: PU_USER_UNKNOWN, any other field: PU_DENIED) with the
 * buffer wiped; otherwise the request must parse back to exactly the
 * fields given (one key=value line each, then an empty line).
 */
#include "backends/socket/wire.h"
#include "fuzz.h"

enum { F_OP, F_PHASE, F_SERVICE, F_USER, F_RHOST, F_RUSER, F_TTY, F_PASSWORD,
       F_OLD, F_NEW, NFIELDS };

static const char *const keys[NFIELDS] = {
	"op", "phase", "service", "user", "rhost", "ruser", "tty",
	"password", "old_password", "new_password",
};

static bool bad(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

static void redirector(const char *user, const char *pw)
{
	struct pu_buf b = { NULL, 0, 0 };
	struct pu_err err = { PU_OK, "" };
	enum pu_status st = pu_redirector_encode(&b, user, pw, &err);

	if (user == NULL || bad(user)) {
		FUZZ_CHECK(st == PU_USER_UNKNOWN);
	} else if (pw == NULL || bad(pw)) {
		FUZZ_CHECK(st == PU_DENIED);
	} else {
		size_t ul = strlen(user), pl = strlen(pw);

		FUZZ_CHECK(st == PU_OK);
		FUZZ_CHECK(b.len == ul + pl + 2 && b.len < b.cap);
		FUZZ_CHECK(memcmp(b.data, user, ul) == 0 && b.data[ul] == '\n');
		FUZZ_CHECK(memcmp(b.data + ul + 1, pw, pl) == 0);
		FUZZ_CHECK(b.data[b.len - 1] == '\n' && b.data[b.len] == '\0');
		pu_buf_wipe(&b);
	}
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(b.data == NULL && b.len == 0);
	}
}

static void v1(const char *const f[NFIELDS])
{
	struct pu_v1_request r = {
		f[F_OP], f[F_PHASE], f[F_SERVICE], f[F_USER], f[F_RHOST],
		f[F_RUSER], f[F_TTY], f[F_PASSWORD], f[F_OLD], f[F_NEW],
	};
	/* what goes on the wire, in order: v, then the fields; service,
	 * rhost, ruser and tty are sent empty when unset */
	const char *sent[NFIELDS + 1];
	const char *names[NFIELDS + 1];
	struct pu_buf b = { NULL, 0, 0 };
	struct pu_err err = { PU_OK, "" };
	enum pu_status want = PU_OK, st;
	size_t n = 0;

	names[n] = "v";
	sent[n++] = "1";
	for (int i = 0; i < NFIELDS; i++) {
		const char *v = f[i];

		if (v == NULL && (i == F_SERVICE || i == F_RHOST ||
				  i == F_RUSER || i == F_TTY))
			v = "";
		if (v == NULL)
			continue;
		if (want == PU_OK && bad(v))
			want = i == F_USER ? PU_USER_UNKNOWN : PU_DENIED;
		names[n] = keys[i];
		sent[n++] = v;
	}
	if (f[F_OP] == NULL || f[F_USER] == NULL)
		want = PU_CONFIG;

	st = pu_v1_encode(&b, &r, &err);
	FUZZ_CHECK(st == want);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(b.data == NULL && b.len == 0);
		return;
	}
	FUZZ_CHECK(b.len < b.cap && b.data[b.len] == '\0');
	/* parse it back */
	{
		const char *p = b.data, *end = b.data + b.len;

		for (size_t i = 0; i < n; i++) {
			size_t kl = strlen(names[i]), vl = strlen(sent[i]);

			FUZZ_CHECK((size_t)(end - p) >= kl + vl + 2);
			FUZZ_CHECK(memcmp(p, names[i], kl) == 0 && p[kl] == '=');
			FUZZ_CHECK(memcmp(p + kl + 1, sent[i], vl) == 0);
			FUZZ_CHECK(p[kl + 1 + vl] == '\n');
			p += kl + vl + 2;
		}
		FUZZ_CHECK(end - p == 1 && *p == '\n');
	}
	pu_buf_wipe(&b);
	FUZZ_CHECK(b.data == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NFIELDS] = { NULL };
	unsigned mask;
	char *text, *p;
	int i = 0;

	if (size < 2 || size > 8192)
		return -1;
	mask = data[0] | (unsigned)data[1] << 8;
	text = fuzz_cstr(data + 2, size - 2);
	if (text == NULL)
		return -1;
	for (p = text; i < NFIELDS; i++) {
		char *sep = strchr(p, 0x1f);

		if (mask & (1u << i))
			f[i] = p;
		if (sep == NULL) {
			i++;
			break;
		}
		*sep = '\0';
		p = sep + 1;
	}
	redirector(f[F_USER], f[F_PASSWORD]);
	v1(f);
	free(text);
	return 0;
}
