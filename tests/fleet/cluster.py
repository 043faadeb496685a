"""Redis Cluster: six nodes (three primaries, three replicas) with AUTH,
1,000 users spread over every slot and logged in, a slot migrated while
logins run (ASK, then MOVED), a primary killed and its replica promoted
(logins, the lockout and the replay history survive it), and unifiedctl's
sessions and events merged across the primaries.

The slot is held MIGRATING, then half migrated (one user's record and
failures moved, the rest not): known users with and without recorded
failures log in, unknown users are PAM_USER_UNKNOWN, a lockout is
counted and holds, 12 concurrent guesses get at most deny=3 passwords
checked, a session's event is written once, and a replay-stack login
(four-key scripts: TRYAGAIN) waits for the migration's end; after it,
the counts and the replay entry are there.

Every decision is asserted with its exact PAM code.
"""
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import fleetlib

PW = "Cluster-auth-pw-1"
WRONG = "not-the-password"
N_USERS = 1000


def _ports(f, n):
    """n ports of the suite's range whose bus port (+10000) is free too"""
    out = []
    while len(out) < n:
        p = f.port()
        if fleetlib.port_free(p + 10000):
            out.append(p)
    return out


def _nodes(node):
    """CLUSTER NODES seen from node: a list of dicts"""
    rc, out = node.cli("CLUSTER", "NODES")
    res = []
    for line in out.splitlines():
        w = line.split()
        if len(w) < 8:
            continue
        addr = w[1].split("@")[0]
        slots = []
        for s in w[8:]:
            if s.startswith("["):
                continue
            a, _, b = s.partition("-")
            slots.append((int(a), int(b or a)))
        res.append({"id": w[0], "port": int(addr.rsplit(":", 1)[1]),
                    "flags": w[2].split(","), "master": w[3],
                    "state": w[7], "slots": slots})
    return res


def _state_ok(node):
    rc, out = node.cli("CLUSTER", "INFO")
    return rc == 0 and "cluster_state:ok" in out


def _keyslot(node, key):
    rc, out = node.cli("CLUSTER", "KEYSLOT", key)
    return int(out.strip())


def _owner(seen_from, slot):
    for n in _nodes(seen_from):
        if "master" in n["flags"] and "fail" not in n["flags"] and \
                any(a <= slot <= b for a, b in n["slots"]):
            return n
    return None


def _why(f, mark, user):
    """the module's decision lines for user since mark (the reason)"""
    lines = [l for l in f.syslog.grep(mark, r"result=")
             if 'user="%s"' % user in l]
    return "\n".join(lines[-3:]) or "(no log line)"


