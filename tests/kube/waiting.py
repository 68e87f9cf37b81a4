"""Waiting for a watcher's effect in tests that run one against the simulated cluster."""

import time


def wait_for(predicate, timeout: float, step: float = 0.05):
    """`predicate()`'s first truthy value, polled every `step` s; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")
