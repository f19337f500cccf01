#!/usr/bin/env python3
"""Sends QUIC v1 client Initials carrying a real ClientHello for NAME to ADDR:443.

usage: quic_initial.py ADDR NAME MODE [PID]
MODE whole: the hello in one Initial, then the same Initial again (a retransmission).
MODE split: the hello's first half in one Initial, the rest in a second, each its own
datagram. MODE again: the hello up to the end of NAME (blocked.example or
allowed.example) in one Initial; then one whose first CRYPTO frame repeats those bytes naming
the other of the two, and whose second carries the rest. MODE late: eight Initials that fail to
authenticate, then the hello. MODE past: sixty such Initials in one burst, past the byte budget
blockd judges a flow within, then the hello. MODE flood: one Initial that fails to authenticate;
once it is echoed, PID (blockd) is stopped with SIGSTOP, as a worker far behind, and 120 more go in
one burst, past the bytes the rules queue, then the hello; PID is let go on after half a second.
In modes past and flood the hello's datagram is 1306 bytes, a size no other mode sends, so the
echo's log shows whether it arrived (its fate printed here may be an earlier datagram's echo). MODE many: the hello, then nine copies of it in one burst (one fate
printed for the burst: passed if any echo came back). Both datagrams come from one socket (one flow). After each, waits up to 2 s
for the test bed's UDP echo (tests/lib/udp_echo.py) and prints "passed" or "dropped".
Protection as in RFC 9001 section 5 (keys from the Destination Connection ID).
"""
import hashlib
import hmac
import os
import signal
import socket
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tls_hello import client_hello

SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def client_keys(dcid):
    initial = hmac.new(SALT_V1, dcid, hashlib.sha256).digest()
    secret = expand_label(initial, b"client in", 32)
    return (expand_label(secret, b"quic key", 16), expand_label(secret, b"quic iv", 12),
            expand_label(secret, b"quic hp", 16))


def varint(v):
    if v < 64:
        return bytes([v])
    if v < 16384:
        return (v | 0x4000).to_bytes(2, "big")
    return (v | 0x80000000).to_bytes(4, "big")


def initial(dcid, scid, pn, offset, data, more=(), pad=1162):
    """An Initial with a CRYPTO frame of data at offset, and one for each (offset, data) in more,
    padded to pad bytes of frames."""
    key, iv, hp = client_keys(dcid)
    frame = b""
    for o, d in ((offset, data),) + tuple(more):
        frame += b"\x06" + varint(o) + varint(len(d)) + d
    frame += b"\x00" * max(0, pad - len(frame))  # a client's Initial datagram is >= 1200 bytes
    pn_len = 2
    head = bytes([0xC0 | (pn_len - 1)]) + (1).to_bytes(4, "big")
    head += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + b"\x00"
    head += (0x4000 | (pn_len + len(frame) + 16)).to_bytes(2, "big")
    pn_off = len(head)
    head += pn.to_bytes(pn_len, "big")
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    sealed = AESGCM(key).encrypt(nonce, frame, head)
    pkt = bytearray(head + sealed)
    sample = pkt[pn_off + 4:pn_off + 20]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(bytes(sample)) + enc.finalize()
    pkt[0] ^= mask[0] & 0x0F
    for i in range(pn_len):
        pkt[pn_off + i] ^= mask[1 + i]
    return bytes(pkt)


def main():
    addr, name, mode = sys.argv[1:4]
    hello = client_hello(name)[5:]  # the handshake message, without its record header
    dcid, scid = os.urandom(8), os.urandom(8)
    if mode == "whole":
        dgrams = [initial(dcid, scid, 0, 0, hello), initial(dcid, scid, 1, 0, hello)]
    elif mode == "split":
        half = len(hello) // 2
        dgrams = [initial(dcid, scid, 0, 0, hello[:half]),
                  initial(dcid, scid, 1, half, hello[half:])]
    elif mode == "again":
        twin = {"blocked.example": "allowed.example", "allowed.example": "blocked.example"}
        end = hello.index(name.encode()) + len(name)
        other = hello.replace(name.encode(), twin[name].encode())
        dgrams = [initial(dcid, scid, 0, 0, hello[:end]),
                  initial(dcid, scid, 1, 0, other[:end], [(end, hello[end:])])]
    elif mode == "many":
        # The hello, then nine retransmissions of it in a burst: more than the rules queue.
        dgrams = [initial(dcid, scid, 0, 0, hello),
                  [initial(dcid, scid, pn, 0, hello) for pn in range(1, 10)]]
    elif mode == "late":
        # Eight Initials that fail to authenticate (the last tag byte flipped), then the hello.
        junk = []
        for pn in range(8):
            d = bytearray(initial(dcid, scid, pn, 0, hello))
            d[-1] ^= 0xFF
            junk.append(bytes(d))
        dgrams = junk + [initial(dcid, scid, 8, 0, hello)]
    elif mode == "past":
        # Sixty such Initials in one burst (some 75 KB, past the flow's byte budget), then the
        # hello: by then blockd must have decided without it.
        junk = []
        for pn in range(60):
            d = bytearray(initial(dcid, scid, pn, 0, hello))
            d[-1] ^= 0xFF
            junk.append(bytes(d))
        dgrams = [junk, initial(dcid, scid, 60, 0, hello, pad=1262)]
    elif mode == "flood":
        # Some 150 KB, past the bytes the rules queue: while the flow is undecided nothing past
        # them may get through, the hello last of all.
        junk = []
        for pn in range(121):
            d = bytearray(initial(dcid, scid, pn, 0, hello))
            d[-1] ^= 0xFF
            junk.append(bytes(d))
        dgrams = [junk[0], "stop", junk[1:] + [initial(dcid, scid, 121, 0, hello, pad=1262)],
                  "cont"]
    else:
        raise SystemExit("unknown mode " + mode)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, 443))
    said = []
    for d in dgrams:
        if d in ("stop", "cont"):
            os.kill(int(sys.argv[4]), signal.SIGSTOP if d == "stop" else signal.SIGCONT)
            if d == "stop":
                time.sleep(0.1)
                continue
            time.sleep(0.5)
            break
        for one in d if isinstance(d, list) else [d]:
            s.send(one)
        try:
            s.recv(16)
            said.append("passed")
        except socket.timeout:
            said.append("dropped")
    print(" ".join(said))


main()
