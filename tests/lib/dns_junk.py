#!/usr/bin/env python3
"""Sends malformed DNS queries over UDP and TCP: random bytes, cut headers, lying counts and lengths.

usage: dns_junk.py SERVER COUNT
"""
import random
import socket
import struct
import sys


def name(n):
    out = b""
    for label in n.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def junk(rng):
    q = struct.pack(">HHHHHH", rng.randrange(65536), 0x0100, 1, 0, 0, 0)
    good = q + name("www.blocked.example") + struct.pack(">HH", 1, 1)
    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 600)))
    if kind == 1:
        return good[: rng.randrange(len(good))]
    if kind == 2:  # counts that promise records which are not there
        return good[:4] + struct.pack(">HHHH", 1, 5, 5, 5) + good[12:]
    if kind == 3:  # a label running past the end
        return q + b"\x3fblocked" + struct.pack(">HH", 1, 1)
    if kind == 4:  # a compression loop in the question
        return q + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    if kind == 5:  # an OPT record with a lying RDLENGTH
        return good[:10] + b"\x00\x01" + good[12:] + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\xff\xff"
    if kind == 6:  # a response
        return good[:2] + b"\x81\x80" + good[4:]
    b = bytearray(good)
    for _ in range(rng.randrange(1, 6)):
        b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def main():
    server, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(20261121)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    u = socket.socket(family, socket.SOCK_DGRAM)
    for _ in range(count):
        u.sendto(junk(rng), (server, 53))
    for _ in range(count // 20):
        t = socket.socket(family, socket.SOCK_STREAM)
        t.settimeout(1)
        try:
            t.connect((server, 53))
            for _ in range(3):
                m = junk(rng)
                lie = rng.choice([len(m), 0, 65535, len(m) + 7])
                t.send(struct.pack(">H", lie) + m)
        except OSError:
            pass
        t.close()
    return 0


sys.exit(main())
