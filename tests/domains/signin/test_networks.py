"""The sign-in throttle counts an IPv6 client by its /64: a host holds a whole /64 and may take any address of
it, so single addresses would give one client a fresh window per guess."""

import pytest
from django.test import Client

from tests.domains.signin.test_api import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def test_failed_logins_from_one_ipv6_64_share_a_window(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    for n in range(1, 4):
        assert (
            login(Client(), f"guess{n}@example.com", "wrong", address=f"2001:db8:5:7::{n}").status_code == 400
        )
    assert login(Client(), person.email, address="2001:db8:5:7:abcd::9").status_code == 429
    assert login(Client(), person.email, address="2001:db8:5:8::1").status_code == 200  # the next /64


def test_ipv4_clients_are_still_counted_by_their_own_address(person, settings):
    settings.LOGIN_ATTEMPTS = 3
    for n in range(1, 4):
        assert login(Client(), f"guess{n}@example.com", "wrong", address="198.51.100.7").status_code == 400
    assert login(Client(), person.email, address="198.51.100.7").status_code == 429
    assert login(Client(), person.email, address="198.51.100.8").status_code == 200
