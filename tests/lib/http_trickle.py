#!/usr/bin/env python3
"""A slow HTTP client of the metrics port (127.0.0.1:9153): "connected", then a byte every 50 ms."""
import socket
import time

s = socket.create_connection(("127.0.0.1", 9153))
s.send(b"G")
print("connected", flush=True)
for b in b"ET /metrics HTTP/1.0\r\nX-Slow: " + b"y" * 2000:
    s.send(bytes([b]))
    time.sleep(0.05)
