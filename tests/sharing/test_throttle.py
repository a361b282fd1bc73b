"""Wrong share passwords are throttled per share token and client address, always: after 10 wrong guesses in
15 minutes, guesses answer 429 with Retry-After; correct passwords are not counted. IPv6 clients, the cap on
each share and the activity log: test_throttle_clients.py."""

import threading
from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.utils import timezone

from burrow.sharing.models import PasswordGuessWindow
from burrow.sharing.throttle import GUESS_LIMIT, claim_guess

pytestmark = pytest.mark.django_db


PROXY = "10.0.0.1"


def guess(
    client,
    token: str,
    password: str,
    address: str = "198.51.100.1",
    form: bool = False,
    forwarded_for: str | None = None,
):
    meta = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    if form:
        return client.post(f"/shared/{token}", {"password": password}, **meta)
    return client.post(f"/shared/{token}", {"password": password}, content_type="application/json", **meta)


def test_the_eleventh_wrong_guess_is_429_with_retry_after(share, anonymous, settings):
    assert not settings.THROTTLE_BURST  # general rate limiting is off; this throttle is not
    shared = share("dashboard", password="correct horse")
    for _ in range(GUESS_LIMIT):
        assert guess(anonymous, shared.token, "wrong horse").status_code == 401
    refused = guess(anonymous, shared.token, "wrong horse")
    assert refused.status_code == 429
    assert 890 <= int(refused["Retry-After"]) <= 900
    assert refused.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": f"Request was throttled. Expected available in {refused['Retry-After']} seconds.",
        "attr": None,
    }
    assert refused["Cache-Control"] == "no-store"
    # Not even the right password is checked now.
    assert guess(anonymous, shared.token, "correct horse").status_code == 429


def test_correct_passwords_are_not_counted(share, anonymous):
    shared = share("insight", password="correct horse")
    for _ in range(GUESS_LIMIT - 1):
        assert guess(anonymous, shared.token, "wrong horse").status_code == 401
        assert guess(anonymous, shared.token, "correct horse").status_code == 200
    assert guess(anonymous, shared.token, "wrong horse").status_code == 401  # the 10th wrong guess
    assert guess(anonymous, shared.token, "wrong horse").status_code == 429


def test_the_limit_is_per_client_address_and_per_share(share, anonymous):
    first = share("dashboard", password="correct horse")
    second = share("insight", password="correct horse")
    for _ in range(GUESS_LIMIT):
        guess(anonymous, first.token, "wrong horse")
    assert guess(anonymous, first.token, "wrong horse").status_code == 429
    assert guess(anonymous, first.token, "wrong horse", address="198.51.100.2").status_code == 401
    assert guess(anonymous, second.token, "wrong horse").status_code == 401


def test_visitors_behind_a_trusted_proxy_have_windows_of_their_own(share, anonymous, settings):
    settings.TRUSTED_PROXIES = (ip_network(PROXY),)
    shared = share("dashboard", password="correct horse")
    for _ in range(GUESS_LIMIT):
        assert (
            guess(anonymous, shared.token, "wrong horse", PROXY, forwarded_for="203.0.113.5").status_code
            == 401
        )
    assert (
        guess(anonymous, shared.token, "wrong horse", PROXY, forwarded_for="203.0.113.5").status_code == 429
    )
    # The guesser's own X-Forwarded-For (the proxy appends the address it saw) opens no new window...
    spoofed = guess(anonymous, shared.token, "wrong horse", PROXY, forwarded_for="192.0.2.9, 203.0.113.5")
    assert spoofed.status_code == 429
    # ...and another visitor behind the same proxy still gets in.
    assert (
        guess(anonymous, shared.token, "wrong horse", PROXY, forwarded_for="203.0.113.6").status_code == 401
    )
    assert (
        guess(anonymous, shared.token, "correct horse", PROXY, forwarded_for="203.0.113.6").status_code == 200
    )


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(share, anonymous, settings):
    settings.TRUSTED_PROXIES = (ip_network(PROXY),)
    shared = share("dashboard", password="correct horse")
    for n in range(GUESS_LIMIT):
        guess(anonymous, shared.token, "wrong horse", forwarded_for=f"203.0.113.{n}")
    assert guess(anonymous, shared.token, "wrong horse", forwarded_for="203.0.113.99").status_code == 429


