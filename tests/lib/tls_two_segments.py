#!/usr/bin/env python3
"""Sends a ClientHello of about 2000 bytes for NAME to ADDR:443 in one write, as browsers do.

usage: tls_two_segments.py ADDR NAME

The hello is Python's own with a padding extension at its end (as Chromium and Firefox pad, and
with post-quantum key shares they need no padding to reach this size): the server name is in the
first segment, the hello ends in the second. With segmentation offloads off on the client's
interface the kernel cuts the write into a full segment (1448 bytes of data with timestamps) and
the rest. Prints "RESULT PORT": RESULT is "handshake" if the server answered with a TLS handshake
record, "reset" if the connection was reset or closed first, "timeout" if nothing came within
5 s; PORT is the client's source port, for looking the connection up on the server.
"""
import socket
import struct
import sys

from tls_hello import client_hello

SIZE = 2000  # bytes of the whole record


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


def big_hello(name):
    """The hello for name padded to SIZE bytes with a padding extension (RFC 7685) at the end."""
    hello = client_hello(name)
    off, exts = hello_parts(hello)
    exts = [e for e in exts if e[0] != 0x0015]
    block = b"".join(struct.pack(">HH", t, len(b)) + b for t, b in exts)
    pad = SIZE - (off + 2 + len(block) + 4)
    exts.append((0x0015, bytes(max(pad, 0))))
    block = b"".join(struct.pack(">HH", t, len(b)) + b for t, b in exts)
    body = hello[9:off] + struct.pack(">H", len(block)) + block
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return hello[:3] + struct.pack(">H", len(hs)) + hs


def main():
    addr, name = sys.argv[1:3]
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    s.connect((addr, 443))
    port = s.getsockname()[1]
    try:
        s.sendall(big_hello(name))
        got = s.recv(5)
        result = "handshake" if got[:1] == b"\x16" else "reset"
    except (ConnectionResetError, BrokenPipeError):
        result = "reset"
    except socket.timeout:
        result = "timeout"
    finally:
        s.close()
    print(result, port, flush=True)


main()
