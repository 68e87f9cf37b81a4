"""What the pages say about traffic volumes: where a figure came from (routing.volumes.lookup)
and whether the cluster's traffic source is failing, so that every page can say "volumes stale
since ...". The words themselves are dashboard.pages.format's (as js/format.js writes them)."""

from typing import Any

from dashboard.pages.format import stale_since
from routing.models import Cluster
from routing.volumes.lookup import kind_of
from routing.volumes.models import TrafficSource, VolumeFetch


def traffic_source(cluster: Cluster) -> TrafficSource | None:
    return TrafficSource.objects.filter(cluster=cluster).first()


def status_view(source: TrafficSource | None) -> dict[str, Any] | None:
    """The source's status as the API gives it (TrafficSource.status()) plus the stale
    banner's headline ("" unless failing); None without a source."""
    if source is None:
        return None
    status = source.status()
    return {**status, "staleText": stale_since(status)}


def fetch_view(fetch: VolumeFetch | None) -> dict[str, Any] | None:
    """The fetch behind the measured (or simulated) figures, as a volume's provenance:
    {source, detail, at}, like a Service detail's `cost.volume`."""
    if fetch is None:
        return None
    return {"source": kind_of(fetch), "detail": fetch.source, "at": fetch.fetched_at}
