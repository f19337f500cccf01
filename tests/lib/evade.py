#!/usr/bin/python3
"""Hand-made packets from the client namespace that try to slip a name past blockd (scapy).

usage: evade.py tls PORT ADDR CASE NAME [CASE NAME ...]
       evade.py dns SERVER CASE NAME [CASE NAME ...]

Prints one line per case: "CASE NAME RESULT".

tls: a TCP connection to ADDR:443 of the script's own making, from source port PORT for
the first case, PORT + 1 for the next and so on (the caller keeps them in 40000-40999,
drops the client kernel's resets from there and never uses a port twice), carrying a
real ClientHello for NAME. NAME is blocked.example or allowed.example; TWIN is the other
one (same length, so the two hellos differ in the name alone). CASE:
  ooo      the hello cut inside the name; the second part sent first
  again    the hello's start up to the end of the name, then the same bytes naming
           TWIN (a retransmission that disagrees), then the rest
  overlap  the start up to the end of the name, then a segment naming TWIN that
           overlaps the name and runs 6 bytes past it, then the rest
  thrice   as again, with a third copy naming NAME again
  frag     the whole hello in one segment, the name pushed past byte 1300 (a padding
           extension in front of it), the IP packet in fragments of about 512 bytes
  dstopt   the whole hello in one segment behind an IPv6 Destination Options header
  badsum   a fake: the whole hello naming TWIN with a wrong TCP checksum (the server
           drops it), then the whole hello naming NAME at the same sequence numbers
  lowttl   as badsum, the fake with a right checksum and a TTL (hop limit) of 2
           instead of the SYN's 64 (the caller makes it expire before the server)
RESULT: reset (a RST came back), handshake (a TLS handshake record came back),
alert, or timeout (nothing within 3 s).

dns: a UDP query for NAME (type A) to SERVER:53 from a bound socket. CASE:
  frag     the query cut into IP fragments of 16 (IPv4) or 24 (IPv6) data bytes, the
           name spanning them, the last one sent first
  ext      (IPv6) Hop-by-Hop and Destination Options headers before UDP
RESULT: the answer's RCODE (NXDOMAIN, NOERROR, ...) or timeout.
"""
import random
import select
import socket
import struct
import sys
import time

from scapy.layers.inet import IP, TCP, UDP, fragment
from scapy.layers.inet6 import (
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    fragment6,
)

from tls_hello import client_hello

TWIN = {"blocked.example": "allowed.example", "allowed.example": "blocked.example"}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
IFACE = "c0"


def hello_parts(hello):
    """(offset of the extensions block's length, [(type, body), ...]) of a one-record hello."""
    off = 5 + 4 + 2 + 32
    off += 1 + hello[off]  # session id
    off += 2 + struct.unpack(">H", hello[off : off + 2])[0]  # cipher suites
    off += 1 + hello[off]  # compression methods
    exts, i, end = [], off + 2, off + 2 + struct.unpack(">H", hello[off : off + 2])[0]
    while i < end:
        t, n = struct.unpack(">HH", hello[i : i + 4])
        exts.append((t, hello[i + 4 : i + 4 + n]))
        i += 4 + n
    return off, exts


def padded_hello(name, pad):
    """A hello for name with a padding extension of pad bytes first, so the name comes late."""
    hello = client_hello(name)
    off, exts = hello_parts(hello)
    exts = [(0x0015, bytes(pad))] + [e for e in exts if e[0] != 0x0015]
    block = b"".join(struct.pack(">HH", t, len(b)) + b for t, b in exts)
    body = hello[9:off] + struct.pack(">H", len(block)) + block
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return hello[:3] + struct.pack(">H", len(hs)) + hs


class Conn:
    """A TCP connection to ADDR:443 (or dport) made by hand: raw sockets out, a packet socket in."""

    def __init__(self, addr, sport, dport=443):
        self.addr = addr
        self.dport = dport
        self.v6 = ":" in addr
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.out = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.inp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        self.inp.bind((IFACE, 0))
        self.sport = sport
        self.isn = random.randrange(1 << 32)
        self.sack = 0

    def ip(self):
        return IPv6(dst=self.addr) if self.v6 else IP(dst=self.addr)

    def send(self, pkts):
        for p in pkts if isinstance(pkts, list) else [pkts]:
            self.out.sendto(bytes(p), (self.addr, 0))

    def seg(self, off, data, flags="PA"):
        return TCP(
            sport=self.sport,
            dport=self.dport,
            flags=flags,
            seq=(self.isn + 1 + off) & 0xFFFFFFFF,
            ack=self.sack,
            window=65535,
        ) / data

    def packets(self, deadline):
        """TCP headers and payloads from ADDR:dport to our port, until deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.inp], [], [], left)[0]:
                return
            frame = self.inp.recv(65536)
            et = struct.unpack(">H", frame[12:14])[0]
            if et == 0x0800 and not self.v6:
                ip = frame[14:]
                if socket.inet_ntop(socket.AF_INET, ip[12:16]) != self.addr or ip[9] != 6:
                    continue
                tcp = ip[(ip[0] & 15) * 4 : struct.unpack(">H", ip[2:4])[0]]
            elif et == 0x86DD and self.v6:
                ip = frame[14:]
                if socket.inet_ntop(socket.AF_INET6, ip[8:24]) != self.addr or ip[6] != 6:
                    continue
                tcp = ip[40 : 40 + struct.unpack(">H", ip[4:6])[0]]
            else:
                continue
            sport, dport = struct.unpack(">HH", tcp[:4])
            if sport == self.dport and dport == self.sport:
                self.frame = frame  # the last one: its addresses, for forge()
                yield tcp, tcp[(tcp[12] >> 4) * 4 :]

    def connect(self):
        self.send(self.ip() / TCP(sport=self.sport, dport=self.dport, flags="S", seq=self.isn,
                                  window=65535, options=[("MSS", 1200)]))
        for tcp, _ in self.packets(time.monotonic() + 3):
            if tcp[13] & 0x12 == 0x12:
                self.sack = (struct.unpack(">I", tcp[4:8])[0] + 1) & 0xFFFFFFFF
                self.send(self.ip() / self.seg(0, b"", "A"))
                return True
        return False

    def forge(self, off, ack, data):
        """A segment as if from the server (its stream offset off), sent from here to the
        gateway, which routes it back to us: one the server never sent. Needs a frame of
        the server's in self.frame (after connect())."""
        f = self.frame
        if self.v6:
            me = socket.inet_ntop(socket.AF_INET6, f[14 + 24 : 14 + 40])
            ip, et = IPv6(src=self.addr, dst=me), b"\x86\xdd"
        else:
            me = socket.inet_ntop(socket.AF_INET, f[14 + 16 : 14 + 20])
            ip, et = IP(src=self.addr, dst=me), b"\x08\x00"
        seg = TCP(sport=self.dport, dport=self.sport, flags="PA", window=65535,
                  seq=(self.sack + off) & 0xFFFFFFFF, ack=ack & 0xFFFFFFFF) / data
        self.forged = data
        self.inp.send(f[6:12] + f[0:6] + et + bytes(ip / seg))

    def result(self):
        for tcp, payload in self.packets(time.monotonic() + 3):
            if payload and payload == getattr(self, "forged", None):
                continue  # forge()'s own, on its way out or back
            if tcp[13] & 0x04:
                return "reset"
            if payload[:1] == b"\x16":
                return "handshake"
            if payload[:1] == b"\x15":
                return "alert"
        return "timeout"


