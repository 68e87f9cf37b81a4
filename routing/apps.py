"""Django app configuration for the routing domain app."""

from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Registers the `routing` app under a human-readable name."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"
    verbose_name = "Traffic routing"

    def ready(self) -> None:
        # Live updates: every committed snapshot is announced to its cluster's pages.
        from routing import snapshots
        from routing.live.hooks import snapshot_committed

        if snapshot_committed not in snapshots.on_snapshot_committed:
            snapshots.on_snapshot_committed.append(snapshot_committed)
