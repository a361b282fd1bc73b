"""Slack channel: a report posted through the subscription's Slack integration (client in
`burrow/integrations/providers/slack.py`); the first picture in the message, the others in its thread.
Pictures are shown from their signed public URLs. A target is a channel, `id|#name`; a subscription names
one of its team's Slack integrations."""

from django.conf import settings
from rest_framework import serializers

from burrow.integrations.models import Integration
from burrow.integrations.providers.slack import SlackError, post_message, posting_integrations, slack_token
from burrow.subscriptions.delivery.base import (
    INTEGRATION_NOT_FOUND,
    Channel,
    PermanentError,
    Report,
    ReportInsight,
    TargetEdit,
    TransientError,
    with_utm,
)
from burrow.subscriptions.models import Subscription, SubscriptionDelivery

NO_INTEGRATION_TO_RE_ENABLE = (
    "Cannot re-enable Slack subscription: no integration configured. Reconnect Slack first."
)


def _headline(report: Report) -> str:
    if not report.is_invite:
        return f"Your subscription to the {report.kind} *{report.name}* is ready! 🎉"
    text = (
        f"This channel has been subscribed to the {report.kind} *{report.name}* on {settings.BRAND_NAME}! 🎉"
    )
    next_date = report.subscription.next_delivery_date
    if next_date:
        text += (
            f"\nThis subscription is {report.summary}. The next one will be sent on {next_date:%A %B %d, %Y}"
        )
    return text


def _insight_blocks(item: ReportInsight) -> list[dict]:
    """The picture (or why there is none), then the numbers as text: Slack's notifications and screen
    readers show the text, not the picture."""
    if not item.image_url:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{item.name}*: {item.error}"}}]
    blocks: list[dict] = [
        {
            "type": "image",
            "image_url": item.image_url,
            "alt_text": "; ".join([item.name, *item.summary])[:2000],
            "title": {"type": "plain_text", "text": item.name[:200]},
        }
    ]
    if item.summary:
        text = "\n".join(item.summary)[:3000]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return blocks


def main_blocks(report: Report) -> list[dict]:
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": _headline(report)}}]
    if report.insights:
        blocks.extend(_insight_blocks(report.insights[0]))
    if len(report.insights) > 1:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "_See 🧵 for more Insights_"}})
    blocks.append({"type": "divider"})
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": f"View in {settings.BRAND_NAME}"},
                    "url": with_utm(report.resource_url, "slack"),
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Manage Subscription"},
                    "url": with_utm(report.subscription_url, "slack"),
                },
            ],
        }
    )
    return blocks


def check_slack_integration(target: TargetEdit) -> None:
    if not target.integration_id:
        raise serializers.ValidationError(
            {"integration_id": "A Slack integration is required for Slack subscriptions."}
        )
    integration = Integration.objects.filter(team=target.team, id=target.integration_id).only("kind").first()
    if integration is None:
        raise serializers.ValidationError({"integration_id": INTEGRATION_NOT_FOUND})
    if integration.kind != Integration.Kind.SLACK:
        raise serializers.ValidationError(
            {"integration_id": "Slack subscriptions require a Slack integration."}
        )


class SlackChannel(Channel):
    target_type = "slack"
    label = "Slack"

    def check_target(self, target: TargetEdit) -> None:
        """The integration it posts with, whatever the write changes: a re-enabled subscription whose
        integration is gone is refused until Slack is reconnected."""
        try:
            check_slack_integration(target)
        except serializers.ValidationError:
            if target.re_enabling and not {"target_type", "integration_id"} & target.fields:
                raise serializers.ValidationError({"enabled": NO_INTEGRATION_TO_RE_ENABLE}) from None
            raise

    def subscriptions_using(self, integration: Integration, limit: int) -> list[Subscription]:
        """Those naming `integration`, and those the Slack fallback rule sends to it."""
        if integration.kind != Integration.Kind.SLACK:
            return []
        live = list(
            Subscription.objects.filter(
                team_id=integration.team_id, enabled=True, deleted=False, target_type=self.target_type
            )
            .select_related("integration")
            .only("id", "title", "integration__id", "integration__kind", "integration__team_id")
            .order_by("id")
        )
        posting = posting_integrations(integration.team_id, [s.integration for s in live])
        return [
            s
            for s, chosen in zip(live, posting, strict=True)
            if chosen is not None and chosen.id == integration.id
        ][:limit]

    def recipients(self, delivery: SubscriptionDelivery) -> list[str]:
        if delivery.trigger_type == SubscriptionDelivery.Trigger.TARGET_CHANGE and (
            delivery.previous_value == delivery.target_value
        ):
            return []
        channel = (delivery.target_value or "").split("|")[0].strip()
        return [channel] if channel else []

    def send(self, recipient: str, report: Report) -> None:
        """Posts the main message, then each thread reply. A retry after a failed reply resumes where it
        stopped (progress is kept on the report), so the channel never sees the main message twice."""
        subscription = report.subscription
        try:
            token = slack_token(subscription.team_id, subscription.integration)
        except SlackError as exc:
            raise PermanentError(str(exc)) from exc
        progress = report.channel_state.setdefault(recipient, {"ts": None, "posted": 0})
        for index, payload in enumerate(_messages(recipient, report)):
            if index < progress["posted"]:
                continue
            if index > 0:
                payload["thread_ts"] = progress["ts"]
            try:
                answer = post_message(token, payload)
            except SlackError as exc:
                raise (TransientError if exc.transient else PermanentError)(str(exc)) from exc
            if index == 0:
                progress["ts"] = answer.get("ts")
            progress["posted"] = index + 1


def _messages(channel: str, report: Report) -> list[dict]:
    headline = _headline(report).split("\n")[0]
    messages = [{"channel": channel, "blocks": main_blocks(report), "text": headline}]
    messages += [
        {"channel": channel, "blocks": _insight_blocks(item), "text": "; ".join([item.name, *item.summary])}
        for item in report.insights[1:]
    ]
    if report.showing_note:
        note = (
            f"Showing {len(report.insights)} of {report.total_insight_count} Insights. "
            f"<{with_utm(report.resource_url, 'slack')}|View the rest in {settings.BRAND_NAME}>"
        )
        messages.append(
            {
                "channel": channel,
                "text": note,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": note}}],
            }
        )
    return messages


CHANNEL = SlackChannel()
