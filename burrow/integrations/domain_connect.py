"""Domain Connect (https://www.domainconnect.org): one-click DNS set-up at the customer's DNS provider.

`check` finds whether a domain's DNS provider speaks the synchronous flow: the root domain by the Public
Suffix List, the provider's endpoint from the `_domainconnect` TXT record of the root, and the provider's
settings (`urlSyncUX`) from `<endpoint>/v2/<root>/settings`. Only providers of the allow-list
(BURROW_DOMAIN_CONNECT_PROVIDERS) are ever called, so a TXT record cannot point Burrow at an arbitrary host.

`apply_url` builds the link that opens the provider's consent page for one of Burrow's templates
(docs/domain-connect/): the sender domain records of an `email` integration, or a proxy record's CNAME. The
query string is signed with BURROW_DOMAIN_CONNECT_PRIVATE_KEY (RSA-SHA256, PKCS#1 v1.5); providers check it
with the public key the operator publishes in DNS under BURROW_DOMAIN_CONNECT_KEY_ID."""

import base64
import logging
import uuid
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.core.cache import cache as django_cache
from rest_framework.exceptions import ValidationError

from burrow.core.dns import LookupFailed, txt_records
from burrow.core.ids import parse_id
from burrow.core.models import Team
from burrow.integrations import dns_names
from burrow.integrations.models import Integration, ProxyRecord
from burrow.integrations.provider_errors import provider_failed
from burrow.integrations.providers.email import public_key_of, template_variables
from burrow.integrations.providers.errors import ProviderUnavailable
from burrow.integrations.providers.http import call

logger = logging.getLogger(__name__)

DISCOVERY_HOST = "_domainconnect"
CACHE_SECONDS = 3600  # PostHog caches hits and misses for an hour
FAULT_CACHE_SECONDS = 60  # a timeout says nothing about the domain: ask again soon
LOOKUP_LIFETIME_SECONDS = 3.0
SERVICES = {"email": "email-verification", "proxy": "reverse-proxy"}

DOMAIN_REQUIRED = "domain query parameter is required"
DOMAIN_INVALID = "{value} is not a registrable domain name, such as example.com or ph.example.co.uk."
UNSUPPORTED_PROVIDER = "Unsupported provider endpoint"
CONTEXT_INVALID = "context must be 'email' or 'proxy'"
EMAIL_ID_REQUIRED = "integration_id is required for email context"
PROXY_ID_REQUIRED = "proxy_record_id is required for proxy context"
EMAIL_CONTEXT_ERROR = "Validation error resolving email context. Please try again later or contact support."
PROXY_CONTEXT_ERROR = "Validation error resolving proxy context. Please try again later or contact support."
APPLY_URL_ERROR = "Error generating apply URL. Please try again later or contact support."
KEY_MISSING = (
    "Automatic DNS configuration is temporarily unavailable for this provider. Please configure your DNS "
    "records manually. (Server operator: set BURROW_DOMAIN_CONNECT_PRIVATE_KEY to the PEM private key whose "
    "public key is published for Domain Connect; see docs/domain-connect/README.md.)"
)
REDIRECT_INVALID = "redirect_uri must be an absolute http or https URL."


@dataclass(frozen=True)
class DnsProvider:
    endpoint: (
        str  # as the allow-list names it, without the scheme: api.cloudflare.com/client/v4/dns/domainconnect
    )
    name: str
    scheme: str  # https; http only when the operator wrote it (a local test provider)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.endpoint}"

    @property
    def shown_endpoint(self) -> str:
        return self.endpoint if self.scheme == "https" else self.base_url


def _bare(endpoint: str) -> str:
    """An endpoint compared by host and path: no scheme, no trailing slash, host in lower case."""
    endpoint = endpoint.strip()
    for prefix in ("https://", "http://"):
        if endpoint.lower().startswith(prefix):
            endpoint = endpoint[len(prefix) :]
    host, _, path = endpoint.rstrip("/").partition("/")
    return f"{host.lower()}/{path}" if path else host.lower()


