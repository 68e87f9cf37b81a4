"""Write examples/demo-shop.json: a small three-zone shop showing each routing situation.

Run `python examples/build_demo.py` after changing it; the JSON is committed so the dashboard and
the docs work without running anything.
"""

import json
import pathlib

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
MANAGED = "endpointslice-controller.k8s.io"


def node(name: str, zone: str, cpu: str = "4", control_plane: bool = False) -> dict:
    labels = {
        "kubernetes.io/hostname": name,
        "topology.kubernetes.io/region": "us-east-1",
        "topology.kubernetes.io/zone": zone,
    }
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": f"aws:///{zone}/i-{sum(map(ord, name)) * 7919:08d}"},
        "status": {
            "allocatable": {"cpu": cpu, "memory": "15Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


NODES = [node(f"ip-10-0-{z}-{i}", ZONES[z]) for z in range(3) for i in range(1, 4)]
NODES.append(node("ip-10-0-9-1", ZONES[0], cpu="2", control_plane=True))
ZONE_OF = {
    n["metadata"]["name"]: n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in NODES
}


def service(
    ns: str,
    name: str,
    *,
    td: str | None = None,
    auto: bool = False,
    itp: str = "Cluster",
    svc_type: str = "ClusterIP",
    etp: str | None = None,
    ip: int = 1,
) -> dict:
    spec: dict = {
        "type": svc_type,
        "clusterIP": f"10.96.{len(name)}.{ip}",
        "selector": {"app": name},
        "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}],
        "internalTrafficPolicy": itp,
        "ipFamilies": ["IPv4"],
    }
    if td:
        spec["trafficDistribution"] = td
    if etp:
        spec["externalTrafficPolicy"] = etp
    meta: dict = {"name": name, "namespace": ns}
    if auto:
        meta["annotations"] = {"service.kubernetes.io/topology-mode": "Auto"}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}


def endpoint(
    ip: str,
    node_name: str,
    *,
    hint: str | None = "zone",
    ready: bool = True,
    terminating: bool = False,
) -> dict:
    zone = ZONE_OF[node_name]
    ep = {
        "addresses": [ip],
        "nodeName": node_name,
        "zone": zone,
        "conditions": {"ready": ready, "serving": ready or terminating, "terminating": terminating},
        "targetRef": {"kind": "Pod", "name": f"pod-{ip.replace('.', '-')}"},
    }
    if hint == "zone":
        ep["hints"] = {"forZones": [{"name": zone}]}
    elif hint == "node":
        ep["hints"] = {"forZones": [{"name": zone}], "forNodes": [{"name": node_name}]}
    return ep


def slice_(svc: dict, endpoints: list[dict]) -> dict:
    meta = svc["metadata"]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": f"{meta['name']}-7xk2p",
            "namespace": meta["namespace"],
            "labels": {
                "kubernetes.io/service-name": meta["name"],
                "endpointslice.kubernetes.io/managed-by": MANAGED,
            },
        },
        "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
        "endpoints": endpoints,
    }


def n(zone: int, i: int) -> str:
    return f"ip-10-0-{zone}-{i}"


def build() -> dict:
    items: list[dict] = list(NODES)

    def add(svc: dict, endpoints: list[dict]) -> None:
        items.extend([svc, slice_(svc, endpoints)])

    add(
        service("shop", "cart", td="PreferClose"),
        [endpoint(f"10.1.1.{z * 2 + k}", n(z, k + 1)) for z in range(3) for k in range(2)],
    )
    add(
        service("shop", "checkout", td="PreferSameZone"),
        [
            endpoint("10.1.2.1", n(0, 1)),
            endpoint("10.1.2.2", n(0, 2)),
            endpoint("10.1.2.3", n(1, 1)),
            endpoint("10.1.2.4", n(2, 1), hint=None),
        ],
    )
    add(
        service("shop", "catalog"),
        [
            endpoint(f"10.1.3.{z * 2 + k}", n(z, k + 1), hint=None)
            for z in range(3)
            for k in range(2)
        ],
    )
    add(
        service("shop", "search", auto=True),
        [endpoint(f"10.1.4.{z * 3 + k}", n(z, k + 1)) for z in range(3) for k in range(3)],
    )
    add(
        service("shop", "payments", auto=True),
        [endpoint(f"10.1.5.{i}", n(i % 3, 1), hint=None) for i in range(4)],
    )
    add(
        service("shop", "sessions", td="PreferSameNode"),
        [endpoint(f"10.1.6.{z}", n(z, 2), hint="node") for z in range(3)],
    )
    add(
        service("shop", "recommendations", td="PreferSameZone"),
        [endpoint(f"10.1.7.{i}", n(i % 2, i // 2 + 1)) for i in range(4)],
    )
    add(
        service("monitoring", "node-exporter", itp="Local"),
        [
            endpoint(f"10.1.8.{z * 3 + k}", n(z, k + 1), hint=None)
            for z in range(3)
            for k in range(2)
        ],
    )
    add(
        service("shop", "frontend", td="PreferSameZone", svc_type="LoadBalancer", etp="Local"),
        [endpoint(f"10.1.9.{z}", n(z, 3)) for z in range(3)],
    )
    add(
        service("shop", "inventory", td="PreferSameZone"),
        [
            endpoint("10.1.10.1", n(0, 1)),
            *[endpoint(f"10.1.10.{k + 2}", n(1, k + 1)) for k in range(3)],
            endpoint("10.1.10.5", n(2, 1)),
        ],
    )
    add(
        service("shop", "legacy-db"),
        [endpoint("10.1.11.1", n(0, 1), hint=None, ready=False, terminating=True)],
    )
    add(service("shop", "email"), [endpoint(f"10.1.12.{z}", n(z, 1)) for z in range(3)])
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}


if __name__ == "__main__":
    out = pathlib.Path(__file__).with_name("demo-shop.json")
    out.write_text(json.dumps(build(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
