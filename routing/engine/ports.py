"""Service ports: which endpoints serve each one, and findings when a port's endpoints are
missing because the EndpointSlices name their ports differently.

kube-proxy keys endpoints by Service port name and protocol (pkg/proxy/endpointslicecache.go):
a slice serves a Service port only when it lists a port of that name and protocol with a number.
The report's headline figures are those of the Service's first port; `ports` gives each port's.
"""

from collections.abc import Callable
from typing import Any

from .model import Service, ServicePort
from .proxy import proxy_endpoints

Add = Callable[[str, str, str], None]
_SHOW = 3  # slices named in one message before "and N more"


def port_indices(svc: Service, first: list[int]) -> list[list[int]]:
    """The endpoint indices of every Service port, `first` (already computed) for the first."""
    return [first if i == 0 else proxy_endpoints(svc, p) for i, p in enumerate(svc.ports)]


def port_diagnostics(svc: Service, per_port: list[list[int]], add: Add) -> None:
    """Findings for ports that lose endpoints to a port name or number the slices do not match."""
    if svc.headless or not svc.endpoints:
        return  # DNS answers headless Services whatever the ports; no endpoints is said elsewhere
    for i, (port, indices) in enumerate(zip(svc.ports, per_port, strict=True)):
        left_out = _slices_left_out(svc, port)
        if not left_out:
            continue
        why = _why(svc, port, left_out)
        if not indices:
            outcome = "kube-proxy rejects connections to it" if i == 0 else "its connections fail"
            add(
                "error" if i == 0 else "warning",
                "port-without-endpoints",
                f"port {port.label} has no endpoints: {why}; {outcome}",
            )
        else:
            count = sum(1 for ep in svc.endpoints if ep.slice_name in left_out)
            add(
                "warning",
                "port-mismatch",
                f"{count} endpoint(s) do not serve port {port.label}: {why}. kube-proxy "
                f"sends that port's traffic to the other {len(indices)} endpoint(s) only",
            )


def _slices_left_out(svc: Service, port: ServicePort) -> list[str]:
    key = port.key
    lacking = [name for name, ports in svc.slice_ports.items() if key not in ports.usable]
    if not lacking:
        return []  # (nearly always: the endpoints need not be read)
    with_eps = {ep.slice_name for ep in svc.endpoints}
    return sorted(name for name in lacking if name in with_eps)


def _why(svc: Service, port: ServicePort, slices: list[str]) -> str:
    shown = repr(port.name) if port.name else "(unnamed)"
    ignored = [s for s in slices if port.name in svc.slice_ports[s].ignored]
    rest = [s for s in slices if s not in ignored]
    reasons = []
    if ignored:
        reasons.append(
            f"slice {_names(ignored)} lists port {shown} without a port number, which "
            "kube-proxy ignores"
        )
    if rest:
        listed = sorted(
            {f"{n or '(unnamed)'}/{p}" for s in rest for n, p in svc.slice_ports[s].usable}
        )
        offered = f"it lists {', '.join(listed)}" if listed else "it lists no usable port"
        reasons.append(
            f"slice {_names(rest)} lists no port {shown} with protocol {port.protocol} ({offered})"
        )
    return "; ".join(reasons)


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown if len(items) <= _SHOW else f"{shown} and {len(items) - _SHOW} more"


def ports_json(
    svc: Service, per_port: list[list[int]], figures: Callable[[list[int]], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each Service port with its endpoint count and headline figures (`figures(indices)`;
    ports resolving to the first port's endpoints repeat its figures)."""
    out = []
    for port, indices in zip(svc.ports, per_port, strict=True):
        out.append(
            {
                "name": port.name or None,
                "protocol": port.protocol,
                "port": port.port,
                "endpoints": len(indices),
                **figures(indices),
            }
        )
    return out
