#!/usr/bin/env python3
"""Sends a real ClientHello for NAME to ADDR:443 in pieces, one TCP segment each.

usage: tls_split.py ADDR NAME MODE
NAME "-" sends no server_name. MODE: whole | at1 | at2 | insni | records (the hello
spread over two TLS records, each its own segment). Prints "reset" if the connection was reset or closed before any
server bytes came, "timeout" if nothing came within 5 s, "handshake" if the server
answered with a TLS handshake record.
"""
import socket
import ssl
import sys


def client_hello(name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=None if name == "-" else name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def pieces(hello, name, mode):
    if mode == "whole":
        return [hello]
    if mode == "at1":
        return [hello[:1], hello[1:]]
    if mode == "at2":
        return [hello[:2], hello[2:]]
    if mode == "insni":
        i = hello.index(name.encode()) + len(name) // 2
        return [hello[:i], hello[i:]]
    if mode == "records":
        body = hello[5:]
        half = len(body) // 2
        rec = []
        for part in (body[:half], body[half:]):
            rec.append(hello[:3] + len(part).to_bytes(2, "big") + part)
        return rec
    raise SystemExit("unknown mode " + mode)


def main():
    addr, name, mode = sys.argv[1:4]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    s.connect((addr, 443))
    for p in pieces(client_hello(name), name, mode):
        s.send(p)
    try:
        got = s.recv(5)
    except ConnectionResetError:
        got = b""
    except socket.timeout:
        print("timeout")  # neither an answer nor a reset the client accepted
        return
    print("handshake" if got[:1] == b"\x16" else "reset")


main()
