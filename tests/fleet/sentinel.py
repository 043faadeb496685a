"""Sentinel with AUTH and TLS, a Sentinel failover, and a plain redis=
list whose first server is a replica.

A primary and its replica (both with requirepass) watched by three
sentinels that want a password themselves (requirepass, and an ACL user
allowed nothing but SENTINEL GET-MASTER-ADDR-BY-NAME for
sentinel_user=); the module reads the sentinels' secret from
sentinel_password_file= (root-owned 0600).  The right secret works (the
default user and the ACL user), a wrong or missing one is
PAM_AUTHINFO_UNAVAIL with a LOG_ERR reason that says so.  A second,
TLS-only set (a primary and a sentinel on --tls-port) is reached through
rediss:// sentinel addresses, verified against fleet.pki()'s CA.  Then
the primary is killed, the sentinels promote the replica, and logins,
the lockout and the sessions go on.  A redis= list whose first entry is
a replica: ROLE skips it and the writes (a counted failure, a session)
land on the primary; the replica alone fails closed (READONLY).

Every decision is asserted with its exact PAM code.
"""
import os
import re
import time

import fleetlib
from fleetlib import attempt

PW = "Sentinel-data-pw-1"       # the data nodes' requirepass
SPW = "Sentinel-own-pw-2"       # the sentinels' requirepass
UPW = "Sentinel-acl-pw-3"       # the ACL user pamsent's password
MASTER = "fleetm"
TLS_MASTER = "fleett"
WRONG = "not-the-password"


def _sentinel(f, name, conf_lines, tls=False):
    """a redis-sentinel with requirepass SPW and conf_lines in its
    sentinel.conf (written before it starts)"""
    s = fleetlib.Redis(f, name, f.port(), tls=tls, password=SPW,
                       sentinel=True)
    with open(os.path.join(s.dir, "sentinel.conf"), "w") as fh:
        fh.write("\n".join(conf_lines) + "\n")
    return s.start()


def _primary_of(s, master):
    rc, out = s.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", master)
    w = out.split()
    return int(w[1]) if rc == 0 and len(w) == 2 and w[1].isdigit() else None


