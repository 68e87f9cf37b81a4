"""The domain app: Kubernetes snapshots, the pure routing engine, and what serves its results."""
