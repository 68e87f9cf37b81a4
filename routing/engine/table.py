"""The human-readable `analyze --format table` output, kept within 80 columns."""

import textwrap
from typing import Any

from .errors import printable
from .summary import equal_weight_matrix, matrix_zones

WIDTH = 80
_MECH = {"trafficDistribution": "td", "topologyAuto": "auto", "none": "-"}
_MARK = {"error": "!! ", "warning": "!  ", "info": "i  "}
_CORNER = "from \\ to"
_NAME, _NAME_WITH_MONTHLY = 23, 19  # SERVICE column widths that keep a row within 80 columns


def render_table(report: dict[str, Any], title: str | None = None, wide: bool = False) -> str:
    """One row per Service, its top finding and advice, then the zone matrix and warnings.

    Within 80 columns unless `wide`: then names are never cut, every finding is listed and
    dropped and cross-region shares get columns. A name longer than its column gets a line of
    its own, so a long namespace never hides the Service's name.
    """
    lines: list[str] = []
    if title:
        lines += [f"== {title}", ""]
    cluster = report["cluster"]
    lines.append(_fit(_cluster_line(cluster), wide))
    gap = cluster.get("notSimulated")
    if gap:
        lines += _wrap(gap[0].upper() + gap[1:], "", wide)
    lines.append("")
    services = report["services"]
    if not services:
        lines.append("No Services in the input.")
    else:
        columns = _columns(services, wide)
        lines.append(_header(columns))
        for svc in services:
            lines.extend(_service_lines(svc, columns, gap is not None, wide))
    if not gap:
        lines.extend(_matrix_lines(services))
    warnings = [w for w in cluster["warnings"] if w != gap]
    if warnings:
        lines += ["", "Warnings:"]
        for warning in warnings:
            lines += _wrap(warning, "  - ", wide, "    ")
    return "\n".join(lines) + "\n"


class _Columns:
    """Which columns a table has and how wide its SERVICE column is."""

    def __init__(self, name: int, monthly: bool, wide: bool):
        self.name, self.monthly, self.wide = name, monthly, wide


def _columns(services: list[dict[str, Any]], wide: bool) -> _Columns:
    monthly = any(s["cost"].get("monthlyCost") is not None for s in services)
    if wide:
        longest = max(len(printable(f"{s['namespace']}/{s['name']}")) for s in services)
        return _Columns(max(len("SERVICE"), longest), monthly, True)
    return _Columns(_NAME_WITH_MONTHLY if monthly else _NAME, monthly, False)


def _header(c: _Columns) -> str:
    head = f"{'SERVICE':<{c.name}} {'POLICY':<15} {'MECH':<5} {'X-ZONE':>7} "
    if c.wide:
        head += f"{'X-REGION':>8} {'DROPPED':>8} "
    head += f"{'OVERLOAD':>9} {'$/GB':>8}"
    if c.monthly:
        head += f" {'$/MONTH':>9}"
    return head


def _fit(text: str, wide: bool = False, width: int = WIDTH) -> str:
    text = printable(text)
    return text if wide or len(text) <= width else text[: width - 3] + "..."


def _wrap(text: str, first: str, wide: bool, rest: str | None = None) -> list[str]:
    """The whole text, wrapped at 80 columns (one line when `wide`): never cut."""
    text = printable(text)
    if wide:
        return [first + text]
    indent = " " * len(first) if rest is None else rest
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False
    )


def _cluster_line(cluster: dict[str, Any]) -> str:
    zones = cluster["zones"]
    nodes = sum(z["nodes"] for z in zones.values())
    return (
        f"{len(zones)} zone(s), {nodes} zoned node(s), {cluster['clientNodes']} client node(s) "
        f"weighted by {cluster['clientWeights']}; prices: {cluster['provider']}"
    )


def _policy_shown(policy: dict[str, Any]) -> str:
    mech = policy["mechanism"]
    shown = policy["trafficDistribution"] or "-"
    if mech == "topologyAuto":
        shown = "topology Auto"
    if policy["internalTrafficPolicy"] == "Local":
        shown = "iTP Local" if shown == "-" else f"{shown}+Local"
    return shown


def _figures(svc: dict[str, Any], c: _Columns, simulated: bool) -> str:
    if not simulated:
        return "not simulated"
    flows, cost = svc["flows"], svc["cost"]
    out = f"{flows['crossZoneFraction'] * 100:>6.1f}% "
    if c.wide:
        out += f"{flows['crossRegionFraction'] * 100:>7.1f}% {flows['dropped'] * 100:>7.1f}% "
    out += f"{flows['maxOverload']:>8.2f}x {cost['costPerGb']:>8.4f}"
    if c.monthly:
        monthly = cost.get("monthlyCost")
        out += f" {monthly:>9.2f}" if monthly is not None else f" {'-':>9}"
    return out


def _service_lines(svc: dict[str, Any], c: _Columns, not_simulated: bool, wide: bool) -> list[str]:
    policy = svc["policy"]
    name = printable(f"{svc['namespace']}/{svc['name']}")
    lines = []
    if len(name) > c.name:
        lines.append(name)  # its own line: the row below would have to cut it
        name = ""
    lines.append(
        f"{name:<{c.name}} {_cut(_policy_shown(policy), 15):<15} "
        f"{_MECH[policy['mechanism']]:<5} {_figures(svc, c, not not_simulated)}".rstrip()
    )
    findings = svc["diagnostics"] if wide else svc["diagnostics"][:1]
    for finding in findings:
        text = printable(finding["message"])
        if wide:
            lines.append(f"  {_MARK[finding['severity']]}{text}")
            continue
        wrapped = textwrap.wrap(text, WIDTH - 5, max_lines=2, placeholder=" ...")
        lines.append(f"  {_MARK[finding['severity']]}{wrapped[0]}")
        lines.extend(f"     {more}" for more in wrapped[1:])
    fixes = svc.get("fixes") or []
    if fixes and fixes[0]["kind"] != "set-policy":
        lines.append(_fix_line(fixes[0], wide))
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
                f"overload {rec['maxOverload']:.2f}x",
                wide,
            )
        )
    return lines


def _fix_line(fix: dict[str, Any], wide: bool) -> str:
    """The best verified fix that is not a policy switch: its kind and where it leads."""
    after = fix["after"]
    dropped = f", dropped {after['dropped'] * 100:.1f}%" if after["dropped"] > 0 else ""
    return _fit(
        f"  -> fix {fix['kind']}: cross-zone {after['crossZoneFraction'] * 100:.1f}%"
        f"{dropped}, overload {after['maxOverload']:.2f}x",
        wide,
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
