"""A cluster whose every free-text field carries an HTML/script payload, for the XSS browser test.

Built from the demo dump by renaming: zones, regions, nodes, hostnames, namespaces, Services,
EndpointSlices, Pods, port names, annotations, a trafficDistribution value and an endpoint
address all become payloads (names used in URL paths carry no '/', which a URL cannot hold).
Measured traffic volumes too: a failing traffic source's error, a fetch's description, notes
and unmatched series labels. Each payload's alert names where it came from, so a failure says
which field leaked.
"""

import copy
from datetime import timedelta
from typing import Any

import orjson
from django.utils import timezone

from routing.models import Cluster, Snapshot, TrafficVolume
from routing.snapshots import write_snapshot
from routing.volumes.models import MeasuredVolume, TrafficSource, VolumeFetch
from tests.factories import DEMO_DUMP

SERVICE_LABEL = "kubernetes.io/service-name"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
HOST_LABEL = "kubernetes.io/hostname"
MODE_ANNOTATION = "service.kubernetes.io/topology-mode"


def img(tag: str) -> str:
    return f"\"'><img src=x onerror=alert('{tag}')>"


def svg(tag: str) -> str:
    return f"<svg onload=alert('{tag}')>"


def script(tag: str) -> str:
    return f"</script><script>alert('{tag}')</script>"


# `{b}` and `{c}` are ECharts' label template fields, `{{7*7}}` a template-engine probe.
ZONES = {
    "us-east-1a": f"us-east-1a{img('zone-a')}",
    "us-east-1b": f"us-east-1b{script('zone-b')}",
    "us-east-1c": f"us-east-1c{{b}}{{c}}{svg('zone-c')}",
}
REGIONS = {  # zone c in a region of its own, so arrows also cross regions
    "us-east-1a": f"us-east-1{{{{7*7}}}}{img('region')}",
    "us-east-1b": f"us-east-1{{{{7*7}}}}{img('region')}",
    "us-east-1c": f"javascript:alert('region-2'){script('region-2')}",
}
# "NAME" in a namespace: the pages fill a Service URL's NAMESPACE and NAME placeholders.
NAMESPACES = {
    "shop": f"shop{img('ns-NAME')}{{{{7*7}}}}",
    "monitoring": "javascript:alert('ns-monitoring')",
}
SERVICES = {
    "cart": f"cart{svg('svc-cart')}",
    "checkout": f"checkout{img('svc-checkout')}",
    "catalog": "catalog{{7*7}}{b}",
    "search": f"search{img('svc-search')}",
    "payments": f"payments{svg('svc-payments')}",
    "sessions": "sessions javascript:alert('svc-sessions')",
    "recommendations": f"recommendations{img('svc-recommendations')}",
    "node-exporter": f"node-exporter{svg('svc-node-exporter')}",
    "frontend": f"frontend{img('svc-frontend')}",
    "inventory": f"inventory{svg('svc-inventory')}",
    "legacy-db": f"legacy-db{img('svc-legacy-db')}",
    "email": f"email{svg('svc-email')}",
}
ADDED_SERVICE = f"added{img('svc-added')}"  # appears in the second snapshot only
REMOVED_SERVICE = "legacy-db"  # gone from the second snapshot
BAD_MODE = f"Auto{img('annotation')}"  # payments' topology-mode value
BAD_DISTRIBUTION = f"PreferClose{svg('traffic-distribution')}"  # email's trafficDistribution
BAD_ADDRESS = f"10.1.12.9{img('address')}"  # one endpoint address of email
DISPLAY_NAME = f"Hostile{img('display-name')}"
STATUS_MESSAGE = f"watch lost{script('status-message')}"
VOLUME_SOURCE = f"istio{img('volume-source')}"
USERNAME = f"ada{svg('username')}"
# Measured volumes: a fetch's description, notes and unmatched labels, and a failing source's
# error (Prometheus' answer is quoted in it), as a refresh would store them.
VOLUMES_ERROR = f"Prometheus answered 400: {img('volumes-error')}{script('volumes-error-2')}"
FETCH_SOURCE = f"Prometheus http://prom{img('fetch-source')}:9090, cadvisor preset, rate over 7d"
FETCH_NOTE = f"2 series left out{svg('fetch-note')}"
UNMATCHED = {"namespace": img("unmatched"), "pod": script("unmatched-pod")}
MEASURED_SERVICE = "payments"  # its measured volume gives the pages monthly figures


