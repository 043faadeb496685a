#!/usr/bin/python3
"""A hostile server for pam_unified's socket backend, for tests/hostile only.

Both protocols (src/backends/socket/wire.h), told apart by the request:

  redirector  request "USER\\nPASSWORD\\n"; good reply "0\\n" (success)
  v1          request key=value lines ended by an empty line (v=1 first);
              good reply "OK\\n"; chauthtok comes as phase=prelim and
              phase=update, one request per connection each

Each mode answers per protocol (and, for v1, per op and phase) with one
defect; "good" and "deny" are the controls.  The client half-closes after
its request, so the request is read up to EOF (unless the mode says
otherwise: "read": "none" never reads, "one" reads a single byte).

  --list prints every mode with what it does.
"""
import argparse
import sys

from hostile_common import (CLOSE, HANG, RESET, ModeSource, common_args,
                            drip, list_modes, perform, serve, stream)

ESC = (b"\x1b[2J\x1b[H\x1b]0;you have been owned\x07\x1b[31;1mred\x1b[0m"
       b"\x1bP+q544e\x1b\\\x1b[6n\x08\x08\x7f\x0b\x0c")
C1_RAW = b"\x9b31m\x9d0;title\x9c\x85\x90"          # C1 bytes, not UTF-8
C1_UTF8 = b"\xc2\x9b31m\xc2\x9d0;title\xc2\x9c\xc2\x85"  # C1 as UTF-8


def build_modes():
    m = {}

    def mode(name, doc, redirector=None, v1=None, **kw):
        assert name not in m, name
        r = {"doc": doc}
        if redirector is not None:
            r["redirector"] = redirector
        if v1 is not None:
            r["v1"] = v1
        for k, v in kw.items():
            r[k.replace("__", ":").replace("_", "-")
              if k not in ("connect", "read") else k] = v
        m[name] = r

    # controls
    mode("good", "success: 0 / OK", b"0\n", b"OK\n")
    mode("deny", "a real deny: 1 / DENY", b"1\n", b"DENY\n")

    # the connection
    mode("close-at-connect", "closes as soon as it accepts", connect=CLOSE)
    mode("eof", "reads the request, closes without a byte", [CLOSE], [CLOSE])
    mode("never", "reads the request, never answers", HANG, HANG)
    mode("no-read", "accepts, never reads, never answers", connect=HANG)
    mode("read-then-rst", "reads one byte, closes with the rest unread "
         "(ECONNRESET)", RESET, RESET, read="one")
    mode("drip", "the good reply padded with blanks, one byte per 150 ms "
         "(complete after the deadline)",
         drip(b"0" + b" " * 8 + b"\n", 0.15), drip(b"OK" + b" " * 8 + b"\n", 0.15))
    mode("no-newline-hang", "the good reply without its newline, then "
         "silence", [b"0", HANG], [b"OK", HANG])
    mode("reply-then-hang", "a deny line, then silence (no need to wait)",
         [b"1\n", HANG], [b"DENY\n", HANG])
    mode("huge-stream", "10 MiB without a newline, fast",
         [stream(b"A" * 65536, 10 << 20), CLOSE],
         [stream(b"A" * 65536, 10 << 20), CLOSE])

    # the reply's bytes
    mode("garbage", "a line that is neither protocol", b"HELLO THERE\n",
         b"HELLO THERE\n")
    mode("binary-garbage", "binary bytes", b"\x00\xff\xfe\x80\x01\n",
         b"\x00\xff\xfe\x80\x01\n")
    mode("empty-line", "an empty line", b"\n", b"\n")
    mode("crlf-only", "a bare CRLF", b"\r\n", b"\r\n")
    mode("oversized", "a 5000-byte line (starting as the good reply)",
         b"0" + b" " * 5000 + b"\n", b"OK " + b"A" * 5000 + b"\n")
    mode("over-4k-by-one", "a 4097-byte line", b"0" + b" " * 4095 + b"\n",
         b"OK " + b"A" * 4093 + b"\n")
    mode("cr-in-reply", "CR inside the line", b"0\rgarbage\n",
         b"OK\rDENY\n")
    mode("nul-in-reply", "NUL inside the line", b"0\x00\n", b"OK\x00 x\n")
    mode("leading-space", "a blank before the word", b" 0\n", b" OK\n")
    mode("bom", "a UTF-8 byte-order mark before the word",
         b"\xef\xbb\xbf0\n", b"\xef\xbb\xbfOK\n")
    mode("reply-then-garbage-lines", "the good line then garbage lines, "
         "in one write", b"0\ngarbage\nmore garbage\n",
         b"OK\ngarbage\nmore garbage\n")
    mode("two-replies", "a deny line then a success line, in one write",
         b"1\n0\n", b"DENY\nOK\n")
    mode("zero-garbage", "0garbage / OKgarbage", b"0garbage\n",
         b"OKgarbage\n")
    mode("one-garbage", "1garbage / DENYgarbage", b"1garbage\n",
         b"DENYgarbage\n")
    mode("double-zero", "00 / OKOK", b"00\n", b"OKOK\n")
    mode("plus-zero", "+0 / +OK", b"+0\n", b"+OK\n")
    mode("fullwidth-zero", "U+FF10 FULLWIDTH DIGIT ZERO / U+FF2F U+FF2B",
         b"\xef\xbc\x90\n", b"\xef\xbc\xaf\xef\xbc\xab\n")
    mode("lower-ok", "ok (lower case)", v1=b"ok\n")
    mode("ok-suffix", "OKAY", v1=b"OKAY\n")
    mode("ok-tab", "OK<TAB>fine (the word is not followed by a space)",
         v1=b"OK\tfine\n")
    mode("unknown-word", "MAYBE", v1=b"MAYBE\n")
    mode("ok-no-newline", "OK then EOF, no newline", v1=[b"OK", CLOSE])

    # messages shown to the user: terminal escapes must not get through
    mode("ansi-deny", "DENY with ANSI escapes, BEL, BS, DEL in the message",
         v1=b"DENY " + ESC + b"\n")
    mode("ansi-error", "ERROR with ANSI escapes in the message",
         v1=b"ERROR " + ESC + b"\n")
    mode("ansi-long", "DENY with 4 KiB of escapes, C1 raw and in UTF-8 (the "
         "reply cap)", v1=b"DENY " + ((ESC + C1_RAW + C1_UTF8) * 60)[:4000] +
         b"\n")
    mode("c1-raw", "DENY with raw C1 bytes (0x9b CSI, 0x9d OSC...)",
         v1=b"DENY " + C1_RAW + b"\n")
    mode("c1-utf8", "DENY with C1 controls encoded in UTF-8 (\\xc2\\x9b)",
         v1=b"DENY " + C1_UTF8 + b"\n")
    mode("ansi-expired", "EXPIRED with escapes (acct_mgmt)",
         v1=b"EXPIRED " + ESC + C1_UTF8 + b"\n")
    mode("ansi-newtok", "NEWTOK with escapes (acct_mgmt)",
         v1=b"NEWTOK " + C1_RAW + ESC + b"\n")

    # chauthtok: one phase good, the other not
    mode("update-garbage", "chauthtok: prelim OK, update garbage",
         v1=b"OK\n", v1__chauthtok__update=b"HELLO\n")
    mode("update-never", "chauthtok: prelim OK, update never answered",
         v1=b"OK\n", v1__chauthtok__update=HANG)
    mode("prelim-lower-ok", "chauthtok: prelim ok (lower case)",
         v1=b"OK\n", v1__chauthtok__prelim=b"ok\n")
    return m


