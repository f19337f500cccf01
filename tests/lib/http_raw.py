#!/usr/bin/env python3
"""Sends hand-written HTTP/1.1 requests to ADDR:80, each case on a connection of its own.

usage: http_raw.py ADDR CASE [CASE ...]
Prints one line per case: "CASE STATUS SERVED", STATUS the first answer's status code
(or "none"), SERVED the host and path of the test bed page if one came, else "-" (for
late: the last answer's status and page).
CASE:
  hostcase     Host field name and value in odd case (hOsT: BlOcKeD.ExAmPlE)
  hostport     Host with a port (blocked.example:80)
  hostspace    Host value between spaces and tabs
  hostdot      Host with a trailing dot
  absolute     absolute-form target naming blocked.example, Host naming allowed.example
  absallowed   absolute-form target naming allowed.example, Host naming blocked.example
  pipelined    a request for allowed.example and one for blocked.example in one write
  twohosts     two Host fields, allowed.example then blocked.example
  twohostsrev  two Host fields, blocked.example then allowed.example
  allowed      hOsT: AlLoWeD.ExAmPlE:80, the control: served
  padded       a request for blocked.example padded to 12 KiB by two headers (more than 8
               segments); paddedok the same for allowed.example
  long         a request for blocked.example whose head passes 24 KiB before its Host field
               (four headers of 6000 bytes: nginx takes lines up to 8 KiB, heads up to 32 KiB);
               longok the same for allowed.example
  late         nine requests for allowed.example on one keep-alive connection, each
               after the answer to the one before, then one for blocked.example
"""
import re
import socket
import sys

CASES = {
    "hostcase": [b"GET /x HTTP/1.1\r\nhOsT: BlOcKeD.ExAmPlE\r\nConnection: close\r\n\r\n"],
    "hostport": [b"GET /x HTTP/1.1\r\nHost: blocked.example:80\r\nConnection: close\r\n\r\n"],
    "hostspace": [b"GET /x HTTP/1.1\r\nHost: \t blocked.example \t \r\nConnection: close\r\n\r\n"],
    "hostdot": [b"GET /x HTTP/1.1\r\nHost: blocked.example.\r\nConnection: close\r\n\r\n"],
    "absolute": [
        b"GET http://blocked.example/x HTTP/1.1\r\nHost: allowed.example\r\n"
        b"Connection: close\r\n\r\n"
    ],
    "absallowed": [
        b"GET http://allowed.example/x HTTP/1.1\r\nHost: blocked.example\r\n"
        b"Connection: close\r\n\r\n"
    ],
    "pipelined": [
        b"GET /one HTTP/1.1\r\nHost: allowed.example\r\n\r\n"
        b"GET /two HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n"
    ],
    "twohosts": [
        b"GET /x HTTP/1.1\r\nHost: allowed.example\r\nHost: blocked.example\r\n"
        b"Connection: close\r\n\r\n"
    ],
    "twohostsrev": [
        b"GET /x HTTP/1.1\r\nHost: blocked.example\r\nHost: allowed.example\r\n"
        b"Connection: close\r\n\r\n"
    ],
    "allowed": [b"GET /x HTTP/1.1\r\nhOsT: AlLoWeD.ExAmPlE:80\r\nConnection: close\r\n\r\n"],
    "padded": [
        b"GET /x HTTP/1.1\r\nX-Pad-1: %s\r\nX-Pad-2: %s\r\nHost: blocked.example\r\n"
        b"Connection: close\r\n\r\n" % (b"a" * 6000, b"b" * 6000)
    ],
    "paddedok": [
        b"GET /x HTTP/1.1\r\nX-Pad-1: %s\r\nX-Pad-2: %s\r\nHost: allowed.example\r\n"
        b"Connection: close\r\n\r\n" % (b"a" * 6000, b"b" * 6000)
    ],
    "long": [
        b"GET /x HTTP/1.1\r\n%sHost: blocked.example\r\nConnection: close\r\n\r\n"
        % b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 6000) for i in range(4))
    ],
    "longok": [
        b"GET /x HTTP/1.1\r\n%sHost: allowed.example\r\nConnection: close\r\n\r\n"
        % b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 6000) for i in range(4))
    ],
    "late": [b"GET /%d HTTP/1.1\r\nHost: allowed.example\r\n\r\n" % i for i in range(9)]
    + [b"GET /late HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n"],
}
PAGE = re.compile(rb"served (\S+) by the test bed")


def run(addr, case):
    s = socket.create_connection((addr, 80), timeout=3)
    reqs, got = CASES[case], b""
    try:
        for i, r in enumerate(reqs):
            s.sendall(r)
            if i + 1 < len(reqs):  # keep-alive: wait for this answer's page
                while len(PAGE.findall(got)) <= i:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    finally:
        s.close()
    answers = got.split(b"HTTP/1.1 ")[1:]
    if not answers:
        return case + " none -"
    # The first answer, and any page in the whole stream; for late, the last answer alone.
    status = (answers[-1] if case == "late" else answers[0])[:3].decode()
    served = PAGE.findall(answers[-1] if case == "late" else got)
    return "%s %s %s" % (case, status, served[-1].decode() if served else "-")


def main():
    for case in sys.argv[2:]:
        print(run(sys.argv[1], case), flush=True)


main()
