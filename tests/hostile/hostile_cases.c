/*
 * The hostile suite's table: which mode of which server, through which
 * module line (profile, hostile.c), runs which PAM calls, and the code
 * each call must return (SPEC section 5: a backend that lies, sends
 * garbage, is too slow or too big is PAM_AUTHINFO_UNAVAIL for auth and
 * account, PAM_SESSION_ERR for sessions, PAM_AUTHTOK_ERR for chauthtok;
 * a real "no" is PAM_AUTH_ERR and friends).  PAM_SUCCESS is expected
 * only of controls.
 *
 * Every mode the servers list (--list) has at least one case here; the
 * driver checks it, so a new mode cannot go untested.
 */
#include "hostile.h"

#include <security/pam_appl.h>

#define NO -1
#define AUTH(w) { { H_AUTH, w, NO } }
#define AUTH2(w, a) { { H_AUTH, w, a } }
#define ACCT(w) { { H_ACCT, w, NO } }
#define OPEN(w) { { H_OPEN, w, NO } }
/* close_session of a session this handle opened (redis keeps its id) */
#define OPEN_CLOSE(w) { { H_OPEN, PAM_SUCCESS, NO }, { H_CLOSE, w, NO } }
#define CLOSE(w) { { H_CLOSE, w, NO } }
#define PASSWD(w) { { H_CHAUTHTOK, w, NO } }

#define UNAVAIL PAM_AUTHINFO_UNAVAIL
#define R(mode, steps) { "redis", mode, "hr", 0, steps }
#define RP(mode, profile, steps) { "redis", mode, profile, 0, steps }
#define RC(mode, profile, steps) { "redis", mode, profile, H_CONTROL, steps }
#define V(mode, steps) { "socket", mode, "hs-v1", 0, steps }
#define VM(mode, steps) { "socket", mode, "hs-v1", H_MSGS, steps }
#define D(mode, steps) { "socket", mode, "hs-redir", 0, steps }
#define SP(mode, profile, steps) { "socket", mode, profile, 0, steps }
#define SC(mode, profile, steps) { "socket", mode, profile, H_CONTROL, steps }

