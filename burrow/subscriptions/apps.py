from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "burrow.subscriptions"
    label = "subscriptions"
    default_auto_field = "django.db.models.BigAutoField"
