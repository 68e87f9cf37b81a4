"""Shape an analysis report into what the overview page shows (no computation of its own)."""

from typing import Any

from routing.engine.summary import equal_weight_matrix, matrix_zones

_MECHANISM = {
    "trafficDistribution": "trafficDistribution",
    "topologyAuto": "topology Auto",
    "none": "none",
}


def overview(report: dict[str, Any], overload_limit: float) -> dict[str, Any]:
    """Rows per Service, the zone matrix and headline figures for the template."""
    services = report["services"]
    rows = [_row(svc, overload_limit) for svc in services]
    matrix, counted = equal_weight_matrix(services)
    zones = matrix_zones(matrix)
    cluster = report["cluster"]
    return {
        "rows": rows,
        "zones": zones,
        "matrix": [
            {"zone": src, "cells": [matrix.get(src, {}).get(dst, 0.0) * 100 for dst in zones]}
            for src in zones
        ],
        "matrix_services": counted,
        "cluster": cluster,
        "headline": {
            "services": len(services),
            "crossing": sum(1 for r in rows if r["cross_zone"] >= 0.5),
            "hints_ignored": sum(1 for r in rows if r["hints_ignored"]),
            "recommendations": sum(1 for r in rows if r["recommendation"]),
            "price": services[0]["cost"]["pricePerGbCrossZone"] if services else None,
            "price_source": services[0]["cost"]["priceSource"] if services else "",
        },
    }


def _row(svc: dict[str, Any], overload_limit: float) -> dict[str, Any]:
    policy = svc["policy"]
    codes = {d["code"] for d in svc["diagnostics"]}
    return {
        "name": f"{svc['namespace']}/{svc['name']}",
        "declared": policy["trafficDistribution"]
        or ("Auto" if policy["mechanism"] == "topologyAuto" else "none"),
        "mechanism": _MECHANISM[policy["mechanism"]],
        "local": policy["internalTrafficPolicy"] == "Local",
        "cross_zone": svc["flows"]["crossZoneFraction"] * 100,
        "dropped": svc["flows"]["dropped"] * 100,
        "overload": svc["flows"]["maxOverload"],
        "overloaded": svc["flows"]["maxOverload"] > overload_limit,
        "cost": svc["cost"]["costPerGb"],
        "diagnostics": svc["diagnostics"],
        "hints_ignored": bool(
            codes & {"endpoint-without-zone-hint", "endpoint-without-node-hint", "auto-disabled"}
        ),
        "recommendation": svc["recommendation"],
        "what_if": [
            {"policy": name, **{k: v for k, v in run.items() if k != "matrix"}}
            for name, run in svc["whatIf"].items()
        ],
    }
