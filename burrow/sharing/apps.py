from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "burrow.sharing"
    label = "sharing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from burrow.core import readcredentials
        from burrow.sharing.auth import SHARING_ACCESS_TOKEN

        readcredentials.register(SHARING_ACCESS_TOKEN)  # `?sharing_access_token=` on dashboard/insight reads
