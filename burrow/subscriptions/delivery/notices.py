"""The notice an auto-disabled subscription owes its creator: one mail, whatever the channel, sent by the
worker whose failure disabled it or, while the mail server is down, by a later scheduler tick."""

import logging

from django.conf import settings
from django.template.loader import render_to_string

from burrow.core.mail import MailError, send_bytes
from burrow.core.mime import text_message
from burrow.subscriptions.delivery.base import with_utm
from burrow.subscriptions.models import Subscription

logger = logging.getLogger(__name__)


class Notice:
    SENT = "sent"
    NOT_DUE = "not_due"
    MAIL_DOWN = "mail_down"  # the mail server is unreachable: later notices would fail too
    FAILED = "failed"  # this notice failed (refused, could not be built); it stays due


def send_due_disabled_notice(subscription_id: int) -> str:
    """Mails the creator of an auto-disabled subscription, once. Clearing the flag claims the notice (two
    senders never both mail); unless the mail went out, whatever happened, the flag is set again and the
    scheduler tries again on a later tick. Returns one of Notice's values."""
    rows = Subscription.objects.filter(id=subscription_id, disabled_notice_due=True)
    if not rows.update(disabled_notice_due=False):
        return Notice.NOT_DUE
    outcome = Notice.FAILED
    log = {"subscription_id": subscription_id}
    try:
        subscription = Subscription.objects.select_related("created_by", "insight").get(id=subscription_id)
        send_disabled_notice(subscription, settings.DELIVERY_AUTO_DISABLE_AFTER)
        outcome = Notice.SENT
    except MailError as exc:
        outcome = Notice.FAILED if exc.permanent else Notice.MAIL_DOWN
        logger.warning("disabled notice not sent; will retry", extra={**log, "error": str(exc)})
    except Exception:
        logger.exception("disabled notice could not be built; will retry", extra=log)
    finally:
        if outcome != Notice.SENT:
            # Not for a subscription re-enabled meanwhile: whoever re-enabled it knows.
            Subscription.objects.filter(id=subscription_id, enabled=False).update(disabled_notice_due=True)
    return outcome


def send_disabled_notice(subscription: Subscription, failures: int) -> None:
    """Tells the creator their subscription stopped; raises MailError when the mail cannot be sent."""
    creator = subscription.created_by
    if creator is None or not creator.email:
        return
    title = subscription.title or subscription.resource_name
    context = {
        "title": title,
        "failures": failures,
        "brand": settings.BRAND_NAME,
        "subscription_url": with_utm(subscription.url, "email"),
    }
    headers = [
        ("Subject", f'{settings.BRAND_NAME} subscription "{title}" has been automatically disabled'),
        ("From", settings.EMAIL_FROM),
        ("To", creator.email),
        (
            "Message-ID",
            f"<disabled.{subscription.id}.{subscription.consecutive_failures}.{creator.id}@burrow>",
        ),
    ]
    message = text_message(headers, render_to_string("subscriptions/disabled.txt", context))
    send_bytes([creator.email], message, headers[-1][1])
