"""Analysis options shared by the command line, the web app and the tests."""

from collections.abc import Mapping
from dataclasses import dataclass

CLIENT_BASES = ("cpu", "uniform", "pods")
PROVIDERS = ("aws", "gcp", "azure", "oracle", "none")
PROXY_DETAILS = ("auto", "nodes", "zones")

# Above this many (Service, Node) pairs the per-node proxy map would dominate the output
# (hundreds of MB for a large cluster), so `auto` switches to per-zone entries plus exceptions.
AUTO_PROXY_NODE_LIMIT = 250_000


@dataclass(frozen=True, slots=True)
class Options:
    """How to analyse: client weighting, prices, volume, overload limit and output detail."""

    clients: str = "cpu"
    provider: str | None = None  # None: detect from the Nodes' spec.providerID
    monthly_gb: float | None = None
    overload_limit: float = 1.5
    service: tuple[str, str] | None = None  # (namespace, name) to report on only that Service
    # Report on only these Services (None: all). Each Service's analysis depends only on the
    # Nodes and its own objects, so callers may re-analyse just the Services that changed.
    services: frozenset[tuple[str, str]] | None = None
    proxy_detail: str = "auto"
    price_cross_zone: float | None = None  # overrides of the provider's list prices
    price_cross_region: float | None = None
    # Measured clients: per (namespace, name), each source zone's share of the Service's client
    # traffic (from a traffic source that names who calls it). A Service listed here has its
    # client nodes re-weighted zone by zone; the others keep the `clients` basis.
    client_zones: Mapping[tuple[str, str], Mapping[str, float]] | None = None
