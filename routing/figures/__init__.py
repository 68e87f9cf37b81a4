"""Read-only figures computed from stored snapshots and summaries, for the API, pages and metrics.

traffic: the cluster flow map, recommendations and volumes' monthly figures; reports: a Service's
stored report (and on-request analysis); zones: zones and regions of a snapshot; metrics: the
Prometheus text; service_list: filtering and ordering the Services of a snapshot.
"""
