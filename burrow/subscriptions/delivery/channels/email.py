"""Email channel: one message per address, HTML with inline (CID) pictures plus a plain-text part. A
subscription that names a verified sender domain (an `email` integration) sends from it, DKIM-signed;
any other sends from BURROW_EMAIL_FROM. A target is a comma-separated list of addresses, checked and stored
as they will be sent."""

import hashlib
import logging
from email.utils import formataddr, getaddresses

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from rest_framework import serializers

from burrow.core.mail import MailError, send_bytes
from burrow.core.mime import InlineImage, report_message
from burrow.integrations.email_domains import sender_for, sign
from burrow.integrations.models import Integration
from burrow.links import unsubscribe_url
from burrow.subscriptions.delivery.base import (
    Channel,
    PermanentError,
    Report,
    TargetEdit,
    TransientError,
    with_utm,
)
from burrow.subscriptions.models import SubscriptionDelivery, split_addresses
from burrow.subscriptions.unsubscribe import make_unsubscribe_token

logger = logging.getLogger(__name__)

# Burrow's own limit (PostHog has none): one report mail per address, so a subscription stays a report and
# never becomes a mailing list that holds a delivery worker for long.
MAX_EMAIL_RECIPIENTS = 100
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


def subject_for(report: Report, recipient: str) -> str:
    if not report.is_invite:
        return f"{settings.BRAND_NAME} {report.kind} report - {report.name}"
    creator = report.subscription.created_by
    if creator is not None and creator.email.lower() == recipient.lower():
        return f"You have been subscribed to a {settings.BRAND_NAME} {report.kind}"
    inviter = (creator.first_name if creator is not None else "") or "Someone"
    return f"{inviter} subscribed you to a {settings.BRAND_NAME} {report.kind}"


def message_id(delivery: SubscriptionDelivery, recipient: str) -> str:
    """Stable per delivery and recipient, so a retried send is recognisable as the same mail."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{delivery.id}.{digest}@burrow>"


class EmailChannel(Channel):
    target_type = "email"
    label = "Email"
    lists_addresses = True

    def check_target(self, target: TargetEdit) -> str | None:
        return normalised_emails(target.value) if target.value_changed else None

    def check_integration(self, integration: Integration, unchanged: bool) -> None:
        # An email subscription names a sender domain (an `email` integration) to send from; none → the
        # instance's BURROW_EMAIL_FROM. Only a verified one: mail from an unverified domain fails DMARC.
        if integration.kind != Integration.Kind.EMAIL:
            raise serializers.ValidationError({"integration_id": EMAIL_INTEGRATION_KIND})
        # A domain that later failed a check is kept (deliveries fall back to the default sender), so
        # a PUT repeating it still saves; choosing it anew needs it verified.
        if not unchanged and not (integration.config or {}).get("verified"):
            raise serializers.ValidationError({"integration_id": SENDER_NOT_VERIFIED})

    def addresses(self, target_value: str | None) -> list[str]:
        return split_addresses(target_value)

    def recipients(self, delivery: SubscriptionDelivery) -> list[str]:
        addresses = split_addresses(delivery.target_value)
        if delivery.trigger_type == SubscriptionDelivery.Trigger.TARGET_CHANGE:
            known = {a.lower() for a in split_addresses(delivery.previous_value)}
            addresses = [a for a in addresses if a.lower() not in known]
        # Mailbox providers treat addresses case-insensitively: one mail per mailbox.
        return list({a.lower(): a for a in reversed(addresses)}.values())[::-1]

    def send(self, recipient: str, report: Report) -> None:
        sender = sender_for(report.subscription.integration) if report.subscription.integration_id else None
        data = self.build(recipient, report, sender.from_header if sender else settings.EMAIL_FROM)
        try:
            if sender is None:
                send_bytes([recipient], data, message_id(report.delivery, recipient))
            else:
                signed = sign(data, sender)
                send_bytes([recipient], signed, message_id(report.delivery, recipient), sender.envelope_from)
        except ValueError as exc:  # the sender domain's key cannot sign: retrying will not change that
            raise PermanentError(str(exc)) from exc
        except MailError as exc:
            raise (PermanentError if exc.permanent else TransientError)(str(exc)) from exc

    def build(self, recipient: str, report: Report, from_header: str | None = None) -> bytes:
        subscription = report.subscription
        unsubscribe = unsubscribe_url(make_unsubscribe_token(subscription.id, recipient))
        next_date = subscription.next_delivery_date
        context = {
            "report": report,
            "subject": subject_for(report, recipient),
            "resource_url": with_utm(report.resource_url, "email"),
            "subscription_url": with_utm(report.subscription_url, "email"),
            "unsubscribe_url": unsubscribe,
            "invite_message": report.delivery.invite_message if report.is_invite else None,
            "invite_summary": (
                f"This subscription is {report.summary}. The next subscription will be sent on "
                f"{next_date:%A %B %d, %Y}"
                if report.is_invite and next_date
                else None
            ),
            "showing": (
                f"Showing {len(report.insights)} of {report.total_insight_count} dashboard insights"
                if report.showing_note
                else None
            ),
        }
        headers = [
            ("Subject", context["subject"]),
            ("From", from_header or settings.EMAIL_FROM),
            ("To", recipient),
            ("Message-ID", message_id(report.delivery, recipient)),
            ("List-Unsubscribe", f"<{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
        images = [
            InlineImage(item.png, item.cid, f"{item.short_id}.png") for item in report.insights if item.png
        ]
        return report_message(
            headers,
            render_to_string("subscriptions/report.txt", context),
            render_to_string("subscriptions/report.html", context),
            images,
        )


CHANNEL = EmailChannel()
