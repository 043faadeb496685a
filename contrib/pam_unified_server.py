#!/usr/bin/python3
"""Reference server for pam_unified's socket backend.

Speaks both wire protocols on one UNIX stream socket, one request per
connection:

  redirector (pam_redirector's wire)
      request  "USER\\nPASSWORD\\n"
      reply    "0\\n" (success) or "1\\n" (failure)

  v1
      request  key=value lines ended by an empty line; keys v=1, op=,
               phase= (chauthtok), service=, user=, rhost=, ruser=, tty=,
               password=, old_password=, new_password=
      reply    one line: OK|DENY|UNKNOWN|EXPIRED|NEWTOK|ERROR [message]

Users come from a file, one per line ("#" starts a comment):

  NAME  SECRET  [FLAG ...]

  SECRET  plain:TEXT                       (for tests and demos only)
          pbkdf2:ITERATIONS:SALTHEX:HASHHEX (PBKDF2-HMAC-SHA256)
  FLAG    disabled | expired | must_change | warn=DAYS

Generate a pbkdf2 secret with:  pam_unified_server.py --hash

This is the starting point for an administrator's own daemon, as
pam_redirector shipped example_server.py: replace load_users() and the
op_* functions with calls into your own user store.  Password changes
and sessions are kept in memory only.  Passwords are never logged.
"""

import argparse
import getpass
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time

MAX_REQUEST = 64 * 1024
REQUEST_TIMEOUT = 5.0
DUMMY = "pbkdf2:100000:" + "00" * 16 + ":" + "00" * 32


def make_secret(password, iterations=100000):
    salt = secrets.token_bytes(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "pbkdf2:%d:%s:%s" % (iterations, salt.hex(), dk.hex())


def check_secret(spec, password):
    """Constant-time check of password against a SECRET field."""
    if spec.startswith("plain:"):
        return hmac.compare_digest(spec[6:].encode(), password.encode())
    if spec.startswith("pbkdf2:"):
        _, it, salt, want = spec.split(":", 3)
        dk = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                 bytes.fromhex(salt), int(it))
        return hmac.compare_digest(dk.hex(), want)
    return False


class User:
    def __init__(self, name, secret, flags):
        self.name = name
        self.secret = secret
        self.disabled = "disabled" in flags
        self.expired = "expired" in flags
        self.must_change = "must_change" in flags
        self.warn = None
        for f in flags:
            if f.startswith("warn="):
                self.warn = int(f[5:])


