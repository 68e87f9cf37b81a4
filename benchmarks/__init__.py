"""Benchmark tooling: a synthetic-cluster generator and the analyze performance benchmark."""