@cache
def _parse_providers(value: str) -> tuple[DnsProvider, ...]:
    providers = []
    for entry in value.split(","):
        endpoint, _, name = entry.strip().partition("=")
        if not endpoint.strip():
            continue
        scheme = "http" if endpoint.strip().lower().startswith("http://") else "https"
        bare = _bare(endpoint)
        providers.append(DnsProvider(bare, name.strip() or bare.split("/")[0], scheme))
    return tuple(providers)


def allowed_providers() -> tuple[DnsProvider, ...]:
    return _parse_providers(settings.DOMAIN_CONNECT_PROVIDERS)


def find_provider(endpoint: object) -> DnsProvider | None:
    if not isinstance(endpoint, str) or not endpoint.strip():
        return None
    wanted = _bare(endpoint)
    return next((p for p in allowed_providers() if p.endpoint == wanted), None)


class _Fault(Exception):
    """DNS or the provider could not answer now; the answer is not cached for long."""


def _discover(root: str) -> DnsProvider | None:
    """The allow-listed provider the root's `_domainconnect` TXT record names (the first record, as
    PostHog reads it), else None."""
    try:
        values = txt_records(f"{DISCOVERY_HOST}.{root}", LOOKUP_LIFETIME_SECONDS)
    except LookupFailed:
        raise _Fault() from None
    return find_provider(values[0]) if values else None


def _sync_ux(provider: DnsProvider, root: str) -> str | None:
    """The provider's `urlSyncUX` for `root` from its settings document; None when it has none for this
    domain. ProviderUnavailable when it cannot be asked (providers/http.py limits time and size)."""
    response = call(provider.name, "GET", f"{provider.base_url}/v2/{quote(root)}/settings")
    if response.status_code != 200:
        return None
    url = response.json_object().get("urlSyncUX")
    if not isinstance(url, str) or len(url) > 2000:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", provider.scheme) or not parts.hostname:
        return None
    return url.rstrip("/")


@dataclass(frozen=True)
class Discovery:
    provider: DnsProvider | None
    sync_ux: str | None


def discover(root: str) -> Discovery:
    """The root's provider and its sync URL, cached (an hour, a minute after a fault)."""
    key = f"domain-connect/discovery/{root}"
    cached = django_cache.get(key)
    if cached is not None:
        return cached
    lifetime = CACHE_SECONDS
    try:
        provider = _discover(root)
        sync_ux = _sync_ux(provider, root) if provider else None
    except (_Fault, ProviderUnavailable):
        provider, sync_ux, lifetime = None, None, FAULT_CACHE_SECONDS
    result = Discovery(provider if sync_ux else None, sync_ux)
    django_cache.set(key, result, lifetime)
    return result


def root_of(value: object) -> tuple[str, str]:
    """(root, host) of a domain someone typed, or a 400."""
    try:
        return dns_names.split_root(dns_names.normalise(value))
    except dns_names.NotRegistrable:
        shown = value[:100] if isinstance(value, str) else "This value"
        raise ValidationError({"domain": DOMAIN_INVALID.format(value=shown)}) from None


def check(domain: object) -> dict:
    """`GET …/domain-connect/check/?domain=`: whether one-click set-up works for the domain. DNS and
    provider failures answer `supported: false`, never an error."""
    if domain in (None, ""):
        raise ValidationError(DOMAIN_REQUIRED)
    root, _ = root_of(domain)
    found = discover(root)
    supported = found.provider is not None
    return {
        "supported": supported,
        "provider_name": found.provider.name if supported else None,
        "available_providers": []
        if supported
        else [{"endpoint": p.shown_endpoint, "name": p.name} for p in allowed_providers()],
    }


# Apply URLs


@dataclass(frozen=True)
class Template:
    service: str
    domain: str
    variables: dict[str, str]


