#!/usr/bin/python3
"""Hand-made TCP streams a Linux server reads one way and a careless reader another (scapy).

usage: evade_tcp.py tls|http|dns PORT ADDR CASE NAME [CASE NAME ...]

Prints one line per case: "CASE NAME RESULT". Each case is a TCP connection of the
script's own making to ADDR:443 (tls: a real ClientHello for NAME), ADDR:80 (http: a
GET with Host NAME) or ADDR:53 (dns: a query for NAME, type A, length-prefixed), from
source port PORT, then PORT + 1 and so on (the caller keeps them in 40000-40999 and
drops the client kernel's resets from there, as for evade.py).
NAME is blocked.example or allowed.example; TWIN is the other one. CASE:
  urg      one segment whose data has an extra byte inside the name, sent as urgent
           data (URG, the pointer just past it): the server leaves it out of the stream
  syn      the SYN carries the data for TWIN (the server has no Fast Open and throws it
           away), the data for NAME follows the handshake
  md5      the data for TWIN with a TCP MD5 signature option (the server has no key and
           drops it), then the data for NAME at the same sequence numbers
  paws     timestamps on every segment; the data for TWIN with a timestamp older than
           the handshake's (PAWS drops it), then the data for NAME with a newer one
  noack    the data for TWIN without the ACK flag (dropped), then the data for NAME
  hbh2     (IPv6) the data for TWIN behind two Hop-by-Hop Options headers (dropped),
           then the data for NAME
  fin      a FIN 5000 bytes past where the stream stands (the server holds it until the
           bytes before it come), then the data for NAME cut in the name, the second
           part sent first
  rev      (dns) the query cut into three segments, inside the name, sent last first
  ovlast   (tls, http, dns) the data from inside the name to its end naming TWIN, sent
           first (out of order), then the data from the start to past the name naming
           NAME: a Linux server keeps the in-order segment's bytes where they overlap
           the one it holds out of order, so it reads NAME from the last copy
  ovfirst  (tls, http, dns) the data up to past the name naming NAME, then all of it
           again naming TWIN: a Linux server keeps the bytes it already has in order,
           so it reads NAME from the first copy
  bigfirst (tls) the hello for TWIN, whole, padded to BIG_PAYLOAD bytes (and not to be
           fragmented), then the hello for NAME at the same sequence numbers: where a link
           past the appliance is too narrow for the first (the caller drops it before
           the server), the server reads the second
  hrrforge (tls, a server offering TLS 1.3) a first hello naming TWIN that the server
           answers with a HelloRetryRequest, then a ServerHello forged from the client's
           side as if from the server (rules that trusted it would let the flow go), then
           the second hello, naming NAME
  pipe     (dns) a query for allowed.example and one for NAME in one stream, cut inside
           the first and twice inside the second's name; the last two sent last first
RESULT, tls: reset, handshake, alert or timeout (as evade.py); http: 451 (blockd's
notice), served:HOST/PATH (the test bed's page, naming the host it served), reset, other or
timeout; dns: the answer to the query for NAME: answered (an address record), NXDOMAIN,
another RCODE's name, reset (and no answer) or timeout.
"""
import os
import random
import re
import select
import socket
import struct
import sys
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop

from evade import RCODES, TWIN, Conn, dns_query, padded_hello, qname
from readers import HRR_RANDOM, hello13, rec
from tls_hello import client_hello


def http_request(name):
    return b"GET /x HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % name.encode()


def http_result(c):
    got = b""
    for tcp, payload in c.packets(time.monotonic() + 3):
        got += payload
        if b"HTTP/1.1 451" in got:
            return "451"
        m = re.search(rb"served (\S+) by the test bed", got)
        if m:
            return "served:" + m.group(1).decode()
        if tcp[13] & 0x04:
            return "reset"
        if tcp[13] & 0x01:
            break
    return "other" if got else "timeout"


def dns_message(name, qid):
    q = struct.pack(">H", qid) + dns_query(name)[2:]
    return struct.pack(">H", len(q)) + q


