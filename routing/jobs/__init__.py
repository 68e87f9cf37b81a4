"""Live clusters and background work: watchers, snapshots on a schedule, leases, job statistics.

ingest: connect, list or watch a cluster and store what it holds; watching: one watcher per
cluster across replicas, by lease, with a heartbeat; scheduler: the Celery beat schedule run
in-process for the embedded run (the tasks themselves are routing/tasks.py, where Celery finds
them); locks: leases and locks across processes; jobstats: runs recorded for /metrics.
"""
