"""The engine's analysis options: the deployment's settings, then a cluster's own."""

from typing import Any

from django.conf import settings

from routing.engine import Options
from routing.models import Cluster
from routing.volumes.measured_clients import client_zones, measured


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


def cluster_options(
    cluster: Cluster, *, clients_fetch: int | None = None, **overrides: Any
) -> Options:
    """Engine options for a cluster: the deployment's settings, then the cluster's own prices,
    provider and client weighting. With clients=measured, the client zones of fetch
    `clients_fetch` (none: every Service falls back to CPU), for `services` only if given."""
    values: dict[str, Any] = {}
    if measured(cluster):
        values["client_zones"] = (
            client_zones(clients_fetch, overrides.get("services")) if clients_fetch else {}
        )
    else:
        values["clients"] = cluster.clients
    if cluster.provider != Cluster.Provider.AUTO:
        values["provider"] = cluster.provider
    if cluster.price_cross_zone is not None:
        values["price_cross_zone"] = float(cluster.price_cross_zone)
    if cluster.price_cross_region is not None:
        values["price_cross_region"] = float(cluster.price_cross_region)
    values.update(overrides)
    return engine_options(**values)