def run(f, r):
    t0 = time.monotonic()
    ports = _ports(f, 6)
    args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "1000", "--masterauth", PW]
    nodes = [f.redis_server("cl%d" % i, port=p, password=PW, args=args)
             for i, p in enumerate(ports)]
    by_port = {n.port: n for n in nodes}
    rc, out = fleetlib.run(
        ["redis-cli", "--no-auth-warning", "-a", PW, "--cluster", "create"] +
        ["127.0.0.1:%d" % p for p in ports] +
        ["--cluster-replicas", "1", "--cluster-yes"], timeout=60)
    if rc != 0:
        raise SystemExit("cluster create failed:\n" + out[-2000:])
    ok = fleetlib.wait_for(lambda: all(_state_ok(n) for n in nodes), 20)
    r.check("cluster of 6 nodes reaches cluster_state:ok", ok,
            "\n".join(n.cli("CLUSTER", "INFO")[1][:200] for n in nodes))
    # replicas know their primaries (a failover needs them in sync)
    fleetlib.wait_for(lambda: all(
        n.info("master_link_status") == "up" for n in nodes
        if n.info("role") == "slave"), 15)

    pwfile = f.secret("cluster-redis.pw", PW)
    seeds = "redis_cluster=127.0.0.1:%d,127.0.0.1:%d" % (ports[0], ports[1])
    conn = "%s redis_password_file=%s timeout=3000" % (seeds, pwfile)
    opts = conn.split()
    svc = f.service("cluster", "backend=redis %s nodelay" % conn)
    svc_deny = f.service("cluster-deny", "backend=redis %s nodelay deny=3 "
                         "unlock_time=600" % conn)

    # ---------------- 1. 1,000 users over every slot ----------------
    t1 = time.monotonic()
    names = ["u%d" % k for k in range(N_USERS)]

    def add(u):
        return u, f.ctl(opts + ["hash=sha512"], "user", "add", u,
                        "--password-stdin", input=fleetlib.PASSWORD + "\n")
    with ThreadPoolExecutor(max_workers=max(4, (os.cpu_count() or 2) * 2)) as ex:
        bad = [(u, o) for u, (rc, o) in ex.map(add, names) if rc != 0]
    r.check("unifiedctl user add: 1000 users created", not bad,
            "%d failed, first: %r" % (len(bad), bad[:1]))
    code, secs, out = f.login(svc, "u%d", "amoc", count=N_USERS, first=0,
                              timeout=120)
    r.check("1000 users log in (amoc) through the cluster: ok=1000",
            code == "ok" and "ok=%d failed=0" % N_USERS in out,
            out[-500:])
    prim = [n for n in _nodes(nodes[0]) if "master" in n["flags"]]
    sizes = {n["port"]: by_port[n["port"]].cli("DBSIZE")[1].strip()
             for n in prim}
    r.check("the users' keys are on all three primaries (DBSIZE > 0)",
            len(prim) == 3 and all(s.isdigit() and int(s) > 0
                                   for s in sizes.values()), repr(sizes))
    print("  (users added and logged in: %.1f s, logins %.1f s)" % (
        time.monotonic() - t1, secs))

    # ---------------- 2. a slot migrated (ASK, then MOVED) ----------------
    user = "u7"
    slot = _keyslot(nodes[0], "pam:user:{%s}" % user)
    src = _owner(nodes[0], slot)
    dst = [n for n in prim if n["id"] != src["id"]][0]
    s_node, d_node = by_port[src["port"]], by_port[dst["port"]]
    d_node.cli("CONFIG", "RESETSTAT")
    # the auth script reads pam:user and pam:fail together: a wrong
    # password (deny=3) makes pam:fail exist, so the script's two keys
    # can move together and be served on the target under ASKING
    code, _, _ = f.login(svc_deny, user, "a", password=WRONG)
    r.check("migration: a wrong password first is PAM_AUTH_ERR",
            code == "PAM_AUTH_ERR", code)
    # users of the same slot: k1 known with no failure on record, k2
    # known (its lockout), k3 known (a burst of guesses), nx unknown
    k1, k2, k3, nx, nx2 = _same_slot(slot, "m", 5)
    for u in (k1, k2, k3):
        rc, o = add(u)[1]
        r.check("migration: user %s of slot %d created" % (u, slot), rc == 0,
                o)
    d_node.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", src["id"])
    s_node.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", dst["id"])
    # the open bug: pam:user present, pam:fail absent on the MIGRATING
    # node: the two-key auth script gets TRYAGAIN
    mark = f.syslog.mark()
    code, secs, out = f.login(svc, k1, "amoc")
    r.check("slot MIGRATING, nothing moved: %s (known, no failure on "
            "record) logs in (amoc): PAM_SUCCESS" % k1,
            code == "PAM_SUCCESS", out[-300:] + _why(f, mark, k1))
    code, secs, out = f.login(svc_deny, nx, "a")
    r.check("slot MIGRATING, nothing moved: %s (unknown; no key anywhere: "
            "ASK, then TRYAGAIN on the target): PAM_USER_UNKNOWN" % nx,
            code == "PAM_USER_UNKNOWN", out[-300:] + _why(f, mark, nx))
    # MIGRATING set, nothing moved yet: a user of the slot whose record is
    # whole on the source (the wrong password above made its pam:fail;
    # a user of the same slot without one, if there is one, too)
    mark = f.syslog.mark()
    code, secs, out = f.login(svc, user, "a", password=WRONG)
    r.check("slot MIGRATING, nothing moved: a wrong password of %s: "
            "PAM_AUTH_ERR" % user, code == "PAM_AUTH_ERR",
            out[-300:] + _why(f, mark, user))
    ukeys = ["pam:user:{%s}" % user, "pam:fail:{%s}" % user]
    rc, keys = s_node.cli("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    keys = keys.split()
    rc, mo = s_node.cli("MIGRATE", "127.0.0.1", dst["port"], "", 0, 5000,
                        "AUTH", PW, "KEYS", *ukeys)
    rest = [k for k in keys if k not in ukeys]
    on_src = s_node.cli("EXISTS", "pam:events:{%s}" % user)[1].strip()
    r.check("migration: half the user's keys moved (%s), the rest (%d keys) "
            "still on the source" % (" ".join(ukeys), len(rest)),
            mo.strip() == "OK" and on_src == "1", mo + " " + repr(keys))
    code, secs, out = f.login(svc_deny, user, "amoc")
    r.check("half-migrated slot: %s logs in (amoc) via ASK: PAM_SUCCESS"
            % user, code == "PAM_SUCCESS", out[-300:])
    stats = d_node.cli("INFO", "commandstats")[1]
    r.check("the target answered ASKING (cmdstat_asking in its INFO)",
            "cmdstat_asking:" in stats,
            "\n".join(l for l in stats.splitlines() if "ask" in l) or
            stats[-300:])
    # the success cleared pam:fail: the auth script's two keys are now
    # pam:user (on the target) and a pam:fail that exists nowhere
    mark = f.syslog.mark()
    code, secs, out = f.login(svc, user, "amoc")
    r.check("half-migrated slot: a second amoc login (pam:fail now "
            "absent): PAM_SUCCESS", code == "PAM_SUCCESS",
            out[-300:] + _why(f, mark, user) + "\nby hand on the target: " +
            fleetlib.run(d_node.cli_args(), input="ASKING\nEVAL \"return 1\" 2 "
                         "pam:user:{%s} pam:fail:{%s}\n" % (user, user))[1])
    # a command answered on the source is not sent again to the target:
    # u7's session (HSET: ASK) and its event (XADD: done on the source)
    # go in one pipeline; a second XADD on the target would split the
    # stream in two and make the migration's MIGRATE fail (BUSYKEY)
    evk = "pam:events:{%s}" % user
    tgt = fleetlib.run(d_node.cli_args(), input="ASKING\nEXISTS %s\n" %
                       evk)[1].split()
    r.check("half-migrated slot: u7's events written on the source only "
            "(the target has no %s)" % evk, tgt[-1:] == ["0"] and
            s_node.cli("EXISTS", evk)[1].strip() == "1", repr(tgt))
    _half_migrated(f, r, svc, svc_deny, opts, k1, k2, k3, nx)
    if code != "PAM_SUCCESS":
        why = _why(f, mark, user)
        m = re.search(r'reason="([^"]*)"', why)
        r.check("a failed cluster call logs the server's error as its reason "
                "(TRYAGAIN ...), not other bytes", m is not None and
                re.search(r"TRYAGAIN|ASK|MOVED|CLUSTERDOWN", m.group(1))
                is not None and "\\x" not in m.group(1), why)
    # the single-key way is told whether the user exists: with
    # unlock_time=0 a user's failures last until reset (no TTL), a name
    # that is no user's expire (a day at least)
    svc_forever = f.service("cluster-deny-forever", "backend=redis %s "
                            "nodelay deny=3 unlock_time=0" % conn)
    ttl = {}
    for u, want in ((k1, "PAM_AUTH_ERR"), (nx2, "PAM_USER_UNKNOWN")):
        code, _, out = f.login(svc_forever, u, "a", password=WRONG)
        got = fleetlib.run(d_node.cli_args(), input="ASKING\nTTL "
                           "pam:fail:{%s}\n" % u)[1].split()
        ttl[u] = int(got[-1]) if got and got[-1].lstrip("-").isdigit() \
            else None
        r.check("half-migrated slot, unlock_time=0: a wrong password of %s: "
                "%s" % (u, want), code == want, out[-300:])
    r.check("half-migrated slot, unlock_time=0: %s's failures have no TTL "
            "(%s), %s's expire within a day and more (%s s)" % (
                k1, ttl[k1], nx2, ttl[nx2]), ttl[k1] == -1 and
            ttl[nx2] is not None and 86000 < ttl[nx2] <= 86400, repr(ttl))
    # the replay store's scripts take four keys of the user (history,
    # logins in flight, two of an earlier layout): on a slot in migration
    # they get TRYAGAIN until it ends.  A login started now waits for
    # the end of the migration below (within its timeout=3000).
    rsvc = _replay_service(f, conn)
    waiting = ThreadPoolExecutor(max_workers=1).submit(
        f.login, rsvc, k1, "amoc")
    time.sleep(0.8)
    # finish: the rest of the slot, then the slot's owner on all primaries
    rc, keys = s_node.cli("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    keys = keys.split()
    if keys:
        rc, mo = s_node.cli("MIGRATE", "127.0.0.1", dst["port"], "", 0, 5000,
                            "AUTH", PW, "KEYS", *keys)
    for n in prim:
        by_port[n["port"]].cli("CLUSTER", "SETSLOT", slot, "NODE", dst["id"])
    fleetlib.wait_for(lambda: all(
        (_owner(by_port[n["port"]], slot) or {}).get("id") == dst["id"]
        for n in prim) and all(_state_ok(x) for x in nodes), 10)
    left = s_node.cli("CLUSTER", "COUNTKEYSINSLOT", slot)[1].strip()
    r.check("migration finished: slot %d owned by the target, 0 keys left "
            "on the source" % slot, left == "0" and
            _owner(nodes[0], slot)["id"] == dst["id"], left)
    code, secs, out = waiting.result()
    r.check("a replay-stack login of %s started during the migration "
            "waits for its end (TRYAGAIN until then) and succeeds: "
            "PAM_SUCCESS (%.2f s)" % (k1, secs), code == "PAM_SUCCESS" and
            secs > 0.5, out[-300:])
    code, _, out = f.login(rsvc, k1, "a")
    r.check("after the migration the replay history of %s has that login: "
            "the same password again: PAM_AUTH_ERR" % k1,
            code == "PAM_AUTH_ERR", out[-300:])
    code, secs, out = f.login(svc, user, "amoc")
    r.check("after the migration %s logs in (amoc, MOVED): PAM_SUCCESS"
            % user, code == "PAM_SUCCESS", out[-300:])
    code, _, out = f.login(svc_deny, k2, "a")
    r.check("after the migration %s is still locked (right password: "
            "PAM_AUTH_ERR)" % k2, code == "PAM_AUTH_ERR", out[-300:])
    rc, out = f.ctl(opts + ["deny=3"], "faillock", "show", k2)
    r.check("after the migration unifiedctl faillock show %s: the 3 "
            "failures counted during it" % k2, rc == 0 and
            re.search(r"\b3 recent failure", out) is not None, out[-400:])
    code, _, out = f.login(svc, k1, "amoc")
    r.check("after the migration %s logs in: PAM_SUCCESS" % k1,
            code == "PAM_SUCCESS", out[-300:])
    code, secs, out = f.login(svc, "u%d", "amoc", count=50, first=0)
    r.check("after the migration 50 other users log in: ok=50",
            code == "ok" and "ok=50 failed=0" in out, out[-300:])

    # ---------------- 3. a primary killed, its replica promoted -------------
    victim_user = "u11"
    vslot = _keyslot(nodes[0], "pam:user:{%s}" % victim_user)
    vown = _owner(nodes[0], vslot)
    vnode = by_port[vown["port"]]
    # other users on that primary
    same = [u for u in names[:300] if
            any(a <= _slot_local(u) <= b for a, b in vown["slots"])][:20]
    # the lockout: deny=3, two failures before the kill
    lock_user = same[1] if len(same) > 1 else victim_user
    codes = [f.login(svc_deny, lock_user, "a", password=WRONG)[0]
             for _ in range(2)]
    r.check("lockout: %s gets 2 wrong passwords (PAM_AUTH_ERR each)"
            % lock_user, codes == ["PAM_AUTH_ERR"] * 2, repr(codes))
    # the replay history: one committed login
    rsvc = _replay_service(f, conn)
    rep_user = victim_user
    code, _, out = f.login(rsvc, rep_user, "amoc")
    r.check("replay: %s logs in once (committed): PAM_SUCCESS" % rep_user,
            code == "PAM_SUCCESS", out[-300:])
    code, _, out = f.login(rsvc, rep_user, "a")
    r.check("replay: the same password again before the kill: PAM_AUTH_ERR",
            code == "PAM_AUTH_ERR", out[-300:])
    # replicated before the kill
    rc, w = vnode.cli("WAIT", 1, 2000)
    r.check("the primary's writes reached its replica (WAIT 1)",
            w.strip() == "1", w)
    survivors = [n for n in nodes if n is not vnode]
    t_kill = time.monotonic()
    vnode.kill()

    def promoted():
        o = _owner(survivors[0], vslot)
        return o is not None and o["port"] != vown["port"] and \
            all(_state_ok(n) for n in survivors)
    ok = fleetlib.wait_for(promoted, 20, step=0.1)
    r.check("the replica is promoted (cluster_state:ok again, %.1f s)"
            % (time.monotonic() - t_kill), bool(ok),
            survivors[0].cli("CLUSTER", "NODES")[1])
    code, _, out = f.login(svc, victim_user, "amoc")
    r.check("after the failover %s logs in (amoc): PAM_SUCCESS"
            % victim_user, code == "PAM_SUCCESS", out[-300:])
    fails = 0
    for u in same:
        if u == lock_user:
            continue
        c, _, o = f.login(svc, u, "amoc")
        fails += c != "PAM_SUCCESS"
    r.check("after the failover %d users of that slot range log in"
            % (len(same) - 1), fails == 0 and len(same) >= 3,
            "%d failed of %d" % (fails, len(same)))
    code, _, _ = f.login(svc_deny, lock_user, "a", password=WRONG)
    r.check("lockout after the failover: a third wrong password: "
            "PAM_AUTH_ERR", code == "PAM_AUTH_ERR", code)
    code, _, out = f.login(svc_deny, lock_user, "a")
    r.check("lockout survives the failover: the right password is refused "
            "(locked): PAM_AUTH_ERR", code == "PAM_AUTH_ERR", out[-300:])
    rc, out = f.ctl(opts + ["deny=3"], "faillock", "show", lock_user)
    r.check("unifiedctl faillock show %s shows the 3 failures" % lock_user,
            rc == 0 and lock_user in out and
            re.search(r"\b3 recent failure", out) is not None, out[-400:])
    code, _, out = f.login(rsvc, rep_user, "a")
    r.check("replay history survives the failover: the used password is "
            "refused: PAM_AUTH_ERR", code == "PAM_AUTH_ERR", out[-300:])

    # ---------------- 4. unifiedctl merges across the primaries ------------
    live = [n for n in _nodes(survivors[0]) if "master" in n["flags"]
            and "fail" not in n["flags"]]
    # one open session per primary: a user of each
    per = {}
    for u in names[100:300]:
        s = _slot_local(u)
        o = [n for n in live if any(a <= s <= b for a, b in n["slots"])]
        if o and o[0]["id"] not in per:
            per[o[0]["id"]] = u
    sess_users = list(per.values())
    for u in sess_users:
        f.login(svc, u, "amo")     # left open
    rc, out = f.ctl(opts, "sessions")
    r.check("unifiedctl sessions lists open sessions of users on %d "
            "primaries (%s)" % (len(sess_users), " ".join(sess_users)),
            rc == 0 and len(sess_users) == 3 and
            all(re.search(r"\b%s\b" % u, out) for u in sess_users),
            out[-600:])
    rc, out = f.ctl(opts, "events", "--count", "20")
    seen = sorted(set(re.findall(r"\bu\d+\b", out)))
    r.check("unifiedctl events --count 20 merges events of users on "
            "different primaries", rc == 0 and
            len(out.strip().splitlines()) == 20 and
            all(re.search(r"\b%s\b" % u, out) for u in sess_users) and
            re.search(r"\b%s type=auth result=locked" % lock_user, out)
            is not None,
            "users seen: %s\n%s" % (seen, out[-600:]))
    print("  (cluster scenario: %.1f s)" % (time.monotonic() - t0))


def _half_migrated(f, r, svc, svc_deny, opts, k1, k2, k3, nx):
    """a slot held half migrated: u7's pam:user and pam:fail on the
    target, its events on the source; k1, k2, k3 wholly on the source
    (pam:user) with no pam:fail anywhere"""
    mark = f.syslog.mark()
    code, _, out = f.login(svc, k1, "amoc")
    r.check("half-migrated slot: %s (record on the source, no failure) "
            "logs in again: PAM_SUCCESS" % k1, code == "PAM_SUCCESS",
            out[-300:] + _why(f, mark, k1))
    code, _, out = f.login(svc_deny, nx, "a")
    r.check("half-migrated slot: %s (unknown) is PAM_USER_UNKNOWN" % nx,
            code == "PAM_USER_UNKNOWN", out[-300:] + _why(f, mark, nx))
    code, _, out = f.login(svc_deny, nx, "a", password=fleetlib.PASSWORD)
    r.check("half-migrated slot: %s (unknown, a second time) is "
            "PAM_USER_UNKNOWN" % nx, code == "PAM_USER_UNKNOWN", out[-300:])
    codes = [f.login(svc_deny, k2, "a", password=WRONG)[0] for _ in range(3)]
    r.check("half-migrated slot: 3 wrong passwords of %s (deny=3): "
            "PAM_AUTH_ERR each" % k2, codes == ["PAM_AUTH_ERR"] * 3,
            repr(codes) + _why(f, mark, k2))
    code, _, out = f.login(svc_deny, k2, "a")
    r.check("half-migrated slot: %s is locked (the right password: "
            "PAM_AUTH_ERR)" % k2, code == "PAM_AUTH_ERR", out[-300:])
    rc, out = f.ctl(opts + ["deny=3"], "faillock", "show", k2)
    r.check("half-migrated slot: unifiedctl faillock show %s (record on "
            "the source, failures on the target): 3 failures" % k2,
            rc == 0 and re.search(r"\b3 recent failure", out) is not None,
            out[-400:])
    # a burst: 12 concurrent guesses; at most deny=3 of them get their
    # password checked (result=failure), the rest are refused unchecked
    # (result=locked)
    with ThreadPoolExecutor(max_workers=12) as ex:
        codes = list(ex.map(lambda _: f.login(svc_deny, k3, "a",
                                              password=WRONG)[0], range(12)))
    rc, out = f.ctl(opts, "events", k3, "--count", "50")
    checked = len(re.findall(r"result=failure", out))
    locked = len(re.findall(r"result=locked", out))
    r.check("half-migrated slot: 12 concurrent wrong passwords of %s: all "
            "PAM_AUTH_ERR, %d checked (at most deny=3), %d refused locked"
            % (k3, checked, locked), codes == ["PAM_AUTH_ERR"] * 12 and
            checked <= 3 and checked + locked == 12, repr(codes) + out[-600:])


def _replay_service(f, conn):
    """a stack of pam_unified (redis) and the replay backend (store=redis)
    over conn"""
    key = f.secret("cluster-replay.key", "k" * 48)
    red = "%s backend=redis %s nodelay" % (f.module, conn)
    rpl = "%s backend=replay store=redis window=5 key_file=%s %s" % (
        f.module, key, conn)
    return f.service_text("cluster-replay", "\n".join([
        "auth     requisite %s" % red,
        "auth     requisite %s" % rpl,
        "account  required  %s" % red,
        "account  required  %s" % rpl,
        "session  required  %s" % rpl,
        "session  required  %s" % red,
        "password required  %s" % red, ""]))


def _same_slot(slot, prefix, n):
    """n user names whose hash tag falls in slot"""
    out, k = [], 0
    while len(out) < n:
        name = "%s%d" % (prefix, k)
        if _slot_local(name) == slot:
            out.append(name)
        k += 1
    return out


# CRC16 (XMODEM) of the hash tag: the slot of a user without a round trip
def _crc16(data):
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _slot_local(user):
    return _crc16(user.encode()) % 16384
