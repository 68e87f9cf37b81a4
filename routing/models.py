"""Models for clusters, snapshots and flow summaries: they come with the snapshots issue."""