def _email_template(team: Team, integration_id: str) -> Template:
    pk = parse_id(integration_id)
    integration = (
        Integration.objects.filter(team=team, id=pk, kind=Integration.Kind.EMAIL).first() if pk else None
    )
    if integration is None:
        raise ValidationError(EMAIL_CONTEXT_ERROR)
    config = integration.config or {}
    try:
        variables = template_variables(config, public_key_of(integration))
    except (KeyError, ValueError, TypeError):
        raise ValidationError(EMAIL_CONTEXT_ERROR) from None
    return Template(SERVICES["email"], config["domain"], variables)


def _proxy_template(team: Team, proxy_record_id: str) -> Template:
    try:
        pk = uuid.UUID(str(proxy_record_id))
    except ValueError:
        raise ValidationError(PROXY_CONTEXT_ERROR) from None
    record = ProxyRecord.objects.filter(organization_id=team.organization_id, id=pk).first()
    if record is None:
        raise ValidationError(PROXY_CONTEXT_ERROR)
    return Template(SERVICES["proxy"], record.domain, {"target": record.target_cname})


def _signing_key() -> rsa.RSAPrivateKey:
    pem = settings.DOMAIN_CONNECT_PRIVATE_KEY
    if "\\n" in pem and "\n" not in pem.strip():
        pem = pem.replace("\\n", "\n")  # a PEM squeezed onto one line of an environment file
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None) if pem.strip() else None
    except (ValueError, TypeError):
        logger.warning("BURROW_DOMAIN_CONNECT_PRIVATE_KEY is not a PEM private key")
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValidationError(KEY_MISSING)
    return key


def sign_query(query: str, key: rsa.RSAPrivateKey) -> str:
    """Domain Connect's request signature: RSA PKCS#1 v1.5 over SHA-256 of the exact query string, base64."""
    return base64.b64encode(key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _redirect(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"redirect_uri": REDIRECT_INVALID})
    return value


def apply_url(
    team: Team,
    context: str | None = None,
    integration_id: str | None = None,
    proxy_record_id: str | None = None,
    redirect_uri: str | None = None,
    provider_endpoint: str | None = None,
) -> str:
    """The signed URL that applies the context's template at the domain's DNS provider."""
    provider = None
    if provider_endpoint:
        provider = find_provider(provider_endpoint)
        if provider is None:
            raise ValidationError(UNSUPPORTED_PROVIDER)
    if context == "email":
        if not integration_id:
            raise ValidationError(EMAIL_ID_REQUIRED)
        template = _email_template(team, integration_id)
    elif context == "proxy":
        if not proxy_record_id:
            raise ValidationError(PROXY_ID_REQUIRED)
        template = _proxy_template(team, proxy_record_id)
    else:
        raise ValidationError(CONTEXT_INVALID)
    redirect = _redirect(redirect_uri)
    root, host = root_of(template.domain)
    sync_ux = None
    if provider is None:
        found = discover(root)
        provider, sync_ux = found.provider, found.sync_ux
        if provider is None:
            raise ValidationError(APPLY_URL_ERROR)
    key = _signing_key()
    if sync_ux is None:
        try:
            sync_ux = _sync_ux(provider, root)
        except ProviderUnavailable as exc:
            raise provider_failed(exc) from None
    if sync_ux is None:
        raise ValidationError(APPLY_URL_ERROR)
    params = [("domain", root), *([("host", host)] if host else []), *template.variables.items()]
    if redirect:
        params.append(("redirect_uri", redirect))
    query = urlencode(params, quote_via=quote)
    signature = quote(sign_query(query, key), safe="")
    provider_id = quote(settings.DOMAIN_CONNECT_PROVIDER_ID, safe="")
    return (
        f"{sync_ux}/v2/domainTemplates/providers/{provider_id}/services/{template.service}/apply?"
        f"{query}&sig={signature}&key={quote(settings.DOMAIN_CONNECT_KEY_ID, safe='')}"
    )
