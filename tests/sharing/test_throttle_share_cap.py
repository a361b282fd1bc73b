"""A guess the share's window refuses is not counted in its client's window: once the share's window closes,
that client has all its guesses (the client's window may have opened later and still be open)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.sharing.models import PasswordGuessWindow
from burrow.sharing.throttle import GUESS_LIMIT, SHARE_GUESS_LIMIT, claim_guess, share_bucket

pytestmark = pytest.mark.django_db


def test_guesses_the_shares_cap_refused_cost_the_client_nothing():
    digest = "d" * 64
    spent = timezone.now() - timedelta(minutes=10)  # other clients spent the share's window ten minutes ago
    PasswordGuessWindow.objects.create(
        bucket=share_bucket(digest), window_start=spent, failures=SHARE_GUESS_LIMIT
    )
    for _ in range(GUESS_LIMIT):
        assert claim_guess(digest, "198.51.100.7").retry_after is not None
    # The share's window closes; the client's, had it counted those guesses, would still be full.
    PasswordGuessWindow.objects.filter(bucket=share_bucket(digest)).update(
        window_start=timezone.now() - timedelta(minutes=16)
    )
    granted = claim_guess(digest, "198.51.100.7")
    assert granted.retry_after is None and granted.buckets
