"""The preset queries: each one PromQL that returns bytes/s per pod, Service or workload over a
window, aggregated in Prometheus (`sum by`) so a refresh is one query whatever the cluster's size.

`by` says how routing.volumes.attribution turns a series into Services:
- "pod": a pod's bytes go to the Services whose EndpointSlices hold it (cAdvisor knows no Service);
- "service": the series names the Service (Istio's destination, a custom query);
- "owner": the series names the destination workload (Beyla's owner), whose pods back Services.

Sources that see both directions of a conversation count its request and response bytes, which
is what crossing zones is billed on (docs/pricing.md).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    by: str  # pod | service | owner
    template: str  # PromQL with {window}
    labels: tuple[str, str]  # the series' (namespace label, pod/service/owner label)
    about: str
    # The series' (namespace label, workload label) of the caller, for measured client zones
    # (routing.volumes.callers); None when the source does not name callers.
    callers: tuple[str, str] | None = None


def _added(by: str, first: str, second: str) -> str:
    """first + second, summed by `by`, in one pass over the series.

    The second side gets a label of its own so that a pod's (or Service's) two series stay
    apart until `sum` adds them. (One selector for both names, `rate({__name__=~"a|b"})`, fails:
    rate drops the name and the two series then share their labels; `(a + b) or a or b` works
    but makes Prometheus compute each rate twice, 7.5 s instead of 4.1 s for 100,000 pods.)
    """
    tagged = f'label_replace(rate({second}[{{window}}]), "trafficlens_side", "2", "", "")'
    return f"sum by ({by}) (rate({first}[{{window}}]) or {tagged})"


CADVISOR = Preset(
    "cadvisor",
    "pod",
    _added(
        "namespace, pod",
        'container_network_receive_bytes_total{{pod!=""}}',
        'container_network_transmit_bytes_total{{pod!=""}}',
    ),
    ("namespace", "pod"),
    "cAdvisor's per-pod network bytes (received + sent), attributed to the Services whose "
    "EndpointSlices hold the pod",
)
ISTIO = Preset(
    "istio",
    "service",
    _added(
        "destination_service_namespace, destination_service_name, source_workload, "
        "source_workload_namespace",
        'istio_request_bytes_sum{{reporter="destination"}}',
        'istio_response_bytes_sum{{reporter="destination"}}',
    ),
    ("destination_service_namespace", "destination_service_name"),
    "Istio's request + response bytes by destination Service, as the server-side proxy reports",
    ("source_workload_namespace", "source_workload"),
)
BEYLA = Preset(
    "beyla",
    "owner",
    "sum by (k8s_dst_namespace, k8s_dst_owner_name, k8s_src_namespace, k8s_src_owner_name,"
    " src_zone, dst_zone) (rate(beyla_network_flow_bytes_total[{window}]))",
    ("k8s_dst_namespace", "k8s_dst_owner_name"),
    "Beyla's network flow bytes by destination workload (its owner), zones when present",
    ("k8s_src_namespace", "k8s_src_owner_name"),
)
CUSTOM_LABELS = ("namespace", "service")

PRESETS = {p.name: p for p in (CADVISOR, ISTIO, BEYLA)}


def custom(query: str) -> Preset:
    return Preset(
        "custom",
        "service",
        query,
        CUSTOM_LABELS,
        "a custom PromQL giving bytes/s per {namespace, service}",
    )


def duration(seconds: int) -> str:
    """A PromQL range: 7d, 1h, 90s (the largest unit that divides it)."""
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(text: str) -> int:
    """'7d', '12h', '30m', '90s' or plain seconds -> seconds; ValueError otherwise."""
    text = text.strip()
    units = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 7d, 12h, 30m, 90s)")
    return int(number) * units[unit]


def promql(preset: Preset, window_seconds: int) -> str:
    """The preset's query for the window (a custom query is taken as it is)."""
    if preset.name == "custom":
        return preset.template
    return preset.template.format(window=duration(window_seconds))
