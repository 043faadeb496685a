#!/usr/bin/python3
"""A small HTTP auth server, as ReplayShield's design has: POST /auth with
user and password (form-encoded) -> 200 if the password matches the crypt
hash for this benchmark, 401 otherwise.  Usage: http_auth.py PORT HASH YHASH"""
import crypt  # noqa: deprecated in 3.11, still in Debian's python3.11
import hmac
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, CHEAP, YHASH = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = urllib.parse.parse_qs(body.decode())
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        stored = YHASH if query.get("hash", ["cheap"])[0] == "y" else CHEAP
        pw = form.get("password", [""])[0].rstrip("\n\0")
        ok = hmac.compare_digest(crypt.crypt(pw, stored), stored)
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
