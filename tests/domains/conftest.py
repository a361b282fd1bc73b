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
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
