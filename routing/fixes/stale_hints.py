"""remove-stale-hints: EndpointSlices that carry hints the Service no longer asks for.

kube-proxy follows whatever hints a slice carries (`hints-without-policy`), so hints left from an
earlier policy keep steering traffic, sometimes badly (an overloaded endpoint, a zone sent across
the region). On slices the EndpointSlice controller manages, its next sync removes them: the
outcome is the report's own "none" what-if, exactly what the controller leaves. On slices another
manager wrote, the hints stay until that manager drops them, so the fix removes them from copies
of those slices and asks the engine again. Listed only when removing them helps.
"""

from collections.abc import Iterator
from typing import Any

from routing.engine.model import CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL

from . import commands
from .case import Case, Fix
from .verify import from_report, verify_edit


def remove_stale_hints(case: Case) -> Iterator[Fix]:
    if "hints-without-policy" not in case.codes():
        return
    ns, name = case.key
    slices = _hinted_slices(case)
    # The controller manages a selector's slices labelled as its own (or not labelled at all,
    # as routing.engine.parse reads them); a Service without a selector has none of them.
    selector = _has_selector(case)
    foreign = {
        s for s, manager in slices.items() if not selector or manager not in (CONTROLLER_NAME, None)
    }
    if not foreign:
        outcome = from_report(case.entry, "none", "hints removed by the controller's next sync")
        if case.helps(outcome):
            yield Fix(
                "remove-stale-hints",
                "The EndpointSlices still carry hints from an earlier policy and kube-proxy "
                "follows them; the EndpointSlice controller removes them on its next sync. If "
                "they persist, check that kube-controller-manager runs and logs no error for "
                "this Service.",
                outcome,
                [commands.get_slices(ns, name)],
                "none: the Service asks for no hints",
            )
        return

    def edit(objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            if _is_slice_of(obj, ns, name) and obj["metadata"]["name"] in foreign:
                for ep in obj.get("endpoints") or []:
                    if isinstance(ep, dict):
                        ep.pop("hints", None)

    listed = ", ".join(sorted(foreign))
    said = f"hints removed from {listed}"
    edited = verify_edit(case.nodes, case.own, case.key, edit, said, case.analyzer)
    if edited is None or not case.helps(edited):
        return
    managers = ", ".join(sorted({slices[s] or "no manager label" for s in foreign}))
    yield Fix(
        "remove-stale-hints",
        f"EndpointSlice(s) {listed} carry hints although the Service asks for none, and "
        f"kube-proxy follows them. They are managed by {managers}, not the EndpointSlice "
        "controller, so nothing removes them: change that manager so it writes no hints.",
        edited,
        [
            commands.remove_slice_hints(ns, s, _hinted_indices(case, ns, name, s))
            for s in sorted(foreign)
        ],
        "none for routing; the slices' manager may write the hints again",
    )


def _has_selector(case: Case) -> bool:
    ns, name = case.key
    for obj in case.own:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "Service" and (meta.get("namespace"), meta.get("name")) == (ns, name):
            return bool((obj.get("spec") or {}).get("selector"))
    return False


def _is_slice_of(obj: dict[str, Any], ns: str, name: str) -> bool:
    meta = obj.get("metadata") or {}
    return (
        obj.get("kind") == "EndpointSlice"
        and meta.get("namespace") == ns
        and (meta.get("labels") or {}).get(SERVICE_NAME_LABEL) == name
    )


def _hinted_slices(case: Case) -> dict[str, str | None]:
    """The Service's slices with at least one hinted endpoint, and each one's manager."""
    ns, name = case.key
    found: dict[str, str | None] = {}
    for obj in case.own:
        if _is_slice_of(obj, ns, name) and any(
            isinstance(ep, dict) and ep.get("hints") for ep in obj.get("endpoints") or []
        ):
            meta = obj["metadata"]
            found[meta["name"]] = (meta.get("labels") or {}).get(MANAGED_BY_LABEL)
    return found


def _hinted_indices(case: Case, ns: str, name: str, slice_name: str) -> list[int]:
    for obj in case.own:
        if _is_slice_of(obj, ns, name) and obj["metadata"]["name"] == slice_name:
            endpoints = obj.get("endpoints") or []
            return [i for i, ep in enumerate(endpoints) if isinstance(ep, dict) and ep.get("hints")]
    return []
