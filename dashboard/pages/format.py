"""Figures as text for the pages' first paint, exactly as js/format.js writes them after it.

One place, so a figure reads the same in every table and card, whether the server rendered it or
a live update rewrote it (tests/pages/test_format.py runs both on the same cases).
"""

import math

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
