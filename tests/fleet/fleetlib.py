"""The fleet suite's machinery: a private view of the machine (mount
namespace: /etc/security, /etc/hosts, /etc/resolv.conf, /dev/log), the
certificates, Redis servers, sentinels and clusters started in the
foreground and stopped at the end, and PAM transactions through the real
libpam (build/tests/fleet_logins, pam_start_confdir).

Every server listens on 127.0.0.1 (or ::1) only, on ports from the
suite's own range; nothing here runs outside `unshare -m`.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "real"))
import lib  # noqa: E402  (Results, Syslog, run, wait_for, Machine)
import pki  # noqa: E402

run = lib.run
wait_for = lib.wait_for
Results = lib.Results

# the names the certificates carry (and the private /etc/hosts holds)
SERVER_SAN = ("DNS:localhost,DNS:redis.fleet.test,DNS:redis1.example.org,"
              "DNS:redis2.example.org,DNS:redis3.example.org,"
              "DNS:sentinel.example.org,IP:127.0.0.1,IP:::1")
PASSWORD = "Fleet-pw-1"       # every test user's password


def port_free(port, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _child():
    """a server dies with the suite (PR_SET_PDEATHSIG) and gets SIGPIPE
    back as its default"""
    import ctypes
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class Redis:
    """One redis-server (or redis-sentinel) in the foreground."""

    def __init__(self, fleet, name, port, tls=False, password=None,
                 args=(), sentinel=False):
        self.f = fleet
        self.name = name
        self.port = port
        self.tls = tls
        self.password = password
        self.dir = os.path.join(fleet.t, name)
        os.makedirs(self.dir, exist_ok=True)
        self.args = list(args)
        self.sentinel = sentinel
        self.proc = None

    def base_args(self):
        a = []
        if self.tls:
            key, pem = self.f.cert(self.tls if isinstance(self.tls, str)
                                   else "server")
            a += ["--port", "0", "--tls-port", str(self.port),
                  "--tls-cert-file", pem, "--tls-key-file", key,
                  "--tls-ca-cert-file", self.f.ca.pem]
            if not any(x == "--tls-auth-clients" for x in self.args):
                a += ["--tls-auth-clients", "no"]
        else:
            a += ["--port", str(self.port)]
        a += ["--bind", "127.0.0.1", "--dir", self.dir]
        if not self.sentinel:
            a += ["--save", "", "--appendonly", "no"]
        if self.password:
            a += ["--requirepass", self.password]
        return a

    def start(self):
        if self.sentinel:
            conf = os.path.join(self.dir, "sentinel.conf")
            if not os.path.exists(conf):
                open(conf, "w").close()
            argv = ["redis-sentinel", conf]
        else:
            argv = ["redis-server"]
        argv += self.base_args() + self.args
        log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     preexec_fn=_child, cwd=self.dir)
        self.f.servers.append(self)
        if not wait_for(lambda: self.proc.poll() is not None or
                        self.cli("PING")[1].strip() == "PONG", 10):
            raise SystemExit("fleet: %s did not answer PING (%s/log)" %
                             (self.name, self.dir))
        if self.proc.poll() is not None:
            raise SystemExit("fleet: %s exited (%s/log):\n%s" % (
                self.name, self.dir, open(os.path.join(self.dir, "log")).read()[-2000:]))
        return self

    def cli_args(self):
        a = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if self.tls:
            a += ["--tls", "--cacert", self.f.ca.pem]
            key, pem = self.f.cert("client")
            a += ["--cert", pem, "--key", key]
        if self.password:
            a += ["--no-auth-warning", "-a", self.password]
        return a

    def cli(self, *args, timeout=10):
        return run(self.cli_args() + [str(x) for x in args], timeout=timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in self.f.servers:
            self.f.servers.remove(self)
        self.proc = None

    def kill(self):
        self.stop(signal.SIGKILL)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def info(self, key, section=""):
        out = self.cli("INFO", section)[1] if section else self.cli("INFO")[1]
        m = re.search(r"^%s:(\S+)" % re.escape(key), out, re.M)
        return m.group(1) if m else None


class Fleet(lib.Machine):
    """The namespace, its private files, the certificates and servers."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        super().__init__({"module": os.path.join(self.build, "pam_unified.so"),
                          "ctl": os.path.join(self.build, "unifiedctl")})
        self.module = self.art["module"]
        self.servers = []
        self.logins = os.path.join(self.build, "tests", "fleet_logins")
        self.confdir = os.path.join(self.t, "pam.d")
        os.makedirs(self.confdir)
        with open(os.path.join(self.confdir, "other"), "w") as f:
            f.write("".join("%s required pam_deny.so\n" % g for g in
                            ("auth", "account", "session", "password")))
        self.next_port = int(os.environ.get("PU_FLEET_PORT", "21000"))
        self.certs = {}
        self.hosts = ["127.0.0.1 localhost", "::1 localhost ip6-localhost"]

    # ---------------- the namespace ----------------
    def setup(self):
        if os.environ.get("PU_FLEET_NS") != "1":
            raise SystemExit("fleet: run me through tests/fleet/run.sh "
                             "(a private mount namespace)")
        self.private_copy("/etc/security")
        self.private_copy("/etc/hosts")
        self.private_copy("/etc/resolv.conf")
        self.write_hosts()
        self.resolv("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        self.private_dev()
        self.pki()

    def private_dev(self):
        """a /dev of the suite's own (tmpfs: the few nodes the programs
        use, /dev/log our syslog sink), so that nothing of the machine's
        /dev changes and concurrent runs do not share a /dev/log"""
        d = os.path.join(self.t, "dev")
        os.makedirs(d)
        run(["mount", "-t", "tmpfs", "-o", "mode=755", "pu-fleet-dev", d],
            check=True)
        for name, minor in (("null", 3), ("zero", 5), ("full", 7),
                            ("random", 8), ("urandom", 9)):
            os.mknod(os.path.join(d, name), 0o666 | 0o020000,
                     os.makedev(1, minor))
            os.chmod(os.path.join(d, name), 0o666)
        os.mknod(os.path.join(d, "tty"), 0o666 | 0o020000, os.makedev(5, 0))
        os.chmod(os.path.join(d, "tty"), 0o666)
        for name, target in (("fd", "/proc/self/fd"),
                             ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            os.symlink(target, os.path.join(d, name))
        os.makedirs(os.path.join(d, "shm"), mode=0o1777)
        os.chmod(os.path.join(d, "shm"), 0o1777)
        run(["mount", "--move", d, "/dev"], check=True)
        self.mounts.append("/dev")
        self.syslog = lib.Syslog("/dev/log")

    def write_hosts(self, extra=()):
        with open("/etc/hosts", "w") as f:
            f.write("\n".join(self.hosts + list(extra)) + "\n")

    def resolv(self, text):
        with open("/etc/resolv.conf", "w") as f:
            f.write(text)

    def port(self):
        """the next port of the suite's range that nothing holds"""
        while True:
            p = self.next_port
            self.next_port += 1
            if port_free(p):
                return p

    # ---------------- certificates ----------------
    def pki(self):
        d = os.path.join(self.t, "pki")
        self.ca = pki.CA(os.path.join(d, "ca"), "pam_unified fleet test CA")
        self.other_ca = pki.CA(os.path.join(d, "other"), "a CA nobody trusts")
        self.certs["server"] = self.ca.leaf("server", "server", SERVER_SAN)
        self.certs["client"] = self.ca.leaf("client", "client")
        self.certs["expired"] = self.ca.leaf(
            "expired", "server", SERVER_SAN,
            start="20200101000000Z", end="20200201000000Z")
        self.certs["untrusted"] = self.other_ca.leaf("untrusted", "server",
                                                     SERVER_SAN)
        self.certs["other-client"] = self.other_ca.leaf("other-client",
                                                        "client")

    def cert(self, name):
        """(key, pem) of a leaf made by pki()"""
        return self.certs[name]

    # ---------------- servers ----------------
    def redis_server(self, name, **kw):
        return Redis(self, name, kw.pop("port", None) or self.port(),
                     **kw).start()

    def cleanup(self):
        for s in list(self.servers):
            s.stop(signal.SIGKILL)
        super().cleanup()

    # ---------------- files the module reads ----------------
    def secret(self, name, text, mode=0o600):
        """a root-owned secret file under /etc/security (private)"""
        p = os.path.join("/etc/security", name)
        with open(p, "w") as f:
            f.write(text + "\n")
        os.chmod(p, mode)
        return p

    def service(self, name, args, groups=("auth", "account", "session",
                                          "password")):
        """a service file: one pam_unified line per group"""
        lines = ["%-8s required %s %s" % (g, self.module, args)
                 for g in groups]
        return self.service_text(name, "\n".join(lines) + "\n")

    def service_text(self, name, text):
        with open(os.path.join(self.confdir, name), "w") as f:
            f.write(text)
        return name

    # ---------------- PAM transactions ----------------
    def login(self, service, user, ops="a", password=PASSWORD, new=None,
              count=1, first=0, timeout=120):
        """fleet_logins: (code of the last transaction, seconds, output);
        the passwords travel in the environment, never argv"""
        env = {"PU_PASSWORD": password}
        if new is not None:
            env["PU_NEW_PASSWORD"] = new
        t0 = time.monotonic()
        rc, out = run([self.logins, self.confdir, service, user, str(first),
                       str(count), ops], env=env, timeout=timeout)
        secs = time.monotonic() - t0
        m = re.search(r"^code=(\S+)", out, re.M)
        if count == 1:
            code = m.group(1) if m else "rc=%d" % rc
        else:
            code = "ok" if rc == 0 else "failed"
        return code, secs, out

    def ctl(self, opts, *args, input=None):
        """unifiedctl with module options (a list), then the command"""
        return run([self.art["ctl"]] + list(opts) + list(args), input=input,
                   timeout=60)

    def add_users(self, opts, names, password=PASSWORD):
        for u in names:
            rc, out = self.ctl(opts, "user", "add", u, "--password-stdin",
                               input=password + "\n")
            if rc != 0:
                raise SystemExit("fleet: user add %s: %s" % (u, out))


# ---------------- one transaction, its code, its log line ----------------
def decisions(f, mark, user):
    """the module's decision lines for user since mark: a list of
    (syslog priority, reason text)"""
    out = []
    for l in f.syslog.grep(mark, r"result="):
        if " user=" in l and 'user="%s"' % user not in l and \
                "user=%s " % user not in l:
            continue   # another user's (a configuration error has none)
        p = re.match(r"<(\d+)>", l)
        m = re.search(r'reason="((?:[^"\\]|\\.)*)"', l)
        out.append((int(p.group(1)) & 7 if p else -1,
                    m.group(1) if m else l))
    return out


def attempt(f, r, label, svc_opts, want, user, ops="a", password=PASSWORD,
            word=None, max_secs=None, log_err=False):
    """one transaction through a service of svc_opts: its exact code,
    and optionally the reason's word (a regex), LOG_ERR, a time bound.
    Returns (code, seconds, reasons)"""
    svc = f.service("fl-" + re.sub(r"[^a-z0-9]+", "-", label.lower())[:60],
                    "backend=redis " + svc_opts + " nodelay")
    mark = f.syslog.mark()
    code, secs, out = f.login(svc, user, ops, password=password)
    dec = decisions(f, mark, user)
    why = "\n".join(x for _, x in dec) or "(no decision line)"
    r.check("%s: %s" % (label, want), code == want,
            "got %s in %.2f s\n%s\n%s" % (code, secs, out[-400:], why))
    if word is not None:
        r.check("%s: the reason names %r" % (label, word),
                re.search(word, why, re.I) is not None, why)
    if log_err:
        r.check("%s: logged at LOG_ERR" % label,
                any(p == 3 and re.search(word or ".", x, re.I)
                    for p, x in dec), repr(dec))
    if max_secs is not None:
        r.check("%s: within %.1f s" % (label, max_secs), secs < max_secs,
                "took %.2f s (%s)" % (secs, code))
    return code, secs, why
