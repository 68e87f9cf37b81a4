"""The workloads that own a Service's Pods, and the commands that scale or spread them.

Pure Python (no Django), like routing.engine: it reads the same object dicts. `WorkloadIndex`
follows Pods' ownerReferences to their ReplicaSet and Deployment, StatefulSet or DaemonSet
(index); `Workload` is what a fix needs of one (model); commands builds the quoted `kubectl
scale` and `kubectl patch` lines; placement says which nodes a Pod template keeps its Pods off.
When the input holds no apps objects, every owner is unknown (None) and nothing fails.
"""

from .commands import (
    describe_argv,
    describe_command,
    placement_summary,
    restart_argv,
    restart_command,
    scale_argv,
    scale_command,
    scaled_by,
    spread_argv,
    spread_command,
    spread_constraint,
    spread_patch,
)
from .index import (
    WorkloadIndex,
    endpoint_pods,
    owners_of_endpoints,
    sole_owner,
    unowned_pods,
)
from .model import (
    DAEMON_SET,
    DEPLOYMENT,
    KINDS,
    REPLICA_SET,
    STATEFUL_SET,
    Workload,
    workload_of,
)
from .placement import nodes_kept_off, why_not_on

__all__ = [
    "DAEMON_SET",
    "DEPLOYMENT",
    "KINDS",
    "REPLICA_SET",
    "STATEFUL_SET",
    "Workload",
    "WorkloadIndex",
    "describe_argv",
    "describe_command",
    "endpoint_pods",
    "nodes_kept_off",
    "owners_of_endpoints",
    "placement_summary",
    "restart_argv",
    "restart_command",
    "scale_argv",
    "scale_command",
    "scaled_by",
    "sole_owner",
    "spread_argv",
    "spread_command",
    "spread_constraint",
    "spread_patch",
    "unowned_pods",
    "why_not_on",
    "workload_of",
]
