#!/usr/bin/python3
"""A hostile Redis, for tests/hostile only.

It speaks just enough RESP to be a lying peer of pam_unified's redis
backend: it parses the client's commands (argv form: arrays of bulk
strings) and answers each per the mode of the connection.  "good" answers
as a real Redis holding one user, whose hash (--hash) is of the password
the test types: every other mode is that conversation with one defect, so
a client that let the defect through would log in, and the test sees it.

Commands pam_unified sends (src/backends/redis/users.c,
src/common/redis_client.c) and the good answers:

  EVAL <auth script> 3 user fail dummy ...  *5 [*7 record] [*0 failures]
                                               :locked :counted $dummy|nil
  EVAL <set-password script> 1 ...          :1
  HMGET pam:user:{u} <7 fields>             *7 record
  DEL, HSET, HDEL, EXISTS                   :1
  SET, AUTH, SELECT                         +OK
  XADD                                      $<id>
  SENTINEL get-master-addr-by-name NAME     *2 host port (our TCP listener)
  ROLE                                      *3 master 0 *0
  HMAC-AUTH-GENERATE-CHALLENGE <64 bytes>   $<64 bytes>---<ms>---<64 bytes>
  HMAC-AUTH-VALIDATE-CHALLENGE <mac>        +OK (not checked)

  --list prints every mode with what it does.
"""
import argparse
import os
import time

from hostile_common import (CLOSE, HANG, RESET, ModeSource, common_args,
                            drip, list_modes, perform, serve, sleep, stream)

CRLF = b"\r\n"
NIL = b"$-1\r\n"
FIELDS = ["password", "disabled", "expires", "must_change", "changed",
          "max_age", "warn_age"]

# set from the arguments
KNOWN = b""
PORT = [0]
SOCK = [b""]


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def integer(n):
    return b":%d\r\n" % n


