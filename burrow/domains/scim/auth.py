"""Who may call a domain's SCIM server: the bearer of the domain's current token, while the domain is verified
and has SCIM on.

Every failure — no header, another scheme, a wrong or rotated token, SCIM off, an unverified, unknown or
malformed domain id — is the same 401 (docs/deviations.md), so the answer never tells whether a domain
exists."""

import logging
import uuid

from django.http import HttpRequest
from scim2_models import UnauthorizedException

from burrow.domains.models import OrganizationDomain
from burrow.domains.services import hash_scim_token, scim_token_matches

logger = logging.getLogger(__name__)

UNAUTHORIZED = (
    "Send the domain's SCIM token as 'Authorization: Bearer <token>'; a rotated token no longer works."
)


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(request: HttpRequest, domain_id: str) -> OrganizationDomain:
    """The domain the request may act for, with its organization; raises UnauthorizedException otherwise."""
    token = bearer_token(request)
    domain = _domain(domain_id)
    if domain is None:
        # Hash anyway, so an unknown domain answers in about the time a wrong token does.
        hash_scim_token(token)
        reason = "unknown domain"
    elif not token:
        reason = "no bearer token"
    elif not domain.is_verified:
        reason = "domain not verified"
    elif not domain.has_scim:
        reason = "SCIM disabled"
    elif not scim_token_matches(domain, token):
        reason = "wrong token"
    else:
        return domain
    logger.warning("scim authentication refused", extra={"domain_id": domain_id[:64], "reason": reason})
    raise UnauthorizedException(detail=UNAUTHORIZED)


def _domain(domain_id: str) -> OrganizationDomain | None:
    try:
        pk = uuid.UUID(domain_id)
    except ValueError:
        return None
    return OrganizationDomain.objects.select_related("organization").filter(pk=pk).first()