def tls_case(addr, case, name, sport):
    c = Conn(addr, sport)
    if not c.connect():
        return "no-connection"
    if case == "frag":
        h = padded_hello(name, 1300)
    else:
        h = client_hello(name)
    i = h.index(name.encode())
    end = i + len(name)
    tw = h.replace(name.encode(), TWIN.get(name, name).encode())
    ip = c.ip
    if case == "ooo":
        k = i + len(name) // 2
        c.send([ip() / c.seg(k, h[k:]), ip() / c.seg(0, h[:k])])
    elif case in ("again", "thrice"):
        pieces = [c.seg(0, h[:end]), c.seg(0, tw[:end])]
        if case == "thrice":
            pieces.append(c.seg(0, h[:end]))
        pieces.append(c.seg(end, h[end:]))
        c.send([ip() / p for p in pieces])
    elif case == "overlap":
        c.send([ip() / c.seg(0, h[:end]), ip() / c.seg(i - 2, tw[i - 2 : end + 6]),
                ip() / c.seg(end + 6, h[end + 6 :])])
    elif case == "frag":
        if c.v6:
            frags = fragment6(IPv6(dst=addr) / IPv6ExtHdrFragment() / c.seg(0, h), 560)
        else:
            frags = fragment(IP(dst=addr) / c.seg(0, h), fragsize=512)
        if len(frags) < 2 or any(name.encode() in bytes(f) for f in frags[:1]):
            raise SystemExit("frag: the name is not past the first fragment")
        c.send(frags)
    elif case == "dstopt":
        c.send(IPv6(dst=addr) / IPv6ExtHdrDestOpt() / c.seg(0, h))
    elif case == "badsum":
        fake = bytearray(bytes(ip() / c.seg(0, tw)))
        at = (40 if c.v6 else 20) + 16
        fake[at] ^= 0x5A
        c.send([bytes(fake), ip() / c.seg(0, h)])
    elif case == "lowttl":
        low = IPv6(dst=addr, hlim=2) if c.v6 else IP(dst=addr, ttl=2)
        c.send([low / c.seg(0, tw), ip() / c.seg(0, h)])
    else:
        raise SystemExit("unknown tls case " + case)
    return c.result()


def qname(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def dns_query(name):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    return q + qname(name) + struct.pack(">HH", 1, 1)


def dns_case(server, case, name, _sport):
    v6 = ":" in server
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind(("::" if v6 else "0.0.0.0", 0))
    sport = u.getsockname()[1]
    out = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if case == "frag" and not v6:
        pkts = fragment(IP(dst=server) / UDP(sport=sport, dport=53) / dns_query(name), fragsize=16)
        pkts = pkts[::-1]
    elif case == "frag":
        p = IPv6(dst=server) / IPv6ExtHdrFragment() / UDP(sport=sport, dport=53) / dns_query(name)
        pkts = fragment6(p, 72)[::-1]
    elif case == "ext" and v6:
        pkts = [IPv6(dst=server) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
                / UDP(sport=sport, dport=53) / dns_query(name)]
    else:
        raise SystemExit("unknown dns case " + case)
    if case == "frag" and any(qname(name) in bytes(p) for p in pkts):
        raise SystemExit("frag: the name is not spread over fragments")
    for p in pkts:
        out.sendto(bytes(p), (server, 0))
    u.settimeout(3)
    try:
        data = u.recv(65535)
    except socket.timeout:
        return "timeout"
    return RCODES.get(data[3] & 15, str(data[3] & 15)) if len(data) >= 12 else "short"


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    port = 0
    if kind == "tls":
        port, args = int(args[0]), args[1:]
    run = tls_case if kind == "tls" else dns_case
    addr, rest = args[0], args[1:]
    for i, (case, name) in enumerate(zip(rest[::2], rest[1::2])):
        print(case, name, run(addr, case, name, port + i), flush=True)


if __name__ == "__main__":
    main()
