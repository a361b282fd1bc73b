"""Throttling wrong share-password guesses (DECISIONS §15): at most GUESS_LIMIT wrong guesses on one share
token from one client address per GUESS_WINDOW, always on.

Counters live in the database so that every web worker and every server counts the same guesses (the cache
is per process unless Redis is configured). A guess *claims* a slot before its password is checked, with
compare-and-set updates (`UPDATE … WHERE failures < limit`), so concurrent guesses can never exceed the
limit; a correct password gives its slot back. Windows that have closed are deleted whenever a new one
opens."""

import hashlib
import math
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from burrow.sharing.models import PasswordGuessWindow

GUESS_LIMIT = 10
GUESS_WINDOW = timedelta(minutes=15)


def bucket_for(access_token_digest: str, client_ip: str) -> str:
    return hashlib.sha256(f"{access_token_digest}|{client_ip}".encode()).hexdigest()


def claim_guess(bucket: str) -> int | None:
    """Takes one guess of the bucket's window: None when granted, else the seconds until guesses reopen."""
    windows = PasswordGuessWindow.objects.filter(bucket=bucket)
    for _ in range(3):
        now = timezone.now()
        opened_after = now - GUESS_WINDOW
        if windows.filter(window_start__gt=opened_after, failures__lt=GUESS_LIMIT).update(
            failures=F("failures") + 1
        ):
            return None
        if windows.filter(window_start__lte=opened_after).update(window_start=now, failures=1):
            return None  # the previous window had closed: this guess opens a new one
        current = windows.values_list("window_start", "failures").first()
        if current is None:
            if _open_window(bucket, now):
                return None
            continue  # another request opened it first
        window_start, failures = current
        if window_start > opened_after and failures >= GUESS_LIMIT:
            return max(1, math.ceil((window_start + GUESS_WINDOW - now).total_seconds()))
        # The window closed or a slot came back between our statements: try again.
    return math.ceil(GUESS_WINDOW.total_seconds())


def release_guess(bucket: str) -> None:
    """Gives a claimed guess back: correct passwords are not counted."""
    PasswordGuessWindow.objects.filter(bucket=bucket, failures__gt=0).update(failures=F("failures") - 1)


def _open_window(bucket: str, now) -> bool:
    try:
        with transaction.atomic():
            PasswordGuessWindow.objects.create(bucket=bucket, window_start=now, failures=1)
    except IntegrityError:
        return False
    PasswordGuessWindow.objects.filter(window_start__lte=now - GUESS_WINDOW).delete()
    return True
