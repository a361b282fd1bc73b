from django.apps import AppConfig


class QueriesConfig(AppConfig):
    name = "burrow.queries"
    label = "queries"
    default_auto_field = "django.db.models.BigAutoField"
