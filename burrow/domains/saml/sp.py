"""Burrow as a SAML service provider for one organization domain: its entity ID and ACS URL (from
`BURROW_SITE_URL`, never from the request's Host header), the python3-saml settings that pair it with the
domain's identity provider, and the SP metadata an administrator hands to that provider.

Each domain is its own service provider (entity ID = its metadata URL): an assertion addressed to one domain's
SP is refused by every other domain's, and two domains of one company can be two apps in one IdP tenant."""

from urllib.parse import urlsplit

from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from burrow.domains.models import OrganizationDomain
from burrow.links import saml_acs_url, saml_metadata_url


def sp_entity_id(domain: OrganizationDomain) -> str:
    return saml_metadata_url(domain.id)


def saml_settings(domain: OrganizationDomain) -> OneLogin_Saml2_Settings:
    """The service provider for `domain`, paired with the identity provider configured on it.

    Raises `OneLogin_Saml2_Error` when the domain's SAML fields cannot make an identity provider."""
    settings = {
        # Strict: audience, Destination/Recipient, issuer, time window, InResponseTo and the XML schema are
        # all checked, not only the signature.
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp_entity_id(domain),
            "assertionConsumerService": {"url": saml_acs_url(), "binding": Constants.BINDING_HTTP_POST},
            # Unspecified lets each IdP send what its app is set up with; the e-mail address may come as the
            # NameID or as an attribute (services.py reads both).
            "NameIDFormat": Constants.NAMEID_UNSPECIFIED,
            "x509cert": "",
            "privateKey": "",
        },
        "idp": {
            "entityId": domain.saml_entity_id or "",
            # `saml_acs_url` holds the identity provider's single sign-on URL (the field keeps PostHog's name).
            "singleSignOnService": {
                "url": domain.saml_acs_url or "",
                "binding": Constants.BINDING_HTTP_REDIRECT,
            },
            "x509cert": domain.saml_x509_cert or "",
        },
        "security": {
            "authnRequestsSigned": False,
            # Either a signed assertion or a signed response is enough (Okta signs the assertion by default,
            # Entra can be set to sign only the response); an unsigned one is always refused by the library.
            "wantAssertionsSigned": False,
            "wantMessagesSigned": False,
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            # Some IdPs send the address only as the NameID, with no attribute statement.
            "wantAttributeStatement": False,
            # Asking for a password context would make Entra refuse people who sign in with MFA or passkeys.
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,  # no SHA-1 signatures or digests
            "allowRepeatAttributeName": True,
            "signatureAlgorithm": Constants.RSA_SHA256,
            "digestAlgorithm": Constants.SHA256,
            "metadataValidUntil": None,
            "metadataCacheDuration": None,
        },
    }
    return OneLogin_Saml2_Settings(settings, sp_validation_only=False)


def acs_request_data(post_data: dict[str, str] | None = None) -> dict:
    """The request as python3-saml reads it, built from the configured ACS URL: the response's Destination and
    Recipient must name Burrow's public address, whatever host or scheme a proxy passed on."""
    parts = urlsplit(saml_acs_url())
    return {
        "https": "on" if parts.scheme == "https" else "off",
        "http_host": parts.netloc,
        "script_name": parts.path,
        "get_data": {},
        "post_data": post_data or {},
    }


def metadata_xml(domain: OrganizationDomain) -> str:
    """The SP metadata of `domain` (entity ID, ACS URL and binding, NameID format); it names no certificate, as
    Burrow neither signs requests nor wants encrypted assertions."""
    settings = OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": {
                "entityId": sp_entity_id(domain),
                "assertionConsumerService": {"url": saml_acs_url(), "binding": Constants.BINDING_HTTP_POST},
                "NameIDFormat": Constants.NAMEID_UNSPECIFIED,
            },
            # Advertised as the set-up to choose; a response signed as a whole is accepted too.
            "security": {"authnRequestsSigned": False, "wantAssertionsSigned": True},
        },
        sp_validation_only=True,
    )
    metadata = settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata
