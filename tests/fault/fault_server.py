#!/usr/bin/python3
"""A misbehaving socket server, for fault-injection tests only.

  --mode hang        read the request, never answer
  --mode noaccept    listen, never accept (the backlog holds the client)
  --mode garbage     answer a line that is neither protocol
  --mode empty       close without a byte
  --mode oversized   answer a 5000-byte line
  --mode truncated   answer "OK partial" with no newline, then close
"""
import argparse
import os
import signal
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--socket", required=True)
ap.add_argument("--mode", required=True,
                choices=["hang", "noaccept", "garbage", "empty", "oversized",
                         "truncated"])
args = ap.parse_args()

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
if os.path.exists(args.socket):
    os.unlink(args.socket)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(args.socket)
srv.listen(16)
held = []
try:
    while True:
        if args.mode == "noaccept":
            time.sleep(3600)
        conn, _ = srv.accept()
        conn.settimeout(2)
        try:
            conn.recv(65536)
        except OSError:
            pass
        if args.mode == "hang":
            held.append(conn)
            continue
        reply = {
            "garbage": b"HELLO THERE\n",
            "empty": b"",
            "oversized": b"OK " + b"A" * 5000 + b"\n",
            "truncated": b"OK partial",
        }[args.mode]
        try:
            conn.sendall(reply)
        except OSError:
            pass
        conn.close()
finally:
    try:
        os.unlink(args.socket)
    except OSError:
        pass
