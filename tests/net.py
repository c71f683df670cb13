"""Ports for test servers, which bind 127.0.0.1 only."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on (once this returns): for a server to bind, or a client to be refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
