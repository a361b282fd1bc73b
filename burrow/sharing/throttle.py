"""Throttling wrong share-password guesses (DECISIONS §15): at most GUESS_LIMIT wrong guesses on one share
token from one client address (`burrow.core.clients`, which sees through trusted proxies) per GUESS_WINDOW,
always on. The counting (database windows, compare-and-set claims, correct passwords given back) is
`burrow.core.throttle`, shared with sign-in."""

import hashlib
from datetime import timedelta

from burrow.core.throttle import claim_attempt, release_attempt
from burrow.sharing.models import PasswordGuessWindow

GUESS_LIMIT = 10
GUESS_WINDOW = timedelta(minutes=15)


def bucket_for(access_token_digest: str, client_ip: str) -> str:
    return hashlib.sha256(f"{access_token_digest}|{client_ip}".encode()).hexdigest()


def claim_guess(bucket: str) -> int | None:
    """Takes one guess of the bucket's window: None when granted, else the seconds until guesses reopen."""
    return claim_attempt(PasswordGuessWindow, bucket, GUESS_LIMIT, GUESS_WINDOW)


def release_guess(bucket: str) -> None:
    """Gives a claimed guess back: correct passwords are not counted."""
    release_attempt(PasswordGuessWindow, bucket)
