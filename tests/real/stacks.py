"""Every stack the documents show, run verbatim.

The stacks are read out of README.md, man/*.scd and conf/ (conf/fleet-*.conf
aside: tests/fleet/docs.py runs those against TLS servers; PU_REAL_DOCS
points at another tree): each fenced block made of PAM lines is written,
as it is, to a service file, and the servers sit at the paths the text
names (the namespace's /run is the suite's).  The lines of the README's
tour are fragments of stacks the tour assembles; conf/ and the
configuration blocks of pam_unified.conf(5) are configuration files, used
as /etc/security/pam_unified.conf.  A block that no case below claims
fails the suite: a new stack in a document needs a test.
"""
import glob
import os
import re
import time

import lib

PAM_LINE = re.compile(r"^-?(auth|account|session|password)\s+"
                      r"(\[[^\]]*\]|\S+)\s+\S+")
TOUR_LINE = re.compile(r"^#\s+(?:/etc/pam\.d/\S+:\s+)?"
                       r"((?:auth|account|session|password)\s.*?)"
                       r"(?:\s{2,}\(.*\))?$")
PW = "Doc-pw-1"
LOCAL_PW = "Local-pw-1"   # purt-l's, from run.py


def blocks(path):
    """the fenced blocks of a markdown or scdoc file, as lists of lines"""
    out, cur = [], None
    for line in open(path).read().splitlines():
        if line.startswith("```"):
            if cur is None:
                cur = []
            else:
                out.append(cur)
                cur = None
        elif cur is not None:
            cur.append(line)
    return out


def documents(docs):
    files = [os.path.join(docs, "README.md")] + \
        sorted(glob.glob(os.path.join(docs, "man", "*.scd")))
    stacks, tour, configs = [], [], []
    for f in files:
        rel = os.path.relpath(f, docs)
        for b in blocks(f):
            lines = [l for l in b if l.strip()]
            if lines and all(PAM_LINE.match(l) for l in lines):
                stacks.append((rel, "\n".join(lines) + "\n"))
            elif lines and all(re.search(r"(;|\{)\s*$", l) for l in lines):
                configs.append((rel, "\n".join(b) + "\n"))
            for l in b:
                m = TOUR_LINE.match(l)
                if m and "pam_unified.so" in l:
                    tour.append((rel, m.group(1).rstrip()))
    for f in sorted(glob.glob(os.path.join(docs, "conf", "*.conf"))):
        # the fleet layouts need TLS servers, Sentinels and a Cluster:
        # tests/fleet/docs.py runs each of them as it is
        if os.path.basename(f).startswith("fleet-"):
            continue
        configs.append((os.path.relpath(f, docs), open(f).read()))
    return stacks, tour, configs


def replay_layouts(docs):
    """the two documented replay layouts, as sshd stacks: the man page's
    (replay behind a requisite redis line), verbatim; the README tour's
    (replay in front), its lines with the man page's account line"""
    stacks, tour, _ = documents(docs)
    behind = [t for _, t in stacks if "backend=replay" in t and
              "backend=redis" in t]
    lines = [l for _, l in tour]
    redis = [l for l in lines if "backend=redis" in l]
    front = [l for l in lines if l.startswith("auth") and
             "backend=replay" in l] + redis + \
        [l for l in lines if l.startswith("session") and "backend=replay" in l]
    account = [l for l in behind[0].splitlines() if l.startswith("account")
               and "backend=redis" in l]
    return behind[0], "\n".join(front + account) + "\n"


