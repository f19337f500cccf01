#!/usr/bin/env python3
"""TCP connections to port 8080 of each ADDRESS in turn until STOP exists, counted per address.

usage: connect_loop.py STOP ADDRESS...   prints "running" in the second round, then
       "ADDRESS=CONNECTED/FAILED ..." once STOP exists
"""
import os
import socket
import sys

stop, addrs = sys.argv[1], sys.argv[2:]
ok = {a: 0 for a in addrs}
bad = {a: 0 for a in addrs}
rounds = 0
while not os.path.exists(stop):
    rounds += 1
    if rounds == 2:
        print("running", flush=True)
    for a in addrs:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((a, 8080))
            ok[a] += 1
        except OSError:
            bad[a] += 1
        s.close()
print(" ".join("%s=%d/%d" % (a, ok[a], bad[a]) for a in addrs), flush=True)
