#!/usr/bin/env python3
"""Minimal console-socket receiver, like runc's contrib/cmd/recvtty.

Listens on a Unix stream socket, accepts one connection from the runtime, receives the pty
master through SCM_RIGHTS and copies everything read from it to stdout until the slave side
is closed (EIO) or --timeout seconds pass. Optional --input is written to the master first.

  recvtty.py SOCKET [--ready FILE] [--input TEXT] [--timeout SECONDS]

--ready FILE is created once the socket listens, so a caller can wait for it before starting
the runtime. Exit status: 0 after the pty closed, 2 on timeout or a protocol error.
"""
import argparse
import array
import errno
import os
import select
import socket
import sys
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--ready")
    ap.add_argument("--input")
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

    out = sys.stdout.buffer
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("recvtty: timed out reading the pty", file=sys.stderr)
            return 2
        ready, _, _ = select.select([master], [], [], min(left, 1.0))
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # slave side closed: the process is gone
                break
            raise
        if not data:
            break
        out.write(data)
        out.flush()
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
