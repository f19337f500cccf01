#!/usr/bin/env python3
"""UDP echo for the test bed: answers every datagram on port ARG (IPv4 and IPv6) with "ok" and
the datagram's last 16 bytes, so a client can tell which datagram an answer is for, and logs
each one's length ("got N")."""
import socket
import sys

s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
print("listening", flush=True)
while True:
    d, peer = s.recvfrom(65535)
    print("got %d" % len(d), flush=True)
    s.sendto(b"ok" + d[-16:], peer)
