#!/usr/bin/python3
"""Streams that real servers accept but that differ from the plain form: TLS, HTTP, DNS.

usage: readers.py tls ADDR CASE [CASE ...]
       readers.py http ADDR CASE [CASE ...]
       readers.py dns SERVER CASE [CASE ...]

Prints one line per case, "CASE RESULT", each case on a connection (or socket) of its own.
Every case names blocked.example or a name below it, so that with blockd running the
result is the block, and with blockd stopped it is what the server served.

tls: a real TLS handshake by Python's OpenSSL (server_hostname as given), whose records are
reframed on the way out; then "GET /" for the same host. RESULT: served:HOST (the test bed
page for HOST came back), reset (the connection was reset or closed first), alert, timeout.
  empty      an empty handshake record before the hello, and one between two fragments
  alert      a warning alert record (user_canceled) before the hello
  alertmid   the hello in two records, cut in the name, a warning alert between them
  underscore server name _x.blocked.example
  port       server name blocked.example:443 (nginx cuts the port)
  hrr        hand-made TLS 1.3 hellos: the first names allowed.example and offers no key
             share, so the server asks again (HelloRetryRequest); the second names
             blocked.example. RESULT: handshake:NAME (a ServerHello came back for the
             second hello, naming NAME), alert, reset, timeout, no-retry (the server did
             not ask again).
  hrrsame    as hrr, both hellos naming allowed.example

http: one request to ADDR:80. RESULT: served:HOSTPATH (the test bed page), status:CODE
(another answer; 451 is blockd's notice), reset, timeout.
  blanklines 300 empty lines before the request line
  spaces     spaces between the request line's parts, and after it
  v12        HTTP/1.2
  v09        HTTP/0.9: GET http://blocked.example/x, no version, no header fields
  badname    a field whose name is not a token before Host
  ctlvalue   a field value with control bytes before Host
  nocolon    a field line without a colon before Host
  portjunk   Host: blocked.example:abc
  scheme     GET ftp://blocked.example/x, Host naming allowed.example
  upgrade    a request for allowed.example with Upgrade: h2c (nginx does not switch), then
             one for blocked.example on the same connection (the second answer counts)
  spacecolon "Host : blocked.example" (nginx refuses it)
  fold       an empty Host, then " blocked.example" on a line of its own (nginx refuses it)

dns: a UDP query for blocked.example (type A) to SERVER:53. RESULT: answer (NOERROR with
an address), NXDOMAIN, another RCODE name, or timeout.
  trail1     one byte after the question
  trailjunk  40 bytes of junk after the question
  optnocount an OPT record after the question, ARCOUNT 0
  qd2        QDCOUNT 2, one question (Unbound refuses it)
"""
import os
import random
import re
import select
import socket
import ssl
import struct
import sys
import time

PAGE = re.compile(rb"served (\S+) by the test bed")
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")


def records(data):
    """Splits bytes into (type, version, body) records."""
    out, i = [], 0
    while i + 5 <= len(data):
        n = struct.unpack(">H", data[i + 3 : i + 5])[0]
        out.append((data[i], data[i + 1 : i + 3], data[i + 5 : i + 5 + n]))
        i += 5 + n
    return out


def rec(t, body, ver=b"\x03\x01"):
    return bytes([t]) + ver + struct.pack(">H", len(body)) + body


def reframe(case, hello, name):
    """The hello's records as the case sends them."""
    (_, ver, body), = records(hello)
    cut = body.find(name.encode()) + 3
    if case == "empty":
        return rec(22, b"", ver) + rec(22, body[:cut], ver) + rec(22, b"", ver) + rec(22, body[cut:], ver)
    if case == "alert":
        return rec(21, b"\x01\x5a", ver) + hello
    if case == "alertmid":
        return rec(22, body[:cut], ver) + rec(21, b"\x01\x5a", ver) + rec(22, body[cut:], ver)
    return hello


def tls_case(addr, case):
    if case in ("hrr", "hrrsame"):
        return tls_hrr(addr, "allowed.example" if case == "hrrsame" else "blocked.example")
    name = {"underscore": "_x.blocked.example", "port": "blocked.example:443"}.get(
        case, "www.blocked.example")
    host = name.split(":")[0]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=name)
    s = socket.create_connection((addr, 443), timeout=3)
    first = True
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            data = out.read()
            if data:
                s.sendall(reframe(case, data, host) if first else data)
                first = False
            got = s.recv(65536)
            if not got:
                return "reset"
            if got[:1] == b"\x15":
                return "alert"
            inc.write(got)
        obj.write(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host.encode())
        s.sendall(out.read())
        page = b""
        while True:
            got = s.recv(65536)
            if not got:
                break
            inc.write(got)
            try:
                while True:
                    d = obj.read(65536)
                    if not d:
                        break
                    page += d
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                pass
        m = PAGE.search(page)
        return "served:" + m.group(1).decode().rstrip("/") if m else "no-page"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "timeout"
    except ssl.SSLError as e:
        return "tls-error:" + e.reason if e.reason else "tls-error"
    finally:
        s.close()


def ext(t, body):
    return struct.pack(">HH", t, len(body)) + body


