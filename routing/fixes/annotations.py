"""migrate-annotation: a topology annotation that decides something other than what it seems to.

Three ways a Service's annotations mislead (routing.engine.diagnostics names each):
- the deprecated `service.kubernetes.io/topology-aware-hints` beside `topology-mode` with another
  value: the deprecated key decides (`deprecated-annotation-wins`);
- a value that reads as Auto but is not one of the two spellings the controller accepts, such as
  "AUTO" (`topology-mode-not-recognised`): Topology Aware Routing stays off;
- `topology-mode: Auto` beside `spec.trafficDistribution`: the annotation decides
  (`auto-overrides-traffic-distribution`).
Each is fixed by the smallest annotation change that makes the Service do what its other field
says, through the what-if API's `topologyMode` (which also drops the deprecated key), and listed
only when the engine shows it helps. A deprecated annotation that merely still works is left to
the diagnostic: migrating it changes no routing, so there is nothing to verify.
"""

from collections.abc import Iterator
from typing import Any

from routing.engine.model import DEPRECATED_HINTS_ANNOTATION, TOPOLOGY_MODE_ANNOTATION

from . import commands
from .case import Case, Fix

_AUTO = "Auto"
_MISLEADING = {
    "deprecated-annotation-wins",
    "topology-mode-not-recognised",
    "auto-overrides-traffic-distribution",
}


def migrate_annotation(case: Case) -> Iterator[Fix]:
    codes = case.codes() & _MISLEADING
    if not codes:
        return
    annotations = _annotations(case)
    for mode, why in _proposals(codes, annotations):
        request = {"topologyMode": mode}
        outcome = case.verify(request)
        if not case.helps(outcome):
            continue
        assert outcome is not None
        patch = _patch(annotations, mode)
        ns, name = case.key
        yield Fix(
            "migrate-annotation",
            why,
            outcome,
            [commands.patch_service(ns, name, patch)],
            "none: the Service then does what its other setting already says",
            request,
        )
        return  # one annotation fix: the proposals are alternatives for the same Service


def _annotations(case: Case) -> dict[str, Any]:
    return dict((case.service.get("metadata") or {}).get("annotations") or {})


def _proposals(codes: frozenset[str], annotations: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """(the topology-mode value to leave (None: no annotation), why) to try."""
    mode = annotations.get(TOPOLOGY_MODE_ANNOTATION)
    deprecated = annotations.get(DEPRECATED_HINTS_ANNOTATION)
    if "deprecated-annotation-wins" in codes:
        yield (
            mode,
            f"The deprecated annotation {DEPRECATED_HINTS_ANNOTATION}={deprecated!r} decides over "
            f"{TOPOLOGY_MODE_ANNOTATION}={mode!r}; remove it so that topology-mode applies.",
        )
    if "topology-mode-not-recognised" in codes:
        value = deprecated if deprecated is not None else mode
        yield (
            _AUTO,
            f"The annotation value {value!r} does not turn Topology Aware Routing on (only "
            f"'Auto' and 'auto' do); write it as {TOPOLOGY_MODE_ANNOTATION}: Auto.",
        )
    if "auto-overrides-traffic-distribution" in codes:
        yield (
            None,
            "The topology-mode annotation overrides spec.trafficDistribution; remove the "
            "annotation so that the field applies.",
        )


def _patch(annotations: dict[str, Any], mode: Any) -> dict[str, Any]:
    """The merge patch that leaves `mode` as the only topology annotation (None: neither)."""
    changed: dict[str, Any] = {}
    if DEPRECATED_HINTS_ANNOTATION in annotations:
        changed[DEPRECATED_HINTS_ANNOTATION] = None
    if annotations.get(TOPOLOGY_MODE_ANNOTATION) != mode:
        changed[TOPOLOGY_MODE_ANNOTATION] = mode
    return {"metadata": {"annotations": changed}}
