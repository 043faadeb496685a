"""What the two hostile servers share: listeners, the mode, replies as steps.

A reply is a list of steps, performed in order on the connection:

  b"..."            send these bytes now
  drip(data, s)     send data one byte at a time, s seconds apart
  sleep(s)          wait
  stream(chunk, n)  send chunk again and again, n bytes in all, as fast as
                    the peer takes them
  HANG              answer nothing more; keep the connection until the
                    peer closes it (it must give up at its own deadline)
  CLOSE             close now: the peer reads EOF
  RESET             close without reading what the peer sent: on a UNIX
                    stream socket the peer's recv() fails with ECONNRESET

The mode is chosen per connection: the control file's first word when
--control is given (so one server serves every case of a run), else --mode.
Every wait is bounded, so a thread ends soon after its peer goes away.
"""
import os
import select
import socket
import sys
import threading
import time

HANG = ("hang",)
CLOSE = ("close",)
RESET = ("reset",)

# no connection outlives this, whatever the peer does
MAX_CONN_SECONDS = 30


def drip(data, every=0.1):
    return ("drip", data, every)


def sleep(seconds):
    return ("sleep", seconds)


def stream(chunk, limit):
    return ("stream", chunk, limit)


class Done(Exception):
    """The connection is over (closed by us or by the peer)."""


def _send(conn, data):
    try:
        conn.sendall(data)
    except OSError:
        raise Done()


def hang(conn):
    """Read and drop until the peer has closed its end for good (or the
    connection's cap).  A peer that only half-closed (shutdown(SHUT_WR)
    after its request, as pam_unified's socket backend does) is still
    waiting for an answer: its EOF is not the end."""
    poller = select.poll()
    poller.register(conn, select.POLLIN)
    end = time.monotonic() + MAX_CONN_SECONDS
    while time.monotonic() < end:
        for _, flags in poller.poll(100):
            if flags & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                raise Done()
            if flags & select.POLLIN:
                try:
                    data = conn.recv(65536)
                except OSError:
                    raise Done()
                if not data:
                    poller.modify(conn, 0)  # from now on only the hang-up
    raise Done()


def perform(conn, steps):
    """Performs a reply; raises Done when the connection must end."""
    if isinstance(steps, (bytes, tuple)):
        steps = [steps]
    for step in steps:
        if isinstance(step, bytes):
            _send(conn, step)
            continue
        kind = step[0]
        if kind == "drip":
            for i in range(len(step[1])):
                _send(conn, step[1][i:i + 1])
                time.sleep(step[2])
        elif kind == "sleep":
            time.sleep(step[1])
        elif kind == "stream":
            sent = 0
            while sent < step[2]:
                _send(conn, step[1])
                sent += len(step[1])
        elif kind == "hang":
            hang(conn)
        elif kind == "close":
            raise Done()
        elif kind == "reset":
            time.sleep(0.05)  # what the peer sends arrives, unread
            raise Done()
        else:
            raise ValueError("unknown step %r" % (kind,))


class ModeSource:
    def __init__(self, fixed, control, known):
        self.fixed = fixed
        self.control = control
        self.known = known

    def current(self):
        name = self.fixed
        if self.control:
            try:
                with open(self.control) as f:
                    name = (f.read().split() or ["good"])[0]
            except OSError:
                name = "good"
        if name not in self.known:
            print("hostile: unknown mode %r" % name, file=sys.stderr)
            name = "good"
        return name


def _unix_listener(path, backlog=64):
    if os.path.lexists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(backlog)
    return s


def stale_socket(path):
    """A socket file nobody listens on: connect() gets ECONNREFUSED."""
    if os.path.lexists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def full_backlog(path):
    """A listener that never accepts, its backlog already full: a
    non-blocking connect() gets EAGAIN until the client gives up."""
    srv = _unix_listener(path, backlog=0)
    held = []
    for _ in range(4):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except OSError:
            c.close()
            continue
        held.append(c)
    return srv, held


def _accept_loop(srv, handler, modes):
    while True:
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        mode = modes.current()
        t = threading.Thread(target=_run, args=(handler, conn, mode),
                             daemon=True)
        t.start()


def _run(handler, conn, mode):
    try:
        handler(conn, mode)
    except Done:
        pass
    except (OSError, EOFError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def serve(args, handler, modes, on_tcp_port=None):
    """Listens on args.socket (and the extra sockets asked for) and runs
    handler(conn, mode) in a thread per connection, until SIGTERM."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    listeners = [_unix_listener(args.socket)]
    keep = []
    if args.untrusted:
        listeners.append(_unix_listener(args.untrusted))
    if args.stale:
        stale_socket(args.stale)
    if args.noaccept:
        keep.append(full_backlog(args.noaccept))
    if on_tcp_port is not None:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(64)
        on_tcp_port(tcp.getsockname()[1])
        listeners.append(tcp)
    for srv in listeners[1:]:
        threading.Thread(target=_accept_loop, args=(srv, handler, modes),
                         daemon=True).start()
    # ready: the driver waits for this file
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(args.ready + ".tmp", args.ready)
    _accept_loop(listeners[0], handler, modes)


def common_args(ap):
    ap.add_argument("--socket", help="UNIX socket to listen on")
    ap.add_argument("--mode", default="good")
    ap.add_argument("--control", help="file whose first word is the mode")
    ap.add_argument("--untrusted", help="also listen here (a socket in a "
                    "directory others may write: the client must refuse it)")
    ap.add_argument("--stale", help="leave a socket file nobody listens on")
    ap.add_argument("--noaccept", help="a listener whose backlog is full")
    ap.add_argument("--ready", help="file written once listening")
    ap.add_argument("--list", action="store_true",
                    help="print the modes (name, tab, what it does) and exit")


def list_modes(modes):
    for name, m in modes.items():
        print("%s\t%s" % (name, m["doc"]))
