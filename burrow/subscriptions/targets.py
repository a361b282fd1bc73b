"""Where a subscription's report may go: email addresses as they will be sent, webhook URLs, and the Slack
workspace or sender domain (an integration of the team) it names. The serializer decides when a write needs
these checks; each raises a ValidationError keyed by the field to fix."""

from email.utils import formataddr, getaddresses

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from rest_framework import serializers

from burrow.core.models import Team
from burrow.core.urlsafety import check_url_allowed
from burrow.integrations.models import Integration
from burrow.subscriptions.models import MAX_EMAIL_RECIPIENTS, split_addresses

INTEGRATION_NOT_FOUND = "This integration does not exist or does not belong to your team."
EMAIL_INTEGRATION_KIND = (
    "Email subscriptions send from a sender domain: integration_id must be an email integration."
)
SENDER_NOT_VERIFIED = (
    "This sender domain is not verified yet: publish its DNS records, then verify it "
    "(POST …/integrations/:id/email/verify/)."
)


def sendable_address(address: str) -> str:
    """The address as it will be sent: a non-ASCII domain in its IDNA (punycode) form, so SMTP servers
    without SMTPUTF8 take it. ValueError (with the message to show) for what cannot be sent."""
    invalid = f"Enter a valid email address: {address}"
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise ValueError(invalid)
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(invalid) from None
    candidate = f"{local}@{domain}"
    try:
        validate_email(candidate)
    except DjangoValidationError:
        raise ValueError(invalid) from None
    # A quoted local part that a mail header would rewrite would reach someone else (or no one).
    if getaddresses([formataddr(("", candidate))]) != [("", candidate)]:
        raise ValueError(invalid)
    return candidate


def normalised_emails(target_value: str) -> str:
    """`target_value`'s addresses as they will be sent, each once, comma-separated."""
    addresses = split_addresses(target_value)
    if not addresses:
        raise serializers.ValidationError({"target_value": "Enter at least one email address."})
    unique: dict[str, str] = {}
    for address in addresses:
        try:
            sendable = sendable_address(address)
        except ValueError as reason:
            raise serializers.ValidationError({"target_value": str(reason)}) from None
        # Mailbox providers treat addresses case-insensitively: the first spelling is kept.
        unique.setdefault(sendable.lower(), sendable)
    if len(unique) > MAX_EMAIL_RECIPIENTS:
        raise serializers.ValidationError(
            {"target_value": f"A subscription can have at most {MAX_EMAIL_RECIPIENTS} email addresses."}
        )
    return ",".join(unique.values())


def check_webhook_url(target_value: str) -> None:
    reason = check_url_allowed(target_value)
    if reason:
        raise serializers.ValidationError({"target_value": f"Invalid webhook URL: {reason}"})


def check_slack_integration(team: Team, integration_id: int | None) -> None:
    if not integration_id:
        raise serializers.ValidationError(
            {"integration_id": "A Slack integration is required for Slack subscriptions."}
        )
    integration = Integration.objects.filter(team=team, id=integration_id).only("kind").first()
    if integration is None:
        raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
    if integration.kind != Integration.Kind.SLACK:
        raise serializers.ValidationError(
            {"integration_id": "Slack subscriptions require a Slack integration."}
        )


def check_integration(team: Team, integration_id: int, *, sends_email: bool, unchanged: bool) -> None:
    """`integration_id` names one of the team's integrations; for an email subscription, a sender domain,
    verified unless the subscription already had it (`unchanged`)."""
    integration = Integration.objects.filter(team=team, id=integration_id).only("kind", "config").first()
    if integration is None:
        raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
    # An email subscription names a sender domain (an `email` integration) to send from; none → the
    # instance's BURROW_EMAIL_FROM. Only a verified one: mail from an unverified domain fails DMARC.
    if sends_email:
        if integration.kind != Integration.Kind.EMAIL:
            raise serializers.ValidationError({"integration_id": EMAIL_INTEGRATION_KIND})
        # A domain that later failed a check is kept (deliveries fall back to the default sender), so
        # a PUT repeating it still saves; choosing it anew needs it verified.
        if not unchanged and not (integration.config or {}).get("verified"):
            raise serializers.ValidationError({"integration_id": SENDER_NOT_VERIFIED})
