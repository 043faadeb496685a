#!/usr/bin/python3
"""QuarkDB's HMAC challenge in front of a real redis-server, for tests.

QuarkDB is not packaged for Debian.  This proxy implements exactly the two
commands pam_unified's redis_auth=hmac speaks, as QuarkDB does, and
forwards every other command of an authenticated client to a real
redis-server:

  HMAC-AUTH-GENERATE-CHALLENGE <64 random bytes>
      -> bulk: the client's 64 bytes + "---" + milliseconds + "---" + 64 ours
  HMAC-AUTH-VALIDATE-CHALLENGE <HMAC-SHA256(secret, challenge), 32 bytes>
      -> +OK, or an error
Before that, every other command gets -NOAUTH.
"""
import argparse
import hashlib
import hmac
import os
import signal
import socket
import sys
import threading
import time


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def command(self):
        head = self.line()
        if not head.startswith(b"*"):
            raise ValueError("inline commands are not supported")
        args = []
        for _ in range(int(head[1:])):
            size = self.line()
            args.append(self.exact(int(size[1:])))
        return args

    def raw_reply(self):
        """One whole reply, as the bytes it came in."""
        head = self.line()
        out = head + b"\r\n"
        kind = head[:1]
        if kind == b"$" and int(head[1:]) >= 0:
            out += self.exact(int(head[1:])) + b"\r\n"
        elif kind == b"*" and int(head[1:]) >= 0:
            for _ in range(int(head[1:])):
                out += self.raw_reply()
        return out


def bulk(data):
    return b"$%d\r\n%s\r\n" % (len(data), data)


def encode(args):
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


def serve(client, upstream_path, secret):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(upstream_path)
    cr, ur = Reader(client), Reader(up)
    authed, challenge = False, None
    try:
        while True:
            args = cr.command()
            name = args[0].upper() if args else b""
            if name == b"HMAC-AUTH-GENERATE-CHALLENGE":
                if len(args) != 2 or len(args[1]) != 64:
                    client.sendall(b"-ERR expected 64 random bytes\r\n")
                    continue
                challenge = (args[1] + b"---" +
                             str(int(time.time() * 1000)).encode() + b"---" +
                             os.urandom(64))
                client.sendall(bulk(challenge))
            elif name == b"HMAC-AUTH-VALIDATE-CHALLENGE":
                want = (hmac.new(secret, challenge, hashlib.sha256).digest()
                        if challenge else None)
                challenge = None
                if want and len(args) == 2 and hmac.compare_digest(want, args[1]):
                    authed = True
                    client.sendall(b"+OK\r\n")
                else:
                    client.sendall(b"-ERR Invalid signature\r\n")
            elif not authed:
                client.sendall(b"-NOAUTH Authentication required.\r\n")
            else:
                up.sendall(encode(args))
                client.sendall(ur.raw_reply())
    except (EOFError, OSError, ValueError):
        pass
    finally:
        client.close()
        up.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--secret-file", required=True)
    args = ap.parse_args()
    with open(args.secret_file, "rb") as fp:
        secret = fp.read().rstrip(b" \t\r\n")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.path.exists(args.listen):
        os.unlink(args.listen)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.listen)
    srv.listen(64)
    try:
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, args.upstream, secret),
                             daemon=True).start()
    finally:
        os.unlink(args.listen)


if __name__ == "__main__":
    main()
