#!/usr/bin/env python3
"""What a client's socket sees: prints "ok", "timeout" or the error's name (ECONNREFUSED, ...).

usage: probe.py tcp ADDRESS   connect to ADDRESS port 8080
       probe.py udp ADDRESS   send a datagram to ADDRESS port 9 and wait for an answer
"""
import errno
import socket
import sys

kind, addr = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
try:
    if kind == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect((addr, 8080))
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.connect((addr, 9))
        s.send(b"x")
        s.recv(10)
    print("ok")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
