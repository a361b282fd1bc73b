"""Who the share-password throttle counts: an IPv6 client by its /64, every client of a share together (at most
100 wrong guesses per share per window, after which guesses are refused while open sessions keep working), no
password hashed for a refused guess, and one activity-log row per client window rather than one per guess."""

from datetime import timedelta

import pytest
from django.utils import timezone

from burrow.core.models import ActivityLog
from burrow.sharing.models import PasswordGuessWindow
from burrow.sharing.throttle import GUESS_LIMIT, SHARE_GUESS_LIMIT
from tests.sharing.conftest import FastPBKDF2PasswordHasher
from tests.sharing.test_throttle import guess

pytestmark = pytest.mark.django_db


class CountingHasher(FastPBKDF2PasswordHasher):
    """Counts the password hashes computed, to prove a refused guess costs none."""

    algorithm = "counting_pbkdf2"
    computed = 0

    def encode(self, password, salt, iterations=None):
        CountingHasher.computed += 1
        return super().encode(password, salt, iterations)


@pytest.fixture
def counted_hashes(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.computed = 0
    return CountingHasher


def test_ipv6_clients_are_counted_by_their_64(share, anonymous):
    shared = share("dashboard", password="correct horse")
    neighbours = [f"2001:db8:5:7::{n:x}" for n in range(1, 6)]  # five addresses of one /64
    for _ in range(GUESS_LIMIT // len(neighbours)):
        for address in neighbours:
            assert guess(anonymous, shared.token, "wrong horse", address=address).status_code == 401
    refused = guess(anonymous, shared.token, "correct horse", address="2001:db8:5:7:ffff::1")
    assert refused.status_code == 429
    # The next /64 over is another client.
    assert guess(anonymous, shared.token, "correct horse", address="2001:db8:5:8::1").status_code == 200


def test_a_share_takes_a_capped_number_of_wrong_guesses_from_all_clients(
    share, client, anonymous, counted_hashes
):
    shared = share("dashboard", password="correct horse")
    session = guess(client, shared.token, "correct horse", address="198.51.100.200").json()["shareToken"]
    clients = [f"203.0.113.{n}" for n in range(SHARE_GUESS_LIMIT // GUESS_LIMIT)]
    for address in clients:
        for _ in range(GUESS_LIMIT):
            assert guess(anonymous, shared.token, "wrong horse", address=address).status_code == 401
    counted_hashes.computed = 0
    refused = guess(anonymous, shared.token, "correct horse", address="192.0.2.1")  # a client never seen
    assert refused.status_code == 429 and 890 <= int(refused["Retry-After"]) <= 900
    assert guess(anonymous, shared.token, "wrong horse", address="192.0.2.2", form=True).status_code == 429
    assert counted_hashes.computed == 0  # refused before any password is hashed
    # Whoever opened a session before keeps the share, by cookie and by Bearer token.
    assert b"Chart 0" in client.get(f"/shared/{shared.token}").content
    bearer = anonymous.get(f"/shared/{shared.token}.json", HTTP_AUTHORIZATION=f"Bearer {session}")
    assert bearer.json()["dashboard"]["name"] == "Growth"
    # Another share of the project is not held back.
    other = share("insight", password="correct horse")
    assert guess(anonymous, other.token, "correct horse", address="192.0.2.1").status_code == 200


def test_a_client_refused_by_its_own_window_hashes_nothing(share, anonymous, counted_hashes):
    shared = share("insight", password="correct horse")
    for _ in range(GUESS_LIMIT):
        guess(anonymous, shared.token, "wrong horse")
    counted_hashes.computed = 0
    assert guess(anonymous, shared.token, "correct horse").status_code == 429
    assert counted_hashes.computed == 0


def failed_logins(shared) -> list[str]:
    entries = ActivityLog.objects.filter(activity="share_login_failed", item_id=str(shared.resource.id))
    return [entry.detail["changes"][0]["after"]["client_ip"] for entry in entries.order_by("created_at")]


def test_wrong_guesses_write_one_activity_row_per_client_window(share, anonymous):
    shared = share("dashboard", password="correct horse")
    for _ in range(GUESS_LIMIT + 5):  # throttled guesses included
        guess(anonymous, shared.token, "wrong horse", address="203.0.113.7")
    for _ in range(3):
        guess(anonymous, shared.token, "wrong horse", address="203.0.113.8")
    assert failed_logins(shared) == ["203.0.113.7", "203.0.113.8"]
    # A new window, a new row.
    PasswordGuessWindow.objects.update(window_start=timezone.now() - timedelta(minutes=16))
    guess(anonymous, shared.token, "wrong horse", address="203.0.113.7")
    guess(anonymous, shared.token, "wrong horse", address="203.0.113.7")
    assert failed_logins(shared) == ["203.0.113.7", "203.0.113.8", "203.0.113.7"]


def test_a_wrong_guess_after_a_right_one_is_still_logged(share, anonymous):
    """A window that only a correct password opened has no wrong guess in it yet: the first one is logged."""
    shared = share("dashboard", password="correct horse")
    assert guess(anonymous, shared.token, "correct horse", address="203.0.113.9").status_code == 200
    guess(anonymous, shared.token, "wrong horse", address="203.0.113.9")
    guess(anonymous, shared.token, "wrong horse", address="203.0.113.9")
    assert failed_logins(shared) == ["203.0.113.9"]
    successes = ActivityLog.objects.filter(activity="share_login_success", item_id=str(shared.resource.id))
    assert successes.count() == 1
