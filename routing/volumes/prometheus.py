"""A small client for Prometheus's HTTP query API: one instant query, a clear error for each way
it can fail.

Only `/api/v1/query` is used; the presets aggregate in PromQL so a refresh is one request
whatever the cluster's size. Secrets are read from the environment variable or mounted file the
source names, at each request, so a rotated token is picked up without a restart and nothing
secret is stored in the database.
"""

import base64
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, TimeoutError

MAX_RESPONSE_BYTES = 512 * 1024 * 1024  # a refresh of 10,000 Services is a few MB; refuse more
ENV_PREFIX = "TRAFFICLENS_PROMETHEUS_"


class PrometheusError(Exception):
    """A query that gave no usable answer; the message says why, in words for the UI."""


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one Prometheus (from a TrafficSource)."""

    url: str
    auth: str = "none"  # none | bearer | basic
    credentials_env: str = ""
    credentials_file: str = ""
    credentials_dir: str = "/run/secrets"  # files outside it are refused
    verify_tls: bool = True
    ca_file: str = ""
    timeout: float = 30.0


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


@dataclass
class QueryResult:
    samples: list[Sample]
    invalid: int = 0  # NaN or infinite values, left out
    warnings: list[str] = field(default_factory=list)


def credentials_problem(env: str, file: str, directory: str) -> str | None:
    """Why a source may not read its credentials from there, or None.

    Only variables named TRAFFICLENS_PROMETHEUS_* and files inside the credentials directory:
    a source sends the secret to the URL it names, so it must not be able to pick another of
    the deployment's secrets (DATABASE_URL, the secret key, a service-account token).
    """
    if env and (not env.startswith(ENV_PREFIX) or not env.replace("_", "").isalnum()):
        return f"the environment variable's name must start with {ENV_PREFIX}"
    if file:
        base = Path(directory).resolve()
        path = (base / file).resolve()
        if not path.is_relative_to(base) or path == base:
            return f"the credentials file must be inside {base}"
    return None


def secret(endpoint: Endpoint) -> str:
    """The token (bearer) or user:password (basic) from the named variable or file."""
    problem = credentials_problem(
        endpoint.credentials_env, endpoint.credentials_file, endpoint.credentials_dir
    )
    if problem:
        raise PrometheusError(problem)
    if endpoint.credentials_env:
        value = os.environ.get(endpoint.credentials_env)
        if not value:
            raise PrometheusError(
                f"the environment variable {endpoint.credentials_env} named for the "
                "Prometheus credentials is not set"
            )
        return value.strip()
    if endpoint.credentials_file:
        try:
            path = Path(endpoint.credentials_dir) / endpoint.credentials_file
            return path.read_text().strip()
        except OSError as exc:
            raise PrometheusError(
                f"cannot read the Prometheus credentials file {endpoint.credentials_file}: "
                f"{exc.strerror or exc}"
            ) from exc
    raise PrometheusError(
        f"{endpoint.auth} auth needs an environment variable or a file with the credentials"
    )


def headers(endpoint: Endpoint) -> dict[str, str]:
    out = {"Accept": "application/json", "User-Agent": "trafficlens"}
    if endpoint.auth == "bearer":
        out["Authorization"] = f"Bearer {secret(endpoint)}"
    elif endpoint.auth == "basic":
        pair = secret(endpoint)
        if ":" not in pair:
            raise PrometheusError("basic auth credentials must be 'user:password'")
        out["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return out


def _pool(endpoint: Endpoint) -> urllib3.PoolManager:
    if not endpoint.verify_tls:
        return urllib3.PoolManager(cert_reqs="CERT_NONE", assert_hostname=False)
    if endpoint.ca_file:
        return urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=endpoint.ca_file)
    return urllib3.PoolManager(cert_reqs="CERT_REQUIRED")


def instant_query(endpoint: Endpoint, promql: str) -> QueryResult:
    """Run one instant query; its vector result as samples (NaN and ±Inf left out, counted)."""
    if not endpoint.url:
        raise PrometheusError("no Prometheus URL is set for this cluster")
    url = endpoint.url.rstrip("/") + "/api/v1/query"
    timeout = urllib3.Timeout(connect=min(endpoint.timeout, 10.0), read=endpoint.timeout)
    try:
        response = _pool(endpoint).request(
            "POST",
            url,
            fields={"query": promql, "timeout": f"{endpoint.timeout:g}s"},
            encode_multipart=False,
            headers=headers(endpoint),
            timeout=timeout,
            retries=False,
            preload_content=False,
        )
        try:
            body = response.read(MAX_RESPONSE_BYTES + 1)
        finally:
            response.release_conn()
    except NewConnectionError as exc:  # before TimeoutError: urllib3 derives it from that
        raise PrometheusError(f"cannot reach Prometheus at {endpoint.url}: {exc}") from exc
    except TimeoutError as exc:
        raise PrometheusError(
            f"Prometheus at {endpoint.url} did not answer within {endpoint.timeout:g} s"
        ) from exc
    except MaxRetryError as exc:
        raise PrometheusError(f"cannot reach Prometheus at {endpoint.url}: {exc.reason}") from exc
    except HTTPError as exc:
        raise PrometheusError(f"cannot reach Prometheus at {endpoint.url}: {exc}") from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise PrometheusError(f"Prometheus's answer is larger than {MAX_RESPONSE_BYTES} bytes")
    return parse_response(endpoint.url, response.status, body)


def parse_response(url: str, status: int, body: bytes) -> QueryResult:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        snippet = body[:200].decode("utf-8", "replace").strip()
        raise PrometheusError(
            f"{url} answered HTTP {status} with something that is not Prometheus's API "
            f"(is the URL right?): {snippet!r}"
        )
    if status >= 400 or doc.get("status") != "success":
        kind = doc.get("errorType") or "error"
        raise PrometheusError(
            f"Prometheus refused the query (HTTP {status}, {kind}): {doc.get('error') or doc}"
        )
    data = doc.get("data") or {}
    if data.get("resultType") != "vector":
        raise PrometheusError(
            f"the query must return an instant vector, not {data.get('resultType')!r}"
        )
    result = QueryResult(samples=[], warnings=[str(w) for w in doc.get("warnings") or []])
    for item in data.get("result") or []:
        try:
            value = float(item["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            result.invalid += 1
            continue
        if not math.isfinite(value) or value < 0:
            result.invalid += 1
            continue
        labels = item.get("metric") or {}
        result.samples.append(Sample({str(k): str(v) for k, v in labels.items()}, value))
    return result
