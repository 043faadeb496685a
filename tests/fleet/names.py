"""Host names under the deadline (c-ares), in the suite's private
/etc/hosts and /etc/resolv.conf.

tcp://NAME:port with NAME from /etc/hosts (and over TLS, the name being
the one verified); a name with several addresses, the first dead (a
refused port) and the second alive: every address is tried in order; a
name whose only address is dead; an IPv6 literal in brackets and a name
with only an IPv6 address; a name server that never answers (a UDP
socket the test holds open and never reads) costs at most timeout= and
is PAM_AUTHINFO_UNAVAIL with a reason naming the resolution; an unknown
name (NXDOMAIN from a stub responder), and a name server that is not
there (refused), fail fast.

Every decision is asserted with its exact PAM code.
"""
import socket
import struct
import threading
import time

import fleetlib
from fleetlib import attempt

USER = "nameuser"


def _loopback(f, k):
    """a loopback address of this run's own (127.0.0.0/8 is all lo),
    so that runs side by side do not share a port 53"""
    base = f.next_port
    return "127.%d.%d.%d" % (100 + k, (base >> 8) & 255, base & 255)


class StubDNS:
    """a UDP name server on addr:53: NXDOMAIN to every query, or
    (silent) never a word"""

    def __init__(self, addr, silent):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 53))
        self.silent = silent
        self.queries = 0
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped:
            try:
                q, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            if self.silent or len(q) < 12:
                continue
            qid, flags = struct.unpack("!HH", q[:4])
            # QR, opcode copied, RD copied, RA; RCODE 3 (NXDOMAIN); the
            # question echoed, no answer
            rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 3
            self.sock.sendto(struct.pack("!HHHHHH", qid, rflags, 1, 0, 0, 0)
                             + q[12:], peer)

    def close(self):
        self.stopped = True
        self.sock.close()


def run(f, r):
    t0 = time.monotonic()
    srv = f.redis_server("names", args=["--bind", "127.0.0.1", "::1"])
    tsrv = f.redis_server("names-tls", tls=True,
                          args=["--bind", "127.0.0.1", "::1"])
    dead = f.port()             # nothing listens there
    f.write_hosts([
        "127.0.0.1 redis1.example.org",
        "127.0.0.2 multi.example.org",
        "127.0.0.1 multi.example.org",
        "127.0.0.2 dead.example.org",
        "::1 redis6.example.org",
    ])
    ca = "redis_tls_ca=" + f.ca.pem

    def named(host, port=None, scheme="tcp", extra="timeout=2000"):
        return "redis=%s://%s:%d %s" % (scheme, host, port or srv.port, extra)

    f.add_users(["backend=redis"] + named("redis1.example.org").split(),
                [USER])
    f.add_users(["backend=redis"] + named("redis1.example.org", tsrv.port,
                                          "rediss", ca).split(), [USER])

    # ---- 1. names of /etc/hosts ------------------------------------
    attempt(f, r, "tcp://redis1.example.org (private /etc/hosts) amoc",
            named("redis1.example.org"), "PAM_SUCCESS", USER, ops="amoc")
    attempt(f, r, "rediss://redis1.example.org: the name is the one "
            "verified", named("redis1.example.org", tsrv.port, "rediss",
                              ca + " timeout=2000"),
            "PAM_SUCCESS", USER, ops="amoc")
    attempt(f, r, "multi.example.org: 127.0.0.2 (refused) first, then "
            "127.0.0.1", named("multi.example.org"), "PAM_SUCCESS", USER,
            ops="amoc")
    attempt(f, r, "dead.example.org: its only address refuses",
            named("dead.example.org"), "PAM_AUTHINFO_UNAVAIL", USER,
            word=r"connect dead\.example\.org:\d+: Connection refused",
            log_err=True)
    # what a transaction costs besides the lookup (the process, libpam,
    # the module's start; more under ASan or a loaded machine): a failure
    # that waits for nothing
    _, base, _ = attempt(f, r, "redis1.example.org, a port nothing listens "
                         "on", named("redis1.example.org", dead),
                         "PAM_AUTHINFO_UNAVAIL", USER,
                         word=r"Connection refused")

    # ---- 2. IPv6 ---------------------------------------------------
    attempt(f, r, "an IPv6 literal tcp://[::1]:port (amoc)",
            "redis=tcp://[::1]:%d timeout=2000" % srv.port, "PAM_SUCCESS",
            USER, ops="amoc")
    attempt(f, r, "redis6.example.org (::1 only in /etc/hosts)",
            named("redis6.example.org"), "PAM_SUCCESS", USER)
    attempt(f, r, "rediss://[::1]:port (verified: the certificate's "
            "IP:::1)", "redis=rediss://[::1]:%d %s timeout=2000"
            % (tsrv.port, ca), "PAM_SUCCESS", USER)

    # ---- 3. a name server that never answers -----------------------
    silent = StubDNS(_loopback(f, 0), silent=True)
    try:
        f.resolv("nameserver %s\noptions timeout:5 attempts:3\n"
                 % _loopback(f, 0))
        for ms in (1000, 2000):
            code, secs, why = attempt(
                f, r, "a silent name server, timeout=%d" % ms,
                named("nowhere.example.org", extra="timeout=%d" % ms),
                "PAM_AUTHINFO_UNAVAIL", USER,
                word=r"resolving nowhere\.example\.org: .*(timed out|"
                     "timeout)",
                log_err=True, max_secs=ms / 1000.0 + base + 0.3)
            r.check("a silent name server, timeout=%d: it was asked (and "
                    "took at least the deadline: %.2f s)" % (ms, secs),
                    silent.queries > 0 and secs >= ms / 1000.0 * 0.95,
                    "queries=%d" % silent.queries)
        # the hosts file is read first: a name of it needs no server
        attempt(f, r, "a silent name server: redis1.example.org from "
                "/etc/hosts still works", named("redis1.example.org"),
                "PAM_SUCCESS", USER, max_secs=base + 0.5)
    finally:
        silent.close()

    # ---- 4. an unknown name: NXDOMAIN; no server at all ------------
    nx = StubDNS(_loopback(f, 1), silent=False)
    try:
        f.resolv("nameserver %s\n" % _loopback(f, 1))
        attempt(f, r, "an unknown name (NXDOMAIN from the stub)",
                named("unknown.example.org", extra="timeout=3000"),
                "PAM_AUTHINFO_UNAVAIL", USER,
                word=r"resolving unknown\.example\.org: .*(not found|"
                     "NXDOMAIN)", log_err=True, max_secs=base + 0.5)
        r.check("an unknown name: the stub was asked", nx.queries > 0,
                "queries=%d" % nx.queries)
    finally:
        nx.close()
    f.resolv("nameserver %s\n" % _loopback(f, 2))   # nothing listens
    attempt(f, r, "an unknown name, the name server refuses (no server)",
            named("unknown.example.org", extra="timeout=3000"),
            "PAM_AUTHINFO_UNAVAIL", USER,
            word=r"resolving unknown\.example\.org: .*(contact DNS|refused)",
            log_err=True, max_secs=base + 0.5)
    f.resolv("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    f.write_hosts()
    print("  (names scenario: %.1f s)" % (time.monotonic() - t0))
