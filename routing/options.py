"""The engine's analysis options: the deployment's settings, then a cluster's own."""

from typing import Any

from django.conf import settings

from routing.engine import Options
from routing.models import Cluster


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


def cluster_options(cluster: Cluster, **overrides: Any) -> Options:
    """Engine options for a cluster: the deployment's settings, then the cluster's own prices
    and provider."""
    values: dict[str, Any] = {}
    if cluster.provider != Cluster.Provider.AUTO:
        values["provider"] = cluster.provider
    if cluster.price_cross_zone is not None:
        values["price_cross_zone"] = float(cluster.price_cross_zone)
    if cluster.price_cross_region is not None:
        values["price_cross_region"] = float(cluster.price_cross_region)
    values.update(overrides)
    return engine_options(**values)
