"""Two snapshots of one cluster side by side: the headline figures before and after with their
difference, the Services whose figures changed, and what changed for routing (the snapshot diff).

Every figure is read from what each snapshot stored: the headline is the topology page's
(routing.figures.traffic.flow_map, so it weighs Services the same way), each Service's figures
are its stored summary, and monthly figures use the volumes that cost each snapshot. Those may
differ (a new fetch between the two), so a monthly change can be traffic as well as routing: the
answer says whether the two were costed with the same volumes.
"""

from typing import Any

from django.conf import settings

from routing.figures.traffic import flow_map
from routing.models import ServiceSummary, Snapshot
from routing.snapshots.diff import diff_snapshots
from routing.volumes.lookup import SnapshotVolumes, Volume, kind_of

Key = tuple[str, str]

# The headline's figures whose difference is shown (to - from); each may be null on one side.
DELTAS = (
    "services",
    "crossZoneFraction",
    "costPerGbMean",
    "dropped",
    "monthlyCost",
    "monthlyGb",
    "overloadedServices",
    "droppingServices",
)
# A Service's stored figures that make it "changed" when they differ.
SERVICE_FIGURES = ("policy", "crossZoneFraction", "costPerGb", "dropped", "maxOverload")


def compare_snapshots(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """Snapshot a (before) against snapshot b (after), both of one cluster, in either order."""
    if a.cluster_id != b.cluster_id:
        raise ValueError("snapshots of different clusters cannot be compared")
    limit = settings.TRAFFICLENS_OVERLOAD_LIMIT
    before, after = _Side(a, limit), _Side(b, limit)
    figures = {"from": before.headline(), "to": after.headline()}
    return {
        "from": _ref(a),
        "to": _ref(b),
        "overloadLimit": limit,
        "figures": {**figures, "delta": _deltas(figures["from"], figures["to"])},
        "volumes": _volumes(before, after),
        "services": _changed_services(before, after),
        "diff": diff_snapshots(a, b),
    }


def _ref(snapshot: Snapshot) -> dict[str, Any]:
    return {"seq": snapshot.seq, "takenAt": snapshot.taken_at}


class _Side:
    """One snapshot's headline, Services and volumes, each read once."""

    def __init__(self, snapshot: Snapshot, limit: float):
        self.snapshot = snapshot
        self.limit = limit
        self.volumes = SnapshotVolumes(snapshot)
        self.found: dict[Key, Volume] = self.volumes.get()
        rows = ServiceSummary.objects.at(snapshot.cluster_id, snapshot.seq).values_list(
            "namespace",
            "name",
            "policy",
            "cross_zone_fraction",
            "cost_per_gb",
            "dropped",
            "max_overload",
        )
        self.services: dict[Key, dict[str, Any]] = {}
        for ns, name, policy, cross, cost, dropped, overload in rows:
            volume = self.found.get((ns, name))
            self.services[(ns, name)] = {
                "policy": policy,
                "crossZoneFraction": cross,
                "costPerGb": cost,
                "dropped": dropped,
                "maxOverload": overload,
                "monthlyGb": volume.gb if volume else None,
                "monthlyCost": cost * volume.gb if volume else None,
                "volumeSource": volume.source if volume else None,
            }

    def headline(self) -> dict[str, Any]:
        flows = flow_map(self.snapshot)
        rows = self.services.values()
        return {
            "seq": self.snapshot.seq,
            "services": flows["services"],
            "servicesWithVolume": flows["servicesWithVolume"],
            "weighting": flows["weighting"],
            "crossZoneFraction": flows["crossZoneFraction"],
            "costPerGbMean": flows["costPerGbMean"],
            "dropped": flows["dropped"],
            "monthlyCost": flows["monthlyCost"],
            "monthlyGb": flows["monthlyGb"],
            "volumes": flows["volumes"],
            "overloadedServices": sum(1 for s in rows if s["maxOverload"] > self.limit),
            "droppingServices": sum(1 for s in rows if s["dropped"] > 0),
        }


def _deltas(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float | None]:
    """to - from for each figure; null where either side has none (no volume, no Services)."""
    out: dict[str, float | None] = {}
    for key in DELTAS:
        x, y = before[key], after[key]
        out[key] = None if x is None or y is None else y - x
    return out


def _volumes(before: _Side, after: _Side) -> dict[str, Any]:
    """Whether both snapshots were costed with the same volumes, and which ones each had.

    Volumes set by hand are the cluster's (the same for every snapshot); measured ones come
    from the fetch in force for each snapshot, which a fetch between the two changes."""

    def side(s: _Side) -> dict[str, Any]:
        fetch = s.volumes.fetch
        return {
            "fetchId": fetch.pk if fetch else None,
            "fetchedAt": fetch.fetched_at if fetch else None,
            "kind": kind_of(fetch) if fetch else None,
            # Named so in VolumeFetch too: what it was fetched from (URL, preset, window).
            "source": fetch.source if fetch else None,
            "manual": sum(1 for v in s.found.values() if v.source == "manual"),
        }

    one, other = side(before), side(after)
    return {"same": one["fetchId"] == other["fetchId"], "from": one, "to": other}


def _changed_services(before: _Side, after: _Side) -> list[dict[str, Any]]:
    """Services added, removed, or whose policy or stored figures differ, with both sides'
    figures; largest monthly change first (where both sides have a volume), then largest change
    per GB, then by name."""
    out = []
    for key in before.services.keys() | after.services.keys():
        x, y = before.services.get(key), after.services.get(key)
        if x is not None and y is not None and all(x[f] == y[f] for f in SERVICE_FIGURES):
            continue
        change = "added" if x is None else "removed" if y is None else "changed"
        out.append({"namespace": key[0], "name": key[1], "change": change, "from": x, "to": y})

    def order(row: dict[str, Any]) -> tuple:
        x, y = row["from"], row["to"]
        monthly = (
            abs(y["monthlyCost"] - x["monthlyCost"])
            if x and y and x["monthlyCost"] is not None and y["monthlyCost"] is not None
            else None
        )
        per_gb = abs((y["costPerGb"] if y else 0.0) - (x["costPerGb"] if x else 0.0))
        return (monthly is None, -(monthly or 0.0), -per_gb, row["namespace"], row["name"])

    out.sort(key=order)
    return out
