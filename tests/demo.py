"""The demo dump shipped in examples/, which many tests import into a cluster."""

from pathlib import Path

DEMO_DUMP = Path(__file__).resolve().parents[1] / "examples" / "demo-shop.json"


def demo_with_checkout_hinted() -> bytes:
    """The demo dump after the EndpointSlice controller catches up on shop/checkout: its one
    endpoint without a zone hint (10.1.2.4) gets one, so zone filtering applies (66.7% -> 0%)."""
    import orjson

    doc = orjson.loads(DEMO_DUMP.read_bytes())
    for item in doc["items"]:
        labels = item["metadata"].get("labels") or {}
        if (
            item["kind"] == "EndpointSlice"
            and labels.get("kubernetes.io/service-name") == "checkout"
        ):
            for endpoint in item["endpoints"]:
                if endpoint["addresses"] == ["10.1.2.4"]:
                    endpoint["hints"] = {"forZones": [{"name": "us-east-1c"}]}
    return orjson.dumps(doc)
