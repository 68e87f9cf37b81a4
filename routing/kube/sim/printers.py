"""The cells of a server-printed Table row, per kind, as the API server's printers write them.

Every cell is computed as for `-o wide` (the client hides the priority-1 columns); ages are
apimachinery's HumanDuration of the time since the stamp; lists show three values and count the
rest; missing values print as <none>, <unset> or <unknown> where the printers do.
"""

from datetime import datetime
from typing import Any

Obj = dict[str, Any]
Cells = list[Any]


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration: two or three significant figures of an age."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, (hours // 24) % 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


def since(stamp: str | None, now: float) -> str:
    if not stamp:
        return "<unknown>"
    return human_duration(now - datetime.fromisoformat(stamp).timestamp())


def format_labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def selector_string(selector: Obj | None) -> str:
    """A LabelSelector as the label selector string it means (requirements sorted by key)."""
    terms = [(k, f"{k}={v}") for k, v in ((selector or {}).get("matchLabels") or {}).items()]
    for expr in (selector or {}).get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], ",".join(sorted(expr.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})"}.get(op)
        terms.append((key, text or (key if op == "Exists" else f"!{key}")))
    return ",".join(text for _, text in sorted(terms))


def _listed(values: list[str], empty: str) -> str:
    # The printers show three values and count the rest.
    if len(values) > 3:
        return f"{','.join(values[:3])} + {len(values) - 3} more..."
    return ",".join(values) or empty


def _containers(obj: Obj) -> Cells:
    containers = obj["spec"].get("template", {}).get("spec", {}).get("containers") or []
    return [",".join(c["name"] for c in containers), ",".join(c["image"] for c in containers)]


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


# -- rows ---------------------------------------------------------------------------------------


