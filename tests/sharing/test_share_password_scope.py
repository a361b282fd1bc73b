"""Which passwords a share takes: only its own (another share's password opens nothing), up to the longest
length a guess is checked at, and a longer guess is refused without hashing anything."""

import pytest

from burrow.sharing.access import MAX_PASSWORD_LENGTH
from tests.sharing.test_public import login
from tests.sharing.test_throttle_clients import counted_hashes  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_a_password_opens_only_its_own_share(share, anonymous):
    mine = share("dashboard", password="correct horse")
    other = share("insight", password="battery staple")
    assert login(anonymous, other.token, "correct horse").status_code == 401
    assert login(anonymous, mine.token, "battery staple").status_code == 401
    assert login(anonymous, mine.token, "correct horse").status_code == 200


def test_the_longest_password_opens_and_a_longer_guess_is_never_hashed(share, anonymous, counted_hashes):  # noqa: F811
    shared = share("insight", password="x" * MAX_PASSWORD_LENGTH)
    assert login(anonymous, shared.token, "x" * MAX_PASSWORD_LENGTH).status_code == 200
    counted_hashes.computed = 0
    assert login(anonymous, shared.token, "x" * (MAX_PASSWORD_LENGTH + 1)).status_code == 401
    assert counted_hashes.computed == 0