def load_users(path):
    users = {}
    with open(path, encoding="utf-8") as fp:
        for lineno, line in enumerate(fp, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 2:
                raise SystemExit("%s:%d: expected NAME SECRET [FLAGS]" %
                                 (path, lineno))
            users[parts[0]] = User(parts[0], parts[1], parts[2:])
    return users


class State:
    def __init__(self, users, minlen, log_path):
        self.users = users
        self.minlen = minlen
        self.sessions = {}
        self.lock = threading.Lock()
        self.log_path = log_path

    def log(self, req):
        """Appends the request's non-secret fields as one JSON line."""
        if not self.log_path:
            return
        safe = {k: v for k, v in req.items() if "password" not in k}
        for k in ("password", "old_password", "new_password"):
            if k in req:
                safe["has_" + k] = True
        with self.lock, open(self.log_path, "a", encoding="utf-8") as fp:
            fp.write(json.dumps(safe, sort_keys=True) + "\n")


def authenticate(state, req):
    user = state.users.get(req.get("user", ""))
    password = req.get("password", "")
    if user is None:
        check_secret(DUMMY, password)  # same work as a real check
        return "UNKNOWN"
    if not check_secret(user.secret, password):
        return "DENY Authentication failed"
    if user.disabled:
        return "DENY Account disabled"
    return "OK"


def acct_mgmt(state, req):
    user = state.users.get(req.get("user", ""))
    if user is None:
        return "UNKNOWN"
    if user.disabled:
        return "DENY Account disabled"
    if user.expired:
        return "EXPIRED Account expired"
    if user.must_change:
        return "NEWTOK Password change required"
    if user.warn is not None:
        return "OK Your password expires in %d days" % user.warn
    return "OK"


def session_key(req):
    return (req.get("user"), req.get("service"), req.get("tty"),
            req.get("rhost"))


def open_session(state, req):
    if req.get("user") not in state.users:
        return "UNKNOWN"
    with state.lock:
        state.sessions[session_key(req)] = time.time()
    return "OK"


def close_session(state, req):
    if req.get("user") not in state.users:
        return "UNKNOWN"
    with state.lock:
        state.sessions.pop(session_key(req), None)
    return "OK"


def setcred(state, req):
    return "OK" if req.get("user") in state.users else "UNKNOWN"


def chauthtok(state, req):
    user = state.users.get(req.get("user", ""))
    if user is None:
        return "UNKNOWN"
    old = req.get("old_password")
    if old is not None and not check_secret(user.secret, old):
        return "DENY Current password is wrong"
    if req.get("phase") == "prelim":
        return "OK"
    if req.get("phase") != "update":
        return "ERROR bad phase"
    new = req.get("new_password", "")
    if len(new) < state.minlen:
        return "DENY Password shorter than %d characters" % state.minlen
    if old is not None and hmac.compare_digest(old.encode(), new.encode()):
        return "DENY New password must differ from the old one"
    with state.lock:
        user.secret = make_secret(new)
        user.must_change = False
    return "OK Password changed"


OPS = {
    "authenticate": authenticate,
    "setcred": setcred,
    "acct_mgmt": acct_mgmt,
    "open_session": open_session,
    "close_session": close_session,
    "chauthtok": chauthtok,
}


class Handler(socketserver.BaseRequestHandler):
    def read_lines(self):
        """Reads until an empty line (v1), two lines (redirector) or EOF."""
        self.request.settimeout(REQUEST_TIMEOUT)
        data = b""
        while len(data) < MAX_REQUEST:
            if data.startswith(b"v=1\n"):
                if b"\n\n" in data:
                    break
            elif data.count(b"\n") >= 2:
                break
            chunk = self.request.recv(4096)
            if not chunk:
                break
            data += chunk
        return data

    def handle(self):
        state = self.server.state
        try:
            data = self.read_lines()
        except OSError:
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        proto = self.server.protocol
        if proto == "auto":
            proto = "v1" if data.startswith(b"v=1\n") else "redirector"
        try:
            if text is None:
                reply = "ERROR bad encoding" if proto == "v1" else "1"
            elif proto == "v1":
                reply = self.handle_v1(state, text)
            else:
                reply = self.handle_redirector(state, text)
            self.request.sendall((reply + "\n").encode())
        except OSError:
            pass

    def handle_redirector(self, state, text):
        lines = text.split("\n")
        if len(lines) < 2:
            return "1"
        req = {"op": "authenticate", "user": lines[0], "password": lines[1],
               "protocol": "redirector"}
        state.log(req)
        return "0" if authenticate(state, req) == "OK" else "1"

    def handle_v1(self, state, text):
        req = {}
        for line in text.split("\n"):
            if line == "":
                break
            key, sep, value = line.partition("=")
            if not sep:
                return "ERROR malformed request"
            req[key] = value
        req["protocol"] = "v1"
        state.log(req)
        op = OPS.get(req.get("op", ""))
        if req.get("v") != "1" or op is None or "user" not in req:
            return "ERROR malformed request"
        return op(state, req)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", help="path of the UNIX socket to listen on")
    ap.add_argument("--users", help="users file (see above)")
    ap.add_argument("--protocol", default="auto",
                    choices=["auto", "redirector", "v1"])
    ap.add_argument("--minlen", type=int, default=8)
    ap.add_argument("--socket-mode", default="0660",
                    help="permissions of the socket (octal)")
    ap.add_argument("--log", help="append non-secret request fields here")
    ap.add_argument("--hash", action="store_true",
                    help="read a password (no echo) and print its SECRET")
    args = ap.parse_args()

    if args.hash:
        pw = getpass.getpass() if sys.stdin.isatty() else sys.stdin.readline()
        print(make_secret(pw.rstrip("\n")))
        return
    if not args.socket or not args.users:
        ap.error("--socket and --users are required")

    state = State(load_users(args.users), args.minlen, args.log)
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    server = Server(args.socket, Handler)
    os.chmod(args.socket, int(args.socket_mode, 8))
    server.state = state
    server.protocol = args.protocol

    def stop(_signo, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        try:
            os.unlink(args.socket)
        except OSError:
            pass


if __name__ == "__main__":
    main()
