"""Keeps one child process running: `burrow serve` runs its scheduler through this, so a scheduler that dies
(killed for memory while drawing a chart, say) comes back instead of scheduled delivery silently stopping.

    python -m burrow.supervisor -- python -m burrow.cli scheduler

Restarts back off (1 s … 30 s) while the child keeps dying young. SIGTERM/SIGINT stop the child, then the
supervisor. Deliberately imports no Django: it stays small."""

import json
import logging
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
HEALTHY_AFTER_SECONDS = 60.0  # a child that lived this long starts the back-off again from the shortest delay


def _log(level: int, event: str, **fields) -> None:
    entry = {
        "ts": datetime.now(UTC).isoformat(),
        "level": logging.getLevelName(level).lower(),
        "logger": "burrow.supervisor",
        "event": event,
        **fields,
    }
    print(json.dumps(entry), file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.child: subprocess.Popen | None = None
        self.stopping = False

    def _on_signal(self, signum: int, _frame) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        early_deaths = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = subprocess.Popen(self.command)
            code = self.child.wait()
            if self.stopping:
                break
            if time.monotonic() - started >= HEALTHY_AFTER_SECONDS:
                early_deaths = 0
            delay = RESTART_DELAYS[min(early_deaths, len(RESTART_DELAYS) - 1)]
            early_deaths += 1
            _log(logging.ERROR, "child exited; restarting", command=self.command, code=code, delay_s=delay)
            self._pause(delay)
        return 0


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    if not command:
        print("usage: python -m burrow.supervisor -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return Supervisor(command).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
