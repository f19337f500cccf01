#!/usr/bin/env python3
"""Sends a real ClientHello for NAME to ADDR:443 (or port $TLS_PORT) in pieces, one TCP segment each.

usage: tls_split.py ADDR NAME MODE[,MODE...]
NAME "-" sends no server_name. MODE:
  whole      the hello in one segment
  at1, at2   cut after its first byte, or its first two
  atN        cut after byte N (any N)
  insni      cut in the middle of the name
  sniN       cut N bytes into the name
  records    the hello spread over two TLS records, each its own segment
  records3   over three TLS records, each its own segment
  tiny       over records of 3 bytes each (the handshake header itself spread over two),
             all of them in one write
  many       cut into 12 segments, the first 11 one byte each: more than the 8 packets
             of a flow blockd is shown, before the name comes
  early      the hello up to the end of the name in one segment, then 10 one-byte
             segments, then the rest: the name is seen, the hello is not whole in 8 packets
  padN       the hello with an unknown (GREASE) extension of N bytes before its server_name,
             in records of 16 KiB, all in one write: a hello longer than blockd reads
Each piece is sent once the one before it was acknowledged, so every piece is a segment of
its own. Prints "reset" if the connection was reset or closed before any server bytes came,
"timeout" if nothing came within 5 s, "handshake" if the server answered with a TLS
handshake record; with several MODEs, one "MODE RESULT" line each, one connection each.
"""
import fcntl
import os
import socket
import struct
import sys
import termios
import time

from tls_hello import client_hello


def records(hello, size):
    """The hello's handshake bytes in records of size bytes (the last one shorter)."""
    body = hello[5:]
    return [
        hello[:3] + len(body[i : i + size]).to_bytes(2, "big") + body[i : i + size]
        for i in range(0, len(body), size)
    ]


def padded(hello, n):
    """hello with an ignored extension of n bytes first, as records of at most 2^14 bytes."""
    hs = bytearray(hello[5:])
    at = 4 + 2 + 32
    at += 1 + hs[at]
    at += 2 + int.from_bytes(hs[at : at + 2], "big")
    at += 1 + hs[at]
    ext = b"\x1a\x1a" + n.to_bytes(2, "big") + bytes(n)
    total = int.from_bytes(hs[at : at + 2], "big") + len(ext)
    hs[at : at + 2] = total.to_bytes(2, "big")
    hs[at + 2 : at + 2] = ext
    hs[1:4] = (len(hs) - 4).to_bytes(3, "big")
    return b"".join(records(hello[:5] + bytes(hs), 16384))


def cut(data, offsets):
    offsets = [0] + offsets + [len(data)]
    return [data[a:b] for a, b in zip(offsets, offsets[1:]) if b > a]


def pieces(hello, name, mode):
    if mode == "whole":
        return [hello]
    if mode.startswith("at"):
        return cut(hello, [int(mode[2:])])
    if mode == "insni":
        return cut(hello, [hello.index(name.encode()) + len(name) // 2])
    if mode.startswith("sni"):
        return cut(hello, [hello.index(name.encode()) + int(mode[3:])])
    if mode == "records":
        return records(hello, (len(hello) - 5 + 1) // 2)
    if mode == "records3":
        return records(hello, (len(hello) - 5 + 2) // 3)
    if mode == "tiny":
        return [b"".join(records(hello, 3))]
    if mode.startswith("pad"):
        return [padded(hello, int(mode[3:]))]
    if mode == "many":
        return cut(hello, list(range(1, 12)))
    if mode == "early":
        end = hello.index(name.encode()) + len(name)
        return cut(hello, list(range(end, end + 11)))
    raise SystemExit("unknown mode " + mode)


def sent_and_acked(s):
    """Waits (up to 2 s) until everything written to s was acknowledged."""
    end = time.monotonic() + 2
    while time.monotonic() < end:
        if struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0] == 0:
            return
        time.sleep(0.001)


def attempt(addr, name, mode):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    s.connect((addr, int(os.environ.get("TLS_PORT", "443"))))
    try:
        ps = pieces(client_hello(None if name == "-" else name), name, mode)
        for i, p in enumerate(ps):
            s.send(p)
            if i + 1 < len(ps):
                sent_and_acked(s)
        got = s.recv(5)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    except socket.timeout:
        return "timeout"  # neither an answer nor a reset the client accepted
    finally:
        s.close()
    return "handshake" if got[:1] == b"\x16" else "reset"


def main():
    addr, name, modes = sys.argv[1:4]
    modes = modes.split(",")
    for mode in modes:
        r = attempt(addr, name, mode)
        print(r if len(modes) == 1 else mode + " " + r, flush=True)


main()
