"""Throttling wrong share-password guesses, always on, in windows of GUESS_WINDOW:

* at most GUESS_LIMIT wrong guesses on one share token from one client: its address as `burrow.core.clients`
  sees it through trusted proxies, an IPv6 client counted by its /64 (`client_network`);
* at most SHARE_GUESS_LIMIT wrong guesses on one share token from all clients together, so that guessers
  spread over many addresses still meet a limit. After it every guess on the share is refused until the
  window closes (sessions opened before keep working; refreshing the link gives a new token and a new count).

A guess claims a slot in both windows before any password is hashed, so a refused guess costs no hash; a
correct password gives both slots back. The counting (database windows, compare-and-set claims) is
`burrow.core.attempts`, shared with sign-in."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from burrow.core.attempts import claim, release_attempt
from burrow.core.clients import client_network
from burrow.sharing.models import PasswordGuessWindow

GUESS_LIMIT = 10
SHARE_GUESS_LIMIT = 100
GUESS_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Guess:
    """A claimed (or refused) guess: `retry_after` when refused; `first_of_window` when it is the first guess
    of its client's window (the one wrong guess of the window written to the activity log)."""

    buckets: tuple[str, ...] = ()
    retry_after: int | None = None
    first_of_window: bool = False


def client_bucket(access_token_digest: str, client_ip: str) -> str:
    return hashlib.sha256(f"client|{access_token_digest}|{client_network(client_ip)}".encode()).hexdigest()


def share_bucket(access_token_digest: str) -> str:
    return hashlib.sha256(f"share|{access_token_digest}".encode()).hexdigest()


def claim_guess(access_token_digest: str, client_ip: str) -> Guess:
    """Takes one guess in the client's window and one in the share's; if either is spent, neither is taken."""
    client = client_bucket(access_token_digest, client_ip)
    by_client = claim(PasswordGuessWindow, client, GUESS_LIMIT, GUESS_WINDOW)
    if by_client.retry_after is not None:
        return Guess(retry_after=by_client.retry_after)
    share = share_bucket(access_token_digest)
    by_share = claim(PasswordGuessWindow, share, SHARE_GUESS_LIMIT, GUESS_WINDOW)
    if by_share.retry_after is not None:
        release_attempt(PasswordGuessWindow, client)
        return Guess(retry_after=by_share.retry_after)
    return Guess(buckets=(client, share), first_of_window=by_client.opened_window)


def release_guess(guess: Guess) -> None:
    """Gives a claimed guess back: correct passwords are not counted."""
    for bucket in guess.buckets:
        release_attempt(PasswordGuessWindow, bucket)
