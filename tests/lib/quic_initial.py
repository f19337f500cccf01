#!/usr/bin/env python3
"""Sends QUIC v1 client Initials carrying a real ClientHello for NAME to ADDR:443.

usage: quic_initial.py ADDR NAME MODE [real | PID]
MODE whole: the hello in one Initial, then the same Initial again (a retransmission).
MODE split: the hello's first half in one Initial, the rest in a second, each its own
datagram. MODE again: the hello up to the end of NAME (blocked.example or
allowed.example) in one Initial; then one whose first CRYPTO frame repeats those bytes naming
the other of the two, and whose second carries the rest. MODE late: eight Initials that fail to
authenticate, then the hello. MODE past: sixty such Initials in one burst, past the byte budget
blockd judges a flow within, then the hello. MODE flood: one Initial that fails to authenticate;
once it is echoed, PID (blockd) is stopped with SIGSTOP, as a worker far behind, and 120 short
headers go in one burst, past the bytes the rules queue, then the hello; PID is let go on after half a second.
In modes past and flood the hello's datagram is 1306 bytes, a size no other mode sends, so the
echo's log shows whether it arrived (its fate printed here may be an earlier datagram's echo). MODE many: the hello, then nine copies of it in one burst (one fate
printed for the burst: passed if any echo came back). MODE spent: sixty Initials whose CRYPTO
bytes start past a gap, in one burst, then the hello. MODE decoy: a hello for allowed.example,
then NAME's on a new connection (another DCID). MODE second: an allowed connection (hello,
retransmission, a short header), then NAME's on a new one. MODE resend: NAME's hello, its
retransmission, an Initial with only an ACK to another DCID, a short header. MODE handshake,
zerortt, version, short, junk: a v1 Handshake packet, a 0-RTT packet, an unknown version, a short
header or random bytes, then the hello. All datagrams come from one socket (one flow). After each, waits up to 2 s
for the test bed's UDP echo (tests/lib/udp_echo.py) to answer it (by its last bytes) and prints
"passed" or "dropped". With real, the datagrams go to a real QUIC server, and what is printed is
whether it answered the last one's connection: "answered" or "silent" (within 2 s).
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


def initial(dcid, scid, pn, offset, data, more=(), frames=None, pad=1162):
    """An Initial with a CRYPTO frame of data at offset, and one for each (offset, data) in more;
    or with frames as given; padded to pad bytes of frames."""
    key, iv, hp = client_keys(dcid)
    frame = b""
    for o, d in ((offset, data),) + tuple(more):
        frame += b"\x06" + varint(o) + varint(len(d)) + d
    if frames is not None:
        frame = frames
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


def long_header(first, version, dcid, scid, size):
    """A long-header packet of another type or version: its header, then opaque bytes."""
    head = bytes([first]) + version.to_bytes(4, "big")
    head += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    rest = size - len(head) - 2
    return head + (0x4000 | rest).to_bytes(2, "big") + os.urandom(rest)


# What each mode FIRST sends before a blocked hello on a new connection: none of it is a client
# Initial, so none of it may decide the flow.
FIRST = {
    "handshake": lambda d, s: long_header(0xE0, 1, d, s, 1200),  # v1 Handshake
    "zerortt": lambda d, s: long_header(0xD0, 1, d, s, 1200),  # v1 0-RTT
    "version": lambda d, s: long_header(0xC0, 0x1A2A3A4A, d, s, 1200),  # unknown version
    "short": lambda d, s: bytes([0x40]) + d + os.urandom(1200),  # a short header
    "junk": lambda d, s: os.urandom(1200),
}


def real_server(s, dgrams):
    """Sends every datagram to a real QUIC server; says whether it answered the last one (an
    answer to the last datagram's connection: a packet to its Source Connection ID)."""
    last = dgrams[-1]
    last = last[-1] if isinstance(last, list) else last
    scid = last[7 + last[5]:7 + last[5] + last[6 + last[5]]]
    for d in dgrams:
        for one in d if isinstance(d, list) else [d]:
            s.send(one)
    try:
        while True:
            r = s.recv(65535)
            if (r[0] & 0x80 and r[6:6 + r[5]] == scid) or r[1:1 + len(scid)] == scid:
                return "answered"
    except socket.timeout:
        return "silent"


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
    elif mode == "spent":
        # Sixty Initials that open but whose CRYPTO bytes start past a gap (the hello without
        # its first 100 bytes): some 75 KB, past the connection's byte budget; then the hello.
        junk = [initial(dcid, scid, pn, 100, hello[100:]) for pn in range(60)]
        dgrams = [junk, initial(dcid, scid, 60, 0, hello)]
    elif mode == "decoy":
        # A hello for an allowed name on one connection, then NAME's on a new one (new DCID).
        decoy = client_hello("allowed.example")[5:]
        dgrams = [initial(dcid, scid, 0, 0, decoy),
                  initial(os.urandom(8), os.urandom(8), 0, 0, hello)]
    elif mode == "second":
        # An allowed connection: its hello, its retransmission, a short header of its traffic;
        # then a second connection on the same socket, for NAME.
        first = client_hello("allowed.example")[5:]
        dgrams = [initial(dcid, scid, 0, 0, first), initial(dcid, scid, 1, 0, first),
                  bytes([0x40]) + scid + os.urandom(100),
                  initial(os.urandom(8), os.urandom(8), 0, 0, hello)]
    elif mode == "resend":
        # NAME's hello, its retransmission, an acknowledgement in an Initial to another DCID (as
        # sent to the server's own connection ID), and a short header.
        dgrams = [initial(dcid, scid, 0, 0, hello), initial(dcid, scid, 1, 0, hello),
                  initial(os.urandom(8), scid, 2, 0, b"", frames=b"\x02\x00\x00\x00\x00"),
                  bytes([0x40]) + scid + os.urandom(100)]
    elif mode in FIRST:
        # (The first packet's own SCID, so that a real server's answer to it, a version
        # negotiation say, is not taken for one to the hello.)
        dgrams = [FIRST[mode](dcid, os.urandom(8)), initial(dcid, scid, 0, 0, hello)]
    elif mode == "flood":
        # An Initial that fails to authenticate, then some 150 KB of short headers, past the
        # bytes the rules queue: while the flow is undecided nothing past them may get through,
        # the hello last of all. (Short headers, which only the byte-counted rules queue, so the
        # ones past the bound are queued marked late.)
        first = bytearray(initial(dcid, scid, 0, 0, hello))
        first[-1] ^= 0xFF
        junk = [bytes([0x40]) + scid + os.urandom(1240) for _ in range(120)]
        dgrams = [bytes(first), "stop", junk + [initial(dcid, scid, 1, 0, hello, pad=1262)],
                  "cont"]
    else:
        raise SystemExit("unknown mode " + mode)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, 443))
    if len(sys.argv) > 4 and sys.argv[4] == "real":
        print(real_server(s, dgrams))
        return
    said = []
    for d in dgrams:
        if d in ("stop", "cont"):
            os.kill(int(sys.argv[4]), signal.SIGSTOP if d == "stop" else signal.SIGCONT)
            if d == "stop":
                time.sleep(0.1)
                continue
            time.sleep(0.5)
            break
        burst = d if isinstance(d, list) else [d]
        tails = {b"ok" + one[-16:] for one in burst}
        for one in burst:
            s.send(one)
        # An answer to this datagram (or burst), not a late one to an earlier burst.
        fate = "dropped"
        try:
            while fate == "dropped":
                if s.recv(64) in tails:
                    fate = "passed"
        except socket.timeout:
            pass
        said.append(fate)
    print(" ".join(said))


main()
