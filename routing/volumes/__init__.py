"""Measured traffic volumes: Prometheus sources, presets, refreshes and their history."""
