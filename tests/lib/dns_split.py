#!/usr/bin/env python3
"""Sends one DNS query over TCP in pieces (one segment each) and prints the answer's RCODE name.

usage: dns_split.py SERVER NAME SPLIT[,SPLIT...]
SPLIT offsets cut the length-prefixed message, e.g. "2" sends the 2-byte length alone.
"""
import socket
import struct
import sys
import time

RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


def query(name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">H", len(q)) + q


def main():
    server, name, splits = sys.argv[1], sys.argv[2], sys.argv[3]
    msg = query(name)
    cuts = [int(x) for x in splits.split(",")] + [len(msg)]
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(3)
    s.connect((server, 53))
    start = 0
    for c in cuts:
        s.send(msg[start:c])
        start = c
        # Let each piece leave as its own segment before the next is written.
        time.sleep(0.05)
    data = b""
    try:
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    if len(data) < 6:
        print("NOANSWER")
        return 1
    print(RCODES.get(data[5] & 0x0F, str(data[5] & 0x0F)))
    return 0


sys.exit(main())
