"""Small hand-made clusters for the attribution tests: Services, their slices and pods."""

from routing.engine.model import SERVICE_NAME_LABEL


def service(namespace: str, name: str) -> dict:
    return {"kind": "Service", "metadata": {"namespace": namespace, "name": name}}


def endpoint_slice(namespace: str, service_name: str, pods: list[str], suffix: str = "a") -> dict:
    return {
        "kind": "EndpointSlice",
        "metadata": {
            "namespace": namespace,
            "name": f"{service_name}-{suffix}",
            "labels": {SERVICE_NAME_LABEL: service_name},
        },
        "endpoints": [{"addresses": ["10.0.0.1"], "targetRef": {"name": pod}} for pod in pods],
    }


def pod(namespace: str, name: str, **labels: str) -> dict:
    return {"kind": "Pod", "metadata": {"namespace": namespace, "name": name, "labels": labels}}


def deployment_pod(namespace: str, deployment: str, template_hash: str, suffix: str) -> dict:
    return pod(
        namespace, f"{deployment}-{template_hash}-{suffix}", **{"pod-template-hash": template_hash}
    )
