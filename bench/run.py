#!/usr/bin/python3
"""make bench: pam_unified against the floor, the peers and scale, in one run.

Every configuration runs full PAM transactions (pam_start, authenticate,
acct_mgmt, open_session, close_session, pam_end) through the real libpam
(build/bench/bench, pam_start_confdir on a private directory), against
servers this script starts on private sockets and loopback ports.
Configurations are interleaved round by round, so ratios hold on a noisy
machine.  Writes bench/README.md and bench/latency.png.

  bench/run.py [--quick] [--fleet] [--build DIR]

--fleet runs only the fleet transports (tcp://, rediss:// full and
resumed, Cluster) at the full run's length and prints their table,
without writing bench/README.md.
"""
import argparse
import datetime
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHEAP = "$6$rounds=1000$"


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          **kw).stdout


class Bench:
    def __init__(self, build, quick):
        self.build = os.path.abspath(build)
        self.quick = quick
        self.dir = tempfile.mkdtemp(prefix="pu-bench.")
        os.chmod(self.dir, 0o755)
        self.confdir = os.path.join(self.dir, "pam.d")
        os.mkdir(self.confdir)
        self.procs = []
        self.module = os.path.join(self.build, "pam_unified.so")
        self.rsock = os.path.join(self.dir, "redis.sock")
        self.secs = 0.7 if quick else 2.0
        self.rounds = 1 if quick else 3

    # ---- servers ----
    def spawn(self, args, wait_path=None, wait_port=None):
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        for _ in range(200):
            if wait_path and os.path.exists(wait_path):
                break
            if wait_port:
                try:
                    socket.create_connection(("127.0.0.1", wait_port), 0.1).close()
                    break
                except OSError:
                    pass
            time.sleep(0.05)
        return p

    def stop(self):
        if getattr(self, "sink", None) is not None:
            self.sink.close()
            os.unlink("/dev/log")
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def redis(self, *args):
        return sh("redis-cli", "-s", self.rsock, *args)

    def reads(self, cluster=False):
        """(reads processed, connections received) so far (summed over
        the cluster's nodes)"""
        if not cluster:
            return self.reads_of(["-s", self.rsock])
        per = [self.reads_of(["-p", str(p)]) for p in self.cports]
        return (sum(r for r, _ in per), sum(c for _, c in per))

    def log_sink(self):
        """Production hosts have a syslog daemon on /dev/log, where each of
        the module's summary lines is one datagram.  Without one, glibc's
        syslog() retries socket+connect for every line, which is not what
        a login costs in production: stand in with a sink that reads and
        drops, for the length of the run, where /dev/log is missing."""
        self.sink = None
        if os.path.exists("/dev/log"):
            return
        import threading
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("/dev/log")
        os.chmod("/dev/log", 0o666)
        self.sink = s

        def drain():
            while True:
                try:
                    s.recv(65536)
                except OSError:
                    return
        threading.Thread(target=drain, daemon=True).start()

    def free_port(self):
        """a loopback port nothing holds (and its cluster bus port)"""
        while True:
            self.next_port = getattr(self, "next_port", 26300) + 1
            p = self.next_port
            ok = True
            for q in (p, p + 10000):
                s = socket.socket()
                try:
                    s.bind(("127.0.0.1", q))
                except OSError:
                    ok = False
                finally:
                    s.close()
            if ok:
                return p

    def pki(self):
        """an ECDSA P-256 CA and server certificate (for 127.0.0.1)"""
        d = os.path.join(self.dir, "pki")
        os.mkdir(d)
        self.ca = os.path.join(d, "ca.pem")
        self.tls_key = os.path.join(d, "server.key")
        self.tls_pem = os.path.join(d, "server.pem")
        ext = os.path.join(d, "ext")
        with open(ext, "w") as fp:
            fp.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                     "extendedKeyUsage=serverAuth\n"
                     "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        for k in ("ca.key", "server.key"):
            sh("openssl", "ecparam", "-name", "prime256v1", "-genkey",
               "-noout", "-out", os.path.join(d, k))
        sh("openssl", "req", "-x509", "-new", "-key", os.path.join(d, "ca.key"),
           "-sha256", "-subj", "/CN=bench CA", "-days", "2", "-out", self.ca)
        sh("openssl", "req", "-new", "-key", self.tls_key, "-subj",
           "/CN=bench redis", "-out", os.path.join(d, "server.csr"))
        sh("openssl", "x509", "-req", "-in", os.path.join(d, "server.csr"),
           "-CA", self.ca, "-CAkey", os.path.join(d, "ca.key"),
           "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext,
           "-out", self.tls_pem)

    def start(self):
        self.log_sink()
        self.pki()
        self.tcp_port = self.free_port()
        self.tls_port = self.free_port()
        # one server: the UNIX socket, tcp:// and rediss:// share its data
        self.spawn(["redis-server", "--port", str(self.tcp_port), "--bind",
                    "127.0.0.1", "--unixsocket", self.rsock,
                    "--tls-port", str(self.tls_port), "--tls-cert-file",
                    self.tls_pem, "--tls-key-file", self.tls_key,
                    "--tls-ca-cert-file", self.ca, "--tls-auth-clients", "no",
                    "--save", "", "--appendonly", "no", "--dir", self.dir],
                   wait_path=self.rsock)
        self.cluster()
        users = os.path.join(self.dir, "users")
        with open(users, "w") as fp:
            fp.write("bench plain:bench-password\n")
        self.sock = os.path.join(self.dir, "ref.sock")
        self.spawn(["/usr/bin/python3", os.path.join(ROOT, "contrib",
                    "pam_unified_server.py"), "--socket", self.sock,
                    "--users", users], wait_path=self.sock)
        self.rsock_py = os.path.join(self.dir, "redirector.sock")
        self.spawn(["/usr/bin/python3", os.path.join(ROOT, "contrib",
                    "pam_unified_server.py"), "--socket", self.rsock_py,
                    "--users", users, "--protocol", "redirector"],
                   wait_path=self.rsock_py)
        # ReplayShield's design: pam_exec runs a script that posts the
        # credentials with curl to a local HTTP auth server
        self.http_port = self.free_port()
        self.spawn(["/usr/bin/python3", os.path.join(HERE, "http_auth.py"),
                    str(self.http_port), self.cheap_hash, self.y_hash],
                   wait_port=self.http_port)
        self.exec_script = os.path.join(self.dir, "check.sh")
        with open(self.exec_script, "w") as fp:
            fp.write("#!/bin/sh\n"
                     "code=$(curl -s -o /dev/null -w '%%{http_code}' "
                     "--data-urlencode \"user=$PAM_USER\" "
                     "--data-urlencode 'password@-' "
                     "http://127.0.0.1:%d/auth?hash=$HASH)\n"
                     "[ \"$code\" = 200 ]\n" % self.http_port)
        os.chmod(self.exec_script, 0o755)
        key = os.path.join(self.dir, "replay.key")
        with open(key, "w") as fp:
            fp.write("0123456789abcdef" * 4 + "\n")
        os.chmod(key, 0o600)
        self.key = key

    def cluster(self):
        """three primaries, no replicas, the same hash for user bench"""
        self.cports = [self.free_port() for _ in range(3)]
        for p in self.cports:
            d = os.path.join(self.dir, "cl%d" % p)
            os.mkdir(d)
            self.spawn(["redis-server", "--port", str(p), "--bind",
                        "127.0.0.1", "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--save", "",
                        "--appendonly", "no", "--dir", d], wait_port=p)
        sh("redis-cli", "--cluster", "create",
           *["127.0.0.1:%d" % p for p in self.cports], "--cluster-yes")
        for _ in range(100):
            if all("cluster_state:ok" in sh("redis-cli", "-p", str(p),
                                             "CLUSTER", "INFO")
                   for p in self.cports):
                break
            time.sleep(0.1)

    def cluster_hash(self, hash_value):
        sh("redis-cli", "-c", "-p", str(self.cports[0]), "HSET",
           "pam:user:{bench}", "password", hash_value)

    def reads_of(self, args):
        st = {}
        for line in sh("redis-cli", *args, "INFO", "stats").splitlines():
            k, _, v = line.partition(":")
            st[k] = v.strip()
        return (int(st.get("total_reads_processed", 0)),
                int(st.get("total_connections_received", 0)))

    # ---- users ----
    def load_users(self, n, hash_value):
        """n users bench0..bench{n-1} plus "bench", pipelined (--pipe)"""
        self.redis("FLUSHALL")
        def resp(*a):
            out = "*%d\r\n" % len(a)
            for x in a:
                b = x.encode()
                out += "$%d\r\n%s\r\n" % (len(b), x)
            return out
        chunks = [resp("HSET", "pam:user:{bench}", "password", hash_value)]
        for i in range(n):
            chunks.append(resp("HSET", "pam:user:{bench%d}" % i, "password",
                               hash_value))
        subprocess.run(["redis-cli", "-s", self.rsock, "--pipe"],
                       input="".join(chunks).encode(), check=True,
                       capture_output=True)

    # ---- services ----
    def service(self, name, lines):
        with open(os.path.join(self.confdir, name), "w") as fp:
            fp.write("\n".join(lines) + "\n")

    def services(self):
        M = self.module
        permit = ["%s required pam_permit.so" % g
                  for g in ("account", "session")]
        self.service("floor", ["auth required pam_permit.so"] + permit)
        self.service("socket-redirector",
                     ["auth required %s %s" % (M, self.sock)] + permit)
        self.service("python-redirector",
                     ["auth required %s %s" % (M, self.rsock_py)] + permit)
        v1 = "backend=socket protocol=v1 socket=%s" % self.sock
        self.service("socket-v1", ["%s required %s %s" % (g, M, v1)
                     for g in ("auth", "account", "session")])
        r = "backend=redis redis=unix:%s" % self.rsock
        self.service("redis", ["%s required %s %s" % (g, M, r)
                     for g in ("auth", "account", "session")])
        rp = ("backend=replay window=5 store=redis redis=unix:%s key_file=%s"
              % (self.rsock, self.key))
        self.service("redis-replay", [
            "auth requisite %s %s" % (M, rp),
            "auth required %s %s" % (M, r),
            "account required %s %s" % (M, r),
            "session required %s %s" % (M, rp),
            "session required %s %s" % (M, r)])
        # the fleet transports, the same hash and the same server
        tls = "redis_tls_ca=%s" % self.ca
        for name, conn in (
                ("redis-tcp", "redis=tcp://127.0.0.1:%d" % self.tcp_port),
                ("redis-tls-full", "redis=rediss://127.0.0.1:%d %s "
                 "redis_tls_resume=false" % (self.tls_port, tls)),
                ("redis-tls", "redis=rediss://127.0.0.1:%d %s"
                 % (self.tls_port, tls)),
                ("redis-cluster", "redis_cluster=" + ",".join(
                    "127.0.0.1:%d" % p for p in self.cports))):
            self.service(name, ["%s required %s backend=redis %s" % (g, M, conn)
                                for g in ("auth", "account", "session")])
        # refusals, without libpam's fail delay (it would be most of it)
        self.service("enum", ["auth required %s %s nodelay" % (M, r)])
        for h in ("cheap", "y"):
            self.service("pamexec-http-" + h, [
                "auth required pam_exec.so expose_authtok quiet %s"
                % self.exec_script] + permit)

    # ---- runs ----
    def run(self, svc, user="bench", pw="bench-password", workers=1,
            nusers=1, seq=False, env=None, mode="full"):
        args = [os.path.join(self.build, "bench", "bench"), self.confdir, svc,
                user, pw, mode, str(self.secs), str(workers), str(nusers)]
        if seq:
            args.append("seq")
        cluster = svc == "redis-cluster"
        before = self.reads(cluster)
        out = subprocess.run(args, capture_output=True, text=True,
                             env=dict(os.environ, **(env or {})))
        after = self.reads(cluster)
        res = dict(kv.split("=") for kv in out.stdout.split())
        res = {k: float(v) for k, v in res.items()}
        if out.returncode != 0 or res.get("failures", 1) > 0:
            raise SystemExit("bench %s failed: %s %s" % (svc, out.stdout,
                                                         out.stderr))
        # the server counts one read per pipelined batch, plus one for the
        # EOF of every connection that closes (the handle's, and the one
        # close_session opens again).  The INFO calls add 2 reads (the
        # first one's EOF, the second's command) and 1 connection
        info = 3 if cluster else 1   # INFO connections per reads() call
        reads = after[0] - before[0] - 2 * info
        closes = after[1] - before[1] - info
        res["rt"] = (reads - closes) / res["tx"] if res["tx"] else 0
        res["conns"] = closes / res["tx"] if res["tx"] else 0
        return res

    def run_denied(self, svc, user, pw, nusers=1):
        """auth only, every transaction refused: the p50 of a refusal"""
        args = [os.path.join(self.build, "bench", "bench"), self.confdir, svc,
                user, pw, "auth", str(self.secs), "1", str(nusers)]
        out = subprocess.run(args, capture_output=True, text=True)
        res = {k: float(v) for k, v in
               (kv.split("=") for kv in out.stdout.split())}
        if not res.get("tx") or res.get("failures") != res["tx"]:
            raise SystemExit("bench %s %s: not every login was refused: %s %s"
                             % (svc, user, out.stdout, out.stderr))
        return res

    def crypt_cost(self, setting):
        return float(sh(os.path.join(self.build, "bench", "crypt_cost"),
                        setting, "10" if self.quick else "40"))


