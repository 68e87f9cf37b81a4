"""Where a Service's clients are: each source zone's share of its bytes, from the callers that
a traffic source names.

A series that names its source zone (Beyla's `src_zone`) says it directly. Otherwise a series
that names its source workload (Istio's `source_workload`, Beyla's `k8s_src_owner_name`) is
placed where that workload's pods run now, its bytes split over their zones in proportion to
how many pods each zone holds (each pod is assumed to call as much as the others). Bytes from a
caller that cannot be placed (Istio's "unknown" for callers outside the mesh, a workload with no
pod left) are counted as unknown; a Service whose known share is under MIN_KNOWN_SHARE gets no
measured zones and keeps the cluster's weighting.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from routing.volumes.presets import Preset
from routing.volumes.prometheus import Sample

Key = tuple[str, str]
SOURCE_ZONE_LABEL = "src_zone"
# Below this share of a Service's bytes with a placed caller, its zones would describe a minority
# of its traffic: it keeps the cluster's client weighting instead.
MIN_KNOWN_SHARE = 0.5
# Zone shares are stored rounded: a measured share is nowhere near this precise, and equal
# rounded shares let two fetches compare equal so unchanged Services are not re-analysed.
SHARE_DIGITS = 4


def source_zone(sample: Sample) -> str | None:
    return sample.labels.get(SOURCE_ZONE_LABEL) or None


def caller_of(preset: Preset, sample: Sample) -> Key | None:
    if preset.callers is None:
        return None
    ns_label, name_label = preset.callers
    name = sample.labels.get(name_label, "")
    return (sample.labels.get(ns_label, ""), name) if name else None


def callers_to_place(preset: Preset, samples: Iterable[Sample]) -> set[Key]:
    """The (namespace, workload) of every caller whose zones come from its pods: the series
    that name a caller but not their source zone."""
    wanted: set[Key] = set()
    for sample in samples:
        if source_zone(sample) is None:
            caller = caller_of(preset, sample)
            if caller is not None:
                wanted.add(caller)
    return wanted


def zones_of_workloads(placed: Iterable[tuple[Key, str]]) -> dict[Key, dict[str, float]]:
    """(namespace, workload) -> zone -> share of its pods, from (workload, pod's node zone)
    pairs, one per running pod ("" for a node without a zone label)."""
    counts: dict[Key, dict[str, int]] = {}
    for workload, zone in placed:
        zones = counts.setdefault(workload, {})
        zones[zone] = zones.get(zone, 0) + 1
    return {
        workload: {zone: n / sum(zones.values()) for zone, n in sorted(zones.items())}
        for workload, zones in counts.items()
    }


@dataclass
class ClientZones:
    """Per Service, bytes/s by source zone, and bytes/s whose caller could not be placed."""

    rates: dict[Key, dict[str, float]] = field(default_factory=dict)
    unknown: dict[Key, float] = field(default_factory=dict)

    def add(
        self,
        preset: Preset,
        sample: Sample,
        services: list[Key],
        workload_zones: dict[Key, dict[str, float]],
    ) -> None:
        """Count a sample's bytes (split evenly over `services`) by where its caller runs."""
        zone = source_zone(sample)
        caller = caller_of(preset, sample)
        if zone is None and caller is None and preset.callers is None:
            return  # this source never names callers: nothing to count, known or unknown
        zones = {zone: 1.0} if zone is not None else workload_zones.get(caller) if caller else None
        share = sample.value / len(services)
        for key in services:
            if zones is None:
                self.unknown[key] = self.unknown.get(key, 0.0) + share
                continue
            by_zone = self.rates.setdefault(key, {})
            for z, part in zones.items():
                by_zone[z] = by_zone.get(z, 0.0) + share * part

    def shares(self) -> dict[Key, dict[str, float]]:
        """Per Service with enough placed bytes, each source zone's share (rounded, sums to 1
        up to rounding)."""
        out: dict[Key, dict[str, float]] = {}
        for key, by_zone in self.rates.items():
            known = sum(by_zone.values())
            total = known + self.unknown.get(key, 0.0)
            if known <= 0 or known < MIN_KNOWN_SHARE * total:
                continue
            out[key] = {z: round(r / known, SHARE_DIGITS) for z, r in sorted(by_zone.items())}
        return out

    def notes(self) -> list[str]:
        placed = self.shares()
        thin = sum(1 for key in self.rates.keys() | self.unknown.keys() if key not in placed)
        said = []
        if placed:
            said.append(f"{len(placed)} Service(s) have measured client zones")
        if thin:
            said.append(
                f"{thin} Service(s) had under {MIN_KNOWN_SHARE:.0%} of their bytes from callers "
                "that could be placed in a zone; they keep the cluster's client weighting"
            )
        return said
