#!/usr/bin/env python3
"""Misbehaving clients of blockd's control socket: garbage, oversized, cut-short, silent, slow, many.

usage: ctl_client.py send SOCKET DATA       DATA (Python escapes) sent whole; prints the answer
       ctl_client.py big SOCKET BYTES       BYTES of 'a' and no newline; prints the answer
       ctl_client.py half SOCKET DATA       DATA sent, then the socket closed unread
       ctl_client.py trickle SOCKET SECONDS one byte of a request every SECONDS until cut off;
                                            prints "cut off after S s: ANSWER"
       ctl_client.py silent SOCKET N READY  N clients connect and send nothing; READY is created
                                            once all are connected; prints "N cut off after at
                                            most S s: ANSWER" once each has its answer
       ctl_client.py flood SOCKET N LINE    N clients send LINE at once; prints "FIRST-LINE COUNT"
                                            for each distinct first line of the answers
An answer is everything the daemon sent before it closed, on one line ("\\n" for newlines). Exits 0
when every client got an answer and the daemon closed, 1 otherwise, after at most 30 s.
"""
import socket
import struct
import sys
import threading
import time

DEADLINE = 30.0


def connect(path):
    """A blocking connection: connect waits while the daemon's listen queue is full, as blockctl
    does; the kernel's send and receive timeouts bound every call."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tv = struct.pack("ll", int(DEADLINE), 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    s.connect(path)
    return s


def answer(s):
    """What the daemon sends until it closes, or None if it never closes."""
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except BlockingIOError:  # SO_RCVTIMEO ran out
        return None
    except ConnectionResetError:
        pass
    finally:
        s.close()
    return got.decode("ascii", "backslashreplace").replace("\n", "\\n")


def send_quietly(s, data):
    """Sends data from a thread: the daemon may stop reading (and close) before it all went."""

    def run():
        try:
            s.sendall(data)
        except OSError:
            pass

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd in ("send", "big"):
        s = connect(path)
        if cmd == "send":
            data = sys.argv[3].encode("latin-1").decode("unicode_escape").encode("latin-1")
        else:
            data = b"a" * int(sys.argv[3])
        send_quietly(s, data)
        a = answer(s)
        print(a if a is not None else "no answer")
        sys.exit(0 if a else 1)
    if cmd == "half":
        s = connect(path)
        s.sendall(sys.argv[3].encode())
        s.close()
        sys.exit(0)
    if cmd == "trickle":
        s = connect(path)
        interval = float(sys.argv[3])
        t0 = time.monotonic()
        s.settimeout(interval)
        got = b""
        while time.monotonic() - t0 < DEADLINE:
            try:
                s.send(b"s")
            except OSError:
                pass
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
        s.close()
        took = time.monotonic() - t0
        print("cut off after %.1f s: %s" % (took, got.decode("ascii", "backslashreplace").replace("\n", "\\n")))
        sys.exit(0 if got and took < DEADLINE else 1)
    n = int(sys.argv[3])
    if cmd == "silent":
        socks = [connect(path) for _ in range(n)]
        t0 = time.monotonic()
        open(sys.argv[4], "w").close()
        answers = [answer(s) for s in socks]
        took = time.monotonic() - t0
        distinct = sorted(set(str(a) for a in answers))
        print("%d cut off after at most %.1f s: %s" % (n, took, " | ".join(distinct)))
        sys.exit(0 if None not in answers and "" not in answers else 1)
    if cmd == "flood":
        line = (sys.argv[4] + "\n").encode()
        go = threading.Event()
        answers = [None] * n

        def client(i):
            go.wait()
            try:
                s = connect(path)
                s.sendall(line)
                answers[i] = answer(s)
            except OSError as e:
                answers[i] = "error: %s" % e

        threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join()
        counts = {}
        for a in answers:
            first = str(a).split("\\n")[0]
            counts[first] = counts.get(first, 0) + 1
        for first, c in sorted(counts.items()):
            print(first, c)
        sys.exit(0 if None not in answers else 1)
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
