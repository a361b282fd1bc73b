"""Throwaway self-signed certificates for the local fakes (SMTP over TLS, a provider over HTTPS) and for
tests that need a certificate to store (an identity provider's signing certificate)."""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(common_name: str, hosts: tuple[str, ...] = (), ca: bool = False, key=None):
    """(certificate, private key), valid from 5 minutes ago for a day; `hosts` (names or IP addresses)
    become its subject alternative names. `key` defaults to a new P-256 key; an identity provider passes an
    RSA key, the kind SAML signatures use."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([_alt_name(h) for h in hosts]), False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return builder.sign(key, hashes.SHA256()), key


def certificate_pem(certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def write_pem_files(certificate, key, directory: Path) -> tuple[Path, Path]:
    """cert.pem and key.pem in `directory`, as TLS servers load them."""
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_text(certificate_pem(certificate))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _alt_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
