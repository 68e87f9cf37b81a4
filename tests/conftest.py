"""Shared fixtures for the whole test suite."""

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The repository root, where manage.py lives."""
    return Path(__file__).resolve().parent.parent
