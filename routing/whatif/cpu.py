"""cpuPerZone: set a zone's allocatable CPU, split over its worker nodes."""

from collections.abc import Mapping
from typing import Any

from routing.engine.quantity import milli_value

from .errors import WhatIfError
from .objects import _check_zone, _parse, _zones


def _edit_cpu(objects: list[dict[str, Any]], cpu: Mapping[str, Any], notes: list[str]) -> None:
    node_dicts = [o for o in objects if o["kind"] == "Node"]
    nodes = _parse(node_dicts).nodes  # same order as node_dicts
    known = _zones(nodes)
    for zone in sorted(cpu):
        _check_zone("cpuPerZone", zone, known)
        # Control-plane nodes are left alone: Auto's ratios and client weights leave them out.
        workers = [(d, n) for d, n in zip(node_dicts, nodes, strict=True) if n.zone == zone]
        workers = [(d, n) for d, n in workers if not n.control_plane]
        if not workers:
            raise WhatIfError("cpuPerZone", f"zone {zone!r} has only control-plane nodes")
        total = cpu_millis(cpu[zone], zone)
        old = sum(n.cpu_millis or 0 for _, n in workers)
        shares = split_millis(total, [n.cpu_millis or 0 for _, n in workers])
        for (node, _), millis in zip(workers, shares, strict=True):
            status = node.get("status")
            if not isinstance(status, dict):
                status = node["status"] = {}
            allocatable = status.get("allocatable")
            if not isinstance(allocatable, dict):
                allocatable = status["allocatable"] = {}
            allocatable["cpu"] = f"{millis}m"
        notes.append(
            f"allocatable CPU of zone {zone}: {format_millis(old)} -> "
            f"{format_millis(total)} over {len(workers)} node(s)"
        )


def cpu_millis(quantity: Any, zone: str = "") -> int:
    """A CPU quantity ("64", "64000m", 64, 0.5) in millicores; WhatIfError if it is none."""
    try:
        return milli_value(quantity)
    except ValueError as exc:
        where = f"{zone}: " if zone else ""
        raise WhatIfError("cpuPerZone", f"{where}{exc}") from None


def split_millis(total: int, current: list[int]) -> list[int]:
    """Split `total` in proportion to `current` (equally if all are 0), summing exactly.

    Each part is rounded down; the millis left over go to the largest remainders, first nodes
    first on ties.
    """
    weights = current if any(current) else [1] * len(current)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def format_millis(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"
