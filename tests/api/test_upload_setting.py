"""TRAFFICLENS_UPLOAD_MAX_BYTES: a whole number of bytes above 0, 50 MB by default."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_int

VAR = "TRAFFICLENS_TEST_INT"
CODE = "import dashboard.settings as s; print(s.TRAFFICLENS_UPLOAD_MAX_BYTES)"


def _start(project_dir, value: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    env.pop("TRAFFICLENS_UPLOAD_MAX_BYTES", None)
    if value is not None:
        env["TRAFFICLENS_UPLOAD_MAX_BYTES"] = value
    return subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", 1), (" 1000 ", 1000), ("52_428_800", 52428800)]
)
def test_env_int_reads_whole_numbers(monkeypatch, raw, expected):
    monkeypatch.setenv(VAR, raw)
    assert env_int(VAR, default=7, minimum=1) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [("1.5", "must be a whole number"), ("ten", "must be a whole number"), ("0", "must be >= 1")],
)
def test_env_int_refuses_bad_values(monkeypatch, raw, message):
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"{VAR} {message}"):
        env_int(VAR, default=7, minimum=1)


def test_env_int_default(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert env_int(VAR, default=7) == 7


def test_default_is_50_mb_and_a_value_is_read(project_dir):
    assert _start(project_dir, None).stdout.strip() == "52428800"
    assert _start(project_dir, "1048576").stdout.strip() == "1048576"


@pytest.mark.parametrize("raw", ["0", "-5", "lots"])
def test_bad_value_stops_start_up(project_dir, raw):
    result = _start(project_dir, raw)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "django.core.exceptions.ImproperlyConfigured: TRAFFICLENS_UPLOAD_MAX_BYTES"
    )
