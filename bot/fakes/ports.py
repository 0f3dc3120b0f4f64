"""Free local ports for the stand-ins, tests and benchmarks that need a concrete port before they start."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A TCP port nothing listens on right now (bound, then released; connecting to it is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