class Docs:
    def __init__(self, m, res):
        self.m = m
        self.r = res
        self.n = 0
        self.made = []

    # ---------------- tools ----------------
    def service(self, text):
        self.n += 1
        name = "pu-doc-%d" % self.n
        with open("/etc/pam.d/" + name, "w") as f:
            f.write(text)
        return name

    def pamtester(self, svc, user, ops, answers, as_user=None):
        args = ["pamtester", svc, user] + ops
        if as_user:
            # as a setuid program run by as_user: that real uid, euid 0
            uid = lib.run(["id", "-u", as_user])[1].strip()
            args = ["setpriv", "--ruid", uid, "--"] + args
        return lib.run(args, input="".join(a + "\n" for a in answers),
                       timeout=30)

    def expect(self, what, svc, user, ops, answers, ok, as_user=None):
        rc, out = self.pamtester(svc, user, ops, answers, as_user)
        self.r.check("%s: %s %s %s" % (what, user, " ".join(ops),
                                      "succeeds" if ok else "fails"),
                     (rc == 0) == ok, out[-300:])
        return rc

    def server(self, name, sock, protocol):
        users = os.path.join(self.m.t, name + ".users")
        with open(users, "w") as f:
            f.write("purt-r plain:%s\n" % PW)
        os.chmod(users, 0o600)
        if os.path.exists(sock):
            return
        d = os.path.dirname(sock)
        if not os.path.isdir(d):
            os.makedirs(d, mode=0o755)
            self.made.append(d)
        self.m.start(name, ["python3", os.path.join(lib.ROOT, "contrib",
                                                    "pam_unified_server.py"),
                            "--socket", sock, "--users", users,
                            "--protocol", protocol],
                     lambda: os.path.exists(sock))

    def replay_ready(self):
        """the key and store the defaults name (unifiedctl init)"""
        if not os.path.exists("/etc/security/pam_unified.key"):
            rc, out = self.m.ctl("init")
            self.r.check("unifiedctl init (default key and store)", rc == 0,
                         out)

    def history(self, user):
        rc, out = self.m.ctl("history", "show", user)
        return out

    def clear_history(self, user):
        self.m.ctl("history", "clear", user)

    # ---------------- cases ----------------
    def redirector(self, what, svc):
        self.server("redirector", "/run/pam_redirector/socket", "redirector")
        self.expect(what, svc, "purt-r", ["authenticate"], [PW], True)
        self.expect(what, svc, "purt-r", ["authenticate"], ["wrong-pw"], False)

    def v1(self, what, svc, ops, as_user=None):
        self.server("v1", "/run/pam_unified/socket", "v1")
        self.expect(what, svc, "purt-r", ops, [PW], True, as_user)
        self.expect(what, svc, "purt-r", ["authenticate"], ["wrong-pw"], False,
                    as_user)

    def redis(self, what, svc, ops):
        self.expect(what, svc, "purt-r", ops, [PW], True)
        self.expect(what, svc, "purt-r", ["authenticate"], ["wrong-pw"], False)
        self.m.ctl("faillock", "reset", "purt-r")

    def replayed(self, what, svc, user, pw, ops):
        """a typo, a login, the same login again"""
        self.replay_ready()
        self.clear_history(user)
        self.expect(what + " (a typo)", svc, user, ["authenticate"],
                    ["typo-" + pw], False)
        self.expect(what + " (first use)", svc, user, ops, [pw], True)
        self.expect(what + " (replayed)", svc, user, ["authenticate"], [pw],
                    False)
        h = self.history(user)
        m = re.search(r"login window entries: (\d+)", h)
        n = int(m.group(1)) if m else -1
        self.r.check("%s: the history holds the one login, not the typo "
                     "(%d entr%s)" % (what, n, "y" if n == 1 else "ies"),
                     n == 1, h)
        self.clear_history(user)
        self.m.ctl("faillock", "reset", user)

    def managed_sshd(self, what, svc):
        ops = ["authenticate", "acct_mgmt", "open_session", "close_session"]
        self.expect(what, svc, "purt-r", ops, [PW], True)
        self.expect(what, svc, "purt-l", ops, [LOCAL_PW], True)
        self.expect(what, svc, "purt-r", ["authenticate"], [LOCAL_PW], False)
        self.m.ctl("faillock", "reset", "purt-r")
        self.m.redis_stop()
        try:
            self.expect(what + ", Redis down", svc, "purt-l", ops, [LOCAL_PW],
                        True)
            self.expect(what + ", Redis down", svc, "purt-r", ["authenticate"],
                        [PW], False)
            self.expect(what + ", Redis down", svc, "purt-r", ["acct_mgmt"],
                        [], False)
        finally:
            self.m.redis_start()

    # ---------------- dispatch ----------------
    def run_stack(self, src, text):
        svc = self.service(text)
        what = "%s: %s" % (src, text.splitlines()[0][:60])
        full = ["authenticate", "acct_mgmt", "open_session", "close_session"]
        has = lambda s: s in text  # noqa: E731
        if re.search(r"pam_unified\.so /\S+socket\s*$", text, re.M):
            return self.redirector(what, svc)
        if has("pam_rootok.so") and has("protocol=v1"):
            # su: root needs nothing; anyone else goes to the daemon
            self.expect(what + " (root)", svc, "root", ["authenticate"], [],
                        True)
            return self.v1(what, svc, ["authenticate", "acct_mgmt",
                                       "open_session", "close_session"],
                           as_user="purt-l")
        if has("protocol=v1"):
            return self.v1(what, svc, full)
        if has("managed_group=") and has("pam_unix.so"):
            return self.managed_sshd(what, svc)
        if has("backend=replay") and has("pam_unix.so"):
            return self.replayed(what, svc, "purt-l", LOCAL_PW, full)
        if has("backend=replay") and has("backend=redis"):
            return self.replayed(what, svc, "purt-r", PW, full)
        if has("backend=redis") and has("quiet"):
            return self.redis(what, svc, ["authenticate", "acct_mgmt"])
        if has("backend=redis"):
            return self.redis(what, svc, full)
        self.r.check("%s: a test for this documented stack" % what, False,
                     text)

    def run_tour(self, tour):
        """README: the tour's lines, assembled as the tour says"""
        lines = [l for _, l in tour]
        sock = [l for l in lines if "backend=socket" in l]
        redis = [l for l in lines if "backend=redis" in l]
        replay = [l for l in lines if "backend=replay" in l]
        ok = len(sock) == 1 and len(redis) == 1 and len(replay) == 2
        self.r.check("README tour: its four stack lines found", ok,
                     "\n".join(lines))
        if not ok:
            return
        # 1. socket, v1, at the tour's socket
        made = not os.path.exists("/tmp/t")
        if made:
            os.makedirs("/tmp/t", mode=0o755)
        try:
            self.server("tour-v1", "/tmp/t/sock", "v1")
            svc = self.service(sock[0] + "\n")
            self.expect("README tour 1", svc, "purt-r", ["authenticate"], [PW],
                        True)
        finally:
            self.m.stop("tour-v1")
            if made:
                import shutil
                shutil.rmtree("/tmp/t", ignore_errors=True)
        # 2. redis, with its lockout
        svc = self.service(redis[0] + "\n")
        self.redis("README tour 2", svc, ["authenticate"])
        # 3. replay in front of the redis line, and a session line
        auth_replay = [l for l in replay if l.startswith("auth")]
        sess_replay = [l for l in replay if l.startswith("session")]
        svc = self.service("\n".join(auth_replay + redis + sess_replay) + "\n")
        self.replayed("README tour 3 (replay in front)", svc, "purt-r", PW,
                      ["authenticate", "open_session"])

    def run_config(self, src, text):
        """a configuration the documents show, as the file"""
        with open("/etc/security/pam_unified.conf", "w") as f:
            f.write(text)
        os.chmod("/etc/security/pam_unified.conf", 0o644)
        live = "\n".join(l for l in text.splitlines()
                         if not re.match(r"\s*(#|//)", l))
        line = "auth required pam_unified.so"
        if not re.search(r"^\s*backend\s*=", live, re.M):
            line += " backend=redis"
        if not re.search(r"^\s*(redis|sentinel|redis_cluster)\s*=", live,
                         re.M):
            line += " redis=unix:/run/redis/redis.sock"
        svc = self.service(line + "\n")
        self.expect("%s (as the configuration file)" % src, svc, "purt-r",
                    ["authenticate"], [PW], True)


def run_all(m, res):
    docs = m.art.get("docs", lib.ROOT)
    stacks, tour, configs = documents(docs)
    res.check("the documents show stacks (%d blocks, %d tour lines, "
              "%d configurations)" % (len(stacks), len(tour), len(configs)),
              len(stacks) > 0)
    m.ctl("user", "add", "purt-r", "--password-stdin", input=PW + "\n")
    m.ctl("user", "passwd", "purt-r", "--password-stdin", input=PW + "\n")
    d = Docs(m, res)
    saved = open("/etc/security/pam_unified.conf").read()
    with open("/etc/security/pam_unified.conf", "w") as f:
        f.write("")  # the stacks say everything themselves
    try:
        for src, text in stacks:
            t0 = time.monotonic()
            d.run_stack(src, text)
            res.times.append(("  stack " + text.splitlines()[0][:40],
                              time.monotonic() - t0))
        d.run_tour(tour)
        for src, text in configs:
            d.run_config(src, text)
    finally:
        with open("/etc/security/pam_unified.conf", "w") as f:
            f.write(saved)
        for name in ("redirector", "v1"):
            m.stop(name)
