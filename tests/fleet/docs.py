"""The fleet layouts the documents show, as they are.

Every conf/fleet-*.conf is installed as /etc/security/pam_unified.conf
(only its host:port pairs moved to the suite's ports; its paths are the
namespace's own /etc/security and a private /etc/ssl) and runs logins
against real servers over TLS: a primary behind a Sentinel, and a
3-primary Redis Cluster.  The module authenticates as the Redis ACL user
whose rule pam_unified(8) documents, read from the man page source, and
so do the sentinel's user and the administrator unifiedctl runs as.  Each
layout proves the login path (authenticate, account, sessions, a
password change, the replay store, unifiedctl check) works under the rule
and that what the rule leaves out is refused; the password rotation the
man page describes runs without a failed login.

Every decision is asserted with its exact PAM code.
"""
import glob
import os
import re
import shutil

import fleetlib

USER = "docuser"
DEFAULT_PW = "Docs-default-pw-1"     # the servers' default user (admin)
PAM_PW = "Docs-pam-pw-1"
PAM_PW2 = "Docs-pam-pw-2"            # the rotated one
ADMIN_PW = "Docs-admin-pw-1"
SENTINEL_PW = "Docs-sentinel-pw-1"
NEW_LOGIN_PW = "Fleet-pw-2"
NAME = "redis.example.org"           # the one name every server carries
CA_PATH = "/etc/ssl/pam_unified/redis-ca.pem"
HOSTS = ["127.0.0.1 " + " ".join(
    ["sentinel%d.example.org" % i for i in (1, 2, 3)] +
    ["redis%d.example.org" % i for i in (1, 2, 3)])]


def man_rules():
    """{user: the words after ACL SETUSER} of every fenced ACL SETUSER
    block of pam_unified.8.scd"""
    text = open(os.path.join(fleetlib.ROOT, "man", "pam_unified.8.scd")).read()
    rules = {}
    for m in re.finditer(r"^```\n(ACL SETUSER [^\n]*)\n```$", text, re.M):
        words = m.group(1).split()[2:]
        rules[words[0]] = words
    return rules


def with_password(words, pw):
    """the rule with its >PASSWORD placeholder replaced, nothing else"""
    out = [">" + pw if w.startswith(">") else w for w in words]
    assert sum(w.startswith(">") for w in words) == 1, words
    return out


def substitute(text, ports):
    """the file as it is, each HOST:PORT of it at the suite's port for
    that host"""
    return re.sub(r"\b([a-z0-9-]+\.example\.org):(\d+)\b",
                  lambda m: "%s:%d" % (m.group(1), ports[m.group(1)]), text)