def node_cells(node: Obj, now: float) -> Cells:
    status = node.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
    states = ["Unknown" if ready is None else "Ready" if ready["status"] == "True" else "NotReady"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for key, value in (node["metadata"].get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    info = status.get("nodeInfo") or {}
    addresses = status.get("addresses") or []

    def address(kind: str) -> str:
        return next((a["address"] for a in addresses if a.get("type") == kind), "<none>")

    return [
        node["metadata"]["name"],
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        since(node["metadata"].get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        address("InternalIP"),
        address("ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _external_ip(spec: Obj, status: Obj) -> str:
    external = spec.get("externalIPs") or []
    kind = spec.get("type", "ClusterIP")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    if kind != "LoadBalancer":
        return "<unknown>"
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    balancers = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
    # Every cell is printed as for -o wide, where the load balancer's names are not clipped.
    return ",".join(balancers + external) or "<pending>"


def service_cells(svc: Obj, now: float) -> Cells:
    spec = svc.get("spec") or {}
    ports = [
        f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
        if p.get("nodePort")
        else f"{p['port']}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    ]
    return [
        svc["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        (spec.get("clusterIPs") or [spec.get("clusterIP") or "<none>"])[0],
        _external_ip(spec, svc.get("status") or {}),
        ",".join(ports) or "<none>",
        since(svc["metadata"].get("creationTimestamp"), now),
        format_labels(spec.get("selector")),
    ]


def endpoint_slice_cells(eps: Obj, now: float) -> Cells:
    ports = [str(p.get("port") or p.get("name") or "*") for p in eps.get("ports") or []]
    addresses = [a for ep in eps.get("endpoints") or [] for a in ep.get("addresses") or []]
    return [
        eps["metadata"]["name"],
        eps.get("addressType", ""),
        _listed(ports, "<unset>"),
        _listed(addresses, "<unset>"),
        since(eps["metadata"].get("creationTimestamp"), now),
    ]


def endpoints_cells(ep: Obj, now: float) -> Cells:
    shown: list[str] = []
    for subset in ep.get("subsets") or []:
        ips = [a["ip"] for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        shown += [_host_port(ip, p["port"]) for p in ports for ip in ips] if ports else ips
    text = _listed(shown, "") if ep.get("subsets") else "<none>"
    return [ep["metadata"]["name"], text, since(ep["metadata"].get("creationTimestamp"), now)]


def pod_cells(pod: Obj, now: float) -> Cells:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    phase = status.get("phase", "")
    reason, restarts, ready, running = status.get("reason") or phase, 0, 0, False
    # Last container first, as the printer walks them; the simulated Pods have no init containers.
    for container in reversed(status.get("containerStatuses") or []):
        restarts += container.get("restartCount", 0)
        state = container.get("state") or {}
        waiting, done = state.get("waiting") or {}, state.get("terminated")
        if waiting.get("reason"):
            reason = waiting["reason"]
        elif done is not None and done.get("reason"):
            reason = done["reason"]
        elif done is not None:
            signal = done.get("signal")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{done.get('exitCode', 0)}"
        elif container.get("ready") and "running" in state:
            running = True
            ready += 1
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    if reason == "Completed" and running:
        reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    gates = spec.get("readinessGates") or []
    passed = sum(1 for g in gates if conditions.get(g.get("conditionType")) == "True")
    return [
        meta["name"],
        f"{ready}/{len(spec.get('containers') or [])}",
        reason,
        str(restarts),
        since(meta.get("creationTimestamp"), now),
        ((status.get("podIPs") or [{}])[0]).get("ip") or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        f"{passed}/{len(gates)}" if gates else "<none>",
    ]


def namespace_cells(ns: Obj, now: float) -> Cells:
    phase = (ns.get("status") or {}).get("phase", "")
    return [ns["metadata"]["name"], phase, since(ns["metadata"].get("creationTimestamp"), now)]


def event_cells(ev: Obj, now: float) -> Cells:
    """A core v1 Event (the events.k8s.io view is printed from the same stored object)."""
    first = since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    last = since(ev["lastTimestamp"], now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 1  # singleton events of the new API carry no count
    if ev.get("series"):
        last, count = since(ev["series"].get("lastObservedTime"), now), ev["series"]["count"]
    target = ev.get("involvedObject") or {}
    kind = target.get("kind", "").lower()
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent", "")
    instance = source.get("host") or ev.get("reportingInstance", "")
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        f"{kind}/{target['name']}" if target.get("name") else kind,
        target.get("fieldPath", ""),
        f"{component}, {instance}" if instance else component,
        (ev.get("message") or "").strip(),
        first,
        count,
        ev["metadata"]["name"],
    ]


def deployment_cells(d: Obj, now: float) -> Cells:
    spec, status = d["spec"], d.get("status") or {}
    return [
        d["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        since(d["metadata"].get("creationTimestamp"), now),
        *_containers(d),
        selector_string(spec.get("selector")),
    ]


def replica_set_cells(rs: Obj, now: float) -> Cells:
    spec, status = rs["spec"], rs.get("status") or {}
    return [
        rs["metadata"]["name"],
        spec.get("replicas", 0),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        since(rs["metadata"].get("creationTimestamp"), now),
        *_containers(rs),
        selector_string(spec.get("selector")) or "<none>",
    ]


def daemon_set_cells(ds: Obj, now: float) -> Cells:
    spec, status = ds["spec"], ds.get("status") or {}
    counts = (
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberReady",
        "updatedNumberScheduled",
        "numberAvailable",
    )
    return [
        ds["metadata"]["name"],
        *(status.get(c, 0) for c in counts),
        format_labels(spec.get("template", {}).get("spec", {}).get("nodeSelector")),
        since(ds["metadata"].get("creationTimestamp"), now),
        *_containers(ds),
        selector_string(spec.get("selector")) or "<none>",
    ]


def stateful_set_cells(sts: Obj, now: float) -> Cells:
    spec, status = sts["spec"], sts.get("status") or {}
    return [
        sts["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        since(sts["metadata"].get("creationTimestamp"), now),
        *_containers(sts),
    ]
