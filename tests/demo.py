"""The demo dump shipped in examples/, which many tests import into a cluster."""

from pathlib import Path

DEMO_DUMP = Path(__file__).resolve().parents[1] / "examples" / "demo-shop.json"
