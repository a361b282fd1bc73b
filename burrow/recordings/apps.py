from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "burrow.recordings"
    label = "recordings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from burrow.core import chores
        from burrow.recordings.services import sweep_expired

        chores.register("recordings retention", 3600, sweep_expired)
