"""Webhook channel: a JSON document POSTed to the subscription's URL, signed per Standard Webhooks
(webhook-id, webhook-timestamp, webhook-signature) with the subscription's own secret, stored encrypted and
shown once, when it is made."""

import base64
import json
import secrets
from datetime import UTC, datetime

import httpx
from rest_framework import serializers
from standardwebhooks.webhooks import Webhook

from burrow.core import metrics
from burrow.core.crypto import decrypt_text, encrypt_text
from burrow.core.urlsafety import check_url_allowed, pinned_target
from burrow.subscriptions.delivery.base import Channel, PermanentError, Report, TargetEdit, TransientError
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

TIMEOUT = 10.0
EVENT_TYPE = "subscription.report"


def payload(report: Report) -> dict:
    subscription, delivery = report.subscription, report.delivery
    return {
        "type": EVENT_TYPE,
        "delivery_id": str(delivery.id),
        "trigger_type": delivery.trigger_type,
        "scheduled_at": delivery.scheduled_at.isoformat() if delivery.scheduled_at else None,
        "subscription": {
            "id": subscription.id,
            "title": subscription.title,
            "summary": report.summary,
            "url": report.subscription_url,
        },
        "resource": {
            "kind": report.kind.lower(),
            "name": report.name,
            "url": report.resource_url,
            "id": subscription.insight_id or subscription.dashboard_id,
        },
        "total_insight_count": report.total_insight_count,
        "insights": [
            {
                "id": i.insight_id,
                "short_id": i.short_id,
                "name": i.name,
                "url": i.url,
                "result": i.result,
                "columns": i.columns,
                "results": i.rows,
                "summary": i.summary,
                "image_url": i.image_url,
                "error": i.error,
            }
            for i in report.insights
        ],
    }


def stored_secret(subscription: Subscription) -> str | None:
    return decrypt_text(subscription.webhook_secret) if subscription.webhook_secret else None


def signing_secret(subscription: Subscription) -> str:
    """The subscription's signing secret; one created before secrets existed gets one now (compare-and-set,
    so racing workers agree on it)."""
    secret = stored_secret(subscription)
    if secret:
        return secret
    new = CHANNEL.new_secret(subscription)
    if Subscription.objects.filter(id=subscription.id, webhook_secret="").update(
        webhook_secret=subscription.webhook_secret
    ):
        return new
    subscription.refresh_from_db(fields=["webhook_secret"])
    return stored_secret(subscription) or new


class WebhookChannel(Channel):
    target_type = "webhook"
    label = "Webhook"
    secret_field = "webhook_secret"

    def check_target(self, target: TargetEdit) -> None:
        reason = check_url_allowed(target.value) if target.value_changed else None
        if reason:
            raise serializers.ValidationError({"target_value": f"Invalid webhook URL: {reason}"})

    def new_secret(self, subscription: Subscription) -> str:
        """A new Standard Webhooks secret, stored encrypted on the instance."""
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        subscription.webhook_secret = encrypt_text(secret)
        return secret

    def recipients(self, delivery: SubscriptionDelivery) -> list[str]:
        if delivery.trigger_type == SubscriptionDelivery.Trigger.TARGET_CHANGE:
            return []  # nobody to invite: the endpoint gets the next report
        return [delivery.target_value] if delivery.target_value else []

    def send(self, recipient: str, report: Report) -> None:
        reason, target = pinned_target(recipient)
        if reason:
            raise PermanentError(f"Webhook URL not allowed: {reason}")
        body = json.dumps(payload(report), default=str)
        message_id = f"msg_{report.delivery.id.hex}"
        timestamp = datetime.now(UTC)
        signature = Webhook(signing_secret(report.subscription)).sign(message_id, timestamp, body)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature,
            "user-agent": "Burrow-Webhooks/1.0",
            **target.headers,
        }
        try:
            # Streamed and closed unread: only the status matters, and a huge or endless body must not
            # hold a delivery thread or its memory.
            with (
                metrics.provider_call("webhook"),
                httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client,
                client.stream(
                    "POST", target.url, content=body, headers=headers, extensions=target.extensions
                ) as response,
            ):
                status = response.status_code
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentError(f"Webhook URL cannot be used: {exc}") from exc
        except httpx.HTTPError as exc:
            raise TransientError(f"Webhook unreachable: {exc}") from exc
        if 200 <= status < 300:
            return
        if status in (408, 429) or status >= 500:
            raise TransientError(f"Webhook answered {status}")
        hint = " (redirects are not followed)" if 300 <= status < 400 else ""
        raise PermanentError(f"Webhook answered {status}{hint}")


CHANNEL = WebhookChannel()