def arr(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def status(s):
    return b"+" + s + CRLF


def error(s):
    return b"-" + s + CRLF


class Raw(bytes):
    """An element given as its encoding, not as a bulk string's content."""


def record(**kw):
    """The 7 elements of a user record; a field given as bytes is a bulk
    string, as Raw its encoding, as None nil.  The password defaults to the
    hash of the password the test types."""
    out = []
    for f in FIELDS:
        v = kw.get(f, KNOWN if f == "password" else None)
        if v is None:
            out.append(NIL)
        elif isinstance(v, Raw):
            out.append(bytes(v))
        else:
            out.append(bulk(v))
    return out


def unknown_record():
    return record(password=None)


def auth(rec=None, fails=None, locked=None, counted=None, dummy=None,
         extra=None):
    """The auth script's reply: {record, failures, locked, counted, dummy}."""
    items = [rec if rec is not None else arr(record()),
             fails if fails is not None else arr([]),
             locked if locked is not None else integer(0),
             counted if counted is not None else integer(1),
             dummy if dummy is not None else NIL]
    if extra is not None:
        items = extra(items)
    return arr(items)


GOOD_AUTH = None  # built in main(): needs KNOWN


def challenge(argv, mine=None, tail=None):
    ours = argv[1] if mine is None else mine
    ms = str(int(time.time() * 1000)).encode()
    return bulk(ours + b"---" + ms + b"---" + (tail or os.urandom(64)))


def good_reply(key, argv):
    if key == "EVAL:auth":
        return GOOD_AUTH
    if key in ("EVAL:setpw", "EVAL:other", "DEL", "HSET", "HDEL", "EXISTS"):
        return integer(1)
    if key == "HMGET":
        return arr(record())
    if key == "ZREVRANGE":
        return arr([])
    if key in ("SET", "AUTH", "SELECT"):
        return status(b"OK")
    if key == "XADD":
        return bulk(b"1700000000000-0")
    if key == "ROLE":
        return arr([bulk(b"master"), integer(0), arr([])])
    if key == "SENTINEL":
        return arr([bulk(b"127.0.0.1"), bulk(str(PORT[0]).encode())])
    if key == "PING":
        return status(b"PONG")
    if key == "HMAC-AUTH-GENERATE-CHALLENGE":
        return challenge(argv)
    if key == "HMAC-AUTH-VALIDATE-CHALLENGE":
        return status(b"OK")
    return error(b"ERR unknown command")


ESCAPES = (b"\x1b[2J\x1b[H\x1b]0;owned\x07\x9b31m\xc2\x9b7m\r\n\x00"
           b"\x1bP+q\x1b\\")

# costly settings: the work (and memory) a hash's own parameters ask for
COST_YESCRYPT = b"$y$jDT$saltsaltsaltsalt$" + b"A" * 43      # 256 MiB
COST_SHA512 = b"$6$rounds=999999999$saltsalt$" + b"A" * 86   # minutes
COST_BCRYPT = b"$2b$31$" + b"A" * 53                         # years


def build_modes():
    """name -> {"doc": ..., "connect": steps, "*": steps for every command,
    KEY: steps or callable(argv) -> steps}.  KEY is the command name, or
    EVAL:auth / EVAL:setpw for the two scripts."""
    half = GOOD_AUTH[:len(GOOD_AUTH) // 2]
    sum_over = (b"*2\r\n*40000\r\n" + b":1\r\n" * 40000 + b"*40000\r\n" +
                b":1\r\n" * 40000)
    m = {}

    def mode(name, doc, **replies):
        assert name not in m, name
        r = {"doc": doc}
        for k, v in replies.items():
            r[k.replace("__", ":").replace("_", "-")
              if k not in ("connect", "all") else k] = v
        m[name] = r

    def auth_mode(name, doc, steps):
        mode(name, doc, EVAL__auth=steps)

    mode("good", "answers as a real Redis holding the user")
    auth_mode("good-unknown", "the user does not exist",
              auth(rec=arr(unknown_record())))

    # ---- framing and size: refuse before allocating, bounded reads ----
    auth_mode("arr-2g", "*2147483647 (2^31 elements declared), nothing more",
              [b"*2147483647\r\n", HANG])
    auth_mode("arr-100m", "*100000000, nothing more", [b"*100000000\r\n", HANG])
    auth_mode("arr-over-cap", "*65537: one element over the client's cap",
              [b"*65537\r\n", HANG])
    auth_mode("arr-cap-then-nothing", "*65536 (at the cap), then silence",
              [b"*65536\r\n", HANG])
    auth_mode("arr-sum-over-cap", "*2 of *40000 each: 80000 elements in all",
              sum_over)
    auth_mode("arr-nested-huge", "*5 whose first element declares *2147483647",
              [b"*5\r\n*7\r\n*2147483647\r\n", HANG])
    auth_mode("arr-negative", "*-5 (a length below -1)", b"*-5\r\n")
    auth_mode("arr-deep", "*1 nested 40 levels deep", b"*1\r\n" * 40 + b":1\r\n")
    auth_mode("bulk-2g-silent", "$2147483647, then silence",
              [b"$2147483647\r\n", HANG])
    auth_mode("bulk-2g-stream", "$2147483647 then 8 MiB of data, fast",
              [b"$2147483647\r\n", stream(b"A" * 65536, 8 << 20), HANG])
    auth_mode("bulk-over-1mib", "a complete reply whose hash is 1.5 MiB",
              auth(rec=arr(record(password=KNOWN + b"A" * (3 << 19)))))
    auth_mode("bulk-negative-len", "$-7 where :0 (locked) is expected",
              auth(locked=b"$-7\r\n"))
    auth_mode("int-overflow", ":99999999999999999999999 as locked",
              auth(locked=b":99999999999999999999999\r\n"))
    auth_mode("int-garbage", ":0x as locked", auth(locked=b":0x\r\n"))
    auth_mode("drip-100ms", "the good reply, one byte per 100 ms",
              drip(GOOD_AUTH, 0.1))
    auth_mode("slow-last-byte", "the good reply but its last byte, which "
              "comes 2 s later", [GOOD_AUTH[:-1], sleep(2), GOOD_AUTH[-1:]])
    auth_mode("never", "reads the command, never answers", HANG)
    mode("silent", "accepts, never reads, never answers", connect=HANG)
    mode("close-at-connect", "closes as soon as it accepts", connect=CLOSE)
    mode("reset-at-connect", "closes without reading what was sent "
         "(ECONNRESET)", connect=[sleep(0.05), RESET])
    auth_mode("close-mid-reply", "half of the good reply, then closes",
              [half, CLOSE])
    auth_mode("garbage", "bytes that are no RESP at all",
              b"\x00\xff\xfeHELLO\x7f\r\n")
    mode("greeting", "an unsolicited +OK before any command, then good "
         "answers (replies shifted by one)", connect=status(b"OK"))
    auth_mode("inline", "OK\\r\\n without a type byte", b"OK\r\n")
    for name, byte, body in [("map", b"%", b"1\r\n+a\r\n:1\r\n"),
                             ("set", b"~", b"1\r\n:1\r\n"),
                             ("push", b">", b"2\r\n+message\r\n:1\r\n"),
                             ("double", b",", b"1.5\r\n"),
                             ("bool", b"#", b"t\r\n"),
                             ("null", b"_", b"\r\n"),
                             ("bignum", b"(", b"3492890328409238509324850943850943825024385\r\n"),
                             ("verbatim", b"=", b"15\r\ntxt:Some string\r\n"),
                             ("attribute", b"|", b"1\r\n+ttl\r\n:3\r\n")]:
        auth_mode("resp3-" + name, "a RESP3 %r reply" % byte.decode(),
                  byte + body)
    auth_mode("resp3-in-record", "RESP3 null (_) as a record field",
              auth(rec=arr(record()[:1] + [b"_\r\n"] + record()[2:])))

    # ---- errors and wrong types for the whole reply ----
    auth_mode("err-generic", "-ERR", error(b"ERR something went wrong"))
    auth_mode("err-noauth", "-NOAUTH", error(b"NOAUTH Authentication required."))
    auth_mode("err-wrongtype", "-WRONGTYPE", error(
        b"WRONGTYPE Operation against a key holding the wrong kind of value"))
    auth_mode("err-busy", "-BUSY", error(b"BUSY Redis is busy running a script"))
    auth_mode("err-empty", "a bare -", b"-\r\n")
    auth_mode("err-huge-escapes", "-ERR with 200 KiB of terminal escapes",
              error(b"ERR " + ESCAPES.replace(b"\r\n", b"") * 8000))
    auth_mode("many-replies", "100000 +OK in answer to one command",
              status(b"OK") * 100000)
    auth_mode("status-for-array", "+OK where the script's array is expected",
              status(b"OK"))
    auth_mode("int-for-array", ":1 where the script's array is expected",
              integer(1))
    auth_mode("nil-for-array", "$-1 where the script's array is expected", NIL)
    auth_mode("nil-array", "*-1 where the script's array is expected",
              b"*-1\r\n")
    auth_mode("eval-0", "an empty array", arr([]))
    auth_mode("eval-4", "the script's reply without its 5th element",
              auth(extra=lambda i: i[:4]))
    auth_mode("eval-6", "the script's reply with a 6th element",
              auth(extra=lambda i: i + [integer(0)]))
    auth_mode("other-command-reply", "the HMGET record (*7) in answer to "
              "the auth script", arr(record()))

    # ---- each position of the auth script's reply, wrong ----
    auth_mode("rec-int", "record: :1", auth(rec=integer(1)))
    auth_mode("rec-string", "record: a bulk string", auth(rec=bulk(KNOWN)))
    auth_mode("rec-nil", "record: nil", auth(rec=NIL))
    auth_mode("rec-6", "record: 6 fields", auth(rec=arr(record()[:6])))
    auth_mode("rec-8", "record: 8 fields", auth(rec=arr(record() + [NIL])))
    auth_mode("rec-nested", "record: password is an array holding the hash",
              auth(rec=arr(record(password=Raw(arr([bulk(KNOWN)]))))))
    auth_mode("rec-password-int", "record: password is :1",
              auth(rec=arr(record(password=Raw(integer(1))))))
    auth_mode("rec-error-element", "record: password is an error reply",
              auth(rec=arr(record(password=Raw(error(b"ERR x"))))))
    auth_mode("rec-status-element", "record: password as +hash (status)",
              auth(rec=arr(record(password=Raw(status(KNOWN))))))
    auth_mode("fails-int", "failures: :3", auth(fails=integer(3)))
    auth_mode("fails-nil", "failures: nil", auth(fails=NIL))
    auth_mode("fails-odd", "failures: 3 elements",
              auth(fails=arr([bulk(b"m1"), bulk(b"1"), bulk(b"m2")])))
    auth_mode("fails-negative", "failures: a score of -5",
              auth(fails=arr([bulk(b"m1"), bulk(b"-5")])))
    auth_mode("fails-float", "failures: a score of 1.5",
              auth(fails=arr([bulk(b"m1"), bulk(b"1.5")])))
    auth_mode("fails-19-digits", "failures: a score of 19 digits",
              auth(fails=arr([bulk(b"m1"), bulk(b"9" * 19)])))
    auth_mode("fails-nested", "failures: an array inside",
              auth(fails=arr([bulk(b"m1"), arr([bulk(b"1")])])))
    auth_mode("locked-string", "locked: \"0\" as a bulk string",
              auth(locked=bulk(b"0")))
    auth_mode("locked-2", "locked: :2", auth(locked=integer(2)))
    auth_mode("locked-negative", "locked: :-1", auth(locked=integer(-1)))
    auth_mode("locked-nil", "locked: nil", auth(locked=NIL))
    auth_mode("counted-string", "counted: \"1\" as a bulk string",
              auth(counted=bulk(b"1")))
    auth_mode("counted-huge", "counted: :9223372036854775807",
              auth(counted=integer(9223372036854775807)))
    auth_mode("counted-negative", "counted: :-1", auth(counted=integer(-1)))
    auth_mode("dummy-int", "dummy: :1", auth(dummy=integer(1)))
    auth_mode("dummy-array", "dummy: an array", auth(dummy=arr([bulk(b"x")])))

    # ---- the record's fields, read strictly (the hash is the known one) ----
    for name, value in [("true", b"true"), ("yes", b"yes"), ("2", b"2"),
                        ("space1", b" 1"), ("1space", b"1 "), ("empty", b""),
                        ("01", b"01"), ("int", Raw(integer(1)))]:
        auth_mode("disabled-" + name, "disabled = %r with the known hash"
                  % (bytes(value),),
                  auth(rec=arr(record(disabled=value))))
    auth_mode("disabled-1", "disabled = \"1\" with the known hash (a real "
              "deny)", auth(rec=arr(record(disabled=b"1"))))
    auth_mode("must-change-true", "must_change = \"true\"",
              auth(rec=arr(record(must_change=b"true"))))
    auth_mode("expires-float", "expires = \"1e9\"",
              auth(rec=arr(record(expires=b"1e9"))))
    auth_mode("expires-negative", "expires = \"-1\"",
              auth(rec=arr(record(expires=b"-1"))))
    auth_mode("expires-25-digits", "expires = 25 digits",
              auth(rec=arr(record(expires=b"9" * 25))))
    auth_mode("changed-hex", "changed = \"0x10\"",
              auth(rec=arr(record(changed=b"0x10"))))
    auth_mode("max-age-space", "max_age = \" 5\"",
              auth(rec=arr(record(max_age=b" 5"))))
    auth_mode("hash-nul-suffix", "the known hash followed by NUL and junk",
              auth(rec=arr(record(password=KNOWN + b"\x00junk"))))
    auth_mode("hash-nul-inside", "the known hash with a NUL in the middle",
              auth(rec=arr(record(password=KNOWN[:12] + b"\x00" + KNOWN[12:]))))
    auth_mode("hash-overlong", "a 600-byte hash starting with the known one",
              auth(rec=arr(record(password=KNOWN + b"A" * (600 - len(KNOWN))))))
    auth_mode("hash-cost-yescrypt", "a $y$ hash asking for 256 MiB",
              auth(rec=arr(record(password=COST_YESCRYPT))))
    auth_mode("hash-cost-sha512", "a $6$ hash with rounds=999999999",
              auth(rec=arr(record(password=COST_SHA512))))
    auth_mode("hash-cost-bcrypt", "a $2b$ hash of cost 31",
              auth(rec=arr(record(password=COST_BCRYPT))))
    auth_mode("dummy-cost-yescrypt", "unknown user; the store's dummy "
              "setting asks for 256 MiB",
              auth(rec=arr(unknown_record()), dummy=bulk(COST_YESCRYPT)))

    # ---- after a good check: the writes that record it ----
    mode("del-status-lie", "DEL (clearing failures) answered +OK, not :N",
         DEL=status(b"OK"))
    mode("del-other-reply", "DEL answered with the *7 record",
         DEL=arr(record()))
    mode("del-error", "DEL answered -ERR", DEL=error(b"ERR nope"))
    mode("del-never", "DEL never answered", DEL=HANG)
    auth_mode("extra-garbage", "the good reply, then garbage in the same "
              "write", GOOD_AUTH + b"\x00\xff garbage\r\n")
    auth_mode("extra-replies", "the good reply, then :1 and +OK nobody "
              "asked for, in the same write", GOOD_AUTH + integer(1) +
              status(b"OK"))

    # ---- acct_mgmt in its own handle: HMGET ----
    mode("hmget-int", "HMGET answered :1", HMGET=integer(1))
    mode("hmget-6", "HMGET answered with 6 fields", HMGET=arr(record()[:6]))
    mode("hmget-disabled-true", "HMGET: disabled = \"true\"",
         HMGET=arr(record(disabled=b"true")))
    mode("hmget-must-change-yes", "HMGET: must_change = \"yes\"",
         HMGET=arr(record(must_change=b"yes")))
    mode("hmget-expires-garbage", "HMGET: expires = \"never\"",
         HMGET=arr(record(expires=b"never")))
    mode("hmget-drip", "HMGET's good reply, one byte per 100 ms",
         HMGET=drip(arr(record()), 0.1))
    mode("hmget-other-reply", "HMGET answered with the auth script's *5",
         HMGET=GOOD_AUTH)
    mode("hmget-arr-2g", "HMGET answered *2147483647",
         HMGET=[b"*2147483647\r\n", HANG])

    # ---- sessions: HSET/HDEL and XADD ----
    mode("hset-status-lie", "HSET answered +OK, not :N",
         HSET=status(b"OK"))
    mode("hset-error", "HSET answered -ERR", HSET=error(b"ERR nope"))
    mode("hset-never", "HSET never answered", HSET=HANG)
    mode("hset-arr-2g", "HSET answered *2147483647",
         HSET=[b"*2147483647\r\n", HANG])
    mode("xadd-int-lie", "XADD answered :1, not a stream id",
         XADD=integer(1))
    mode("hdel-garbage", "HDEL answered with garbage bytes",
         HDEL=b"\x00garbage\r\n")
    mode("hdel-status-lie", "HDEL answered +OK, not :N", HDEL=status(b"OK"))
    mode("hdel-never", "HDEL never answered", HDEL=HANG)

    # ---- chauthtok as root: HMGET, then the set-password script ----
    mode("setpw-status-lie", "the set-password script answered +OK, not :1",
         EVAL__setpw=status(b"OK"))
    mode("setpw-2", "the set-password script answered :2",
         EVAL__setpw=integer(2))
    mode("setpw-string-1", "the set-password script answered \"1\" (bulk)",
         EVAL__setpw=bulk(b"1"))
    mode("setpw-never", "the set-password script never answered",
         EVAL__setpw=HANG)
    mode("chauthtok-hash-cost", "the stored hash asks for 256 MiB; the "
         "change then loses its compare-and-set (:0)",
         HMGET=arr(record(password=COST_YESCRYPT)), EVAL__setpw=integer(0))

    # ---- AUTH / SELECT / HMAC (profiles with a secret) ----
    mode("auth-refused", "AUTH answered -WRONGPASS",
         AUTH=error(b"WRONGPASS invalid username-password pair"))
    mode("auth-int", "AUTH answered :1", AUTH=integer(1))
    mode("ok-to-everything", "every command answered +OK (AUTH included)",
         all=status(b"OK"))
    mode("select-int", "SELECT answered :1", SELECT=integer(1))
    mode("hmac-not-ours", "a challenge that does not start with our bytes",
         HMAC_AUTH_GENERATE_CHALLENGE=lambda a: challenge(a, os.urandom(64)))
    mode("hmac-short", "a 10-byte challenge",
         HMAC_AUTH_GENERATE_CHALLENGE=lambda a: bulk(a[1][:10]))
    mode("hmac-huge", "a 5000-byte challenge",
         HMAC_AUTH_GENERATE_CHALLENGE=lambda a: challenge(a, tail=b"A" * 5000))
    mode("hmac-generate-ok", "the challenge request answered +OK",
         HMAC_AUTH_GENERATE_CHALLENGE=status(b"OK"))
    mode("hmac-validate-int", "the HMAC answered :1, not +OK",
         HMAC_AUTH_VALIDATE_CHALLENGE=integer(1))

    # ---- Sentinel lies (profile: sentinel= our TCP listener) ----
    mode("sentinel-garbage-addr", "the sentinel names \"not an address!\" "
         "port \"x\"", SENTINEL=arr([bulk(b"not an address!"), bulk(b"x")]))
    mode("sentinel-port-range", "the sentinel names 127.0.0.1:99999",
         SENTINEL=arr([bulk(b"127.0.0.1"), bulk(b"99999")]))
    mode("sentinel-unix-inject", "the sentinel names host \"unix\", port "
         "\"/path/of/a/socket\": a host:port that reads as unix:/path",
         SENTINEL=lambda a: arr([bulk(b"unix"), bulk(SOCK[0])]))
    mode("sentinel-int", "the sentinel answers :1", SENTINEL=integer(1))
    mode("sentinel-3", "the sentinel answers 3 elements",
         SENTINEL=lambda a: arr([bulk(b"127.0.0.1"),
                                 bulk(str(PORT[0]).encode()), bulk(b"x")]))
    mode("sentinel-nil", "the sentinel knows no such master (*-1)",
         SENTINEL=b"*-1\r\n")
    mode("sentinel-drip", "the sentinel's good answer, one byte per 100 ms",
         SENTINEL=lambda a: drip(good_reply("SENTINEL", a), 0.1))
    mode("role-slave", "the named server says ROLE slave",
         ROLE=arr([bulk(b"slave"), bulk(b"127.0.0.1"), integer(6379),
                   bulk(b"connected"), integer(0)]))
    mode("role-int", "ROLE answered :1", ROLE=integer(1))
    mode("role-empty", "ROLE answered *0", ROLE=arr([]))
    mode("role-never", "ROLE never answered", ROLE=HANG)
    return m


class Reader:
    def __init__(self, conn):
        self.conn = conn
        self.buf = b""

    def _fill(self):
        chunk = self.conn.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk
        if len(self.buf) > (4 << 20):
            raise ValueError("client command too large")

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
            raise ValueError("inline commands are not spoken here")
        return [self.exact(int(self.line()[1:])) for _ in range(int(head[1:]))]


def cmd_key(argv):
    name = argv[0].upper().decode("latin-1")
    if name == "EVAL":
        script = argv[1] if len(argv) > 1 else b""
        if b"ZREVRANGE" in script:
            return "EVAL:auth"
        if b"'cas'" in script:
            return "EVAL:setpw"
        return "EVAL:other"
    return name


MODES = {}


def handle(conn, name):
    m = MODES[name]
    conn.settimeout(30)
    if "connect" in m:
        perform(conn, m["connect"])
    rd = Reader(conn)
    while True:
        argv = rd.command()
        key = cmd_key(argv)
        reply = m.get("all", m.get(key))
        if reply is None:
            reply = good_reply(key, argv)
        if callable(reply):
            reply = reply(argv)
        perform(conn, reply)


def main():
    global KNOWN, GOOD_AUTH, MODES
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common_args(ap)
    ap.add_argument("--hash", default="$5$rounds=1000$hostile$x",
                    help="the crypt(3) hash the good record holds")
    ap.add_argument("--port-file", help="listen on 127.0.0.1 too (the "
                    "sentinel names it) and write its port here")
    args = ap.parse_args()
    KNOWN = args.hash.encode()
    GOOD_AUTH = auth()
    MODES = build_modes()
    if args.list:
        list_modes(MODES)
        return
    if not args.socket:
        ap.error("--socket is required")
    SOCK[0] = args.socket.encode()

    def tcp_port(port):
        PORT[0] = port
        if args.port_file:
            with open(args.port_file + ".tmp", "w") as f:
                f.write("%d\n" % port)
            os.rename(args.port_file + ".tmp", args.port_file)

    serve(args, handle, ModeSource(args.mode, args.control, MODES),
          on_tcp_port=tcp_port if args.port_file else None)


if __name__ == "__main__":
    main()