def enumeration(b):
    """[(method, known p50, unknown p50)] for $y$, $6$ and $2b$ stores,
    each at its default cost; the dummy setting is learned from one
    successful login, as on a live store"""
    cc = os.path.join(b.build, "bench", "crypt_cost")
    out = []
    for method in ("$y$", "$6$", "$2b$"):
        h = sh(cc, "--hash", method, "0", "bench-password").strip()
        b.load_users(1, h)
        b.run("redis")                   # a real hash verified: pam:dummy
        known, unknown = [], []
        for _ in range(b.rounds):
            known.append(b.run_denied("enum", "bench", "wrong-password"))
            unknown.append(b.run_denied("enum", "nosuch%d", "wrong-password",
                                        nusers=1000))
        out.append((method, median_of(known, "p50_us"),
                    median_of(unknown, "p50_us")))
    b.load_users(1, b.cheap_hash)
    return out


FLEET = [
    ("redis-tcp", "tcp:// (loopback)"),
    ("redis-tls-full", "rediss://, full handshakes (`redis_tls_resume=false`)"),
    ("redis-tls", "rediss://, resumed (default)"),
    ("redis-cluster", "Redis Cluster, 3 primaries, tcp://"),
]


def fleet_runs(b):
    """the fleet transports side by side, the same cheap hash, rounds
    interleaved; each bench worker is one process, so the TLS rows pay
    OpenSSL's per-process start once and the context cache holds"""
    b.cluster_hash(b.cheap_hash)
    runs = {name + sfx: [] for name, _ in FLEET for sfx in ("", "/login")}
    for _ in range(b.rounds):
        for name, _ in FLEET:
            runs[name].append(b.run(name))
            runs[name + "/login"].append(b.run(name, mode="login"))
    return runs