def test_the_unlock_form_says_when_to_try_again(share, client):
    shared = share("dashboard", password="correct horse")
    for _ in range(GUESS_LIMIT):
        assert guess(client, shared.token, "wrong horse", form=True).status_code == 401
    refused = guess(client, shared.token, "wrong horse", form=True)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert b"Too many wrong passwords. Try again in 15 minutes." in refused.content
    assert refused["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(("seconds_left", "said"), [(30.5, "1 minute."), (121.5, "3 minutes.")])
def test_the_wait_is_said_in_whole_minutes_rounded_up(share, client, seconds_left, said):
    shared = share("dashboard", password="correct horse")
    for _ in range(GUESS_LIMIT):
        guess(client, shared.token, "wrong horse", form=True)
    opened = timezone.now() - timedelta(minutes=15) + timedelta(seconds=seconds_left)
    PasswordGuessWindow.objects.update(window_start=opened)
    refused = guess(client, shared.token, "wrong horse", form=True)
    assert refused.status_code == 429
    assert f"Too many wrong passwords. Try again in {said}</p>".encode() in refused.content


def test_guesses_reopen_when_the_window_has_passed_and_old_windows_are_pruned(share, anonymous):
    shared = share("dashboard", password="correct horse")
    other = share("insight", password="correct horse")
    for _ in range(GUESS_LIMIT):
        guess(anonymous, shared.token, "wrong horse")
    guess(anonymous, other.token, "wrong horse")
    PasswordGuessWindow.objects.update(window_start=timezone.now() - timedelta(minutes=15, seconds=1))
    assert guess(anonymous, shared.token, "wrong horse").status_code == 401
    reopened = PasswordGuessWindow.objects.filter(window_start__gt=timezone.now() - timedelta(minutes=1))
    assert list(reopened.values_list("failures", flat=True)) == [1, 1]  # the client's window and the share's
    # A new window elsewhere deletes every closed one (the other share's two).
    guess(anonymous, shared.token, "wrong horse", address="198.51.100.9")
    assert PasswordGuessWindow.objects.count() == 3


def test_windows_store_neither_token_nor_address(share, anonymous):
    shared = share("dashboard", password="correct horse")
    guess(anonymous, shared.token, "wrong horse", address="198.51.100.77")
    buckets = " ".join(PasswordGuessWindow.objects.values_list("bucket", flat=True))
    assert shared.token not in buckets and "198.51.100.77" not in buckets


def test_a_claim_is_compare_and_set(db):
    """Claims never pass the limit, whatever state the window is in."""
    claims = [claim_guess("d" * 64, "198.51.100.1") for _ in range(GUESS_LIMIT + 1)]
    assert [claim.retry_after for claim in claims[:GUESS_LIMIT]] == [None] * GUESS_LIMIT
    assert claims[-1].retry_after > 0
    assert sorted(PasswordGuessWindow.objects.values_list("failures", flat=True)) == [GUESS_LIMIT] * 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_never_pass_the_limit():
    """Eight clients guessing at once, 24 guesses: exactly the limit get through, on any database."""
    from django.db import connection

    start = threading.Barrier(8)
    granted: list[bool] = []

    def client() -> None:
        try:
            start.wait()
            for _ in range(3):
                granted.append(claim_guess("c" * 64, "198.51.100.1").retry_after is None)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 24 and granted.count(True) == GUESS_LIMIT
    # The client's window and the share's each counted exactly the guesses that got through.
    assert sorted(PasswordGuessWindow.objects.values_list("failures", flat=True)) == [GUESS_LIMIT] * 2
