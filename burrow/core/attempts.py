"""Counting failed attempts at a secret (wrong share passwords, wrong sign-in passwords) in fixed windows kept
in the database: at most `limit` failures per bucket per `window`.

Counters live in the database so that every web worker and every server counts the same attempts (the cache
is per process unless Redis is configured). An attempt *claims* a slot before its secret is checked, with
compare-and-set updates (`UPDATE … WHERE failures < limit`), so concurrent attempts can never exceed the
limit; a correct secret gives its slot back, and a window left without failures is deleted (the next failure
opens a new one). Windows that have closed are deleted whenever a new one opens.

The model of a throttle needs three fields: `bucket` (unique, a hash: neither the secret's owner nor the
client address is stored), `window_start` and `failures`. (Rate limits of API traffic are
`burrow.core.throttling`.)"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone


@dataclass(frozen=True)
class Claim:
    """One attempt's claim: refused when `retry_after` (seconds until attempts reopen) is set; `opened_window`
    when this attempt is the first of its bucket's window."""

    retry_after: int | None = None
    opened_window: bool = False


def claim(model: type[models.Model], bucket: str, limit: int, window: timedelta) -> Claim:
    """Takes one attempt of the bucket's window, or says when attempts reopen."""
    windows = model.objects.filter(bucket=bucket)
    for _ in range(3):
        now = timezone.now()
        opened_after = now - window
        if windows.filter(window_start__gt=opened_after, failures__lt=limit).update(
            failures=F("failures") + 1
        ):
            return Claim()
        if windows.filter(window_start__lte=opened_after).update(window_start=now, failures=1):
            return Claim(opened_window=True)  # the previous window had closed: this attempt opens a new one
        current = windows.values_list("window_start", "failures").first()
        if current is None:
            if _open_window(model, bucket, now, window):
                return Claim(opened_window=True)
            continue  # another request opened it first
        window_start, failures = current
        if window_start > opened_after and failures >= limit:
            return Claim(retry_after=max(1, math.ceil((window_start + window - now).total_seconds())))
        # The window closed or a slot came back between our statements: try again.
    return Claim(retry_after=math.ceil(window.total_seconds()))


def claim_attempt(model: type[models.Model], bucket: str, limit: int, window: timedelta) -> int | None:
    """Takes one attempt of the bucket's window: None when granted, else the seconds until attempts reopen."""
    return claim(model, bucket, limit, window).retry_after


def release_attempt(model: type[models.Model], bucket: str) -> None:
    """Gives a claimed attempt back: correct secrets are not counted."""
    windows = model.objects.filter(bucket=bucket)
    windows.filter(failures__gt=0).update(failures=F("failures") - 1)
    windows.filter(failures=0).delete()


def _open_window(model: type[models.Model], bucket: str, now: datetime, window: timedelta) -> bool:
    try:
        with transaction.atomic():
            model.objects.create(bucket=bucket, window_start=now, failures=1)
    except IntegrityError:
        return False
    model.objects.filter(window_start__lte=now - window).delete()
    return True
