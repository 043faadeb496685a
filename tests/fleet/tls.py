"""TLS to Redis: the chain and the name verified, expired and untrusted
certificates refused, plain text on either side of the wire failing
within the deadline, client certificates (and their key file's rules),
AUTH over TLS, `unifiedctl check` describing the peer, and a hung TLS
server under the deadline.

Every failure is asserted with its exact PAM code and with the word of
the syslog line's reason that names the cause.
"""
import os
import re
import shutil
import subprocess
import time

import fleetlib

USER = "tlsuser"


def _reason(f, mark, user=USER):
    """the reason="..." texts of the module's decision lines since mark
    (only the reason: the service names here say "tls" too)"""
    lines = f.syslog.grep(mark, r"result=")
    lines = [l for l in lines if 'user="%s"' % user in l] or lines
    why = [m.group(1) for l in lines
           for m in [re.search(r'reason="((?:[^"\\]|\\.)*)"', l)] if m]
    return "\n".join(why) or "(no reason in %r)" % lines


def _copy_key(f, src, name, mode=0o600):
    """a copy of a key file under /etc/security (root-owned, mode)"""
    with open(src) as fh:
        return f.secret(name, fh.read().rstrip("\n"), mode=mode)


def _not_after(pem):
    """the certificate's notAfter as YYYY-MM-DD (UTC)"""
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate",
                          "-dateopt", "iso_8601", "-in", pem],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    m = re.search(r"(\d{4}-\d{2}-\d{2})", out)
    if m:
        return m.group(1)
    # an openssl without -dateopt: "notAfter=Jan  2 03:04:05 2030 GMT"
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                          pem], stdout=subprocess.PIPE, text=True).stdout
    import time
    t = time.strptime(out.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    return time.strftime("%Y-%m-%d", t)


def _odd_server(f, name, tls, extra):
    """a TLS server whose certificate redis-cli would refuse with the
    trusted CA (fleetlib's start() PINGs with it): the PING that waits
    for it uses `extra` instead (another CA, or --insecure)"""
    srv = fleetlib.Redis(f, name, f.port(), tls=tls)
    base = srv.cli_args

    def cli_args():
        a = base()
        i = a.index("--cacert")
        return a[:i] + extra + a[i + 2:]
    srv.cli_args = cli_args
    return srv.start()


def _changed_mid_run(f, r, what, svc, change, after, count=1000):
    """authenticate COUNT times in one process (TLS context and tickets
    cached) while change() alters a file the context was read from: the
    logins before it succeed, those after it give AFTER, and nothing else"""
    p = subprocess.Popen([f.logins, f.confdir, svc, USER, "0", str(count),
                          "a"], env=dict(os.environ,
                                         PU_PASSWORD=fleetlib.PASSWORD),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    time.sleep(0.3)           # the process is logging in by now
    change()
    out = p.communicate(timeout=120)[0]
    m = re.search(r"codes=(\S+)", out)
    codes = dict((c, int(n)) for c, n in
                 (x.split(":") for x in m.group(1).split(","))) if m else {}
    r.check("%s mid-run: logins before it succeed, after it %s"
            % (what, after), codes.get("PAM_SUCCESS", 0) > 0 and
            codes.get(after, 0) > 0 and
            set(codes) <= {"PAM_SUCCESS", after},
            "%r\n%s" % (codes, out[-600:]))


def run(f, r):
    ca = "redis_tls_ca=" + f.ca.pem
    bad_ca = "redis_tls_ca=" + f.other_ca.pem

    def uri(srv, scheme="rediss"):
        return "redis=%s://127.0.0.1:%d" % (scheme, srv.port)

    def attempt(name, svc_opts, want, ops="a", password=fleetlib.PASSWORD,
                word=None, max_secs=None, user=USER):
        """one transaction: the exact code, the reason's word, the time"""
        svc = f.service("tls-" + re.sub(r"[^a-z0-9]+", "-", name.lower()),
                        "backend=redis " + svc_opts + " nodelay")
        mark = f.syslog.mark()
        code, secs, out = f.login(svc, user, ops, password=password)
        why = _reason(f, mark, user)
        r.check("%s: %s" % (name, want), code == want,
                "got %s in %.2f s\n%s\n%s" % (code, secs, out, why))
        if word is not None:
            r.check("%s: reason names %r" % (name, word),
                    re.search(word, why, re.I) is not None, why)
        if max_secs is not None:
            r.check("%s: within %.1f s" % (name, max_secs), secs < max_secs,
                    "took %.2f s (%s)" % (secs, code))
        if want != "PAM_SUCCESS":
            matrix.append((name, code, secs, why.splitlines()[-1:]))
        return code, secs, why

    matrix = []

    # ---- 1. the right CA -------------------------------------------
    s1 = f.redis_server("tls1", tls=True)
    good = "%s %s timeout=2000" % (uri(s1), ca)
    f.add_users(["backend=redis", uri(s1), ca], [USER])
    attempt("right CA amoc", good, "PAM_SUCCESS", ops="amoc")
    attempt("right CA wrong password", good, "PAM_AUTH_ERR",
            password="not-" + fleetlib.PASSWORD)

    # ---- 2. the wrong CA; a server signed by the untrusted CA ------
    attempt("wrong CA", "%s %s timeout=2000" % (uri(s1), bad_ca),
            "PAM_AUTHINFO_UNAVAIL", word=r"certificate verification failed")
    su = _odd_server(f, "tls-untrusted", "untrusted",
                     ["--cacert", f.other_ca.pem])
    attempt("untrusted server certificate",
            "%s %s timeout=2000" % (uri(su), ca), "PAM_AUTHINFO_UNAVAIL",
            word=r"certificate verification failed")
    su.stop()

    # ---- 3. the name -----------------------------------------------
    attempt("wrong server name",
            "%s %s redis_tls_server_name=wrong.example.net timeout=2000"
            % (uri(s1), ca), "PAM_AUTHINFO_UNAVAIL",
            word=r"verification failed: .*(hostname|name) mismatch")
    attempt("right server name given",
            "%s %s redis_tls_server_name=redis1.example.org timeout=2000"
            % (uri(s1), ca), "PAM_SUCCESS")

    # ---- 4. an expired server certificate --------------------------
    se = _odd_server(f, "tls-expired", "expired", ["--insecure"])
    attempt("expired server certificate",
            "%s %s timeout=2000" % (uri(se), ca), "PAM_AUTHINFO_UNAVAIL",
            word=r"certificate has expired")
    se.stop()

    # ---- 5. rediss:// to a plain port ------------------------------
    sp = f.redis_server("plain1")
    attempt("rediss to a plain port",
            "%s %s timeout=1000" % (uri(sp), ca), "PAM_AUTHINFO_UNAVAIL",
            word=r"TLS|handshake", max_secs=1.5)
    sp.stop()

    # ---- 6. tcp:// (plain text) to a TLS port ----------------------
    attempt("tcp to a TLS port", "%s timeout=1000" % uri(s1, "tcp"),
            "PAM_AUTHINFO_UNAVAIL", word=r"TLS port\? rediss://",
            max_secs=1.5)

    # ---- 7. a server demanding client certificates -----------------
    sm = f.redis_server("tls-mtls", tls=True,
                        args=["--tls-auth-clients", "yes"])
    ckey, cpem = f.cert("client")
    okey, opem = f.cert("other-client")
    key600 = _copy_key(f, ckey, "fleet-tls-client.key", 0o600)
    key400 = _copy_key(f, ckey, "fleet-tls-client-ro.key", 0o400)
    key644 = _copy_key(f, ckey, "fleet-tls-client-open.key", 0o644)
    okey600 = _copy_key(f, okey, "fleet-tls-other.key", 0o600)
    mt = "%s %s" % (uri(sm), ca)
    f.add_users(["backend=redis", uri(sm), ca, "redis_tls_cert=" + cpem,
                 "redis_tls_key=" + key600], [USER])
    attempt("mTLS without a client certificate", mt + " timeout=2000",
            "PAM_AUTHINFO_UNAVAIL", word=r"client certificate")
    attempt("mTLS with the client certificate (key 0600)",
            "%s redis_tls_cert=%s redis_tls_key=%s timeout=2000"
            % (mt, cpem, key600), "PAM_SUCCESS", ops="amoc")
    attempt("mTLS with the client certificate (key 0400)",
            "%s redis_tls_cert=%s redis_tls_key=%s timeout=2000"
            % (mt, cpem, key400), "PAM_SUCCESS")
    attempt("mTLS with a certificate of the untrusted CA",
            "%s redis_tls_cert=%s redis_tls_key=%s timeout=2000"
            % (mt, opem, okey600), "PAM_AUTHINFO_UNAVAIL",
            word=r"certificate|unknown ca")
    attempt("mTLS with the key file mode 0644",
            "%s redis_tls_cert=%s redis_tls_key=%s timeout=2000"
            % (mt, cpem, key644), "PAM_SERVICE_ERR",
            word=r"must be owned by root with mode 0400 or 0600")
    # the key file's mode loosened under a running process: the key is
    # read again with the secret rules, and refused
    svc = f.service("tls-key-chmod", "backend=redis %s redis_tls_cert=%s "
                    "redis_tls_key=%s nodelay timeout=2000"
                    % (mt, cpem, key600))
    _changed_mid_run(f, r, "client key chmod 0644", svc,
                     lambda: os.chmod(key600, 0o644), "PAM_SERVICE_ERR")
    os.chmod(key600, 0o600)
    sm.stop()

    # ---- 8. TLS and AUTH -------------------------------------------
    sa = f.redis_server("tls-auth", tls=True, password="Tls-auth-pw-7")
    pw = f.secret("fleet-tls-redis-pw", "Tls-auth-pw-7")
    badpw = f.secret("fleet-tls-redis-badpw", "not-the-password")
    f.add_users(["backend=redis", uri(sa), ca, "redis_password_file=" + pw],
                [USER])
    attempt("TLS + AUTH right password",
            "%s %s redis_password_file=%s timeout=2000" % (uri(sa), ca, pw),
            "PAM_SUCCESS", ops="amoc")
    attempt("TLS + AUTH wrong password",
            "%s %s redis_password_file=%s timeout=2000"
            % (uri(sa), ca, badpw), "PAM_AUTHINFO_UNAVAIL",
            word=r"AUTH refused: WRONGPASS")
    sa.stop()

    # ---- 9. unifiedctl check describes the peer --------------------
    rc, out = f.ctl(["backend=redis", uri(s1), ca], "check")
    r.check("unifiedctl check over TLS exits 0", rc == 0,
            "rc=%d\n%s" % (rc, out))
    r.check("unifiedctl check shows the subject CN=server",
            re.search(r"certificate\s+\S*CN\s*=\s*server\b", out) is not None,
            out)
    day = _not_after(f.cert("server")[1])
    r.check("unifiedctl check shows the expiry %s" % day,
            re.search(r"expires\s+" + re.escape(day), out) is not None, out)
    r.check("unifiedctl check shows TLS 1.2 or newer",
            re.search(r"TLSv1\.[23]", out) is not None, out)
    rc, out = f.ctl(["backend=redis", uri(s1), bad_ca], "check")
    r.check("unifiedctl check with the wrong CA fails",
            rc != 0 and re.search(r"verification failed", out) is not None,
            "rc=%d\n%s" % (rc, out))

    # ---- 10. session resumption ------------------------------------
    # open_session drops the handle's connection, so close_session
    # connects again in the same process: that second handshake resumes
    def handshakes(svc_opts, name):
        svc = f.service("tls-resume-" + name, "backend=redis %s %s debug "
                        "nodelay timeout=2000" % (uri(s1), svc_opts))
        mark = f.syslog.mark()
        code, _, out = f.login(svc, USER, "amoc")
        lines = f.syslog.grep(mark, r"redis: connected to .*(full handshake"
                              r"|session resumed)")
        return code, [("resumed" if "session resumed" in l else "full")
                      for l in lines], out
    code, hs, out = handshakes(ca, "on")
    r.check("resumption: amoc PAM_SUCCESS", code == "PAM_SUCCESS", out)
    r.check("resumption: the first connection is a full handshake, the "
            "one close_session opens resumes", hs == ["full", "resumed"],
            "handshakes %r" % hs)
    code, hs, out = handshakes(ca + " redis_tls_resume=false", "off")
    r.check("redis_tls_resume=false: amoc PAM_SUCCESS",
            code == "PAM_SUCCESS", out)
    r.check("redis_tls_resume=false: two full handshakes",
            hs == ["full", "full"], "handshakes %r" % hs)
    # a session is bound to the name it was verified for: a line that
    # verifies another name, in the same process against the same server,
    # gets no session to resume and fails verification
    M = f.module
    line = "%%s %s backend=redis %s %s redis_tls_server_name=%%s nodelay " \
        "timeout=2000" % (M, uri(s1), ca)
    svc = f.service_text("tls-resume-name", "\n".join([
        line % ("auth     optional", "redis1.example.org"),
        line % ("auth     required", "wrong.example.net"),
        line % ("account  required", "redis1.example.org")]) + "\n")
    mark = f.syslog.mark()
    code, _, out = f.login(svc, USER, "a")
    why = _reason(f, mark)
    r.check("resumed session not offered to another name: "
            "PAM_AUTHINFO_UNAVAIL", code == "PAM_AUTHINFO_UNAVAIL",
            "got %s\n%s\n%s" % (code, out, why))
    r.check("resumed session not offered to another name: hostname "
            "mismatch", re.search(r"hostname mismatch", why) is not None, why)

    # a CA file replaced under a running process: its cached context
    # (and the tickets verified through it) go; the server is refused
    ca_copy = os.path.join(f.t, "tls-rotated-ca.pem")
    shutil.copy(f.ca.pem, ca_copy)
    svc = f.service("tls-ca-swap", "backend=redis %s redis_tls_ca=%s "
                    "nodelay timeout=2000" % (uri(s1), ca_copy))
    _changed_mid_run(f, r, "CA file replaced", svc,
                     lambda: shutil.copy(f.other_ca.pem, ca_copy),
                     "PAM_AUTHINFO_UNAVAIL")

    # ---- 11. a hung TLS server -------------------------------------
    s1.pause()
    try:
        attempt("hung TLS server", "%s %s timeout=1000" % (uri(s1), ca),
                "PAM_AUTHINFO_UNAVAIL", word=r"timed out", max_secs=1.5)
    finally:
        s1.resume()
    # and it answers again once resumed
    attempt("resumed TLS server", good, "PAM_SUCCESS")
    s1.stop()

    # the fault matrix as it ran: the code and the logged reason of each
    print("\n== TLS fault matrix")
    for name, code, secs, why in matrix:
        print("  %-45s %-22s %.2f s  %s" % (name, code, secs,
                                           why[0] if why else ""))
