"""The Dockerfile's promises that hadolint does not check: a base image pinned by tag and
digest for every stage, a numeric non-root user, static files collected at build, a health check."""

import re
from pathlib import Path

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    return [line for line in DOCKERFILE.splitlines() if line.startswith(f"{name} ")]


def test_every_stage_starts_from_the_base_image_pinned_by_tag_and_digest():
    (arg,) = [a for a in _instructions("ARG") if a.startswith("ARG PYTHON_IMAGE=")]
    assert re.fullmatch(
        r"ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", arg
    )
    froms = _instructions("FROM")
    assert len(froms) == 2  # builder and final
    assert all(f.split()[1] == "${PYTHON_IMAGE}" for f in froms)


def test_the_final_stage_runs_as_a_numeric_non_root_user_with_a_health_check():
    final = DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]
    users = [line.split()[1] for line in final.splitlines() if line.startswith("USER ")]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    assert "\nHEALTHCHECK " in final
    assert "collectstatic" in final


def test_the_final_stage_ships_the_bytecode_it_cannot_write_at_run_time():
    # A read-only root and PYTHONDONTWRITEBYTECODE: without .pyc files built into the image,
    # every process start (each web worker, each `manage.py` job) compiles every source again.
    final = DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]
    assert "PYTHONDONTWRITEBYTECODE=1" in final
    compiled = final.index("python -m compileall -q manage.py dashboard routing")
    last_copy = final.rindex("\nCOPY ")
    assert compiled > last_copy  # after every source is in place
