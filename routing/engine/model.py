"""Plain data the engine works on: what routing reads of Nodes, Services and EndpointSlices."""

from dataclasses import dataclass, field
from typing import Any

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
CONTROL_PLANE_LABELS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
DEPRECATED_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints"

UNKNOWN_ZONE = "unknown"  # the flow-map key for an endpoint or client whose zone is not known

# A Service port as kube-proxy names it: (port name, protocol). EndpointSlice ports match it
# by these two, never by number.
PortKey = tuple[str, str]

# A hint as (forZones, forNodes); both empty means "no hints".
Hint = tuple[tuple[str, ...], tuple[str, ...]]
NO_HINT: Hint = ((), ())


@dataclass(slots=True)
class Node:
    """A Node as routing sees it. `zone` is "" when the label is missing or empty."""

    name: str
    zone: str
    region: str
    ready: bool
    control_plane: bool
    cpu_millis: int | None  # None when status.allocatable.cpu is absent
    provider: str | None  # the providerID scheme, e.g. "aws"
    running_pods: int = 0


# init=False and an __init__ of its own, here and in the other classes the engine makes by the
# thousand (proxy.Outcome, proxy.ProxyPlan, flows.Flows, report.Simulation,
# controller.ControllerResult, Service): compiled by mypyc (`make engine`), a dataclass's
# generated __init__ stays interpreted Python, a call out of C for every object made (about a
# twentieth of analyze's time), while one written in the class is compiled with it. The other
# methods (eq, repr) are still the dataclass's; the parameters have the fields' names and
# order, so dataclasses.replace and keyword calls work as before.
@dataclass(slots=True, init=False)
class Endpoint:
    """One endpoint of an EndpointSlice, conditions kept as written (None = absent)."""

    ip: str
    node_name: str
    zone: str  # the endpoint's own `zone` field ("" when absent)
    ready: bool | None
    serving: bool | None
    terminating: bool | None
    hint: Hint
    has_hints_field: bool
    slice_name: str
    address_type: str
    managed: bool  # written by the EndpointSlice controller (so policies change its hints)
    flow_zone: str  # zone used in flow maps: own field, else its Node's label

    def __init__(
        self,
        ip: str,
        node_name: str,
        zone: str,
        ready: bool | None,
        serving: bool | None,
        terminating: bool | None,
        hint: Hint,
        has_hints_field: bool,
        slice_name: str,
        address_type: str,
        managed: bool,
        flow_zone: str = UNKNOWN_ZONE,
    ) -> None:
        self.ip, self.node_name, self.zone = ip, node_name, zone
        self.ready, self.serving, self.terminating = ready, serving, terminating
        self.hint, self.has_hints_field, self.slice_name = hint, has_hints_field, slice_name
        self.address_type, self.managed, self.flow_zone = address_type, managed, flow_zone

    # kube-proxy defaults a missing condition: ready and serving to true, terminating to false.
    @property
    def proxy_ready(self) -> bool:
        return self.ready is not False

    @property
    def proxy_serving_terminating(self) -> bool:
        return self.serving is not False and self.terminating is True

    # The EndpointSlice controller counts only an explicit ready=true.
    @property
    def controller_ready(self) -> bool:
        return self.ready is True

    def with_hint(self, hint: Hint, has_hints_field: bool) -> "Endpoint":
        """A copy with other hints (positional, as dataclasses.replace is slow in a loop)."""
        return Endpoint(
            self.ip,
            self.node_name,
            self.zone,
            self.ready,
            self.serving,
            self.terminating,
            hint,
            has_hints_field,
            self.slice_name,
            self.address_type,
            self.managed,
            self.flow_zone,
        )


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One entry of a Service's spec.ports, defaulted as the API server does."""

    name: str  # "" when unnamed (allowed for a single-port Service)
    protocol: str  # TCP unless given
    port: int

    @property
    def key(self) -> PortKey:
        return (self.name, self.protocol)

    @property
    def label(self) -> str:
        shown = self.name or str(self.port)
        return f"{shown}/{self.protocol}"


