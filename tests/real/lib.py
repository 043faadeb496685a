"""The real-program suite's machinery: a private view of the machine's PAM
(mount namespace), the servers, the users, the syslog sink, and the
programs that call PAM (sshd + ssh, su, sudo, login, passwd, pamtester).

Nothing here is run outside `unshare -m`: every mount is private to the
suite's namespace, and the only changes to the machine itself are the
test users and the group pam-unified (when missing), removed at the end.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DIALOG = os.path.join(HERE, "dialog.exp")
SSH_PORT = 22200
GROUP = "pam-unified"


def run(args, input=None, env=None, timeout=30, check=False):
    """A command to its end; stdout and stderr together, as text."""
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run(args, input=input, env=e, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    except subprocess.TimeoutExpired as x:
        out = x.stdout.decode() if isinstance(x.stdout, bytes) else (x.stdout or "")
        return 124, out
    if check and p.returncode != 0:
        raise SystemExit("real: %s failed (%d):\n%s" % (args, p.returncode,
                                                        p.stdout))
    return p.returncode, p.stdout


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []
        self.rows = []           # (scenario, check, ok, detail)
        self.times = []          # (scenario, seconds)
        self.scenario = ""

    def check(self, name, ok, detail=""):
        self.rows.append((self.scenario, name, ok, detail))
        if ok:
            self.passed += 1
            print("ok   %s: %s" % (self.scenario, name), flush=True)
        else:
            self.failed.append("%s: %s" % (self.scenario, name))
            print("FAIL %s: %s\n     %s" % (self.scenario, name,
                                             detail.replace("\n", "\n     ")),
                  flush=True)
        return ok


class Syslog:
    """A /dev/log of the suite's own: every datagram, as text."""

    def __init__(self, path):
        self.lines = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace"))

    def mark(self):
        with self.lock:
            return len(self.lines)

    def since(self, mark):
        time.sleep(0.05)  # the last datagrams of a program that just ended
        with self.lock:
            return list(self.lines[mark:])

    def grep(self, mark, pattern):
        return [l for l in self.since(mark) if re.search(pattern, l)]


