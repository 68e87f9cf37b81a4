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

from routing.engine.model import CONTROLLER_NAME, MANAGED_BY_LABEL

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
    selector = case.has_selector()
    ours = (CONTROLLER_NAME, None)
    foreign = {s for s, (manager, _) in slices.items() if not selector or manager not in ours}
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
        for obj in objects:  # copies of the Service's own objects: its slices are its own
            if obj.get("kind") == "EndpointSlice" and obj["metadata"]["name"] in foreign:
                for ep in obj.get("endpoints") or []:
                    if isinstance(ep, dict):
                        ep.pop("hints", None)

    listed = ", ".join(sorted(foreign))
    said = f"hints removed from {listed}"
    edited = verify_edit(case.nodes, case.own, case.key, edit, said, case.analyzer, pods=case.pods)
    if edited is None or not case.helps(edited):
        return
    managers = ", ".join(sorted({slices[s][0] or "no manager label" for s in foreign}))
    yield Fix(
        "remove-stale-hints",
        f"EndpointSlice(s) {listed} carry hints although the Service asks for none, and "
        f"kube-proxy follows them. They are managed by {managers}, not the EndpointSlice "
        "controller, so nothing removes them: change that manager so it writes no hints.",
        edited,
        [commands.remove_slice_hints(ns, s, slices[s][1]) for s in sorted(foreign)],
        "none for routing; the slices' manager may write the hints again",
    )


def _hinted_slices(case: Case) -> dict[str, tuple[str | None, list[int]]]:
    """The Service's slices with at least one hinted endpoint (routing.fixes.objects puts only
    the Service's own in `case.own`): each one's manager and the hinted endpoints' indices."""
    found: dict[str, tuple[str | None, list[int]]] = {}
    for obj in case.own:
        if obj.get("kind") != "EndpointSlice":
            continue
        endpoints = obj.get("endpoints") or []
        hinted = [i for i, ep in enumerate(endpoints) if isinstance(ep, dict) and ep.get("hints")]
        if hinted:
            meta = obj["metadata"]
            found[meta["name"]] = ((meta.get("labels") or {}).get(MANAGED_BY_LABEL), hinted)
    return found
