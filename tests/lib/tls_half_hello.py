#!/usr/bin/env python3
"""Holds a TLS flow open: the first 9 bytes of a ClientHello to ADDRESS:443, then 60 s of quiet."""
import socket
import sys
import time

s = socket.create_connection((sys.argv[1], 443))
s.sendall(bytes([0x16, 3, 1, 0, 200, 1, 0, 0, 196]))
time.sleep(60)
