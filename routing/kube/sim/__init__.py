"""A simulated Kubernetes API (discovery, list, watch) driven by a scenario with churn.

The real `kubernetes` client and kubectl work against it; see `SimCluster` and
`manage.py simcluster`.
"""

from .cluster import SimCluster

__all__ = ["SimCluster"]