def dns_result(c, qid, sent):
    """The answer to query qid among the server's segments (each read as whole messages).

    Each segment is acknowledged, as a client's stack would (Unbound reads the next query of
    a connection only once its last answer was taken); sent is the stream's length."""
    reset = False
    for tcp, payload in c.packets(time.monotonic() + 3):
        if payload:
            c.sack = (int.from_bytes(tcp[4:8], "big") + len(payload)) & 0xFFFFFFFF
            c.send(c.ip() / c.seg(sent, b"", "A"))
        i = 0
        while i + 14 <= len(payload):
            n = struct.unpack(">H", payload[i : i + 2])[0]
            m = payload[i + 2 : i + 2 + n]
            i += 2 + n
            if len(m) < 12 or struct.unpack(">H", m[:2])[0] != qid or not m[2] & 0x80:
                continue
            rcode = m[3] & 15
            if rcode == 0 and struct.unpack(">H", m[6:8])[0] > 0:
                return "answered"
            return RCODES.get(rcode, str(rcode))
        if tcp[13] & 0x04:
            reset = True
    return "reset" if reset else "timeout"


BIG_PAYLOAD = 1380  # bigfirst: a packet of 1420 to 1440 bytes, over an MTU of 1280


def hrr_forged(c, name):
    """hrrforge: a TLS 1.3 hello naming TWIN without a key share, so the server asks again
    (HelloRetryRequest); then a ServerHello forged from the client's side, as if the server
    had taken the first hello, then the second hello naming NAME."""
    rnd, sid = os.urandom(32), os.urandom(32)
    first = hello13(TWIN[name], b"", rnd, sid)
    c.send(c.ip() / c.seg(0, first))
    got = b""
    for _, payload in c.packets(time.monotonic() + 3):
        got += payload
        if len(got) >= 43:
            break
    if len(got) < 43 or got[0] != 22 or got[5] != 2 or got[11:43] != HRR_RANDOM:
        return "no-retry"
    c.sack = (c.sack + len(got)) & 0xFFFFFFFF  # acknowledged below with the second hello
    body = b"\x03\x03" + os.urandom(32) + bytes([len(sid)]) + sid + b"\x13\x01\x00"
    body += struct.pack(">H", 6) + struct.pack(">HHH", 43, 2, 0x0304)
    fake = rec(22, b"\x02" + len(body).to_bytes(3, "big") + body, b"\x03\x03")
    c.forge(0, c.isn + 1 + len(first), fake)
    # The second hello follows once the forged one came back through the gateway (or not
    # within a second: dropped there).
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and select.select(
            [c.inp], [], [], max(0, deadline - time.monotonic()))[0]:
        frame, meta = c.inp.recvfrom(65536)
        if meta[2] != socket.PACKET_OUTGOING and fake in frame:
            break
    second = rec(20, b"\x01", b"\x03\x03") + hello13(name, os.urandom(32), rnd, sid)
    c.send(c.ip() / c.seg(len(first), second))
    return c.result()


