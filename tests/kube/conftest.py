"""Fixtures for the watcher tests."""

import pytest


@pytest.fixture
def eager_celery():
    """The scheduler's dispatch (routing.tasks) runs the snapshot here, as a worker would."""
    from dashboard.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
