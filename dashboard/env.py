"""Parse settings from environment variables; a bad value fails with a message naming it."""

import math
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

# Only the backends whose drivers the project installs (psycopg 3, the stdlib sqlite3).
_DATABASE_SCHEMES = frozenset({"postgres", "postgresql", "pgsql", "sqlite"})
_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def _raw(name: str) -> str | None:
    """Return the stripped value of ``name``, or None when it is unset or blank.

    Blank counts as unset so that an empty line in an env file (``DEBUG=``) means "use the default".
    """
    value = os.environ.get(name, "").strip()
    return value or None


def env_str(name: str, default: str = "") -> str:
    """Read a string, stripped of surrounding blanks; ``default`` when unset or blank."""
    return _raw(name) or default


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean: 1/true/yes/on or 0/false/no/off, in any case.

    Returns ``default`` when the variable is unset or blank; raises ImproperlyConfigured for
    anything else, so a typo such as ``DEBUG=maybe`` stops the start-up instead of guessing.
    """
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (true/false, 1/0, yes/no, on/off), got {value!r}"
    )


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """Read a finite float, optionally no smaller than ``minimum``.

    Returns ``default`` when the variable is unset or blank; raises ImproperlyConfigured for a
    value that is not a number, is NaN or infinite, or is below ``minimum``.
    """
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value!r}")
    return number


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Read a whole number, optionally no smaller than ``minimum``.

    Returns ``default`` when the variable is unset or blank; raises ImproperlyConfigured for a
    value that is not a whole number or is below ``minimum``. Underscores are allowed as digit
    separators (``52_428_800``), as in Python.
    """
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value, 10)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value!r}")
    return number


def env_list(name: str, default: Iterable[str]) -> list[str]:
    """Read a comma-separated list, dropping blanks around and between items.

    Returns ``list(default)`` when the variable is unset or blank; raises ImproperlyConfigured
    when it is set but holds no item at all (for example ``","``).
    """
    value = _raw(name)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list, got {value!r}")
    return items


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """Read one of ``choices``, compared case-insensitively, and return it as spelled in choices.

    Returns ``default`` when the variable is unset or blank; raises ImproperlyConfigured naming
    the allowed values otherwise.
    """
    allowed = list(choices)
    value = _raw(name)
    if value is None:
        return default
    for choice in allowed:
        if value.casefold() == choice.casefold():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def env_database(name: str, default: str) -> dict[str, Any]:
    """Read a database URL into a Django ``DATABASES`` entry with dj-database-url.

    ``default`` is used when the variable is unset or blank. Only PostgreSQL and SQLite URLs are
    accepted, since those are the drivers installed. The message never repeats the URL, which may
    hold a password.
    """
    url = _raw(name) or default
    scheme = urlsplit(url).scheme
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} has an unsupported scheme {scheme + '://' if scheme else '(none)'}; "
            "use postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH"
        )
    try:
        return dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid database URL ({exc})") from None


def env_redis_url(name: str) -> str | None:
    """Read an optional Redis URL (redis://, rediss:// or unix://); None when unset or blank."""
    url = _raw(name)
    if url is None:
        return None
    scheme = urlsplit(url).scheme
    if scheme not in _REDIS_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} must be a redis://HOST:PORT/DB, rediss:// or unix:// URL; "
            f"got scheme {scheme + '://' if scheme else '(none)'}"
        )
    return url
