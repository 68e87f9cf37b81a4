"""Small kubectl-shaped objects for the snapshot tests."""

import copy

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def find(objects: list[dict], kind: str, name: str) -> dict:
    """The object of that kind and name (first match) in a list."""
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def node(name: str, zone: str, cpu: str = "4", ready: bool = True) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": "us-east-1",
            },
            "resourceVersion": "100",
            "uid": f"uid-{name}",
        },
        "spec": {"providerID": f"aws:///{zone}/i-{name}"},
        "status": {
            "allocatable": {"cpu": cpu},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastHeartbeatTime": "2025-06-01T12:00:00Z",
                    "lastTransitionTime": "2025-05-01T12:00:00Z",
                }
            ],
        },
    }


def service(name: str, namespace: str = "shop", **spec) -> dict:
    annotations = spec.pop("annotations", None)
    metadata = {"name": name, "namespace": namespace, "resourceVersion": "7"}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.0.10",
            "selector": {"app": name},
            "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
            **spec,
        },
    }


def endpoint(ip: str, node_name: str, zone: str, hint: str | None = None, ready=True) -> dict:
    ep = {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": ready, "terminating": False},
        "nodeName": node_name,
        "zone": zone,
        "targetRef": {"kind": "Pod", "name": f"pod-{ip}", "uid": f"uid-{ip}"},
    }
    if hint:
        ep["hints"] = {"forZones": [{"name": hint}]}
    return ep


def endpoint_slice(service_name: str, endpoints: list[dict], namespace="shop", suffix="x") -> dict:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": f"{service_name}-{suffix}",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": service_name,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
            "resourceVersion": "12",
            "generation": 3,
        },
        "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


def small_cluster(hinted: bool = True) -> list[dict]:
    """Three nodes (one per zone), Services web (PreferSameZone, hinted) and api (no policy)."""
    nodes = [node(f"n-{z[-1]}", z) for z in ZONES]
    web_eps = [
        endpoint(f"10.1.0.{i}", f"n-{z[-1]}", z, z if hinted else None) for i, z in enumerate(ZONES)
    ]
    api_eps = [endpoint(f"10.2.0.{i}", "n-a", "us-east-1a") for i in range(2)]
    return [
        *nodes,
        service("web", trafficDistribution="PreferSameZone"),
        service("api"),
        endpoint_slice("web", web_eps),
        endpoint_slice("api", api_eps),
    ]


def changed(objects: list[dict]) -> list[dict]:
    """A deep copy, to edit without touching the original."""
    return copy.deepcopy(objects)
