"""The GitHub App's own token, a JWT signed with the App's private key (RS256): what GitHub asks for before it
mints an installation token or removes an installation."""

import base64
import json
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings

from burrow.integrations.providers.errors import ProviderRejected

KEY_NOT_CONFIGURED = "GitHub App is not configured on this instance: set BURROW_GITHUB_APP_ID and BURROW_GITHUB_APP_PRIVATE_KEY."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_jwt() -> str:
    """The App's own token (10 minutes at most, iat backdated a minute for clock drift)."""
    pem = settings.GITHUB_APP_PRIVATE_KEY
    if "\\n" in pem and "\n" not in pem.strip():
        pem = pem.replace("\\n", "\n")  # a PEM squeezed onto one line of an environment file
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        key = None
    if not settings.GITHUB_APP_ID or not isinstance(key, rsa.RSAPrivateKey):
        raise ProviderRejected("GitHub", KEY_NOT_CONFIGURED)
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64url(
        json.dumps({"iat": now - 60, "exp": now + 540, "iss": str(settings.GITHUB_APP_ID)}).encode()
    )
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64url(signature)}"