@dataclass(frozen=True, slots=True)
class SlicePorts:
    """The ports of one EndpointSlice as kube-proxy reads them (pkg/proxy/endpointslicecache.go):
    a port without a number (or 0) is ignored, so its endpoints serve nothing for it."""

    usable: frozenset[PortKey]
    ignored: tuple[str, ...]  # names of ports listed without a usable number


@dataclass(slots=True, init=False)  # (init=False: see Endpoint)
class Service:
    """A Service's routing-relevant spec plus the endpoints of its EndpointSlices."""

    namespace: str
    name: str
    type: str
    headless: bool
    has_selector: bool
    internal_traffic_policy: str
    external_traffic_policy: str | None  # only when externally accessible
    externally_accessible: bool
    traffic_distribution: str | None
    topology_annotation: str | None  # the deciding annotation value, None when neither key is set
    topology_annotation_key: str | None
    topology_mode_value: str | None  # the topology-mode key's own value (for diagnostics)
    ip_families: tuple[str, ...]
    endpoints: list[Endpoint]
    slice_count: int
    ports: tuple[ServicePort, ...]  # empty when the input gives the Service no ports
    slice_ports: dict[str, SlicePorts]  # by slice name

    def __init__(
        self,
        namespace: str,
        name: str,
        type: str,
        headless: bool,
        has_selector: bool,
        internal_traffic_policy: str,
        external_traffic_policy: str | None,
        externally_accessible: bool,
        traffic_distribution: str | None,
        topology_annotation: str | None,
        topology_annotation_key: str | None,
        topology_mode_value: str | None,
        ip_families: tuple[str, ...],
        endpoints: list[Endpoint] | None = None,
        slice_count: int = 0,
        ports: tuple[ServicePort, ...] = (),
        slice_ports: dict[str, SlicePorts] | None = None,
    ) -> None:
        self.namespace, self.name, self.type = namespace, name, type
        self.headless, self.has_selector = headless, has_selector
        self.internal_traffic_policy = internal_traffic_policy
        self.external_traffic_policy = external_traffic_policy
        self.externally_accessible = externally_accessible
        self.traffic_distribution = traffic_distribution
        self.topology_annotation = topology_annotation
        self.topology_annotation_key = topology_annotation_key
        self.topology_mode_value = topology_mode_value
        self.ip_families = ip_families
        self.endpoints = [] if endpoints is None else endpoints
        self.slice_count, self.ports = slice_count, ports
        self.slice_ports = {} if slice_ports is None else slice_ports

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def with_endpoints(
        self,
        endpoints: list[Endpoint],
        slice_count: int,
        slice_ports: dict[str, SlicePorts],
        ip_families: tuple[str, ...],
    ) -> "Service":
        """A copy with other endpoints and slices (positional, as dataclasses.replace is slow
        in a fix search that makes thousands; tests/engine/test_model.py checks every field)."""
        return Service(
            self.namespace,
            self.name,
            self.type,
            self.headless,
            self.has_selector,
            self.internal_traffic_policy,
            self.external_traffic_policy,
            self.externally_accessible,
            self.traffic_distribution,
            self.topology_annotation,
            self.topology_annotation_key,
            self.topology_mode_value,
            ip_families,
            endpoints,
            slice_count,
            self.ports,
            slice_ports,
        )


@dataclass(slots=True)
class Cluster:
    """Everything parsed from one input: nodes, services (with endpoints) and parse warnings."""

    nodes: list[Node]
    services: list[Service]
    warnings: list[str]
    has_pods: bool = False
    has_slices: bool = True  # False when the input held no EndpointSlice at all
    nodes_by_name: dict[str, Node] = field(default_factory=dict)
    # Facts derived from the Nodes alone, kept with Nodes shared by many builds
    # (routing.engine.parse.SharedNodes, from_nodes); None when the Nodes are this build's own.
    node_facts: dict[Any, Any] | None = None

    def __post_init__(self) -> None:
        if not self.nodes_by_name:
            self.nodes_by_name = {n.name: n for n in self.nodes}
