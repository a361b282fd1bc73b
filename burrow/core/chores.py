"""Housekeeping that some app needs done now and then (removing expired recordings, say), run by the
scheduler between its ticks. An app registers a chore in its `AppConfig.ready()`; core knows no app."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("burrow.chores")


@dataclass
class Chore:
    name: str
    every_seconds: float
    run: Callable[[], object]
    last_started: float | None = field(default=None, compare=False)


_CHORES: dict[str, Chore] = {}


def register(name: str, every_seconds: float, run: Callable[[], object]) -> None:
    _CHORES[name] = Chore(name, every_seconds, run)


def run_due(clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Runs each chore whose interval has passed since it last started (every chore on the first call);
    a chore that fails is logged and tried again at its next interval. Returns the names run."""
    ran = []
    for chore in _CHORES.values():
        now = clock()
        if chore.last_started is not None and now - chore.last_started < chore.every_seconds:
            continue
        chore.last_started = now
        ran.append(chore.name)
        try:
            chore.run()
        except Exception:
            logger.exception("chore failed", extra={"chore": chore.name})
    return ran
