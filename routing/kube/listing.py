"""List resources through the `kubernetes` client without its typed models.

The client's generated models turn every field of every object into a Python object; for a
cluster with 100,000 endpoints that costs seconds and gigabytes. We ask for the raw response
instead (`_preload_content=False`) and parse it with orjson, keeping only what routing reads.
"""

from collections.abc import Callable
from typing import Any

import orjson
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from .resources import RESOURCES, Resource

Trim = Callable[[dict[str, Any]], dict[str, Any]]

NOT_GRANTED = (403, 404)  # forbidden by RBAC, or the API does not serve the resource
DEFAULT_PAGE_SIZE = 5000  # what kubectl uses for chunked lists; bounds server and client memory
DEFAULT_TIMEOUT = (10.0, 120.0)  # (connect, read) seconds


def request_raw(
    api: ApiClient,
    path: str,
    query: list[tuple[str, str]],
    *,
    timeout: Any = DEFAULT_TIMEOUT,
) -> Any:
    """GET `path` and return the urllib3 response unparsed (errors raise ApiException)."""
    return api.call_api(
        path,
        "GET",
        query_params=query,
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=timeout,
        _return_http_data_only=True,
    )


def list_resource(
    api: ApiClient,
    resource: Resource,
    *,
    trim: Trim | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> tuple[list[dict[str, Any]], str]:
    """All objects of one resource (following `continue` pages) and the list's resourceVersion.

    Each object gets its `kind` and `apiVersion` back (list items carry none) and is passed
    through `trim` as soon as its page is parsed, so full objects never pile up.
    """
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        query = [("limit", str(page_size))]
        if token:
            query.append(("continue", token))
        response = request_raw(api, resource.path, query)
        try:
            page = orjson.loads(response.data)
        finally:
            response.release_conn()
        for obj in page.get("items") or ():
            obj["kind"] = resource.kind
            obj["apiVersion"] = resource.api_version
            items.append(trim(obj) if trim else obj)
        meta = page.get("metadata") or {}
        token = meta.get("continue") or ""
        if not token:
            return items, str(meta.get("resourceVersion") or "")


def list_cluster(
    api: ApiClient, *, trim: Trim | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every object routing reads, and the resourceVersion each list was taken at."""
    objects: list[dict[str, Any]] = []
    versions: dict[str, str] = {}
    for resource in RESOURCES:
        try:
            items, version = list_resource(api, resource, trim=trim)
        except ApiException as exc:
            if not (resource.optional and exc.status in NOT_GRANTED):
                raise
            continue  # e.g. RBAC grants no access to Pods: analyse without them
        objects.extend(items)
        versions[resource.kind] = version
    return objects, versions
