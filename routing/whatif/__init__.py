"""What-if: apply a hypothetical change to one Service's objects and analyse the result.

The input is the list of kubectl-shaped objects a Service's analysis reads (Nodes, the Service,
its EndpointSlices, maybe Pods: routing.figures.reports.service_objects). `apply_changes` returns
edited copies and never touches its input; `routing.engine.service_entry` analyses a list the way
the Service detail does. Nothing here reads or writes the database.

After every edit the Service's EndpointSlice hints are rewritten as the EndpointSlice controller
would write them (the engine's `controller.simulate` under the Service's declared policy, the
same function the simulated cluster uses). Any change here is one the controller reacts to: a
Service update, Pods coming and going, a node pool being replaced. Without this, the "observed"
flows would follow hints the real controller wrote for the old state: a cloned endpoint would
carry its template's zone, a removed zone's hints would linger.

The package, by concern: `apply` (the entry points), `service_edits` (policy, topology mode,
internalTrafficPolicy), `cpu` (cpuPerZone), `replicas` and `new_endpoints` (replicasPerZone),
`hints` (the controller's hints after an edit), `objects` (reading the objects as the engine
does), `read_replicas` (replicasPerZone read without writing objects) and `errors`.
"""

from .apply import Edited, apply_changes, changed_cluster, copies, headline
from .cpu import cpu_millis, format_millis, split_millis
from .errors import WhatIfError
from .hints import Reconciled, reconcile, reconcile_hints
from .new_endpoints import MAX_PER_SLICE, SYNTHETIC_NETWORKS, in_use
from .read_replicas import ReplicasReader
from .replicas import MAX_REPLICAS

__all__ = [
    "MAX_PER_SLICE",
    "MAX_REPLICAS",
    "SYNTHETIC_NETWORKS",
    "Edited",
    "Reconciled",
    "ReplicasReader",
    "WhatIfError",
    "apply_changes",
    "changed_cluster",
    "copies",
    "cpu_millis",
    "format_millis",
    "headline",
    "in_use",
    "reconcile",
    "reconcile_hints",
    "split_millis",
]
