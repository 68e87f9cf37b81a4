"""Orchestration between the web app and the pure engine: analysis options from settings."""

from typing import Any

from django.conf import settings

from routing.engine import Options


def engine_options(**overrides: Any) -> Options:
    """Analysis options from the deployment's settings."""
    provider = settings.TRAFFICLENS_PROVIDER
    values: dict[str, Any] = {
        "overload_limit": settings.TRAFFICLENS_OVERLOAD_LIMIT,
        "provider": None if provider == "auto" else provider,
        "proxy_detail": "zones",  # pages show zones; per-node detail is for the CLI and API
    }
    values.update(overrides)
    return Options(**values)
