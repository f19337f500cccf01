#!/usr/bin/env python3
"""Writes every byte value, 0 to 255, N times (default 1) to standard output: a binary file."""
import sys

sys.stdout.buffer.write(bytes(range(256)) * int(sys.argv[1] if len(sys.argv) > 1 else 1))
