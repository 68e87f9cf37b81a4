"""Values of columns read by plain SQL, outside model fields, made what the ORM would give."""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime


def aware_datetime(value) -> datetime | None:
    """A timestamp column: PostgreSQL gives aware datetimes, SQLite naive ones in UTC (or text,
    depending on the column's declared type)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    assert parsed is not None  # the column holds what Django wrote, always well formed
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed
