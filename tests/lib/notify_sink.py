#!/usr/bin/env python3
"""A service manager's notification socket: each datagram to SOCKET appended to FILE as one line.

usage: notify_sink.py SOCKET FILE
"""
import os
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", " ") + "\n")
