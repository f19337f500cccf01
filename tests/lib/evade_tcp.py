#!/usr/bin/python3
"""Hand-made TCP streams a Linux server reads one way and a careless reader another (scapy).

usage: evade_tcp.py tls|http PORT ADDR CASE NAME [CASE NAME ...]

Prints one line per case: "CASE NAME RESULT". Each case is a TCP connection of the
script's own making to ADDR:443 (tls: a real ClientHello for NAME) or ADDR:80 (http: a
GET with Host NAME), from source port PORT, then PORT + 1 and so on (the caller keeps
them in 40000-40999 and drops the client kernel's resets from there, as for evade.py).
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
RESULT, tls: reset, handshake, alert or timeout (as evade.py); http: 451 (blockd's
notice), served:HOST/PATH (the test bed's page, naming the host it served), reset, other or timeout.
"""
import random
import re
import sys
import time

from scapy.layers.inet import TCP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrHopByHop

from evade import TWIN, Conn
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


def run(kind, addr, case, name, sport):
    c = Conn(addr, sport, 443 if kind == "tls" else 80)
    data = client_hello(name) if kind == "tls" else http_request(name)
    fake = data.replace(name.encode(), TWIN[name].encode())
    ts = random.randrange(1 << 20, 1 << 30)
    opts = []

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
    elif case == "noack":
        c.send([ip() / seg(0, fake, "P"), ip() / seg(0, data)])
    elif case == "hbh2":
        c.send([IPv6(dst=addr) / IPv6ExtHdrHopByHop() / IPv6ExtHdrHopByHop() / seg(0, fake),
                ip() / seg(0, data)])
    elif case == "fin":
        k = data.index(name.encode()) + len(name) // 2
        c.send([ip() / seg(5000, b"", "FA"), ip() / seg(k, data[k:]), ip() / seg(0, data[:k])])
    else:
        raise SystemExit("unknown case " + case)
    return c.result() if kind == "tls" else http_result(c)


def main():
    kind, port, addr, rest = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    for i, (case, name) in enumerate(zip(rest[::2], rest[1::2])):
        print(case, name, run(kind, addr, case, name, port + i), flush=True)


if __name__ == "__main__":
    main()
