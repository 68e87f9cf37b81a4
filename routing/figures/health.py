"""A Service's health at a glance: one level from its figures and its findings.

The level is the worst of: its most severe diagnostic; `critical` when it drops traffic (a
dropped connection is a failed request, whatever the findings say); `warning` when its busiest
endpoint is above the overload limit or its cross-zone share is above the cluster's alert
threshold. So a dropping or overloaded Service never looks healthy. The pages colour cells by
the same thresholds (`Thresholds`), and the Services list sorts by the same rank in SQL.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When

from routing.models import SEVERITY_RANK

LEVELS = ("ok", "info", "warning", "critical")  # by rank, mildest first
_BY_SEVERITY = {"error": "critical", "warning": "warning", "info": "info"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where figures turn to warnings: the deployment's overload limit, the cluster's alert."""

    overload_limit: float
    cross_zone_alert: float

    @classmethod
    def of(cls, cluster: Any) -> "Thresholds":
        """`cluster`: a Cluster, or anything with its `cross_zone_alert` (an API SnapshotRef)."""
        return cls(settings.TRAFFICLENS_OVERLOAD_LIMIT, cluster.cross_zone_alert)

    def as_json(self) -> dict[str, float]:
        return {"overloadLimit": self.overload_limit, "crossZoneAlert": self.cross_zone_alert}


def health_level(
    dropped: float,
    max_overload: float,
    cross_zone: float,
    top_severity: str | None,
    limits: Thresholds,
) -> str:
    """The level of one Service (its diagnostics are stored most severe first)."""
    found = _BY_SEVERITY.get(top_severity or "", "ok")
    if dropped > 0:
        return "critical"
    if found == "critical":
        return found
    if max_overload > limits.overload_limit or cross_zone > limits.cross_zone_alert:
        return "warning"
    return found


def health_rank(limits: Thresholds) -> Case:
    """The level's rank (index in LEVELS) as SQL over ServiceSummary, for sorting."""
    return Case(
        When(Q(dropped__gt=0) | Q(severity=SEVERITY_RANK["error"]), then=Value(3)),
        When(
            Q(max_overload__gt=limits.overload_limit)
            | Q(cross_zone_fraction__gt=limits.cross_zone_alert)
            | Q(severity=SEVERITY_RANK["warning"]),
            then=Value(2),
        ),
        When(severity=SEVERITY_RANK["info"], then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