class Layout:
    """what both layouts share: the rules, the files, the checks"""

    def __init__(self, f, r, name, rules):
        self.f = f
        self.r = r
        self.name = name
        self.rules = rules
        self.servers = []     # the data servers (ACL rules go on each)

    def check(self, what, ok, detail=""):
        self.r.check("%s: %s" % (self.name, what), ok, detail)

    def set_rule(self, srv, user, pw):
        rc, out = srv.cli("ACL", "SETUSER", *with_password(self.rules[user],
                                                           pw))
        self.check("ACL SETUSER %s (the man page's rule) on :%d" %
                   (user, srv.port), rc == 0 and out.strip() == "OK", out)

    def install(self, text, ports):
        with open("/etc/security/pam_unified.conf", "w") as fh:
            fh.write(substitute(text, ports))
        os.chmod("/etc/security/pam_unified.conf", 0o644)

    def admin(self, *args, input=None):
        return self.f.ctl(["redis_user=pamadmin",
                           "redis_password_file=/etc/security/"
                           "pam_unified.admin"], *args, input=input)

    def login(self, ops, password=fleetlib.PASSWORD, new=None, svc=None):
        mark = self.f.syslog.mark()
        code, _, out = self.f.login(svc or self.svc, USER, ops,
                                    password=password, new=new)
        why = "\n".join(self.f.syslog.grep(mark, r"result=")[-4:])
        return code, out + why

    def expect(self, what, ops, want, **kw):
        code, out = self.login(ops, **kw)
        self.check("%s: %s" % (what, want), code == want,
                   "got %s\n%s" % (code, out))

    def pam_cli(self, srv, *args):
        """redis-cli as the module's user"""
        a = srv.cli_args()
        if "-a" in a:
            i = a.index("-a")
            a = a[:i] + a[i + 2:]
        return fleetlib.run(a + ["--user", "pam", "--pass", PAM_PW] +
                            list(args))

    def run_logins(self):
        f = self.f
        M = f.module
        # the stack names only the module (and a replay line that takes
        # its store from the same file)
        self.svc = f.service_text("docs-" + self.name, "\n".join([
            "auth     requisite %s backend=replay window=5 store=redis" % M,
            "auth     required  %s" % M,
            "account  required  %s" % M,
            "session  required  %s backend=replay window=5 store=redis" % M,
            "session  required  %s" % M,
            "password required  %s" % M]) + "\n")
        # the same without the replay lines (logins that reuse a password)
        self.plain = f.service_text("docs-plain-" + self.name, "\n".join(
            "%-8s required  %s" % (g, M) for g in ("auth", "account",
                                                   "session")) + "\n")
        rc, out = self.admin("user", "add", USER, "--password-stdin",
                             input=fleetlib.PASSWORD + "\n")
        self.check("unifiedctl user add as pamadmin exits 0", rc == 0, out)
        self.expect("login (amoc) as the pam ACL user", "amoc", "PAM_SUCCESS")
        self.expect("the same password again (replay store)", "a",
                    "PAM_AUTH_ERR")
        self.expect("a wrong password", "a", "PAM_AUTH_ERR",
                    password="not-" + fleetlib.PASSWORD)
        # as root: no current password, the new one twice
        self.expect("password change (chauthtok)", "p", "PAM_SUCCESS",
                    password=NEW_LOGIN_PW, new=NEW_LOGIN_PW)
        self.expect("login with the new password", "amoc", "PAM_SUCCESS",
                    password=NEW_LOGIN_PW)
        rc, out = f.ctl([], "check")
        self.check("unifiedctl check as the pam ACL user exits 0",
                   rc == 0, out)
        self.check("unifiedctl check shows TLS and the certificate",
                   re.search(r"TLSv1\.[23] .*CN\s*=\s*docs-node", out)
                   is not None, out)
        rc, out = self.admin("events", USER)
        self.check("unifiedctl events as pamadmin lists the logins",
                   rc == 0 and out.count("session_open") >= 2, out)
        # outside the rule
        rc, out = f.ctl([], "user", "list")
        self.check("unifiedctl user list as the pam user: refused (SCAN)",
                   rc != 0 and "NOPERM" in out, "rc=%d\n%s" % (rc, out))
        srv = self.servers[0]
        for args, word in ((["FLUSHALL"], "NOPERM"),
                           (["KEYS", "*"], "NOPERM"),
                           (["CONFIG", "GET", "requirepass"], "NOPERM"),
                           (["GET", "other:key"], "NOPERM")):
            rc, out = self.pam_cli(srv, *args)
            self.check("%s as the pam user: refused" % " ".join(args),
                       word in out, out)
        self.rotate_password()

    def rotate_password(self):
        """RUNNING IT ON A FLEET: add the new password, swap the file,
        remove the old one; a login at every step"""
        for s in self.servers:
            s.cli("ACL", "SETUSER", "pam", ">" + PAM_PW2)
        self.expect("rotation: both passwords valid, old file", "amoc",
                    "PAM_SUCCESS", password=NEW_LOGIN_PW,
                    svc=self.plain)
        self.f.secret("pam_unified.redis", PAM_PW2)
        self.expect("rotation: both passwords valid, new file", "amoc",
                    "PAM_SUCCESS", password=NEW_LOGIN_PW,
                    svc=self.plain)
        for s in self.servers:
            s.cli("ACL", "SETUSER", "pam", "<" + PAM_PW)
        self.expect("rotation: the old password removed", "amoc",
                    "PAM_SUCCESS", password=NEW_LOGIN_PW,
                    svc=self.plain)
        rc, out = self.pam_cli(self.servers[0], "PING")
        self.check("rotation: the old password is refused now",
                   "WRONGPASS" in out, out)
        # back, for whoever comes next
        self.f.secret("pam_unified.redis", PAM_PW)
        for s in self.servers:
            s.cli("ACL", "SETUSER", "pam", ">" + PAM_PW, "<" + PAM_PW2)


