#!/usr/bin/env python3
# TLS handshakes per second: PROCS processes each open fresh TLS connections (SNI NAME) to HOST:PORT.
# Usage: tls_rate.py HOST PORT NAME SECONDS PROCS; prints "handshakes N seconds S per_second R failed F".
import multiprocessing
import socket
import ssl
import sys
import time


def worker(host, port, name, secs, out):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    done = failed = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), timeout=2) as raw:
                with ctx.wrap_socket(raw, server_hostname=name):
                    done += 1
        except OSError:
            failed += 1
    out.put((done, failed))


def main():
    host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    secs, procs = float(sys.argv[4]), int(sys.argv[5])
    out = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=(host, port, name, secs, out))
          for _ in range(procs)]
    start = time.monotonic()
    for p in ps:
        p.start()
    res = [out.get() for _ in ps]
    for p in ps:
        p.join()
    took = time.monotonic() - start
    done = sum(r[0] for r in res)
    failed = sum(r[1] for r in res)
    print("handshakes %d seconds %.2f per_second %.0f failed %d" % (done, took, done / took, failed))


if __name__ == "__main__":
    main()
