from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "burrow.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which load only once every app's config
        # has (Django's rule for `ready`).
        from burrow.integrations import in_use
        from burrow.subscriptions.delivery.registry import subscriptions_using

        # An integration is not disconnected while an enabled subscription sends through it (each channel
        # says which of its subscriptions do: delivery/channels/slack.py).
        in_use.register(
            in_use.InUseBy(
                users=subscriptions_using,
                refusal="This integration is used by enabled subscriptions: {names}. Update them to use a "
                "different integration, or disable them, before disconnecting it.",
            )
        )
