"""Helpers for `make test`: `python -m burrow.devtools pg-available` exits 0 when PostgreSQL answers."""

import socket
import sys


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    if sys.argv[1:] == ["pg-available"]:
        sys.exit(0 if port_open("127.0.0.1", 5432) else 1)
    sys.exit(2)
