from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "burrow.domains"
    label = "domains"
    default_auto_field = "django.db.models.BigAutoField"
