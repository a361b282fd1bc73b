"""Validation of organization domains: the domain name as PostHog accepts it (plus punycode IDNs), fields
that need a verified domain, and SAML settings a sign-in can actually use (the certificate is parsed)."""

import base64
import binascii
import re

from cryptography import x509
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from burrow.core.addresses import InvalidAddress, domain_key
from burrow.domains.models import OrganizationDomain, SSOEnforcement

INVALID_DOMAIN = "Please enter a valid domain or subdomain name."
VERIFICATION_REQUIRED = "This attribute cannot be updated until the domain is verified."
DOMAIN_IMMUTABLE = (
    "The domain of an existing entry cannot be changed. Add the new domain as a new entry instead."
)
INVALID_CERTIFICATE = (
    "Enter the identity provider's X.509 signing certificate in PEM format "
    "(-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)."
)
INVALID_ACS_URL = "Enter the identity provider's SSO URL, starting with https:// or http://."
# Fields only a verified domain may change, in the order PostHog checks them.
NEEDS_VERIFICATION = ("jit_provisioning_enabled", "sso_enforcement", "scim_enabled")

# PostHog's pattern: lower-case labels of letters and digits with single inner hyphens, an alphabetic TLD.
_LABEL = r"[a-z0-9]+(-[a-z0-9]+)*"
_DOMAIN = re.compile(rf"^({_LABEL}\.)+[a-z]{{2,}}$")
# Internationalised names are accepted in their ASCII (punycode) form, label by label: `xn--bcher-kva.de`.
_PUNYCODE_LABEL = re.compile(r"^xn--[a-z0-9]+(-[a-z0-9]+)*$")


def _valid_label(label: str, *, tld: bool) -> bool:
    if not 0 < len(label) <= 63:
        return False
    if _PUNYCODE_LABEL.match(label):
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError:
            return False
        return True
    return bool(re.fullmatch(r"[a-z]{2,}" if tld else _LABEL, label))


def valid_domain(value: str) -> bool:
    if _DOMAIN.match(value):
        return all(len(label) <= 63 for label in value.split("."))
    if "xn--" not in value:
        return False
    labels = value.split(".")
    return len(labels) >= 2 and all(
        _valid_label(label, tld=index == len(labels) - 1) for index, label in enumerate(labels)
    )


def _is_own_idna_form(value: str) -> bool:
    """Stored domains are what an address's domain maps to (burrow.core.addresses.domain_key), so that the
    address `bob@tſinc.example` is at the domain `tsinc.example`; a look-alike spelling is refused."""
    try:
        return domain_key(value) == value
    except InvalidAddress:
        return False


def parse_certificate(value: str) -> x509.Certificate:
    """A PEM certificate, or the bare base64 of one (as some identity providers show it)."""
    text = value.strip()
    if "-----BEGIN" not in text:
        compact = "".join(text.split())
        try:
            base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("neither PEM nor base64") from None
        lines = "\n".join(compact[i : i + 64] for i in range(0, len(compact), 64))
        text = f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----"
    return x509.load_pem_x509_certificate(text.encode("ascii"))


class OrganizationDomainSerializer(serializers.ModelSerializer):
    domain = serializers.CharField(max_length=128)
    sso_enforcement = serializers.ChoiceField(
        choices=SSOEnforcement.choices, required=False, allow_blank=True
    )
    saml_entity_id = serializers.CharField(max_length=512, required=False, allow_null=True, allow_blank=True)
    saml_acs_url = serializers.CharField(max_length=512, required=False, allow_null=True, allow_blank=True)
    saml_x509_cert = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    is_verified = serializers.BooleanField(read_only=True)
    has_saml = serializers.BooleanField(read_only=True)
    has_scim = serializers.BooleanField(read_only=True)
    scim_base_url = serializers.CharField(read_only=True, allow_null=True)
    scim_bearer_token = serializers.SerializerMethodField()

    class Meta:
        model = OrganizationDomain
        fields = [
            "id",
            "domain",
            "is_verified",
            "verified_at",
            "verification_challenge",
            "jit_provisioning_enabled",
            "sso_enforcement",
            "has_saml",
            "saml_entity_id",
            "saml_acs_url",
            "saml_x509_cert",
            "has_scim",
            "scim_enabled",
            "scim_base_url",
            "scim_bearer_token",
        ]
        read_only_fields = ["id", "verified_at", "verification_challenge"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_scim_bearer_token(self, domain: OrganizationDomain) -> str | None:
        """The plain token only in the answer of the write that issued it."""
        return self.context.get("scim_bearer_token")

    def validate_domain(self, value: str) -> str:
        if self.instance is not None:
            if value != self.instance.domain:
                raise serializers.ValidationError(DOMAIN_IMMUTABLE, code="immutable")
            return value
        if not valid_domain(value) or not _is_own_idna_form(value):
            raise serializers.ValidationError(INVALID_DOMAIN, code="invalid_input")
        return value

    def validate_saml_acs_url(self, value: str | None) -> str | None:
        if not value:
            return value or None
        try:
            URLValidator(schemes=["https", "http"])(value)
        except DjangoValidationError:
            raise serializers.ValidationError(INVALID_ACS_URL, code="invalid_input") from None
        return value

    def validate_saml_entity_id(self, value: str | None) -> str | None:
        return value.strip() or None if value else None

    def validate_saml_x509_cert(self, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        try:
            parse_certificate(value)
        except (ValueError, UnicodeError):
            raise serializers.ValidationError(INVALID_CERTIFICATE, code="invalid_input") from None
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None and not self.instance.is_verified:
            for field in NEEDS_VERIFICATION:
                if field in self.initial_data:
                    raise serializers.ValidationError(
                        {field: VERIFICATION_REQUIRED}, code="verification_required"
                    )
        return attrs


class ScimTokenSerializer(serializers.Serializer):
    scim_enabled = serializers.BooleanField()
    scim_base_url = serializers.CharField(allow_null=True)
    scim_bearer_token = serializers.CharField()