def node_name(name: str) -> str:
    return f"{name}{img('node-' + name)}"


def _service_objects(doc: dict) -> None:
    for item in doc["items"]:
        meta = item["metadata"]
        if "namespace" in meta:
            meta["namespace"] = NAMESPACES[meta["namespace"]]
        if item["kind"] == "Node":
            zone = meta["labels"][ZONE_LABEL]
            meta["labels"][HOST_LABEL] = f"{meta['name']}{script('hostname')}"
            meta["name"] = node_name(meta["name"])
            meta["labels"][ZONE_LABEL] = ZONES[zone]
            meta["labels"][REGION_LABEL] = REGIONS[zone]
        elif item["kind"] == "Service":
            original = meta["name"]
            meta["name"] = SERVICES[original]
            for i, port in enumerate(item["spec"].get("ports", [])):
                port["name"] = f"http-{i}{svg('port-' + original)}"
            if original == "payments":
                meta["annotations"] = {MODE_ANNOTATION: BAD_MODE}
            if original == "email":
                item["spec"]["trafficDistribution"] = BAD_DISTRIBUTION
        elif item["kind"] == "EndpointSlice":
            original = meta["labels"][SERVICE_LABEL]
            meta["labels"][SERVICE_LABEL] = SERVICES[original]
            meta["name"] = f"{original}-slice{img('slice-' + original)}"
            # The same hostile name as the Service's port: kube-proxy matches ports by name, so
            # a slice naming its port otherwise would serve nothing (docs/kubernetes-semantics.md).
            for i, port in enumerate(item.get("ports", [])):
                port["name"] = f"http-{i}{svg('port-' + original)}"
            for endpoint in item["endpoints"]:
                endpoint["zone"] = ZONES[endpoint["zone"]]
                endpoint["nodeName"] = node_name(endpoint["nodeName"])
                endpoint["targetRef"]["name"] = f"pod{img(endpoint['addresses'][0])}"
                hints = endpoint.get("hints") or {}
                for hint in hints.get("forZones", []):
                    hint["name"] = ZONES[hint["name"]]
                for hint in hints.get("forNodes", []):
                    hint["name"] = node_name(hint["name"])
            if original == "email":
                item["endpoints"][0]["addresses"] = [BAD_ADDRESS]


def _pods(doc: dict) -> list[dict]:
    """A Pod for every endpoint, named as its targetRef, on its node, in its namespace."""
    pods = []
    for item in doc["items"]:
        if item["kind"] != "EndpointSlice":
            continue
        for endpoint in item["endpoints"]:
            pods.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": endpoint["targetRef"]["name"],
                        "namespace": item["metadata"]["namespace"],
                        "labels": {"app": f"app{svg('pod-label')}"},
                    },
                    "spec": {"nodeName": endpoint["nodeName"]},
                    "status": {"phase": "Running", "podIP": endpoint["addresses"][0]},
                }
            )
    return pods


def first_objects() -> list[dict]:
    doc = orjson.loads(DEMO_DUMP.read_bytes())
    _service_objects(doc)
    return doc["items"] + _pods(doc)


