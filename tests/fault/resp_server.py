#!/usr/bin/python3
"""A lying Redis for one reply, for fault-injection tests only.

  --socket PATH          UNIX socket to listen on
  --reply NAME=BYTES     answer command NAME with BYTES as they are (RESP,
                         CR LF included); repeatable

Every other command gets what an empty real Redis says: PING +PONG, ROLE
master, HGETALL/ZREVRANGE/ZRANGE an empty array, AUTH/SELECT +OK, the
rest an error.  Commands are read in argv form (arrays of bulk strings).
"""
import argparse
import os
import signal
import socket
import sys
import threading

from quarkdb_proxy import Reader  # the RESP command reader

DEFAULTS = {
    b"PING": b"+PONG\r\n",
    b"ROLE": b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n",
    b"HGETALL": b"*0\r\n",
    b"ZREVRANGE": b"*0\r\n",
    b"ZRANGE": b"*0\r\n",
    b"AUTH": b"+OK\r\n",
    b"SELECT": b"+OK\r\n",
}


def handle(conn, replies):
    rd = Reader(conn)
    try:
        while True:
            argv = rd.command()
            name = argv[0].upper()
            conn.sendall(replies.get(name, b"-ERR unknown command\r\n"))
    except (EOFError, OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--reply", action="append", default=[])
    args = ap.parse_args()
    replies = dict(DEFAULTS)
    for r in args.reply:
        name, _, raw = os.fsencode(r).partition(b"=")
        replies[name.upper()] = raw
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, replies),
                         daemon=True).start()


if __name__ == "__main__":
    main()