def fleet_table(b, runs):
    lines = ["## Fleet transports\n",
             "The full transaction (pam_start, authenticate, acct_mgmt, "
             "open_session, close_session, pam_end), `$6$rounds=1000` for "
             "every row, against one redis-server on loopback (tcp:// and "
             "rediss:// ports of the same server, an ECDSA P-256 certificate) "
             "and a 3-primary Redis Cluster on loopback. A transaction "
             "makes two connections: open_session drops the handle's, and "
             "close_session connects again. The login columns are what a "
             "user waits for at the door (authenticate, acct_mgmt, "
             "open_session: one connection; the logout's close_session is "
             "the second).\n",
             "| transport | tx/s | p50 µs | p95 µs | p99 µs | round trips/tx "
             "| connections/tx | p50 − tcp:// µs | login p50 µs "
             "| login p50 − tcp:// µs |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    tcp = median_of(runs["redis-tcp"], "p50_us")
    tcp_login = median_of(runs["redis-tcp/login"], "p50_us")
    for name, title in FLEET:
        r = runs[name]
        p50 = median_of(r, "p50_us")
        login = median_of(runs[name + "/login"], "p50_us")
        lines.append("| %s | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f | %s "
                     "| %.0f | %s |" % (
            title, median_of(r, "tx_per_s"), p50, median_of(r, "p95_us"),
            median_of(r, "p99_us"), median_of(r, "rt"),
            median_of(r, "conns"),
            "—" if name == "redis-tcp" else "%+.0f" % (p50 - tcp), login,
            "—" if name == "redis-tcp" else "%+.0f" % (login - tcp_login)))
    lines.append("")
    out = sh(os.path.join(b.build, "bench", "tls_cost"), b.ca, b.tls_pem,
             b.tls_key, "127.0.0.1", "50" if b.quick else "300")
    cost = dict(kv.split("=") for kv in out.split())
    lines.append("OpenSSL alone (`bench/tls_cost`: client and server in one "
                 "process over a BIO pair, the same certificate, no "
                 "sockets): a full handshake costs %s µs of CPU, a resumed "
                 "one %s µs. Two connections per transaction put at least "
                 "twice that under the rediss:// rows, before the sockets, "
                 "Redis and the scheduling of two processes on two cores.\n"
                 % (cost["full_us"], cost["resumed_us"]))
    return lines


def tls_over_of(b, runs, name, sfx=""):
    return (median_of(runs[name + sfx], "p50_us") -
            median_of(runs["redis-tcp" + sfx], "p50_us"))


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--fleet", action="store_true")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()

    b = Bench(args.build, args.quick)
    # one fixed hash of each kind, used for every user
    cc = os.path.join(b.build, "bench", "crypt_cost")
    b.cheap_hash = sh(cc, "--hash", "$6$", "1000", "bench-password").strip()
    b.y_hash = sh(cc, "--hash", "$y$", "0", "bench-password").strip()
    try:
        b.start()
        b.services()
        if args.fleet:
            b.load_users(1, b.cheap_hash)
            print("\n".join(fleet_table(b, fleet_runs(b))))
            return 0
        return report(b, args)
    finally:
        b.stop()


def report(b, args):
    crypt_cheap = b.crypt_cost(b.cheap_hash)
    crypt_y = b.crypt_cost(b.y_hash)
    configs = [
        ("floor", "pam_permit (libpam alone)", {}, None),
        ("socket-redirector", "socket, redirector wire", {}, None),
        ("socket-v1", "socket, v1 (every group)", {}, None),
        ("redis", "redis, $6$rounds=1000 (cheap)", {}, "cheap"),
        ("redis-y", "redis, $y$ (default)", {}, "y"),
        ("redis-replay", "redis + replay window 5", {"seq": True}, "cheap"),
        ("pamexec-http-cheap", "pam_exec + curl + HTTP (ReplayShield), cheap",
         {}, None),
        ("python-redirector", "pam_redirector-style Python server", {}, None),
    ]
    if not args.quick:
        configs.append(("pamexec-http-y", "pam_exec + curl + HTTP, $y$", {},
                        None))
    runs = {c[0]: [] for c in configs}
    b.load_users(20000 if not args.quick else 2000, b.cheap_hash)
    for _ in range(b.rounds):
        for name, _, opts, hsh in configs:
            svc = name if name != "redis-y" else "redis"
            if name == "redis-y":
                b.redis("HSET", "pam:user:{bench}", "password", b.y_hash)
            elif hsh == "cheap":
                b.redis("HSET", "pam:user:{bench}", "password", b.cheap_hash)
            env = {"HASH": "y" if name.endswith("-y") else "cheap"}
            if opts.get("seq"):
                # each round starts from user 0 again: forget the last
                # round's logins, or replay (rightly) refuses them
                b.redis("EVAL", "for _, k in ipairs(redis.call('KEYS', "
                        "'pam:replay*')) do redis.call('DEL', k) end", "0")
                runs[name].append(b.run(svc, user="bench%d", pw="bench-password",
                                        nusers=20000 if not args.quick else 2000,
                                        seq=True, env=env))
            else:
                runs[name].append(b.run(svc, env=env))
    b.redis("HSET", "pam:user:{bench}", "password", b.cheap_hash)
    fleet = fleet_runs(b)

    # scale: users loaded, and workers
    scale_users = [1, 10000] + ([] if args.quick else [1000000])
    user_runs = {}
    for n in scale_users:
        b.load_users(n, b.cheap_hash)
        user_runs[n] = [b.run("redis", user="bench%d" if n > 1 else "bench",
                              nusers=n) for _ in range(b.rounds)]
    b.load_users(1, b.cheap_hash)
    worker_runs, floor_workers = {}, {}
    for _ in range(b.rounds):
        for w in ([1, 2] if args.quick else [1, 2, 4, 8]):
            worker_runs.setdefault(w, []).append(b.run("redis", workers=w))
            floor_workers.setdefault(w, []).append(b.run("floor", workers=w))
    windows = {}
    out = subprocess.run([os.path.join(HERE, "replay_cost.sh"), b.build],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        f = line.split()
        if f and f[0] == "store=redis":
            windows[int(f[1].split("=")[1])] = float(f[3])

    enum = enumeration(b)

    floor = median_of(runs["floor"], "p50_us")
    rows = []
    for name, title, _, _ in configs:
        r = runs[name]
        rows.append((title, median_of(r, "tx_per_s"), median_of(r, "p50_us"),
                     median_of(r, "p99_us"), median_of(r, "rt")))
    redis_p50 = median_of(runs["redis"], "p50_us")
    redis_rt = median_of(runs["redis"], "rt")
    overhead = redis_p50 - floor - crypt_cheap
    exec_p50 = median_of(runs["pamexec-http-cheap"], "p50_us")
    speedup = exec_p50 / redis_p50
    ratio_users = (median_of(user_runs[scale_users[-1]], "p50_us") /
                   median_of(user_runs[1], "p50_us"))
    ratio_window = windows.get(1000, 0) / windows[1] if windows.get(1) else 0
    w1 = median_of(worker_runs[1], "tx_per_s")
    wmax = max(worker_runs)
    scale_workers = median_of(worker_runs[wmax], "tx_per_s") / w1
    # a UNIX-socket Redis round trip, from redis-cli's own latency tool
    rtt_us = 35.0
    target_tx = floor + crypt_cheap + 4 * rtt_us
    targets = [
        ("redis full transaction <= (floor + crypt + 4 RTT) x 1.10",
         "%.0f us vs %.0f us" % (redis_p50, target_tx * 1.10),
         redis_p50 <= target_tx * 1.10),
        (">= 50x faster than pam_exec + HTTP (cheap hash)",
         "%.1fx" % speedup, speedup >= 50),
        ("%s users vs 1 user p50 <= 1.10" % format(scale_users[-1], ","),
         "%.2f" % ratio_users, ratio_users <= 1.10),
        ("replay window 1000 vs 1 p50 <= 1.10", "%.2f" % ratio_window,
         0 < ratio_window <= 1.10),
    ] + [
        ("unknown vs known user, `%s` store: p50 ratio 0.9-1.1" % m,
         "%.2f" % (u / k), 0.9 <= u / k <= 1.1) for m, k, u in enum
    ] + [
        ("TLS overhead per login (authenticate, acct_mgmt, open_session; "
         "p50 − tcp://), resumed, < 1 ms",
         "%.0f us" % tls_over_of(b, fleet, "redis-tls", "/login"),
         tls_over_of(b, fleet, "redis-tls", "/login") < 1000),
        ("TLS overhead per full transaction (p50 − tcp://), resumed, < 1 ms",
         "%.0f us" % tls_over_of(b, fleet, "redis-tls"),
         tls_over_of(b, fleet, "redis-tls") < 1000),
        ("TLS overhead per full transaction (p50 − tcp://), full handshakes, "
         "< 1 ms", "%.0f us" % tls_over_of(b, fleet, "redis-tls-full"),
         tls_over_of(b, fleet, "redis-tls-full") < 1000),
    ] + [
        ("%d workers >= 1.8x one worker's throughput" % wmax,
         "%.2fx" % scale_workers, scale_workers >= 1.8),
    ]

    lines = []
    lines.append("# pam_unified benchmarks\n")
    lines.append("Generated by `make bench` on %s, %s (%s, %d cores, kernel %s)."
                 % (datetime.date.today().isoformat(),
                    platform.node() or "this machine", cpu_model(),
                    os.cpu_count(), platform.release()))
    lines.append("Full transactions (pam_start, authenticate, acct_mgmt, "
                 "open_session, close_session, pam_end) through the real "
                 "libpam; %d interleaved round(s) of %.1f s per configuration, "
                 "medians shown.%s\n" % (b.rounds, b.secs,
                 " **Quick run: numbers are indicative only.**" if b.quick else ""))
    lines.append("| configuration | tx/s | p50 µs | p99 µs | Redis round trips/tx |")
    lines.append("|---|---:|---:|---:|---:|")
    for title, tps, p50, p99, rt in rows:
        lines.append("| %s | %.0f | %.0f | %.0f | %s |" % (
            title, tps, p50, p99, "%.1f" % rt if rt > 0.05 else "—"))
    lines.append("")
    lines.append("crypt_r alone: `$6$rounds=1000$` %.0f µs, `$y$` %.0f µs. "
                 "Module overhead of the redis backend = total − floor − crypt "
                 "= %.0f − %.0f − %.0f = **%.0f µs** per full transaction "
                 "(%.1f Redis round trips, from `total_reads_processed`)."
                 % (crypt_cheap, crypt_y, redis_p50, floor, crypt_cheap,
                    overhead, redis_rt))
    lines.append("")
    lines.extend(fleet_table(b, fleet))
    lines.append("## Scale\n")
    lines.append("| redis users | p50 µs | ratio |")
    lines.append("|---:|---:|---:|")
    base = median_of(user_runs[1], "p50_us")
    for n in scale_users:
        p = median_of(user_runs[n], "p50_us")
        lines.append("| %s | %.0f | %.2f |" % (format(n, ","), p, p / base))
    lines.append("")
    lines.append("| workers | redis tx/s | p50 µs | vs 1 worker | floor (pam_permit) tx/s | vs 1 worker |")
    lines.append("|---:|---:|---:|---:|---:|---:|")
    f1 = median_of(floor_workers[1], "tx_per_s")
    for w in sorted(worker_runs):
        lines.append("| %d | %.0f | %.0f | %.2fx | %.0f | %.2fx |" % (
            w, median_of(worker_runs[w], "tx_per_s"),
            median_of(worker_runs[w], "p50_us"),
            median_of(worker_runs[w], "tx_per_s") / w1,
            median_of(floor_workers[w], "tx_per_s"),
            median_of(floor_workers[w], "tx_per_s") / f1))
    lines.append("")
    lines.append("| replay window (store=redis, 1000 entries) | auth p50 µs |")
    lines.append("|---:|---:|")
    for w in sorted(windows):
        lines.append("| %d | %.0f |" % (w, windows[w]))
    lines.append("")
    lines.append("## Enumeration: an unknown name costs what a wrong password does\n")
    lines.append("p50 of a refused authenticate (`nodelay`: libpam's fail delay "
                 "left out), per method of the stored hashes; the unknown names "
                 "are drawn from 1000 that do not exist.\n")
    lines.append("| stored hashes | known user, wrong password µs | unknown user µs | ratio |")
    lines.append("|---|---:|---:|---:|")
    for method, known, unknown in enum:
        lines.append("| `%s` | %.0f | %.0f | %.2f |" % (method, known, unknown,
                                                     unknown / known))
    lines.append("")
    lines.append("## Targets\n")
    lines.append("| target | measured | met |")
    lines.append("|---|---|---|")
    for t, m, ok in targets:
        lines.append("| %s | %s | %s |" % (t, m, "yes" if ok else "**no**"))
    lines.append("")
    lines.append("![latency vs users and workers](latency.png)\n")
    lines.append(NOTES)
    text = "\n".join(lines)
    out_md = os.path.join(HERE, "README.md" if not b.quick else "README.quick.md")
    if b.quick:
        out_md = os.path.join(b.build, "bench-quick.md")
    with open(out_md, "w") as fp:
        fp.write(text)
    print(text)
    if not b.quick:
        plot(user_runs, worker_runs, os.path.join(HERE, "latency.png"))
    return 0


NOTES = """## Notes

- The redis full-transaction target sits at the edge on this machine
  (met in some runs, missed by about 1 % in others). What the module adds
  beyond the floor and crypt: the 3 round trips (HMGET; HSET+XADD;
  HDEL+XADD — account reuses the record fetched at auth), one connect per
  handle, one syslog datagram per call, and a config-file lookup per call.
  Before the module was linked `-z nodelete`, libpam's dlclose at every
  pam_end unloaded it with libcrypto, hiredis and libconfig, and reloading
  them cost ~0.7 ms per transaction (1549 µs then, ~600 µs now).

- The floor is libpam with pam_permit. Every pam_unified transaction also
  pays the dynamic loader: libpam dlopens the module (with libconfig,
  hiredis, libcrypt and libcrypto) at pam_start and dlcloses it at pam_end.
- "pam_exec + curl + HTTP" rebuilds ReplayShield's architecture: pam_exec
  (expose_authtok) runs a shell script that posts the credentials with
  curl to a local Python HTTP server, which checks a crypt hash of the same
  kind.  "pam_redirector-style Python server" is a Python socket server
  speaking pam_redirector's wire, behind this module's redirector mode.
- Round trips are Redis's own `total_reads_processed` (one per pipelined
  batch a client sends) less one per connection closed
  (`total_connections_received`: each close is a read), divided by
  transactions.
- TLS (the fleet table): a transaction makes two TLS connections, since
  the redis backend holds no connection while a session lasts and
  close_session connects again. Resumption (the default,
  `redis_tls_resume`) roughly halves a handshake; OpenSSL 3.0 alone needs
  the CPU `bench/tls_cost` shows for a resumed one, before the sockets,
  Redis's side and two processes taking turns on two cores. What a user
  waits for (authenticate, acct_mgmt, open_session: one connection) pays
  one resumed handshake: the "per login" target. The full transaction
  pays two, and misses 1 ms by the second. The TLS context (the CA file
  loaded once: ~0.5 ms for one file, ~90 ms for the whole system store)
  and the tickets are cached per process, so a long-lived process pays
  only resumed handshakes. A process that forks per login (sshd) pays
  OpenSSL's start on its first TLS connection: a fresh process's first
  full transaction took 16.3 ms over rediss:// against 11.1 ms over
  tcp:// (medians of 15, both loading the module; 2026-12-07), about
  5 ms for the library's start, the context and the full handshake; a
  ticket kept on disk would not remove the start, and
  would put a resumption secret in a file, so there is none (see
  pam_unified(8), RUNNING IT ON A FLEET). Fewer handshakes per
  transaction, not faster ones, would meet 1 ms for the whole of it: a
  local TLS terminator per host (the module over `unix:`), for example.
- Users (the scale table): the 1-user row logs one user in again and
  again; the 10,000 and 1,000,000 rows draw a user at random right after
  the store was loaded, so almost every login there is that user's first
  (it creates the user's session hash and per-user events stream) on a
  Redis still growing its tables. Measured apart on 2026-12-07, 3 s runs
  in one minute on one store of 1,000,000 users: random users p50 710,
  794 and 691 µs, one user 692 µs; on 20,000 users, first logins 723 µs
  and the same users' next ones 671 µs once warm. The row's spread on
  this 2-core VM is about ±10 %: the 1,000,000 target (1.10) is met in
  some runs and missed in others (0.99 on 2026-11-22, 1.17 and 1.20 on
  2026-12-07), and a lookup does not grow with the store.
- Replay window rows: `bench/replay_cost` runs authenticate only, with
  pam_wrapper's pam_set_items in front as the credential line that
  commit=auth needs (it sets PAM_AUTHTOK); window=0 is that floor.
- Workers: on this 2-core VM libpam's own floor (pam_permit, no module of
  ours) does not scale with processes: more workers give it *fewer*
  transactions per second. The redis backend scales better than the floor
  because part of each transaction is crypt (parallel) and waiting for
  Redis; the 1.8x target is bounded by what libpam itself does per
  transaction. libpam opens a NETLINK_AUDIT socket and sends an audit
  record for every group, a plausible serialisation point in the kernel;
  that cause is not verified.
- rediss://: a transaction makes two TLS connections (close_session
  connects again); each resumes by default (the process keeps its TLS
  context and the tickets). `bench/tls_cost` is OpenSSL's own CPU per
  handshake on this machine, the floor under those rows; a process that
  forks per login (sshd) also pays OpenSSL's start once per login.
- Where the machine has no syslog daemon, the run binds a sink on
  /dev/log (removed afterwards): production hosts have one, and without it
  glibc's syslog() retries a connection for every summary line.
"""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fp:
            for line in fp:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def plot(user_runs, worker_runs, png):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plot")
        return
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "users.dat"), "w") as fp:
        for n in sorted(user_runs):
            fp.write("%d %f\n" % (n, median_of(user_runs[n], "p50_us")))
    with open(os.path.join(d, "workers.dat"), "w") as fp:
        for w in sorted(worker_runs):
            fp.write("%d %f %f\n" % (w, median_of(worker_runs[w], "p50_us"),
                                     median_of(worker_runs[w], "tx_per_s")))
    script = """
set terminal pngcairo size 1000,400
set output '%s'
set multiplot layout 1,2
set title 'redis backend: p50 latency vs users'
set logscale x
set xlabel 'users in Redis'
set ylabel 'p50 µs per full transaction'
set yrange [0:*]
plot '%s/users.dat' using 1:2 with linespoints title 'p50'
unset logscale x
set title 'redis backend: workers (2 cores)'
set xlabel 'worker processes'
set ylabel 'p50 µs'
set y2label 'transactions/s'
set y2tics
set y2range [0:*]
plot '%s/workers.dat' using 1:2 with linespoints title 'p50 µs', '' using 1:3 axes x1y2 with linespoints title 'tx/s'
unset multiplot
""" % (png, d, d)
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
