"""The benchmarks' own PostgreSQL database, and Django set up on it."""

from __future__ import annotations

import os


def fresh_database(server: str, name: str) -> None:
    """Drop and create the benchmark's own database: every run starts from the migrations."""
    import psycopg

    if not name.replace("_", "").isalnum() or "bench" not in name:
        raise SystemExit(f"refusing to recreate {name!r}: use a dedicated *bench* database")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_on(server: str, name: str, *, fresh: bool = True) -> None:
    """Set Django up on `server`/`name` (recreated first when `fresh`), migrated."""
    if fresh:
        fresh_database(server, name)
    os.environ["DATABASE_URL"] = f"{server}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("DEBUG", "true")  # a development run: no SECRET_KEY needed
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