def second_objects() -> list[dict]:
    """What changed: a policy switched, hints dropped, an endpoint moved zone, one Service gone
    and one added, so the timeline's diff names hostile Services, zones and values."""
    items = first_objects()
    shop = NAMESPACES["shop"]
    out: list[dict[str, Any]] = []
    for item in items:
        meta = item["metadata"]
        service = meta.get("labels", {}).get(SERVICE_LABEL) or (
            meta["name"] if item["kind"] == "Service" else None
        )
        if service == SERVICES[REMOVED_SERVICE]:
            continue
        if item["kind"] == "Service" and service == SERVICES["cart"]:
            item["spec"]["trafficDistribution"] = "PreferSameNode"
        if item["kind"] == "EndpointSlice" and service == SERVICES["checkout"]:
            item["endpoints"][0].pop("hints", None)
        if item["kind"] == "EndpointSlice" and service == SERVICES["inventory"]:
            item["endpoints"][2]["zone"] = ZONES["us-east-1c"]
        out.append(item)
    template = next(i for i in items if i["metadata"].get("labels", {}).get(SERVICE_LABEL))
    added_slice = copy.deepcopy(template)
    added_slice["metadata"]["name"] = f"added-slice{img('slice-added')}"
    added_slice["metadata"]["labels"][SERVICE_LABEL] = ADDED_SERVICE
    added_service = copy.deepcopy(next(i for i in items if i["kind"] == "Service"))
    added_service["metadata"] = {"name": ADDED_SERVICE, "namespace": shop}
    added_service["spec"].pop("trafficDistribution", None)
    return [*out, added_service, added_slice]


def hostile_cluster(user=None) -> Cluster:
    """Cluster `hostile` with two snapshots of hostile objects, stored straight into the store
    (not through the upload's validation), a stale status with a hostile message, a traffic
    volume with a hostile source set by `user`, and measured volumes whose source is failing
    (measured_volumes)."""
    cluster = Cluster.objects.create(
        name="hostile", display_name=DISPLAY_NAME, source=Cluster.Source.UPLOAD
    )
    write_snapshot(cluster, first_objects(), source=Snapshot.Source.UPLOAD)
    write_snapshot(cluster, second_objects(), source=Snapshot.Source.UPLOAD)
    TrafficVolume.objects.create(
        cluster=cluster,
        namespace=NAMESPACES["shop"],
        name=SERVICES["checkout"],
        monthly_gb=1200,
        source=VOLUME_SOURCE,
        updated_by=user,
    )
    measured_volumes(cluster)
    Cluster.objects.filter(pk=cluster.pk).update(
        status=Cluster.Status.STALE, status_message=STATUS_MESSAGE
    )
    cluster.refresh_from_db()
    return cluster


def measured_volumes(cluster: Cluster) -> None:
    """A traffic source whose last refresh failed with a hostile error, and the fetch before it
    with a hostile description, note and unmatched labels, measuring one hostile Service."""
    at = timezone.now() - timedelta(minutes=30)
    TrafficSource.objects.create(
        cluster=cluster,
        url=f"http://prom{img('source-url')}:9090",
        last_attempt_at=timezone.now(),
        last_success_at=at,
        last_error=VOLUMES_ERROR,
    )
    fetch = VolumeFetch.objects.create(
        cluster=cluster,
        fetched_at=at,
        preset=TrafficSource.Preset.CADVISOR,
        source=FETCH_SOURCE,
        window_seconds=7 * 86_400,
        services=1,
        series=2,
        unmatched_series=1,
        total_gb=900.0,
        monthly_cost=12.0,
        notes=[FETCH_NOTE],
        unmatched=[UNMATCHED],
    )
    MeasuredVolume.objects.create(
        fetch=fetch,
        namespace=NAMESPACES["shop"],
        name=SERVICES[MEASURED_SERVICE],
        monthly_gb=900.0,
    )


def bad_dump() -> bytes:
    """A dump the parser refuses with a message that repeats a payload."""
    items = first_objects()
    service = next(i for i in items if i["kind"] == "Service")
    service["spec"]["internalTrafficPolicy"] = f"Cluster{img('upload-error')}"
    return orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})
