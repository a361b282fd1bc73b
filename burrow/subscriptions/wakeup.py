"""Wakes a scheduler at once when an API request has queued a delivery, so a test delivery or an invite does
not wait for the next tick.

While it waits between ticks, each scheduler listens on a Unix datagram socket of its own in
`$BURROW_DATA_DIR/wakeup/`; a web worker sends one byte to one of them after its transaction commits. The
byte carries nothing: the queue is in the database, so a lost wake-up only delays a delivery to the next
tick. No socket answering (no scheduler on this machine, `burrow serve --no-scheduler`) tells the caller to
take the delivery itself."""

import logging
import os
import random
import secrets
import socket
import threading
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

_BYTE = b"\x01"


def _directory() -> Path:
    return Path(settings.DATA_DIR) / "wakeup"


def wake_scheduler() -> bool:
    """Wakes one listening scheduler on this machine; False when none listens."""
    paths = [str(path) for path in _directory().glob("*.sock")]
    random.shuffle(paths)  # spread wake-ups over the schedulers of one data dir
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.setblocking(False)
        for path in paths:
            try:
                sender.sendto(_BYTE, path)
                return True
            except BlockingIOError:
                return True  # its buffer is full of wake-ups it has not read yet: it will tick
            except ConnectionRefusedError:
                Path(path).unlink(missing_ok=True)  # left behind by a scheduler that was killed
            except OSError:
                continue
    return False


class Listener:
    """The scheduler's end: `wait` sleeps until the timeout, a wake-up or `interrupt` (shutdown). A scheduler
    that cannot bind its socket (a data dir path too long for one) still ticks on its interval."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.socket: socket.socket | None = None
        self.interrupted = threading.Event()
        directory = _directory()
        path = str(directory / f"{secrets.token_hex(6)}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            listener.bind(path)
            os.chmod(path, 0o600)  # only Burrow's own processes may wake it
        except OSError as exc:
            listener.close()
            logger.warning("scheduler wake-up socket unavailable", extra={"path": path, "error": str(exc)})
            return
        self.path, self.socket = path, listener

    def wait(self, timeout: float) -> None:
        if self.socket is None:
            self.interrupted.wait(timeout)
            return
        self.socket.settimeout(timeout)
        try:
            self.socket.recv(64)
            self.socket.setblocking(False)
            while self.socket.recv(64):  # wake-ups that arrived together make one tick
                pass
        except (TimeoutError, BlockingIOError):
            pass

    def interrupt(self) -> None:
        """Ends the current wait (safe in a signal handler)."""
        self.interrupted.set()
        if self.socket is not None:
            try:
                self.socket.sendto(_BYTE, self.path)
            except OSError:
                pass

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            Path(self.path).unlink(missing_ok=True)
            self.socket = None
