"""Helpers for the organization-domains tests: members of a tenant's organization at a chosen level, and a
verified domain created through the ORM (verification itself is tested against the DNS fake)."""

import datetime as dt

import pytest

from tests.conftest import client_for


@pytest.fixture
def member_client(tenant):
    """A client for a new user of `tenant`'s organization at `level` ("member", "admin", "owner")."""
    from burrow.core.bootstrap import join_organization

    counter = iter(range(1, 1000))

    def make(level: str = "member", scopes: list[str] | None = None):
        result = join_organization(
            f"{level}{next(counter)}@{tenant.organization.id.hex[:8]}.example.com",
            tenant.organization,
            level,
            scopes or ["*"],
        )
        return client_for(result.personal_api_key)

    return make


@pytest.fixture
def verified_domain(tenant):
    from burrow.domains.models import OrganizationDomain

    def make(name: str = "verified.example.com", org=None, **fields):
        return OrganizationDomain.objects.create(
            organization=org or tenant.organization,
            domain=name,
            verified_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            **fields,
        )

    return make


@pytest.fixture(autouse=True)
def _dns(fake_dns):
    """No test here reaches the real DNS: every look-up goes to the fake (NXDOMAIN unless a test adds)."""
    return fake_dns


@pytest.fixture(scope="session")
def certificate_pem() -> str:
    """A throwaway self-signed certificate, as an identity provider would show its signing certificate."""
    from tests.fakes.tls import certificate_pem as as_pem
    from tests.fakes.tls import self_signed

    return as_pem(self_signed("idp.example.com")[0])


# The password people of the sign-in tests use (MD5 hashing keeps those tests fast; what is hashed how is
# burrow/core's concern, tested there).
PASSWORD = "correct horse battery"


@pytest.fixture
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def person(tenant, fast_password_hashing):
    """`tenant`'s user, with PASSWORD."""
    tenant.user.set_password(PASSWORD)
    tenant.user.save()
    return tenant.user