const struct h_case h_cases[] = {
	/* ======== redis: controls (the same conversation, no defect) ======== */
	RC("good", "hr", AUTH(PAM_SUCCESS)),
	RC("good", "hr", ACCT(PAM_SUCCESS)),
	RC("good", "hr", OPEN_CLOSE(PAM_SUCCESS)),
	RC("good", "hr", PASSWD(PAM_SUCCESS)),
	RC("good", "hr-auth", AUTH(PAM_SUCCESS)),
	RC("good", "hr-db", AUTH(PAM_SUCCESS)),
	RC("good", "hr-hmac", AUTH(PAM_SUCCESS)),
	RC("good", "hr-sentinel", AUTH(PAM_SUCCESS)),
	RC("good-unknown", "hr", AUTH(PAM_USER_UNKNOWN)),
	R("disabled-1", AUTH(PAM_AUTH_ERR)),

	/* ---- framing and size ---- */
	R("arr-2g", AUTH(UNAVAIL)),
	R("arr-100m", AUTH(UNAVAIL)),
	R("arr-over-cap", AUTH(UNAVAIL)),
	R("arr-cap-then-nothing", AUTH(UNAVAIL)),
	R("arr-sum-over-cap", AUTH(UNAVAIL)),
	R("arr-nested-huge", AUTH(UNAVAIL)),
	R("arr-negative", AUTH(UNAVAIL)),
	R("arr-deep", AUTH(UNAVAIL)),
	R("bulk-2g-silent", AUTH(UNAVAIL)),
	R("bulk-2g-stream", AUTH(UNAVAIL)),
	R("bulk-over-1mib", AUTH(UNAVAIL)),
	R("bulk-negative-len", AUTH(UNAVAIL)),
	R("int-overflow", AUTH(UNAVAIL)),
	R("int-garbage", AUTH(UNAVAIL)),
	R("drip-100ms", AUTH(UNAVAIL)),
	R("slow-last-byte", AUTH(UNAVAIL)),
	R("never", AUTH(UNAVAIL)),
	R("silent", AUTH(UNAVAIL)),
	R("silent", ACCT(UNAVAIL)),
	R("silent", OPEN(PAM_SESSION_ERR)),
	R("silent", PASSWD(PAM_AUTHTOK_ERR)),
	R("close-at-connect", AUTH(UNAVAIL)),
	R("close-at-connect", ACCT(UNAVAIL)),
	R("close-at-connect", OPEN(PAM_SESSION_ERR)),
	R("close-at-connect", PASSWD(PAM_AUTHTOK_ERR)),
	R("reset-at-connect", AUTH(UNAVAIL)),
	R("reset-at-connect", OPEN(PAM_SESSION_ERR)),
	R("close-mid-reply", AUTH(UNAVAIL)),
	R("garbage", AUTH(UNAVAIL)),
	R("greeting", AUTH(UNAVAIL)),
	R("greeting", ACCT(UNAVAIL)),
	R("greeting", OPEN(PAM_SESSION_ERR)),
	R("greeting", PASSWD(PAM_AUTHTOK_ERR)),
	R("inline", AUTH(UNAVAIL)),
	R("resp3-map", AUTH(UNAVAIL)),
	R("resp3-set", AUTH(UNAVAIL)),
	R("resp3-push", AUTH(UNAVAIL)),
	R("resp3-double", AUTH(UNAVAIL)),
	R("resp3-bool", AUTH(UNAVAIL)),
	R("resp3-null", AUTH(UNAVAIL)),
	R("resp3-bignum", AUTH(UNAVAIL)),
	R("resp3-verbatim", AUTH(UNAVAIL)),
	R("resp3-attribute", AUTH(UNAVAIL)),
	R("resp3-in-record", AUTH(UNAVAIL)),

	/* ---- errors, and the wrong type for the whole reply ---- */
	R("err-generic", AUTH(UNAVAIL)),
	R("err-noauth", AUTH(UNAVAIL)),
	R("err-wrongtype", AUTH(UNAVAIL)),
	R("err-busy", AUTH(UNAVAIL)),
	R("err-empty", AUTH(UNAVAIL)),
	R("err-huge-escapes", AUTH(UNAVAIL)),
	R("many-replies", AUTH(UNAVAIL)),
	R("status-for-array", AUTH(UNAVAIL)),
	R("int-for-array", AUTH(UNAVAIL)),
	R("nil-for-array", AUTH(UNAVAIL)),
	R("nil-array", AUTH(UNAVAIL)),
	R("eval-0", AUTH(UNAVAIL)),
	R("eval-4", AUTH(UNAVAIL)),
	R("eval-6", AUTH(UNAVAIL)),
	R("other-command-reply", AUTH(UNAVAIL)),

	/* ---- each position of the auth script's reply ---- */
	R("rec-int", AUTH(UNAVAIL)),
	R("rec-string", AUTH(UNAVAIL)),
	R("rec-nil", AUTH(UNAVAIL)),
	R("rec-6", AUTH(UNAVAIL)),
	R("rec-8", AUTH(UNAVAIL)),
	R("rec-nested", AUTH(UNAVAIL)),
	R("rec-password-int", AUTH(UNAVAIL)),
	R("rec-error-element", AUTH(UNAVAIL)),
	R("rec-status-element", AUTH(UNAVAIL)),
	R("fails-int", AUTH(UNAVAIL)),
	R("fails-nil", AUTH(UNAVAIL)),
	R("fails-odd", AUTH(UNAVAIL)),
	R("fails-negative", AUTH(UNAVAIL)),
	R("fails-float", AUTH(UNAVAIL)),
	R("fails-19-digits", AUTH(UNAVAIL)),
	R("fails-nested", AUTH(UNAVAIL)),
	R("locked-string", AUTH(UNAVAIL)),
	R("locked-2", AUTH(UNAVAIL)),
	R("locked-negative", AUTH(UNAVAIL)),
	R("locked-nil", AUTH(UNAVAIL)),
	R("counted-string", AUTH(UNAVAIL)),
	R("counted-huge", AUTH(UNAVAIL)),
	R("counted-negative", AUTH(UNAVAIL)),
	R("dummy-int", AUTH(UNAVAIL)),
	R("dummy-array", AUTH(UNAVAIL)),

	/* ---- the record read strictly: the hash is of the typed password ---- */
	R("disabled-true", AUTH(UNAVAIL)),
	R("disabled-yes", AUTH(UNAVAIL)),
	R("disabled-2", AUTH(UNAVAIL)),
	R("disabled-space1", AUTH(UNAVAIL)),
	R("disabled-1space", AUTH(UNAVAIL)),
	R("disabled-empty", AUTH(UNAVAIL)),
	R("disabled-01", AUTH(UNAVAIL)),
	R("disabled-int", AUTH(UNAVAIL)),
	R("must-change-true", AUTH(UNAVAIL)),
	R("expires-float", AUTH(UNAVAIL)),
	R("expires-negative", AUTH(UNAVAIL)),
	R("expires-25-digits", AUTH(UNAVAIL)),
	R("changed-hex", AUTH(UNAVAIL)),
	R("max-age-space", AUTH(UNAVAIL)),
	R("hash-nul-suffix", AUTH(UNAVAIL)),
	R("hash-nul-inside", AUTH(UNAVAIL)),
	R("hash-overlong", AUTH(UNAVAIL)),
	/* a hash whose own parameters ask for minutes or 256 MiB: a record
	 * the module will not use (over its cost limits), at once */
	R("hash-cost-yescrypt", AUTH(PAM_AUTHINFO_UNAVAIL)),
	R("hash-cost-sha512", AUTH(PAM_AUTHINFO_UNAVAIL)),
	R("hash-cost-bcrypt", AUTH(PAM_AUTHINFO_UNAVAIL)),
	R("dummy-cost-yescrypt", AUTH(PAM_USER_UNKNOWN)),

	/* ---- a good check, then the writes that record it lie ---- */
	R("del-status-lie", AUTH(UNAVAIL)),
	R("del-other-reply", AUTH(UNAVAIL)),
	R("del-error", AUTH(UNAVAIL)),
	R("del-never", AUTH(UNAVAIL)),
	R("extra-garbage", AUTH(UNAVAIL)),
	R("extra-replies", AUTH(UNAVAIL)),

	/* ---- acct_mgmt in its own handle ---- */
	R("hmget-int", ACCT(UNAVAIL)),
	R("hmget-6", ACCT(UNAVAIL)),
	R("hmget-disabled-true", ACCT(UNAVAIL)),
	R("hmget-must-change-yes", ACCT(UNAVAIL)),
	R("hmget-expires-garbage", ACCT(UNAVAIL)),
	R("hmget-drip", ACCT(UNAVAIL)),
	R("hmget-other-reply", ACCT(UNAVAIL)),
	R("hmget-arr-2g", ACCT(UNAVAIL)),

	/* ---- sessions ---- */
	R("hset-status-lie", OPEN(PAM_SESSION_ERR)),
	R("hset-error", OPEN(PAM_SESSION_ERR)),
	R("hset-never", OPEN(PAM_SESSION_ERR)),
	R("hset-arr-2g", OPEN(PAM_SESSION_ERR)),
	R("xadd-int-lie", OPEN(PAM_SESSION_ERR)),
	R("hdel-garbage", OPEN_CLOSE(PAM_SESSION_ERR)),
	R("hdel-status-lie", OPEN_CLOSE(PAM_SESSION_ERR)),
	R("hdel-never", OPEN_CLOSE(PAM_SESSION_ERR)),

	/* ---- chauthtok (as root: no old password) ---- */
	R("setpw-status-lie", PASSWD(PAM_AUTHTOK_ERR)),
	R("setpw-2", PASSWD(PAM_AUTHTOK_ERR)),
	R("setpw-string-1", PASSWD(PAM_AUTHTOK_ERR)),
	R("setpw-never", PASSWD(PAM_AUTHTOK_ERR)),
	R("chauthtok-hash-cost", PASSWD(PAM_AUTHTOK_ERR)),
	R("hmget-int", PASSWD(PAM_AUTHTOK_ERR)),
	R("hmget-disabled-true", PASSWD(PAM_AUTHTOK_ERR)),

	/* ---- AUTH, SELECT, QuarkDB's HMAC challenge ---- */
	RP("auth-refused", "hr-auth", AUTH(UNAVAIL)),
	RP("auth-int", "hr-auth", AUTH(UNAVAIL)),
	RP("ok-to-everything", "hr-auth", AUTH(UNAVAIL)),
	RP("ok-to-everything", "hr", ACCT(UNAVAIL)),
	RP("select-int", "hr-db", AUTH(UNAVAIL)),
	RP("hmac-not-ours", "hr-hmac", AUTH(UNAVAIL)),
	RP("hmac-short", "hr-hmac", AUTH(UNAVAIL)),
	RP("hmac-huge", "hr-hmac", AUTH(UNAVAIL)),
	RP("hmac-generate-ok", "hr-hmac", AUTH(UNAVAIL)),
	RP("hmac-validate-int", "hr-hmac", AUTH(UNAVAIL)),

	/* ---- Sentinel ---- */
	RP("sentinel-garbage-addr", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-port-range", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-unix-inject", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-int", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-3", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-nil", "hr-sentinel", AUTH(UNAVAIL)),
	RP("sentinel-drip", "hr-sentinel", AUTH(UNAVAIL)),
	RP("role-slave", "hr-sentinel", AUTH(UNAVAIL)),
	RP("role-int", "hr-sentinel", AUTH(UNAVAIL)),
	RP("role-empty", "hr-sentinel", AUTH(UNAVAIL)),
	RP("role-never", "hr-sentinel", AUTH(UNAVAIL)),

	/* ---- the socket itself ---- */
	RP("good", "hr-untrusted", AUTH(UNAVAIL)),
	RP("good", "hr-stale", AUTH(UNAVAIL)),
	RP("good", "hr-noaccept", AUTH(UNAVAIL)),

	/* ======== socket: controls ======== */
	SC("good", "hs-redir", AUTH(PAM_SUCCESS)),
	SC("good", "hs-v1", AUTH(PAM_SUCCESS)),
	SC("good", "hs-v1", ACCT(PAM_SUCCESS)),
	SC("good", "hs-v1", OPEN(PAM_SUCCESS)),
	SC("good", "hs-v1", CLOSE(PAM_SUCCESS)),
	SC("good", "hs-v1", PASSWD(PAM_SUCCESS)),
	D("deny", AUTH(PAM_AUTH_ERR)),
	V("deny", AUTH(PAM_AUTH_ERR)),
	V("deny", ACCT(PAM_PERM_DENIED)),

	/* ---- redirector ---- */
	D("close-at-connect", AUTH(UNAVAIL)),
	D("eof", AUTH(UNAVAIL)),
	D("never", AUTH(UNAVAIL)),
	D("no-read", AUTH(UNAVAIL)),
	D("read-then-rst", AUTH(UNAVAIL)),
	D("drip", AUTH(UNAVAIL)),
	D("no-newline-hang", AUTH(UNAVAIL)),
	D("reply-then-hang", AUTH(PAM_AUTH_ERR)),
	D("huge-stream", AUTH(UNAVAIL)),
	D("garbage", AUTH(UNAVAIL)),
	D("binary-garbage", AUTH(UNAVAIL)),
	D("empty-line", AUTH(UNAVAIL)),
	D("crlf-only", AUTH(UNAVAIL)),
	D("oversized", AUTH(UNAVAIL)),
	D("over-4k-by-one", AUTH(UNAVAIL)),
	D("cr-in-reply", AUTH(UNAVAIL)),
	D("nul-in-reply", AUTH(UNAVAIL)),
	D("leading-space", AUTH(UNAVAIL)),
	D("bom", AUTH(UNAVAIL)),
	D("reply-then-garbage-lines", AUTH(UNAVAIL)),
	D("two-replies", AUTH2(PAM_AUTH_ERR, UNAVAIL)),
	D("zero-garbage", AUTH(UNAVAIL)),
	D("one-garbage", AUTH(UNAVAIL)),
	D("double-zero", AUTH(UNAVAIL)),
	D("plus-zero", AUTH(UNAVAIL)),
	D("fullwidth-zero", AUTH(UNAVAIL)),
	SP("good", "hs-redir-untrusted", AUTH(UNAVAIL)),
	SP("good", "hs-redir-stale", AUTH(UNAVAIL)),
	SP("good", "hs-redir-noaccept", AUTH(UNAVAIL)),

	/* ---- v1 ---- */
	V("close-at-connect", AUTH(UNAVAIL)),
	V("eof", AUTH(UNAVAIL)),
	V("never", AUTH(UNAVAIL)),
	V("no-read", AUTH(UNAVAIL)),
	V("read-then-rst", AUTH(UNAVAIL)),
	V("drip", AUTH(UNAVAIL)),
	V("no-newline-hang", AUTH(UNAVAIL)),
	V("reply-then-hang", AUTH(PAM_AUTH_ERR)),
	V("huge-stream", AUTH(UNAVAIL)),
	V("garbage", AUTH(UNAVAIL)),
	V("binary-garbage", AUTH(UNAVAIL)),
	V("empty-line", AUTH(UNAVAIL)),
	V("crlf-only", AUTH(UNAVAIL)),
	V("oversized", AUTH(UNAVAIL)),
	V("over-4k-by-one", AUTH(UNAVAIL)),
	V("cr-in-reply", AUTH(UNAVAIL)),
	V("nul-in-reply", AUTH(UNAVAIL)),
	V("leading-space", AUTH(UNAVAIL)),
	V("bom", AUTH(UNAVAIL)),
	V("reply-then-garbage-lines", AUTH(UNAVAIL)),
	V("two-replies", AUTH2(PAM_AUTH_ERR, UNAVAIL)),
	V("zero-garbage", AUTH(UNAVAIL)),
	V("one-garbage", AUTH(UNAVAIL)),
	V("double-zero", AUTH(UNAVAIL)),
	V("plus-zero", AUTH(UNAVAIL)),
	V("fullwidth-zero", AUTH(UNAVAIL)),
	V("lower-ok", AUTH(UNAVAIL)),
	V("ok-suffix", AUTH(UNAVAIL)),
	V("ok-tab", AUTH(UNAVAIL)),
	V("unknown-word", AUTH(UNAVAIL)),
	V("ok-no-newline", AUTH(UNAVAIL)),
	SP("good", "hs-v1-untrusted", AUTH(UNAVAIL)),
	SP("good", "hs-v1-stale", AUTH(UNAVAIL)),
	SP("good", "hs-v1-noaccept", AUTH(UNAVAIL)),

	/* the peer's message reaches the user without its escapes */
	VM("ansi-deny", AUTH(PAM_AUTH_ERR)),
	VM("ansi-error", AUTH(UNAVAIL)),
	VM("ansi-long", AUTH(PAM_AUTH_ERR)),
	VM("c1-raw", AUTH(PAM_AUTH_ERR)),
	VM("c1-utf8", AUTH(PAM_AUTH_ERR)),
	VM("ansi-expired", ACCT(PAM_ACCT_EXPIRED)),
	VM("ansi-newtok", ACCT(PAM_NEW_AUTHTOK_REQD)),

	/* acct_mgmt, sessions, chauthtok */
	V("garbage", ACCT(UNAVAIL)),
	V("lower-ok", ACCT(UNAVAIL)),
	V("never", ACCT(UNAVAIL)),
	V("oversized", ACCT(UNAVAIL)),
	V("reply-then-garbage-lines", ACCT(UNAVAIL)),
	V("garbage", OPEN(PAM_SESSION_ERR)),
	V("never", OPEN(PAM_SESSION_ERR)),
	V("lower-ok", OPEN(PAM_SESSION_ERR)),
	V("reply-then-garbage-lines", OPEN(PAM_SESSION_ERR)),
	V("garbage", CLOSE(PAM_SESSION_ERR)),
	V("read-then-rst", CLOSE(PAM_SESSION_ERR)),
	V("garbage", PASSWD(PAM_AUTHTOK_ERR)),
	V("never", PASSWD(PAM_AUTHTOK_ERR)),
	V("update-garbage", PASSWD(PAM_AUTHTOK_ERR)),
	V("update-never", PASSWD(PAM_AUTHTOK_ERR)),
	V("prelim-lower-ok", PASSWD(PAM_AUTHTOK_ERR)),
};

const size_t h_ncases = sizeof(h_cases) / sizeof(h_cases[0]);
