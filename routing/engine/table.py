"""The human-readable `analyze --format table` output, kept within 80 columns."""

import textwrap
from typing import Any

from .errors import printable
from .summary import equal_weight_matrix, matrix_zones

WIDTH = 80
_MECH = {"trafficDistribution": "td", "topologyAuto": "auto", "none": "-"}
_MARK = {"error": "!! ", "warning": "!  ", "info": "i  "}
_CORNER = "from \\ to"


def render_table(report: dict[str, Any], title: str | None = None) -> str:
    """One row per Service, its top finding and advice, then the zone matrix and warnings."""
    lines: list[str] = []
    if title:
        lines += [f"== {title}", ""]
    lines.append(_cluster_line(report["cluster"]))
    lines.append("")
    services = report["services"]
    if not services:
        lines.append("No Services in the input.")
    else:
        lines.append(
            f"{'SERVICE':<23} {'POLICY':<15} {'MECH':<5} {'X-ZONE':>7} {'OVERLOAD':>9} {'$/GB':>8}"
        )
        for svc in services:
            lines.extend(_service_lines(svc))
    lines.extend(_matrix_lines(services))
    warnings = report["cluster"]["warnings"]
    if warnings:
        lines += ["", "Warnings:"]
        lines += [_fit(f"  - {w}") for w in warnings]
    return "\n".join(lines) + "\n"


def _fit(text: str, width: int = WIDTH) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def _cluster_line(cluster: dict[str, Any]) -> str:
    zones = cluster["zones"]
    nodes = sum(z["nodes"] for z in zones.values())
    return _fit(
        f"{len(zones)} zone(s), {nodes} zoned node(s), {cluster['clientNodes']} client node(s) "
        f"weighted by {cluster['clientWeights']}; prices: {cluster['provider']}"
    )


def _service_lines(svc: dict[str, Any]) -> list[str]:
    policy = svc["policy"]
    mech = policy["mechanism"]
    shown = policy["trafficDistribution"] or "-"
    if mech == "topologyAuto":
        shown = "topology Auto"
    if policy["internalTrafficPolicy"] == "Local":
        shown = "iTP Local" if shown == "-" else f"{shown}+Local"
    flows, cost = svc["flows"], svc["cost"]
    name = f"{svc['namespace']}/{svc['name']}"
    row = (
        f"{_cut(name, 23):<23} {_cut(shown, 15):<15} {_MECH[mech]:<5} "
        f"{flows['crossZoneFraction'] * 100:>6.1f}% {flows['maxOverload']:>8.2f}x "
        f"{cost['costPerGb']:>8.4f}"
    )
    lines = [row]
    if svc["diagnostics"]:
        top = svc["diagnostics"][0]
        wrapped = textwrap.wrap(
            printable(top["message"]), WIDTH - 5, max_lines=2, placeholder=" ..."
        )
        lines.append(f"  {_MARK[top['severity']]}{wrapped[0]}")
        lines.extend(f"     {more}" for more in wrapped[1:])
    fixes = svc.get("fixes") or []
    if fixes and fixes[0]["kind"] != "set-policy":
        lines.append(_fix_line(fixes[0]))
        return lines
    rec = svc["recommendation"]
    if rec:
        saved = rec["costPerGbSaved"]
        if saved >= 0.00005:
            gain = f"saves {saved:.4f}/GB"
        elif saved <= -0.00005:
            gain = f"costs {-saved:.4f}/GB more"
        else:
            gain = "same cost"
        lines.append(
            _fit(
                f"  -> {rec['policy']}: {gain}, cross-zone {rec['crossZoneFraction'] * 100:.1f}%, "
                f"overload {rec['maxOverload']:.2f}x"
            )
        )
    return lines


def _fix_line(fix: dict[str, Any]) -> str:
    """The best verified fix that is not a policy switch: its kind and where it leads."""
    after = fix["after"]
    dropped = f", dropped {after['dropped'] * 100:.1f}%" if after["dropped"] > 0 else ""
    return _fit(
        f"  -> fix {fix['kind']}: cross-zone {after['crossZoneFraction'] * 100:.1f}%"
        f"{dropped}, overload {after['maxOverload']:.2f}x"
    )


def _cut(text: str, width: int) -> str:
    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "~"


def _matrix_lines(services: list[dict[str, Any]]) -> list[str]:
    total, counted = equal_weight_matrix(services)
    if not counted:
        return []
    zones = matrix_zones(total)
    lines = [
        "",
        f"Zone matrix (share of all client traffic, {counted} Service(s) weighted equally):",
    ]
    label = max(len(_CORNER), *(len(z) for z in zones))
    cell = max(7, *(len(z) for z in zones))
    if label + 1 + (cell + 1) * len(zones) > WIDTH:
        for src in zones:
            for dst in zones:
                share = total.get(src, {}).get(dst, 0.0)
                if share > 0:
                    lines.append(_fit(f"  {src} -> {dst}: {share * 100:.1f}%"))
        return lines
    lines.append(f"{_CORNER:<{label}} " + " ".join(f"{z:>{cell}}" for z in zones))
    for src in zones:
        row = total.get(src, {})
        cells = " ".join(f"{row.get(dst, 0.0) * 100:>{cell - 1}.1f}%" for dst in zones)
        lines.append(f"{src:<{label}} {cells}")
    return lines
