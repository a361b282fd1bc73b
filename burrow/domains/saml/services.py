"""SAML sign-in with the identity provider of a verified domain: the AuthnRequest that starts it, and the
checks a response must pass at the ACS before anyone is signed in (signature against the domain's
certificate, audience, Destination/Recipient, time window, InResponseTo of the sign-in this browser started,
single use), then who it signs in — an existing user, or, with just-in-time provisioning, a new member of the
domain's organization.

Nothing here knows HTTP: views.py turns a `SAMLError` into a page (or, for `jit_not_enabled`, the redirect to
the login page PostHog answers with)."""

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from burrow.core.models import User
from burrow.domains import provisioning
from burrow.domains.models import OrganizationDomain, SAMLAssertionUse
from burrow.domains.saml.sp import acs_request_data, saml_settings

# How long a started sign-in may take at the identity provider (password, MFA); a later answer is refused, as
# every answer to no sign-in of this browser is.
PENDING_MAX_AGE = 15 * 60
_PENDING_SALT = "burrow.domains.saml.pending"

# Where identity providers put the address and the names, by the names Okta, Entra ID, Google, OneLogin and
# LDAP-style (OID) set-ups use; the first one present wins, the NameID stands in for a missing address.
EMAIL_ATTRIBUTES = (
    "email",
    "EMAIL",
    "Email",
    "emailAddress",
    "mail",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
)
FIRST_NAME_ATTRIBUTES = (
    "first_name",
    "FIRST_NAME",
    "firstName",
    "givenName",
    "givenname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
)
LAST_NAME_ATTRIBUTES = (
    "last_name",
    "LAST_NAME",
    "lastName",
    "surname",
    "sn",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
)

NOT_CONFIGURED = "SAML not configured for this user."
INVALID_RELAY_STATE = "Authentication request is invalid. Invalid RelayState."
MISCONFIGURED = (
    "The SAML settings of this domain cannot be used (identity provider entity ID, SSO URL or certificate). "
    "Ask an administrator of your organization to check them."
)
UNREADABLE = (
    "The sign-in response could not be read: it is not a SAML response. Start again from the sign-in page."
)
UNSOLICITED = (
    "This sign-in was not started from this browser: Burrow accepts an answer from an identity provider only "
    "to a sign-in started on its own sign-in page. Start again from the sign-in page."
)
CROSS_SITE_START = "This sign-in was started by another site. Start it from the sign-in page."
NO_DESTINATION = (
    "The response does not say where it was sent (no Destination). Set the identity provider to send "
    "the ACS URL of Burrow as the Destination."
)
ANOTHER_REQUEST = "The response answers another sign-in request. Start again from the sign-in page."
REPLAYED = "This sign-in response has already been used. Start again from the sign-in page."
NO_EMAIL = (
    "Your identity provider did not send an e-mail address. Ask your administrator to send it as the NameID "
    "or as an `email` attribute."
)
INACTIVE = "This account is disabled."
JIT_NOT_ENABLED = "jit_not_enabled"

_V = OneLogin_Saml2_ValidationError
_UNSOLICITED_CODE = -1  # Burrow's own, beside python3-saml's validation error codes
# Why a response was refused, in words an administrator can act on, by python3-saml's error code.
_REASONS = {
    (_V.NO_SIGNATURE_FOUND, _V.NO_SIGNED_ASSERTION, _V.NO_SIGNED_MESSAGE): (
        "The response is not signed. Set the identity provider to sign the assertion."
    ),
    (
        _V.INVALID_SIGNATURE,
        _V.WRONG_SIGNED_ELEMENT,
        _V.ID_NOT_FOUND_IN_SIGNED_ELEMENT,
        _V.DUPLICATED_ID_IN_SIGNED_ELEMENTS,
        _V.INVALID_SIGNED_ELEMENT,
        _V.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS,
        _V.UNEXPECTED_SIGNED_ELEMENTS,
        _V.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE,
        _V.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION,
        _V.WRONG_NUMBER_OF_SIGNATURES,
    ): "The response's signature does not match the certificate configured for this domain.",
    (_V.DEPRECATED_SIGNATURE_METHOD, _V.DEPRECATED_DIGEST_METHOD): (
        "The response is signed with SHA-1, which Burrow refuses. Set the identity provider to SHA-256."
    ),
    (_V.WRONG_AUDIENCE, _V.SP_NAME_QUALIFIER_NAME_MISMATCH): (
        "The response is meant for another service: its audience is not this domain's SP entity ID."
    ),
    (_V.ASSERTION_EXPIRED, _V.ASSERTION_TOO_EARLY, _V.SESSION_EXPIRED, _V.RESPONSE_EXPIRED): (
        "The response has expired or is not valid yet. Start again; if it keeps happening, check the clocks."
    ),
    (_V.WRONG_DESTINATION,): "The response was sent for another address than Burrow's ACS URL.",
    (_V.EMPTY_DESTINATION,): NO_DESTINATION,
    (_V.WRONG_SUBJECTCONFIRMATION,): (
        "The response's subject confirmation is not for Burrow's ACS URL, or it has expired."
    ),
    (_V.WRONG_ISSUER, _V.ISSUER_MULTIPLE_IN_RESPONSE, _V.ISSUER_NOT_FOUND_IN_ASSERTION): (
        "The response was issued by another identity provider than the entity ID configured for this domain."
    ),
    (_V.WRONG_INRESPONSETO,): ANOTHER_REQUEST,
    (_UNSOLICITED_CODE,): UNSOLICITED,
    (_V.STATUS_CODE_IS_NOT_SUCCESS,): "Your identity provider did not sign you in.",
    (_V.NO_NAMEID, _V.EMPTY_NAMEID): "The response names nobody (no NameID).",
}
_REASON_BY_CODE = {code: reason for codes, reason in _REASONS.items() for code in codes}
# The log's reason for a refusal, when it is not plain `saml_failed`.
_LOGGED_CODE = {
    **dict.fromkeys(
        (_V.ASSERTION_EXPIRED, _V.ASSERTION_TOO_EARLY, _V.SESSION_EXPIRED, _V.RESPONSE_EXPIRED),
        "saml_expired",
    ),
    _UNSOLICITED_CODE: "saml_unsolicited",
}
INVALID_RESPONSE = "The response is not a valid SAML response for this domain."


