"""Cluster-wide summaries of a report, shared by the table output and the web pages."""

from typing import Any


def equal_weight_matrix(services: list[dict[str, Any]]) -> tuple[dict[str, dict[str, float]], int]:
    """Average the Services' zone matrices, each Service counting equally (volumes unknown).

    Returns the matrix (fractions of all client traffic) and how many Services had traffic.
    """
    total: dict[str, dict[str, float]] = {}
    counted = 0
    for svc in services:
        matrix = svc["flows"]["matrix"]
        if not matrix:
            continue
        counted += 1
        for src, row in matrix.items():
            acc = total.setdefault(src, {})
            for dst, w in row.items():
                acc[dst] = acc.get(dst, 0.0) + w
    if counted:
        for row in total.values():
            for dst in row:
                row[dst] /= counted
    return total, counted


def matrix_zones(matrix: dict[str, dict[str, float]]) -> list[str]:
    """Every zone that appears as a source or a destination, sorted."""
    return sorted(set(matrix) | {dst for row in matrix.values() for dst in row})
