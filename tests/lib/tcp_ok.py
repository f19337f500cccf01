#!/usr/bin/env python3
"""TCP server for the test bed: answers "ok" on every connection to port 8080 (IPv4 and IPv6)."""
import socket
import socketserver


class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"ok")


class S(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True


S(("::", 8080), H).serve_forever()