def hello13(name, key_share, rnd, sid):
    """A TLS 1.3 ClientHello record: X25519 only, the key share given (b"" for none)."""
    sni = name.encode()
    exts = ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni)
    exts += ext(10, struct.pack(">HH", 2, 0x001D))
    exts += ext(13, struct.pack(">H6H", 12, 0x0804, 0x0403, 0x0805, 0x0806, 0x0401, 0x0501))
    exts += ext(43, b"\x02\x03\x04")
    exts += ext(45, b"\x01\x01")
    ks = struct.pack(">HH", 0x001D, 32) + key_share if key_share else b""
    exts += ext(51, struct.pack(">H", len(ks)) + ks)
    body = b"\x03\x03" + rnd + bytes([len(sid)]) + sid
    body += struct.pack(">H3H", 6, 0x1301, 0x1302, 0x1303) + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return rec(22, hs)


def read_records(s, deadline):
    """Server records until one whole flight has come (or the deadline)."""
    buf = b""
    while time.monotonic() < deadline:
        if not select.select([s], [], [], max(0, deadline - time.monotonic()))[0]:
            break
        got = s.recv(65536)
        if not got:
            return buf, True
        buf += got
        if buf[:1] == b"\x15" or (len(buf) >= 5 and len(buf) >= 5 + struct.unpack(">H", buf[3:5])[0]):
            return buf, False
    return buf, False


def tls_hrr(addr, second):
    rnd, sid = os.urandom(32), os.urandom(32)
    s = socket.create_connection((addr, 443), timeout=3)
    try:
        s.sendall(hello13("allowed.example", b"", rnd, sid))
        buf, closed = read_records(s, time.monotonic() + 3)
        if buf[:1] == b"\x15":
            return "alert" + (buf[5:7].hex() if os.environ.get("READERS_DEBUG") else "")
        if closed or len(buf) < 43 or buf[5] != 2:
            return "reset" if closed else "timeout"
        if buf[11:43] != HRR_RANDOM:
            return "no-retry"
        if os.environ.get("READERS_DEBUG"):
            print("hrr ok", file=sys.stderr)
        s.sendall(rec(20, b"\x01", b"\x03\x03") + hello13(second, os.urandom(32), rnd, sid))
        buf, closed = read_records(s, time.monotonic() + 3)
        if buf[:1] == b"\x15":
            return "alert" + (buf[5:7].hex() if os.environ.get("READERS_DEBUG") else "")
        if len(buf) >= 6 and buf[0] == 22 and buf[5] == 2:
            return "handshake:" + second
        return "reset" if closed else "timeout"
    except ConnectionResetError:
        return "reset"
    finally:
        s.close()


HTTP = {
    "blanklines": b"\r\n" * 300 + b"GET /x HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "spaces": b"GET   /x   HTTP/1.1  \r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "v12": b"GET /x HTTP/1.2\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "v09": b"GET http://blocked.example/x\r\n",
    "badname": b"GET /x HTTP/1.1\r\nX{y}: 1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "ctlvalue": b"GET /x HTTP/1.1\r\nX-A: \x01\x1b\x7f\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "nocolon": b"GET /x HTTP/1.1\r\nNoColon\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "portjunk": b"GET /x HTTP/1.1\r\nHost: blocked.example:abc\r\nConnection: close\r\n\r\n",
    "scheme": b"GET ftp://blocked.example/x HTTP/1.1\r\nHost: allowed.example\r\nConnection: close\r\n\r\n",
    "upgrade": b"GET /one HTTP/1.1\r\nHost: allowed.example\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"
    b"GET /x HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n",
    "spacecolon": b"GET /x HTTP/1.1\r\nHost : blocked.example\r\nConnection: close\r\n\r\n",
    "fold": b"GET /x HTTP/1.1\r\nHost:\r\n blocked.example\r\nConnection: close\r\n\r\n",
}


def http_case(addr, case):
    s = socket.create_connection((addr, 80), timeout=3)
    got = b""
    try:
        s.sendall(HTTP[case])
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except ConnectionResetError:
        if not got:
            return "reset"
    except socket.timeout:
        if not got:
            return "timeout"
    finally:
        s.close()
    if case == "upgrade":
        # the answer to the second request: after the first response
        parts = re.split(rb"(?=HTTP/1\.[01] \d{3})", got)
        got = parts[-1] if parts else got
    m = PAGE.search(got)
    st = re.match(rb"HTTP/1\.[01] (\d{3})", got)
    if st and st.group(1) != b"200":
        return "status:" + st.group(1).decode()
    if m:
        return "served:" + m.group(1).decode()
    return "status:" + st.group(1).decode() if st else "no-answer"


def dns_query(name, qd=1, ar=0):
    q = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, qd, 0, 0, ar)
    return q + b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)


def dns_case(server, case):
    q = dns_query("blocked.example", qd=2 if case == "qd2" else 1)
    if case == "trail1":
        q += b"\0"
    elif case == "trailjunk":
        q += bytes(random.randrange(256) for _ in range(40))
    elif case == "optnocount":
        q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.settimeout(3)
    u.sendto(q, (server, 53))
    try:
        data = u.recv(65535)
    except socket.timeout:
        return "timeout"
    rcode = data[3] & 15
    if rcode == 0 and struct.unpack(">H", data[6:8])[0] > 0:
        return "answer"
    return {0: "NODATA", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}.get(rcode, str(rcode))


def main():
    kind, addr, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = {"tls": tls_case, "http": http_case, "dns": dns_case}[kind]
    for case in cases:
        print(case, run(addr, case), flush=True)


if __name__ == "__main__":
    main()
