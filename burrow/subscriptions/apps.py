from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "burrow.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from burrow.integrations import in_use

        # A Slack integration is not disconnected while an enabled subscription posts with it.
        in_use.register(
            in_use.InUseBy(
                users=subscriptions_posting_with,
                refusal="This integration is used by enabled subscriptions: {names}. Update them to use a "
                "different integration, or disable them, before disconnecting it.",
            )
        )


def subscriptions_posting_with(integration, limit: int) -> list[str]:
    """Enabled, live Slack subscriptions posting with `integration`: those naming it, and those the Slack
    fallback rule sends to it. Imports here: models cannot be imported before the app registry is ready."""
    from burrow.integrations.providers.slack import posting_integrations
    from burrow.subscriptions.models import Subscription

    if integration.kind != "slack":
        return []
    live = list(
        Subscription.objects.filter(
            team_id=integration.team_id, enabled=True, deleted=False, target_type="slack"
        )
        .select_related("integration")
        .only("id", "title", "integration__id", "integration__kind", "integration__team_id")
        .order_by("id")
    )
    posting = posting_integrations(integration.team_id, [s.integration for s in live])
    users = [
        s
        for s, chosen in zip(live, posting, strict=True)
        if chosen is not None and chosen.id == integration.id
    ]
    return [f'"{s.title}" (id {s.id})' if s.title else f"untitled (id {s.id})" for s in users[:limit]]
