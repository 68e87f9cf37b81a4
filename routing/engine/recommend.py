"""Pick the cheapest policy that overloads no endpoint (docs/analysis-report.md)."""

from typing import TYPE_CHECKING, Any

from .controller import POLICIES
from .model import Service
from .shell import kubectl_patch_service

if TYPE_CHECKING:  # pragma: no cover - import cycle only for type names
    from .report import Context, Simulation

_ANNOTATION = "service.kubernetes.io/topology-mode"


def recommend(
    svc: Service,
    declared: str,
    observed: "Simulation",
    what_if: dict[str, "Simulation"],
    ctx: "Context",
) -> dict[str, Any] | None:
    """The best policy, or None when the declared one is it (PreferClose = PreferSameZone)."""
    limit = ctx.options.overload_limit
    # Compare with where the declared policy settles once the controller has synced: observed
    # hints can be stale (e.g. left over from a removed policy) and would flatter or blame it.
    current = what_if[declared]
    # A policy that drops more than today looks cheap only because dropped bytes cost nothing.
    # Of the others, the cheapest (min of the ranks; the policies' order breaks no tie, as it
    # is in the rank), worked out in one pass: this runs for every Service.
    dropped_now = current.flows.dropped + 1e-9
    best, best_rank = None, None
    ranks: dict[int, tuple[float, float, float]] = {}  # by run: policies often share one
    for index, policy in enumerate(POLICIES):
        run = what_if[policy]
        flows = run.flows
        if not (flows.max_overload <= limit + 1e-9 and flows.dropped <= dropped_now):
            continue
        figures = ranks.get(id(run))
        if figures is None:
            # Rounded so float noise between equivalent outcomes does not decide the ranking.
            figures = ranks[id(run)] = (
                round(run.cost_per_gb, 9),
                round(flows.cross_zone, 9),
                round(flows.max_overload, 9),
            )
        rank = (*figures, 0 if policy == declared else 1, index)  # no churn for an equal outcome
        if best_rank is None or rank < best_rank:
            best, best_rank = policy, rank
    if best is None or best == declared:
        return None
    run = what_if[best]
    saved = current.cost_per_gb - run.cost_per_gb
    gb = ctx.options.monthly_gb
    return {
        "policy": best,
        "costPerGbSaved": saved,
        "monthlySaved": None if gb is None else saved * gb,
        "crossZoneFraction": run.flows.cross_zone,
        "maxOverload": run.flows.max_overload,
        "overloadLimit": limit,
        "reason": _reason(declared, best, current, run, limit),
        "change": _change(svc, best),
    }


def _reason(
    declared: str, best: str, current: "Simulation", run: "Simulation", limit: float
) -> str:
    now, then = current.flows.cross_zone * 100, run.flows.cross_zone * 100
    load = (
        f"the busiest endpoint at {run.flows.max_overload:.2f}x its fair share (limit {limit:g}x)"
    )
    if current.flows.max_overload > limit + 1e-9:
        return (
            f"{declared} overloads an endpoint ({current.flows.max_overload:.2f}x, "
            f"limit {limit:g}x); {best} is the cheapest policy within the limit, "
            f"at {then:.0f}% cross-zone traffic"
        )
    if run.cost_per_gb < current.cost_per_gb - 1e-12:
        return f"{best} cuts cross-zone traffic from {now:.0f}% to {then:.0f}% with {load}"
    return f"{best} costs no more than {declared} and keeps {load}"


def _change(svc: Service, policy: str) -> str:
    if policy == "Auto":
        body = (
            f'{{"metadata":{{"annotations":{{"{_ANNOTATION}":"Auto"}}}},'
            '"spec":{"trafficDistribution":null}}'
        )
    else:
        td = "null" if policy == "none" else f'"{policy}"'
        # Remove any topology annotation too: it would override the field.
        body = (
            f'{{"metadata":{{"annotations":{{"{_ANNOTATION}":null,'
            f'"service.kubernetes.io/topology-aware-hints":null}}}},"spec":{{"trafficDistribution":{td}}}}}'
        )
    return kubectl_patch_service(svc.namespace, svc.name, body)
