"""Cross-zone and cross-region list prices, and the cost of one GB of a Service's traffic.

Figures and sources are in docs/pricing.md. Prices cover the whole conversation (requests and
responses), so AWS's 0.01 out + 0.01 in per crossing byte is 0.02 here.
"""

from collections import Counter
from dataclasses import dataclass

from .model import Node


@dataclass(frozen=True, slots=True)
class Prices:
    provider: str
    cross_zone: float
    cross_region: float
    source: str


# provider -> (cross zone same region, cross region, where the figure comes from)
LIST_PRICES: dict[str, tuple[float, float, str]] = {
    "aws": (
        0.02,
        0.02,
        "AWS EC2 data transfer: 0.01/GB out + 0.01/GB in across AZs; typical US inter-region 0.02",
    ),
    "gcp": (
        0.01,
        0.02,
        "Google Cloud VPC pricing: 0.01/GiB inter-zone; inter-region 0.01-0.08, 0.02 default",
    ),
    "azure": (
        0.0,
        0.02,
        "Azure: no charge between availability zones; inter-region 0.02 within N. America/Europe",
    ),
    "oracle": (
        0.0,
        0.0085,
        "Oracle Cloud: free between availability domains; inter-region at outbound rate",
    ),
    "none": (0.01, 0.02, "no provider detected: conservative stand-in prices, not a real bill"),
}


def detect_provider(nodes: list[Node]) -> str:
    """The most common provider among the nodes' spec.providerID schemes, or "none"."""
    counts = Counter(n.provider for n in nodes if n.provider)
    if not counts:
        return "none"
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def prices_for(
    provider: str, cross_zone: float | None = None, cross_region: float | None = None
) -> Prices:
    """List prices for a provider, with optional overrides."""
    zone_price, region_price, source = LIST_PRICES.get(provider, LIST_PRICES["none"])
    if cross_zone is not None or cross_region is not None:
        source = "overridden by the user"
    return Prices(
        provider=provider,
        cross_zone=zone_price if cross_zone is None else cross_zone,
        cross_region=region_price if cross_region is None else cross_region,
        source=source,
    )


def cost_per_gb(prices: Prices, cross_zone_fraction: float, cross_region_fraction: float) -> float:
    """Expected price of one GB of the Service's traffic (docs/analysis-report.md, cost)."""
    return (
        cross_zone_fraction - cross_region_fraction
    ) * prices.cross_zone + cross_region_fraction * prices.cross_region