def run(kind, addr, case, name, sport):
    c = Conn(addr, sport, {"tls": 443, "http": 80, "dns": 53}[kind])
    qid = random.randrange(1, 65536)
    if kind == "tls":
        data = client_hello(name)
    elif kind == "http":
        data = http_request(name)
    else:
        data = dns_message(name, qid)
    fake = data.replace(name.encode(), TWIN[name].encode())
    if kind == "dns":
        fake = data.replace(qname(name), qname(TWIN[name]))
    ts = random.randrange(1 << 20, 1 << 30)
    opts = []
    sent = len(data)

    def seg(off, d, flags="PA", **kw):
        p = c.seg(off, d, flags)
        for k, v in kw.items():
            setattr(p, k, v)
        if opts:
            p.options = list(opts)
        return p

    if case == "syn":
        c.send(c.ip() / (TCP(sport=sport, dport=c.dport, flags="S", seq=c.isn, window=65535,
                             options=[("MSS", 1200)]) / fake))
        for tcp, _ in c.packets(time.monotonic() + 3):
            if tcp[13] & 0x12 == 0x12:
                if int.from_bytes(tcp[8:12], "big") != (c.isn + 1) & 0xFFFFFFFF:
                    return "syn-data-taken"  # Fast Open: not the case under test
                c.sack = (int.from_bytes(tcp[4:8], "big") + 1) & 0xFFFFFFFF
                c.send(c.ip() / c.seg(0, b"", "A"))
                break
        else:
            return "no-connection"
    elif case == "paws":
        opts = [("Timestamp", (ts, 0))]
        c.send(c.ip() / TCP(sport=sport, dport=c.dport, flags="S", seq=c.isn, window=65535,
                            options=[("MSS", 1200), ("Timestamp", (ts, 0))]))
        for tcp, _ in c.packets(time.monotonic() + 3):
            if tcp[13] & 0x12 == 0x12:
                c.sack = (int.from_bytes(tcp[4:8], "big") + 1) & 0xFFFFFFFF
                opts = [("NOP", None), ("NOP", None), ("Timestamp", (ts + 1, 0))]
                c.send(c.ip() / seg(0, b"", "A"))
                break
        else:
            return "no-connection"
    elif not c.connect():
        return "no-connection"

    if case == "hrrforge":
        return hrr_forged(c, name)

    ip = c.ip
    if case == "urg":
        at = data.index(name.encode()) + len(name) // 2
        d = data[:at] + b"X" + data[at:]
        c.send(ip() / seg(0, d, "PAU", urgptr=at + 1))
    elif case == "syn":
        c.send(ip() / seg(0, data))
    elif case == "md5":
        f = seg(0, fake)
        f.options = [(19, b"\0" * 16)]
        c.send([ip() / f, ip() / seg(0, data)])
    elif case == "paws":
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (ts - 100000, 0))]
        f = seg(0, fake)
        opts = [("NOP", None), ("NOP", None), ("Timestamp", (ts + 2, 0))]
        c.send([ip() / f, ip() / seg(0, data)])
    elif case == "bigfirst":
        big = padded_hello(TWIN[name], BIG_PAYLOAD - len(padded_hello(TWIN[name], 0)))
        df = IPv6(dst=addr) if c.v6 else IP(dst=addr, flags="DF")
        c.send([df / seg(0, big), ip() / seg(0, data)])
    elif case == "noack":
        c.send([ip() / seg(0, fake, "P"), ip() / seg(0, data)])
    elif case == "hbh2":
        c.send([IPv6(dst=addr) / IPv6ExtHdrHopByHop() / IPv6ExtHdrHopByHop() / seg(0, fake),
                ip() / seg(0, data)])
    elif case == "fin":
        k = data.index(name.encode()) + len(name) // 2
        c.send([ip() / seg(5000, b"", "FA"), ip() / seg(k, data[k:]), ip() / seg(0, data[:k])])
    elif case in ("rev", "ovlast", "ovfirst", "pipe"):
        nm = qname(name) if kind == "dns" else name.encode()
        at = data.index(nm)
        end = at + len(nm)
        if case == "rev":
            k1, k2 = at + 3, at + len(nm) // 2 + 2
            c.send([ip() / seg(k2, data[k2:]), ip() / seg(k1, data[k1:k2]),
                    ip() / seg(0, data[:k1])])
        elif case == "ovlast":
            k = at + 3
            c.send([ip() / seg(k, fake[k:]), ip() / seg(0, data[: end + 2])])
        elif case == "ovfirst":
            c.send([ip() / seg(0, data[: end + 2]), ip() / seg(0, fake)])
        else:
            first = dns_message("allowed.example", (qid + 1) & 0xFFFF)
            both = first + data
            sent = len(both)
            k0 = len(first) // 2
            k1, k2 = len(first) + at + 3, len(first) + at + 9
            c.send([ip() / seg(0, both[:k0]), ip() / seg(k0, both[k0:k1]),
                    ip() / seg(k2, both[k2:]), ip() / seg(k1, both[k1:k2])])
    else:
        raise SystemExit("unknown case " + case)
    if kind == "dns":
        return dns_result(c, qid, sent)
    return c.result() if kind == "tls" else http_result(c)


def main():
    kind, port, addr, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    for i, (case, name) in enumerate(zip(rest[::2], rest[1::2])):
        print(case, name, run(kind, addr, case, name, port + i), flush=True)


if __name__ == "__main__":
    main()
