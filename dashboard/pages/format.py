"""Figures as text for the pages' first paint, exactly as js/format.js writes them after it.

One place, so a figure reads the same in every table and card, whether the server rendered it or
a live update rewrote it (tests/pages/test_format.py runs both on the same cases).
"""

import math
from datetime import UTC, datetime

DASH = "–"  # no figure


def pct(fraction: float | None, digits: int = 1) -> str:
    """A share as a percentage: pct(0.1234) is 12.3%."""
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return DASH
    return f"{fraction * 100:.{digits}f}%"


def usd(value: float | None) -> str:
    """Dollars: cents from one dollar up, three significant digits below (never an exponent)."""
    if value is None:
        return DASH
    if value != 0 and abs(value) < 1:
        digits = max(0, 2 - math.floor(math.log10(abs(value))))
        text = f"{abs(value):.{digits}f}".rstrip("0").rstrip(".")
    else:
        text = f"{abs(value):,.2f}"
    return f"-${text}" if value < 0 else f"${text}"


def per_gb(value: float | None) -> str:
    """A price per GB to four decimals."""
    return DASH if value is None else f"${value:.4f}/GB"


def times(value: float | None, digits: int = 2) -> str:
    """A factor such as an overload: 1.50×."""
    return DASH if value is None else f"{value:.{digits}f}×"


def count(value: int) -> str:
    """A whole number with thousands separators."""
    return f"{value:,}"


# --- times and where a traffic volume came from (js/format.js: when, ago, volumeLabel, ...) ----

NO_TRAFFIC = "no traffic measured"
SIMULATED_WORDS = "simulated (demo model, not measured)"
SOURCE_WORDS = {"manual": "set by hand", "measured": "measured", "simulated": "simulated"}

Moment = datetime | str | None


def _moment(value: Moment) -> datetime | None:
    """A datetime from a datetime or an ISO 8601 text (as the API and json_script write them)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _round(value: float) -> int:
    """Rounded as JavaScript's Math.round does (halves up), not as Python's round (to even)."""
    return math.floor(value + 0.5)


def when(at: Moment) -> str:
    """A moment in UTC to the second: 2026-12-03 14:05:09 UTC."""
    moment = _moment(at)
    return DASH if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(at: Moment, now: Moment) -> str:
    """How long before `now`: 42 s ago, 12 min ago, 3 h ago, 2 d ago; "never" without a time."""
    moment, base = _moment(at), _moment(now)
    if moment is None or base is None:
        return "never"
    seconds = max(0.0, (base - moment).total_seconds())
    if seconds < 60:
        return f"{_round(seconds)} s ago"
    if seconds < 3600:
        return f"{_round(seconds / 60)} min ago"
    if seconds < 86400:
        return f"{_round(seconds / 3600)} h ago"
    return f"{_round(seconds / 86400)} d ago"


def gb(value: float | None) -> str:
    """A traffic volume: 1,234 GB, 12.5 GB, 0.3 GB (whole GB from 100, else one decimal)."""
    if value is None:
        return DASH
    if abs(value) >= 100:
        return f"{_round(value):,} GB"
    tenths = _round(value * 10)
    text = f"{tenths // 10:,}" if tenths % 10 == 0 else f"{tenths / 10:,.1f}"
    return f"{text} GB"


def source_word(source: str | None) -> str:
    """A volume's source in a word or two, for a table cell's label."""
    return SOURCE_WORDS.get(source, source) if source else NO_TRAFFIC


def volume_label(source: str | None, detail: str | None, at: Moment, now: Moment) -> str:
    """Where a volume came from, in words: "measured (Prometheus ..., rate over 7d, 12 min
    ago)", "simulated (demo model, not measured)", "set by hand (finance sheet, 2 d ago)"."""
    if not source:
        return NO_TRAFFIC
    if source == "simulated":
        return SIMULATED_WORDS
    age = ago(at, now) if _moment(at) is not None else ""
    if source == "measured":
        parts = [detail or "", age]
    elif source == "manual":
        parts = [detail if detail and detail != SOURCE_WORDS["manual"] else "", age]
    else:
        return source
    said = ", ".join(part for part in parts if part)
    return f"{SOURCE_WORDS[source]} ({said})" if said else SOURCE_WORDS[source]


def volumes_summary(volumes: dict | None, now: Moment) -> str:
    """Which Services a monthly total covers, from the flow map's `volumes`: "from 11 measured /
    1 manual Services, fetched 12 min ago"; "no traffic measured" when none."""
    volumes = volumes or {}
    counts = [(volumes.get(kind) or 0, kind) for kind in ("measured", "simulated", "manual")]
    parts = [f"{count(n)} {kind}" for n, kind in counts if n]
    if not parts:
        return NO_TRAFFIC
    total = sum(n for n, _ in counts)
    text = f"from {' / '.join(parts)} Service{'' if total == 1 else 's'}"
    fetched = counts[0][0] or counts[1][0]
    if fetched and _moment(volumes.get("fetchedAt")) is not None:
        text += f", fetched {ago(volumes.get('fetchedAt'), now)}"
    if counts[1][0]:
        text += " (simulated: the demo model, not measured)"
    return text


def stale_since(status: dict | None) -> str:
    """The headline of a failing traffic source (TrafficSource.status()): "Traffic volumes
    stale since <when>", or "Traffic volumes never fetched"; "" while it is not failing."""
    if not status or status.get("state") != "failing":
        return ""
    since = status.get("staleSince")
    if _moment(since) is None:
        return "Traffic volumes never fetched"
    return f"Traffic volumes stale since {when(since)}"