def run(f, r):
    t0 = time.monotonic()
    # ---------------- the plain set ----------------
    prim = f.redis_server("sn-primary", password=PW,
                          args=["--masterauth", PW])
    repl = f.redis_server("sn-replica", password=PW,
                          args=["--masterauth", PW, "--replicaof",
                                "127.0.0.1", str(prim.port)])
    ok = fleetlib.wait_for(lambda: repl.info("master_link_status") == "up",
                           15)
    r.check("the replica is in sync with the primary", ok == True,
            repl.cli("INFO", "replication")[1])
    conf = ["sentinel monitor %s 127.0.0.1 %d 2" % (MASTER, prim.port),
            "sentinel auth-pass %s %s" % (MASTER, PW),
            "sentinel down-after-milliseconds %s 1000" % MASTER,
            "sentinel failover-timeout %s 10000" % MASTER,
            "sentinel sentinel-pass %s" % SPW,
            "user pamsent on >%s -@all +sentinel|get-master-addr-by-name"
            % UPW]
    sents = [_sentinel(f, "sn-sentinel%d" % i, conf) for i in range(3)]
    ok = fleetlib.wait_for(lambda: all(
        _primary_of(s, MASTER) == prim.port for s in sents) and all(
        re.search(r"num-other-sentinels\s+2\b", s.cli(
            "SENTINEL", "MASTER", MASTER)[1].replace("\n", " ")) for s in
        sents), 20, step=0.2)
    r.check("three sentinels (requirepass) name the primary and know "
            "each other", bool(ok),
            sents[0].cli("SENTINEL", "MASTER", MASTER)[1][-600:])

    pw = f.secret("fleet-sn-redis.pw", PW)
    spw = f.secret("fleet-sn-sentinel.pw", SPW)
    upw = f.secret("fleet-sn-sentinel-acl.pw", UPW)
    bad = f.secret("fleet-sn-sentinel-bad.pw", "not-the-sentinel-password")
    loose = f.secret("fleet-sn-sentinel-loose.pw", SPW, mode=0o644)
    slist = ",".join("127.0.0.1:%d" % s.port for s in sents)
    base = "sentinel=%s sentinel_master=%s redis_password_file=%s " \
           "timeout=2000" % (slist, MASTER, pw)
    good = base + " sentinel_password_file=" + spw
    opts = good.split()
    users = ["sn-alice", "sn-bob", "sn-carol", "sn-dave"]
    f.add_users(opts, users)

    # ---- 1. the sentinels' secret ----------------------------------
    attempt(f, r, "sentinel AUTH right secret (default user) amoc", good,
            "PAM_SUCCESS", users[0], ops="amoc")
    attempt(f, r, "sentinel AUTH as ACL user pamsent (sentinel_user=)",
            base + " sentinel_user=pamsent sentinel_password_file=" + upw,
            "PAM_SUCCESS", users[0], ops="amoc")
    attempt(f, r, "sentinel AUTH wrong secret",
            base + " sentinel_password_file=" + bad,
            "PAM_AUTHINFO_UNAVAIL", users[0],
            word=r"sentinel .*AUTH refused: WRONGPASS", log_err=True)
    attempt(f, r, "sentinel AUTH ACL user with the default user's secret",
            base + " sentinel_user=pamsent sentinel_password_file=" + spw,
            "PAM_AUTHINFO_UNAVAIL", users[0],
            word=r"sentinel .*AUTH refused: WRONGPASS", log_err=True)
    attempt(f, r, "sentinel AUTH missing secret (no sentinel_password_file=)",
            base, "PAM_AUTHINFO_UNAVAIL", users[0],
            word=r"sentinel .*NOAUTH.*sentinel_password_file=", log_err=True)
    attempt(f, r, "sentinel_password_file= mode 0644",
            base + " sentinel_password_file=" + loose, "PAM_SERVICE_ERR",
            users[0], word=r"owned by root with mode 0400 or 0600",
            log_err=True)
    attempt(f, r, "sentinel_user= without sentinel_password_file=",
            base + " sentinel_user=pamsent", "PAM_SERVICE_ERR", users[0],
            word=r"sentinel_user= needs sentinel_password_file=",
            log_err=True)

    # ---- 2. a redis= list whose first entry is a replica ------------
    repl.cli("CONFIG", "RESETSTAT")
    rlist = "redis=tcp://127.0.0.1:%d,tcp://127.0.0.1:%d " \
            "redis_password_file=%s timeout=2000" % (repl.port, prim.port, pw)
    lopts = rlist.split()
    attempt(f, r, "redis= list, replica first: a wrong password", rlist +
            " deny=5", "PAM_AUTH_ERR", users[1], password=WRONG)
    rc, out = f.ctl(lopts + ["deny=5"], "faillock", "show", users[1])
    r.check("redis= list, replica first: the failure was counted (on the "
            "primary): unifiedctl faillock show: 1 recent failure",
            rc == 0 and re.search(r"\b1 recent failure", out) is not None,
            out[-400:])
    r.check("redis= list, replica first: the replica was asked ROLE",
            "cmdstat_role:" in repl.cli("INFO", "commandstats")[1],
            repl.cli("INFO", "commandstats")[1][-400:])
    attempt(f, r, "redis= list, replica first: a login opens a session (amo)",
            rlist, "PAM_SUCCESS", users[1], ops="amo")
    rc, out = f.ctl(lopts, "sessions")
    r.check("redis= list, replica first: unifiedctl sessions lists it",
            rc == 0 and re.search(r"\b%s\b" % users[1], out) is not None,
            out[-400:])
    n = prim.cli("HLEN", "pam:sessions:{%s}" % users[1])[1].strip()
    r.check("redis= list, replica first: the session is on the primary "
            "(HLEN 1)", n == "1", n)
    # the replica alone: nothing to choose, the first write fails closed
    attempt(f, r, "redis= the replica alone: a wrong password",
            "redis=tcp://127.0.0.1:%d redis_password_file=%s timeout=2000 "
            "deny=5" % (repl.port, pw), "PAM_AUTHINFO_UNAVAIL", users[1],
            password=WRONG, word=r"READONLY")

    # ---- 3. TLS to the sentinels -----------------------------------
    ca = "redis_tls_ca=" + f.ca.pem
    tprim = f.redis_server("sn-tls-primary", tls=True, password=PW)
    key, pem = f.cert("server")
    tconf = ["sentinel monitor %s 127.0.0.1 %d 1" % (TLS_MASTER, tprim.port),
             "sentinel auth-pass %s %s" % (TLS_MASTER, PW),
             "tls-replication yes",
             "tls-cert-file " + pem, "tls-key-file " + key,
             "tls-ca-cert-file " + f.ca.pem]
    tsent = _sentinel(f, "sn-tls-sentinel", tconf, tls=True)
    ok = fleetlib.wait_for(lambda: _primary_of(tsent, TLS_MASTER) ==
                           tprim.port, 10)
    r.check("a TLS-only sentinel names the TLS primary", bool(ok),
            tsent.cli("SENTINEL", "MASTER", TLS_MASTER)[1][-400:])
    tbase = "sentinel=rediss://127.0.0.1:%d sentinel_master=%s " \
            "redis_password_file=%s sentinel_password_file=%s timeout=2000" \
            % (tsent.port, TLS_MASTER, pw, spw)
    f.add_users((tbase + " " + ca).split(), ["sn-tls"])
    attempt(f, r, "rediss:// sentinel, right CA (amoc)", tbase + " " + ca,
            "PAM_SUCCESS", "sn-tls", ops="amoc")
    attempt(f, r, "rediss:// sentinel, the name verified "
            "(redis_tls_server_name=sentinel.example.org)",
            tbase + " " + ca + " redis_tls_server_name=sentinel.example.org",
            "PAM_SUCCESS", "sn-tls")
    attempt(f, r, "rediss:// sentinel, wrong CA",
            tbase + " redis_tls_ca=" + f.other_ca.pem,
            "PAM_AUTHINFO_UNAVAIL", "sn-tls",
            word=r"certificate verification failed", log_err=True)
    attempt(f, r, "rediss:// sentinel, wrong name",
            tbase + " " + ca + " redis_tls_server_name=wrong.example.net",
            "PAM_AUTHINFO_UNAVAIL", "sn-tls",
            word=r"verification failed", log_err=True)
    attempt(f, r, "tcp:// to the TLS sentinel's port",
            tbase.replace("rediss://", "tcp://").replace("timeout=2000",
                                                         "timeout=1000"),
            "PAM_AUTHINFO_UNAVAIL", "sn-tls", max_secs=1.6)
    attempt(f, r, "rediss:// sentinel, wrong sentinel secret",
            tbase.replace(spw, bad) + " " + ca, "PAM_AUTHINFO_UNAVAIL",
            "sn-tls", word=r"sentinel .*AUTH refused: WRONGPASS",
            log_err=True)
    tsent.stop()
    tprim.stop()

    # ---- 4. a failover ---------------------------------------------
    lock_user = users[2]
    svc_deny = good + " deny=3 unlock_time=600"
    for k in range(2):
        attempt(f, r, "before the failover: wrong password %d of %s (deny=3)"
                % (k + 1, lock_user), svc_deny, "PAM_AUTH_ERR", lock_user,
                password=WRONG)
    attempt(f, r, "before the failover: %s opens a session (amo)" % users[3],
            good, "PAM_SUCCESS", users[3], ops="amo")
    rc, w = prim.cli("WAIT", 1, 2000)
    r.check("the primary's writes reached the replica (WAIT 1)",
            w.strip() == "1", w)
    t_kill = time.monotonic()
    prim.kill()
    ok = fleetlib.wait_for(lambda: all(
        _primary_of(s, MASTER) == repl.port for s in sents) and
        repl.info("role") == "master", 30, step=0.2)
    r.check("the sentinels promote the replica (%.1f s)"
            % (time.monotonic() - t_kill), bool(ok),
            sents[0].cli("SENTINEL", "MASTER", MASTER)[1][-600:])
    attempt(f, r, "after the failover %s logs in (amoc)" % users[0], good,
            "PAM_SUCCESS", users[0], ops="amoc")
    attempt(f, r, "after the failover as the ACL sentinel user",
            base + " sentinel_user=pamsent sentinel_password_file=" + upw,
            "PAM_SUCCESS", users[0], ops="amoc")
    attempt(f, r, "after the failover: the third wrong password of %s"
            % lock_user, svc_deny, "PAM_AUTH_ERR", lock_user, password=WRONG)
    attempt(f, r, "the lockout survives the failover: the right password "
            "is refused (locked)", svc_deny, "PAM_AUTH_ERR", lock_user)
    rc, out = f.ctl(opts + ["deny=3"], "faillock", "show", lock_user)
    r.check("unifiedctl faillock show %s after the failover: 3 failures"
            % lock_user, rc == 0 and re.search(r"\b3 recent failure", out)
            is not None, out[-400:])
    rc, out = f.ctl(opts, "sessions")
    r.check("the session opened before the failover is still listed",
            rc == 0 and re.search(r"\b%s\b" % users[3], out) is not None,
            out[-400:])
    print("  (sentinel scenario: %.1f s)" % (time.monotonic() - t0))