def wait_for(cond, timeout=10.0, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


class Machine:
    """The namespace, its private files, the users and the servers."""

    def __init__(self, art):
        self.art = art                 # module, ctl, profile, conf paths
        self.t = tempfile.mkdtemp(prefix="pu-real.")
        os.chmod(self.t, 0o755)
        self.users_made = []
        self.group_made = False
        self.mounts = []
        self.procs = {}
        self.dev_log_made = False
        self.made_dirs = []
        self.root_pw = "Rt-" + os.urandom(6).hex()
        self.ma = run(["gcc", "-print-multiarch"])[1].strip() or \
            "x86_64-linux-gnu"
        self.pamdir = "/lib/%s/security" % self.ma

    # ---------------- mounts ----------------
    def bind(self, src, dst):
        run(["mount", "--bind", src, dst], check=True)
        self.mounts.append(dst)

    def private_copy(self, path):
        """A copy of path (file or directory) mounted over it."""
        dst = os.path.join(self.t, "bind", path.strip("/").replace("/", "_"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(path):
            shutil.copytree(path, dst, symlinks=True)
        elif os.path.exists(path):
            shutil.copy2(path, dst)
        else:
            os.makedirs(dst)
        self.bind(dst, path)
        return dst

    def setup_files(self):
        if os.environ.get("PU_REAL_NS") != "1":
            raise SystemExit("real: run me through tests/real/run.sh "
                             "(a private mount namespace)")
        for p in ("/etc/pam.d", "/etc/security", "/var/lib/pam",
                  "/usr/share/pam-configs", self.pamdir, "/etc/sudoers",
                  "/var/cache/debconf"):
            self.private_copy(p)
        # the replay store's default directory, usually absent: an empty
        # mount point for the run (removed after), the store inside
        if not os.path.exists("/var/lib/pam_unified"):
            os.makedirs("/var/lib/pam_unified", mode=0o755)
            self.made_dirs.append("/var/lib/pam_unified")
        self.private_copy("/var/lib/pam_unified")
        shutil.copy(self.art["module"], os.path.join(self.pamdir,
                                                      "pam_unified.so"))
        os.chmod(os.path.join(self.pamdir, "pam_unified.so"), 0o644)
        shutil.copy(self.art["profile"], "/usr/share/pam-configs/unified")
        with open("/etc/sudoers", "a") as f:
            f.write("Defaults lecture=never\nDefaults timestamp_timeout=0\n"
                    "purt-m ALL=(ALL) ALL\npurt-l ALL=(ALL) ALL\n")
        # a tmpfs /run: sshd's privilege separation directory, the Redis
        # and socket servers at the paths the documents name, utmp
        run(["mount", "-t", "tmpfs", "-o", "mode=755", "pu-real-run", "/run"],
            check=True)
        self.mounts.append("/run")
        for d in ("/run/sshd", "/run/redis", "/run/pam_unified",
                  "/run/pam_redirector"):
            os.makedirs(d, mode=0o755, exist_ok=True)
        open("/run/utmp", "a").close()
        self.setup_syslog()

    def setup_syslog(self):
        """/dev/log: ours over the machine's, or ours alone"""
        mine = os.path.join(self.t, "log.sock")
        self.syslog = Syslog(mine)
        if os.path.exists("/dev/log") or os.path.islink("/dev/log"):
            if os.path.islink("/dev/log"):
                # /dev/log -> /run/systemd/journal/dev-log: under our /run
                target = os.path.realpath("/dev/log")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                open(target, "a").close()
                self.bind(mine, target)
            else:
                self.bind(mine, "/dev/log")
        else:
            os.symlink(mine, "/dev/log")
            self.dev_log_made = True

    def shadow_with_root_password(self):
        """root gets a password the suite knows, in a private /etc/shadow
        (after the test users exist: useradd cannot write a bind mount)"""
        rc, h = run(["openssl", "passwd", "-6", "-stdin"],
                    input=self.root_pw + "\n", check=True)
        dst = self.private_copy("/etc/shadow")
        with open(dst) as f:
            lines = f.read().splitlines()
        out = [("root:%s:%s" % (h.strip(), l.split(":", 2)[2]))
               if l.startswith("root:") else l for l in lines]
        with open(dst, "w") as f:
            f.write("\n".join(out) + "\n")

    # ---------------- users ----------------
    def add_user(self, name, managed, password=None):
        run(["userdel", "-r", name], timeout=30)  # a killed run's leftover
        args = ["useradd", "-m", "-s", "/bin/bash"]
        if managed:
            args += ["-G", GROUP]
        run(args + [name], check=True)
        self.users_made.append(name)
        if password is not None:
            run(["chpasswd"], input="%s:%s\n" % (name, password), check=True)
        else:
            run(["usermod", "-p", "*", name], check=True)

    def setup_users(self, users):
        if run(["getent", "group", GROUP])[0] != 0:
            run(["groupadd", "--system", GROUP], check=True)
            self.group_made = True
        for name, managed, pw in users:
            self.add_user(name, managed, pw)

    # ---------------- servers ----------------
    def start(self, name, args, ready, log=None):
        out = open(log or os.path.join(self.t, name + ".log"), "ab")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT,
                             preexec_fn=lambda: signal.signal(
                                 signal.SIGPIPE, signal.SIG_DFL))
        self.procs[name] = p
        if not wait_for(lambda: ready() or p.poll() is not None, 10) or \
                p.poll() is not None:
            raise SystemExit("real: %s did not start (see %s)" %
                             (name, out.name))
        return p

    def stop(self, name):
        p = self.procs.pop(name, None)
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def redis_start(self):
        d = os.path.join(self.t, "redis")
        os.makedirs(d, exist_ok=True)
        sock = "/run/redis/redis.sock"
        self.start("redis", ["redis-server", "--port", "0", "--unixsocket",
                             sock, "--unixsocketperm", "700", "--dir", d,
                             "--save", "", "--appendonly", "no",
                             "--daemonize", "no"],
                   lambda: self.redis("PING")[1].strip() == "PONG")

    def redis(self, *args):
        return run(["redis-cli", "-s", "/run/redis/redis.sock"] + list(args),
                   timeout=10)

    def redis_stop(self):
        """the server goes away, its data saved for redis_start"""
        self.redis("SHUTDOWN", "SAVE")
        p = self.procs.pop("redis")
        p.wait(10)

    def redis_restart(self):
        self.redis_stop()
        self.redis_start()

    def sshd_start(self):
        d = os.path.join(self.t, "sshd")
        os.makedirs(os.path.join(d, "keys"), exist_ok=True)
        key = os.path.join(d, "host_ed25519")
        if not os.path.exists(key):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key],
                check=True)
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                 os.path.join(d, "client")], check=True)
        cfg = os.path.join(d, "sshd_config")
        with open(cfg, "w") as f:
            f.write("""Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile %s/keys/%%u
PermitRootLogin yes
StrictModes no
PrintMotd no
PrintLastLog no
MaxStartups 50
MaxSessions 20
LoginGraceTime 30
""" % (SSH_PORT, key, d, d))
        self.start("sshd", ["/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                   lambda: port_open(SSH_PORT))

    def authorize_key(self, user):
        pub = open(os.path.join(self.t, "sshd", "client.pub")).read()
        with open(os.path.join(self.t, "sshd", "keys", user), "w") as f:
            f.write(pub)

    # ---------------- programs ----------------
    def ssh(self, user, password, cmd="echo SSH-OK", method="password",
            timeout=20):
        """sshpass for the password method; the password in SSHPASS"""
        args = ["sshpass", "-e", "ssh"] + ssh_opts(method) + [
            "%s@127.0.0.1" % user, cmd]
        return run(args, env={"SSHPASS": password}, timeout=timeout)

    def ssh_key(self, user, cmd="echo SSH-OK", timeout=20):
        key = os.path.join(self.t, "sshd", "client")
        args = ["ssh", "-i", key] + ssh_opts("publickey") + [
            "%s@127.0.0.1" % user, cmd]
        return run(args, timeout=timeout)

    def dialog(self, args, steps, timeout=20, env=None):
        """args on a terminal (expect); steps: (regex, text to type)"""
        e = dict(env or {})
        lines = []
        for i, (pat, text) in enumerate(steps):
            e["PU_ANSWER_%d" % i] = text
            lines.append("%s\tPU_ANSWER_%d" % (pat, i))
        e["PU_DIALOG"] = "\n".join(lines)
        return run(["expect", DIALOG, str(timeout)] + list(args), env=e,
                   timeout=timeout + 5)

    def ctl(self, *args, input=None):
        """unifiedctl on the suite's Redis, whatever the config says"""
        return run([self.art["ctl"], "redis=unix:/run/redis/redis.sock"] +
                   list(args), input=input, timeout=30)

    def cleanup(self):
        for name in list(self.procs):
            self.stop(name)
        for m in reversed(self.mounts):
            run(["umount", "-l", m])
        for d in self.made_dirs:
            try:
                os.rmdir(d)
            except OSError:
                pass
        if self.dev_log_made:
            try:
                os.unlink("/dev/log")
            except OSError:
                pass
        for u in self.users_made:
            run(["pkill", "-KILL", "-u", u])
            run(["userdel", "-r", u], timeout=30)
        if self.group_made:
            run(["groupdel", GROUP])
        shutil.rmtree(self.t, ignore_errors=True)


def ssh_opts(method):
    o = ["-F", "/dev/null", "-p", str(SSH_PORT),
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
         "-o", "PreferredAuthentications=" + method,
         "-o", "NumberOfPasswordPrompts=1"]
    if method != "publickey":
        o += ["-o", "PubkeyAuthentication=no"]
    return o


def port_open(port):
    s = socket.socket()
    try:
        s.settimeout(0.2)
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
