#!/usr/bin/env python3
"""Minimal console-socket receiver, like runc's contrib/cmd/recvtty.

Listens on a Unix stream socket, accepts one connection from the runtime, receives the pty
master through SCM_RIGHTS and copies everything read from it to stdout until the slave side
is closed (EIO) or --timeout seconds pass. Optional --input is written to the master first.

  recvtty.py SOCKET [--ready FILE] [--input TEXT] [--dialog FILE] [--timeout SECONDS]

--ready FILE is created once the socket listens, so a caller can wait for it before starting
the runtime. --dialog FILE plays a user at the terminal, one step per line:
  expect REGEX      wait until the output (after the previous match) matches REGEX
  send TEXT         type TEXT (Python escapes: \n, \x03 for ^C, \x1a for ^Z)
  resize ROWS COLS  resize the window (TIOCSWINSZ on the master)
  pause SECONDS     wait
Exit status: 0 after the pty closed, 2 on timeout or a protocol error, 3 when an expect step
timed out (the step is named on stderr).
"""
import argparse
import array
import errno
import fcntl
import os
import re
import select
import socket
import struct
import sys
import termios
import time


def recv_fd(conn):
    fds = array.array("i")
    msg, ancdata, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        raise RuntimeError("no file descriptor received on console socket (payload %r)" % msg)
    for extra in fds[1:]:
        os.close(extra)
    return fds[0], msg


# Control sequences (CSI ...) a line editor prints; expect steps match the text without them.
CSI = re.compile(r"\x1b\[[0-9;?]*[@-~]")


class Terminal:
    """The master side: everything read is copied to stdout and kept for expect steps.

    Like a terminal emulator it answers a cursor-position query (ESC [6n), which busybox's line
    editor sends before each prompt."""

    def __init__(self, master, deadline):
        self.master = master
        self.deadline = deadline
        self.seen = ""
        self.pos = 0
        self.closed = False

    def pump(self, timeout):
        """Reads what is there within `timeout` seconds; False once the replica side is gone."""
        if self.closed:
            return False
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError as e:
            if e.errno != errno.EIO:  # EIO: the replica side closed, the process is gone
                raise
            data = b""
        if not data:
            self.closed = True
            return False
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        text = data.decode(errors="replace")
        for _ in range(text.count("\x1b[6n")):
            os.write(self.master, b"\x1b[1;1R")
        self.seen += CSI.sub("", text).replace("\r", "")
        return True

    def expect(self, pattern, timeout=15.0):
        regex = re.compile(pattern)
        until = min(self.deadline, time.monotonic() + timeout)
        while True:
            m = regex.search(self.seen, self.pos)
            if m:
                self.pos = m.end()
                return True
            left = until - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.2)):
                return bool(regex.search(self.seen, self.pos))

    def play(self, path):
        with open(path) as f:
            steps = [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]
        for step in steps:
            verb, _, arg = step.partition(" ")
            if verb == "expect":
                if not self.expect(arg):
                    print("recvtty: dialog step failed: %s (output after the last match: %r)"
                          % (step, self.seen[self.pos:]), file=sys.stderr)
                    return 3
            elif verb == "send":
                os.write(self.master, arg.encode().decode("unicode_escape").encode("latin-1"))
            elif verb == "resize":
                rows, cols = (int(x) for x in arg.split())
                fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            elif verb == "pause":
                until = time.monotonic() + float(arg)
                while time.monotonic() < until and self.pump(until - time.monotonic()):
                    pass
            else:
                print("recvtty: unknown dialog step %r" % step, file=sys.stderr)
                return 2
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--ready")
    ap.add_argument("--input")
    ap.add_argument("--dialog")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()

    deadline = time.monotonic() + args.timeout
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(1)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write(str(os.getpid()))

    srv.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("recvtty: timed out waiting for the runtime to connect", file=sys.stderr)
        return 2
    with conn:
        conn.settimeout(max(0.1, deadline - time.monotonic()))
        master, name = recv_fd(conn)
    print("recvtty: received pty master (%r)" % name, file=sys.stderr)

    if args.input:
        os.write(master, args.input.encode())

    term = Terminal(master, deadline)
    if args.dialog:
        rc = term.play(args.dialog)
        if rc:
            return rc
    while term.pump(min(deadline - time.monotonic(), 1.0)):
        if time.monotonic() >= deadline:
            print("recvtty: timed out reading the pty", file=sys.stderr)
            return 2
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