MODES = {}


def read_request(conn, how):
    if how == "none":
        return b""
    if how == "one":
        return conn.recv(1)
    data = b""
    while len(data) < 65536:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def request_key(data):
    """redirector, or v1:OP[:PHASE]"""
    if not data.startswith(b"v=1\n"):
        return ["redirector"]
    fields = {}
    for line in data.split(b"\n"):
        k, _, v = line.partition(b"=")
        fields[k] = v
    op = fields.get(b"op", b"").decode("latin-1")
    keys = ["v1"]
    if op:
        keys.insert(0, "v1:" + op)
        if b"phase" in fields:
            keys.insert(0, "v1:%s:%s" % (op, fields[b"phase"].decode("latin-1")))
    return keys


def handle(conn, name):
    m = MODES[name]
    conn.settimeout(30)
    if "connect" in m:
        perform(conn, m["connect"])
    data = read_request(conn, m.get("read", "eof"))
    keys = request_key(data) if m.get("read", "eof") == "eof" else ["v1"]
    reply = None
    for k in keys:
        if k in m:
            reply = m[k]
            break
    if reply is None:
        # a mode made for the other protocol: no answer is no success
        print("hostile_socket: mode %s has no %s reply" % (name, keys[-1]),
              file=sys.stderr)
        reply = CLOSE
    perform(conn, reply)
    perform(conn, CLOSE)


def main():
    global MODES
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common_args(ap)
    args = ap.parse_args()
    MODES = build_modes()
    if args.list:
        list_modes(MODES)
        return
    if not args.socket:
        ap.error("--socket is required")
    serve(args, handle, ModeSource(args.mode, args.control, MODES))


if __name__ == "__main__":
    main()