def sentinel_layout(f, r, text, rules):
    L = Layout(f, r, "fleet-sentinel-tls.conf", rules)
    prim = f.redis_server("docs-primary", tls="docs-node",
                          password=DEFAULT_PW)
    L.servers = [prim]
    L.set_rule(prim, "pam", PAM_PW)
    L.set_rule(prim, "pamadmin", ADMIN_PW)
    sen = fleetlib.Redis(f, "docs-sentinel", f.port(), tls="docs-node",
                         password=DEFAULT_PW, sentinel=True,
                         args=["--tls-replication", "yes"])
    with open(os.path.join(sen.dir, "sentinel.conf"), "w") as fh:
        fh.write("sentinel monitor pam 127.0.0.1 %d 1\n"
                 "sentinel auth-pass pam %s\n" % (prim.port, DEFAULT_PW))
    sen.start()
    ok = fleetlib.wait_for(lambda: str(prim.port) in sen.cli(
        "SENTINEL", "get-master-addr-by-name", "pam")[1], 10)
    L.check("the sentinel names the primary", ok)
    L.set_rule(sen, "pam-sentinel", SENTINEL_PW)
    rc, out = fleetlib.run(
        [a for a in sen.cli_args() if a not in ("-a", DEFAULT_PW)] +
        ["--user", "pam-sentinel", "--pass", SENTINEL_PW, "SENTINEL",
         "masters"])
    L.check("SENTINEL masters as pam-sentinel: refused", "NOPERM" in out, out)
    f.secret("pam_unified.sentinel", SENTINEL_PW)
    ports = {"sentinel%d.example.org" % i: sen.port for i in (1, 2, 3)}
    L.install(text, ports)
    L.run_logins()
    # the module asked the sentinel as pam-sentinel: without that user
    # (requirepass alone) no login gets through
    sen.cli("ACL", "SETUSER", "pam-sentinel", "off")
    L.expect("the sentinel user switched off", "a",
             "PAM_AUTHINFO_UNAVAIL", password=NEW_LOGIN_PW, svc=L.plain)
    sen.cli("ACL", "SETUSER", "pam-sentinel", "on")
    sen.stop()
    prim.stop()


def cluster_layout(f, r, text, rules):
    L = Layout(f, r, "fleet-cluster-tls.conf", rules)
    ports = []
    while len(ports) < 3:
        p = f.port()
        if fleetlib.port_free(p + 10000):
            ports.append(p)
    args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "1000", "--tls-cluster", "yes",
            "--tls-replication", "yes",
            # the bus authenticates both ends: a client certificate
            "--tls-client-cert-file", f.cert("client")[1],
            "--tls-client-key-file", f.cert("client")[0]]
    nodes = [f.redis_server("docs-cl%d" % i, port=p, tls="docs-node",
                            password=DEFAULT_PW, args=args)
             for i, p in enumerate(ports)]
    L.servers = nodes
    cli = nodes[0].cli_args()            # -h, -p, --tls ..., -a ...
    i = cli.index("-p")
    rc, out = fleetlib.run(cli[:i] + cli[i + 2:] + ["--cluster", "create"] +
                           ["127.0.0.1:%d" % p for p in ports] +
                           ["--cluster-yes"], timeout=60)
    L.check("redis-cli --cluster create (3 primaries, TLS)", rc == 0,
            out[-1500:])
    ok = fleetlib.wait_for(lambda: all(
        "cluster_state:ok" in n.cli("CLUSTER", "INFO")[1] for n in nodes), 20)
    L.check("cluster_state:ok on every node", ok)
    for n in nodes:
        L.set_rule(n, "pam", PAM_PW)
        L.set_rule(n, "pamadmin", ADMIN_PW)
    L.install(text, {"redis%d.example.org" % (i + 1): p
                     for i, p in enumerate(ports)})
    L.run_logins()
    for n in nodes:
        n.stop()


LAYOUTS = {
    "fleet-sentinel-tls.conf": sentinel_layout,
    "fleet-cluster-tls.conf": cluster_layout,
}


def run(f, r):
    rules = man_rules()
    r.check("pam_unified(8) documents the pam, pamadmin and pam-sentinel "
            "ACL rules", set(rules) >= {"pam", "pamadmin", "pam-sentinel"},
            repr(sorted(rules)))
    # the namespace's own /etc/ssl, with the CA where the files say
    f.private_copy("/etc/ssl")
    os.makedirs(os.path.dirname(CA_PATH), exist_ok=True)
    shutil.copy(f.ca.pem, CA_PATH)
    f.certs["docs-node"] = f.ca.leaf("docs-node", "server", "DNS:" + NAME)
    f.write_hosts(HOSTS)
    f.secret("pam_unified.redis", PAM_PW)
    f.secret("pam_unified.admin", ADMIN_PW)
    f.secret("pam_unified.key", os.urandom(32).hex())
    conf = "/etc/security/pam_unified.conf"
    saved = open(conf).read() if os.path.exists(conf) else None
    try:
        files = sorted(glob.glob(os.path.join(fleetlib.ROOT, "conf",
                                              "fleet-*.conf")))
        r.check("conf/ has the fleet layouts", len(files) >= 2, repr(files))
        for path in files:
            name = os.path.basename(path)
            if name not in LAYOUTS:
                r.check("%s: a test for this documented layout" % name, False)
                continue
            LAYOUTS[name](f, r, open(path).read(), rules)
    finally:
        if saved is None:
            os.unlink(conf) if os.path.exists(conf) else None
        else:
            with open(conf, "w") as fh:
                fh.write(saved)
        f.write_hosts()
