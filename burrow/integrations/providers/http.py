"""Every call Burrow makes to a provider goes through `call`: httpx with timeouts, no redirects, a cap on the
size of the answer, and failures turned into the provider errors of `errors.py` (unreachable, 5xx, too big →
`ProviderUnavailable`). Nothing here logs a request or response body: they carry tokens."""

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from burrow.core import metrics
from burrow.integrations.providers.errors import ProviderUnavailable

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One connection pool per process (httpx clients are thread-safe; building one loads the CA bundle)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(follow_redirects=False)
        return _client


@dataclass
class ProviderResponse:
    status_code: int
    body: bytes
    provider: str

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise ProviderUnavailable(self.provider, f"answered {self.status_code} without JSON") from None

    def json_object(self) -> dict:
        """The body as a JSON object; anything else is the provider misbehaving (502)."""
        data = self.json()
        if not isinstance(data, dict):
            raise ProviderUnavailable(self.provider, f"answered {self.status_code} with unexpected JSON")
        return data


def rebase(url: str, base: str) -> str:
    """`url` with its scheme and host replaced by `base` (which may carry a path prefix): how the
    BURROW_<PROVIDER>_API_URL settings point server-to-server calls at another host, path kept."""
    if not base:
        return url
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + rest


def call(provider: str, method: str, url: str, **kwargs) -> ProviderResponse:
    """One request to `provider` (its display name, used in errors). 5xx, a transport failure, a timeout or
    an answer over MAX_RESPONSE_BYTES raise ProviderUnavailable; any other status is the caller's to read."""
    with metrics.provider_call(provider.lower()):
        return _call(provider, method, url, **kwargs)


def _call(provider: str, method: str, url: str, **kwargs) -> ProviderResponse:
    path = urlsplit(url).path
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            with client.stream(method, url, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        logger.warning(
                            "provider answer too large", extra={"provider": provider, "path": path}
                        )
                        raise ProviderUnavailable(
                            provider, f"answered more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB"
                        )
    except httpx.TimeoutException:
        logger.warning("provider timed out", extra={"provider": provider, "path": path})
        raise ProviderUnavailable(provider, "did not answer in time") from None
    except httpx.HTTPError as exc:
        logger.warning(
            "provider unreachable", extra={"provider": provider, "path": path, "error": type(exc).__name__}
        )
        raise ProviderUnavailable(provider, "could not be reached") from None
    if response.status_code >= 500:
        logger.warning(
            "provider server error",
            extra={"provider": provider, "path": path, "status": response.status_code},
        )
        raise ProviderUnavailable(provider, f"answered {response.status_code}")
    return ProviderResponse(response.status_code, bytes(body), provider)
