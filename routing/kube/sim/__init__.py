"""A simulated Kubernetes API (discovery, list, watch) driven by a scenario with churn.

The real `kubernetes` client and kubectl work against it (server-printed tables, describe,
explain, auth can-i); see `SimCluster`, `manage.py simcluster` and docs/snapshots.md.
"""

from .cluster import SimCluster

__all__ = ["SimCluster"]
