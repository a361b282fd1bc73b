"""Email channel: one message per address, HTML with inline (CID) pictures plus a plain-text part. A
subscription that names a verified sender domain (an `email` integration) sends from it, DKIM-signed;
any other sends from BURROW_EMAIL_FROM."""

import hashlib
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.template.loader import render_to_string

from burrow.core.mail import MailError, send_bytes
from burrow.core.mime import InlineImage, report_message, text_message
from burrow.integrations.email_domains import sender_for, sign
from burrow.links import unsubscribe_url
from burrow.subscriptions.delivery.base import Channel, PermanentError, Report, TransientError
from burrow.subscriptions.models import Subscription, SubscriptionDelivery, split_addresses
from burrow.subscriptions.unsubscribe import make_unsubscribe_token

logger = logging.getLogger(__name__)

UTM = {"utm_source": "posthog", "utm_campaign": "subscription_report", "utm_medium": "email"}


def with_utm(url: str, medium: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(dict(UTM, utm_medium=medium))}"


def subject_for(report: Report, recipient: str) -> str:
    if not report.is_invite:
        return f"PostHog {report.kind} report - {report.name}"
    creator = report.subscription.created_by
    if creator is not None and creator.email.lower() == recipient.lower():
        return f"You have been subscribed to a PostHog {report.kind}"
    inviter = (creator.first_name if creator is not None else "") or "Someone"
    return f"{inviter} subscribed you to a PostHog {report.kind}"


def message_id(delivery: SubscriptionDelivery, recipient: str) -> str:
    """Stable per delivery and recipient, so a retried send is recognisable as the same mail."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{delivery.id}.{digest}@burrow>"


class EmailChannel(Channel):
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


def send_disabled_notice(subscription: Subscription, failures: int) -> None:
    """Tells the creator their subscription stopped; raises MailError when the mail cannot be sent."""
    creator = subscription.created_by
    if creator is None or not creator.email:
        return
    title = subscription.title or subscription.resource_name
    context = {
        "title": title,
        "failures": failures,
        "subscription_url": with_utm(subscription.url, "email"),
    }
    headers = [
        ("Subject", f'PostHog subscription "{title}" has been automatically disabled'),
        ("From", settings.EMAIL_FROM),
        ("To", creator.email),
        (
            "Message-ID",
            f"<disabled.{subscription.id}.{subscription.consecutive_failures}.{creator.id}@burrow>",
        ),
    ]
    message = text_message(headers, render_to_string("subscriptions/disabled.txt", context))
    send_bytes([creator.email], message, headers[-1][1])
