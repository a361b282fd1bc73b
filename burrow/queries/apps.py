from django.apps import AppConfig
from django.db.models.signals import post_delete


class QueriesConfig(AppConfig):
    name = "burrow.queries"
    label = "queries"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from burrow.core.models import Team

        post_delete.connect(remove_warehouse, sender=Team, dispatch_uid="queries-remove-warehouse")


def remove_warehouse(sender, instance, **kwargs) -> None:
    """A deleted environment's embedded warehouse goes with it."""
    from burrow.queries.sources import embedded_path

    path = embedded_path(instance.id)
    for leftover in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".lock")):
        leftover.unlink(missing_ok=True)