class SAMLError(Exception):
    """A sign-in that does not go ahead: `code` for logs and the login page, `message` for the person."""

    def __init__(self, code: str, message: str, status: int = 403, detail: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail  # the library's own words, for the log line only


@dataclass(frozen=True)
class Started:
    redirect_url: str
    pending: str  # signed: the request id, the domain and where to land, kept by the browser until the ACS


@dataclass(frozen=True)
class Pending:
    request_id: str
    domain_id: str
    next_url: str


@dataclass(frozen=True)
class SignedIn:
    user: User
    domain: OrganizationDomain
    next_url: str
    created: bool


def domain_for_email(email: str) -> OrganizationDomain:
    domain = provisioning.verified_domain_for_email(email)
    if domain is None or not domain.has_saml:
        raise SAMLError("saml_not_configured", NOT_CONFIGURED, status=400)
    return domain


def start(email: str, next_url: str = "/") -> Started:
    """The redirect to the identity provider of the verified domain of `email` (HTTP-Redirect binding), with
    RelayState = the domain id, as PostHog sends it. `next_url` is a path on this site, checked by the caller."""
    domain = domain_for_email(email)
    try:
        settings = saml_settings(domain)
        request = OneLogin_Saml2_Authn_Request(settings, set_nameid_policy=True)
        url = OneLogin_Saml2_Utils.redirect(
            settings.get_idp_sso_url(), {"SAMLRequest": request.get_request(), "RelayState": str(domain.id)}
        )
    except OneLogin_Saml2_Error as error:
        raise SAMLError("saml_misconfigured", MISCONFIGURED, status=400, detail=str(error)) from None
    pending = {"request_id": request.get_id(), "domain_id": str(domain.id), "next_url": next_url}
    return Started(url, signing.dumps(pending, salt=_PENDING_SALT))


def read_pending(value: str | None) -> Pending | None:
    """The sign-in this browser started, if it did so within `PENDING_MAX_AGE`."""
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_PENDING_SALT, max_age=PENDING_MAX_AGE)
        # Signed by Burrow at the start, from a path the view had checked.
        return Pending(str(data["request_id"]), str(data["domain_id"]), str(data["next_url"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def complete(relay_state: str | None, saml_response: str | None, pending: Pending | None) -> SignedIn:
    """Checks the identity provider's response for the domain named in `relay_state` and finds (or, with JIT,
    creates) the person it signs in. Raises `SAMLError` for anything that must not sign anyone in."""
    domain = _domain_from_relay_state(relay_state)
    try:
        settings = saml_settings(domain)
    except OneLogin_Saml2_Error as error:
        raise SAMLError("saml_misconfigured", MISCONFIGURED, status=400, detail=str(error)) from None
    try:
        response = OneLogin_Saml2_Response(settings, _decoded_base64(saml_response))
    except Exception as error:  # any parse failure of outside input is the sender's fault, never a 500
        raise SAMLError("saml_unreadable", UNREADABLE, status=400, detail=type(error).__name__) from None

    # Only the answer to the sign-in this browser started is taken: an unsolicited (IdP-initiated) response, or
    # one answering a request made in another browser, could sign a victim into an attacker's account (login
    # CSRF); the pending cookie ties the request id to this browser.
    if pending is None:
        raise SAMLError("saml_unsolicited", UNSOLICITED, detail="no sign-in pending in this browser")
    if pending.domain_id != str(domain.id):
        raise SAMLError(
            "saml_unsolicited", ANOTHER_REQUEST, detail="the pending sign-in is for another domain"
        )
    try:
        response.is_valid(
            acs_request_data({"SAMLResponse": saml_response or ""}), pending.request_id, raise_exceptions=True
        )
        # python3-saml compares InResponseTo and Destination only when they are there: an unsolicited answer
        # has no InResponseTo, and one without a Destination could have been meant for any service provider.
        if not response.get_in_response_to():
            raise _V("The response answers no request", _UNSOLICITED_CODE)
        if not response.document.get("Destination"):
            raise _V("The response has no Destination", _V.EMPTY_DESTINATION)
        # python3-saml checks the audience only when there is one; an assertion for no one in particular is not
        # one for this domain.
        if not response.get_audiences():
            raise _V("The assertion names no audience", _V.WRONG_AUDIENCE)
        assertion_id = response.get_assertion_id()
        expires = response.get_assertion_not_on_or_after()
        attributes = response.get_attributes()
        name_id = response.get_nameid()
    except _V as error:
        raise SAMLError(
            _LOGGED_CODE.get(error.code, "saml_failed"),
            _REASON_BY_CODE.get(error.code, INVALID_RESPONSE),
            detail=str(error),
        ) from None
    except Exception as error:  # xmlsec and lxml errors on hostile documents
        raise SAMLError("saml_failed", INVALID_RESPONSE, detail=type(error).__name__) from None
    if not assertion_id or expires is None:
        # The Web SSO profile requires a NotOnOrAfter on a bearer confirmation: without it an assertion could
        # be replayed for ever after its record is purged.
        raise SAMLError("saml_failed", INVALID_RESPONSE, detail="no assertion id or NotOnOrAfter")
    _use_once(domain, assertion_id, expires)

    email = _email(attributes, name_id)
    if provisioning.email_domain(email) != domain.domain:
        raise SAMLError(
            "saml_wrong_domain",
            f"Your identity provider signed you in as an address outside {domain.domain}; "
            f"it can only sign in people of {domain.domain}.",
            detail=f"address domain {provisioning.email_domain(email) or '-'}",
        )
    user, created = _user_for(domain, email, attributes)
    return SignedIn(user, domain, pending.next_url, created)


def _domain_from_relay_state(relay_state: str | None) -> OrganizationDomain:
    try:
        domain_id = uuid.UUID((relay_state or "").strip())
    except ValueError:
        raise SAMLError("invalid_relay_state", INVALID_RELAY_STATE, status=400) from None
    domain = (
        OrganizationDomain.objects.select_related("organization")
        .filter(pk=domain_id, verified_at__isnull=False)
        .first()
    )
    if domain is None or not domain.has_saml:
        raise SAMLError("invalid_relay_state", INVALID_RELAY_STATE, status=400)
    return domain


def _decoded_base64(value: str | None) -> str:
    """The response as python3-saml takes it, after a strict check: its own decoder skips stray characters,
    which would turn garbage into a confusing XML error."""
    compact = "".join((value or "").split())
    if not compact:
        raise ValueError("empty SAMLResponse")
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("SAMLResponse is not base64") from None
    return compact


def _use_once(domain: OrganizationDomain, assertion_id: str, expires: int) -> None:
    """Records the assertion as used, or refuses it when it already was. The record is kept until the assertion
    can no longer pass the time checks (plus the clock drift python3-saml allows); older ones are purged here."""
    now = timezone.now()
    SAMLAssertionUse.objects.filter(expires_at__lt=now).delete()
    expires_at = dt.datetime.fromtimestamp(expires + Constants.ALLOWED_CLOCK_DRIFT, dt.UTC)
    digest = hashlib.sha256(assertion_id.encode()).hexdigest()
    try:
        with transaction.atomic():
            SAMLAssertionUse.objects.create(domain=domain, assertion_digest=digest, expires_at=expires_at)
    except IntegrityError:
        raise SAMLError("saml_replayed", REPLAYED, detail=f"assertion {assertion_id}") from None


def _first(attributes: dict, names: tuple[str, ...]) -> str:
    for name in names:
        for value in attributes.get(name) or ():
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _email(attributes: dict, name_id: str | None) -> str:
    email = _first(attributes, EMAIL_ATTRIBUTES) or (name_id or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SAMLError("saml_no_email", NO_EMAIL, detail="no usable address") from None
    return email


def _user_for(domain: OrganizationDomain, email: str, attributes: dict) -> tuple[User, bool]:
    """The person to sign in: known users are signed in (and, with JIT, joined to the domain's organization);
    unknown ones are created as members only with JIT, as PostHog does."""
    user = provisioning.find_user(email)
    created = False
    if user is None:
        if not domain.jit_provisioning_enabled:
            raise SAMLError(JIT_NOT_ENABLED, "Automatic provisioning is not enabled for this domain.")
        user = provisioning.create_user(
            email, _first(attributes, FIRST_NAME_ATTRIBUTES), _first(attributes, LAST_NAME_ATTRIBUTES)
        )
        created = True
    if not user.is_active:
        raise SAMLError("inactive_user", INACTIVE, detail=f"user {user.pk}")
    if domain.jit_provisioning_enabled:
        provisioning.join_organization(user, domain.organization)
    return user, created
