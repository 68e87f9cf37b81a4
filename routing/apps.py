"""Django app configuration for the routing domain app."""

from django.apps import AppConfig


class RoutingConfig(AppConfig):
    """Registers the `routing` app under a human-readable name."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "routing"
    verbose_name = "Traffic routing"
