"""Kubernetes resource quantities ("4", "3500m", "2k") as milli-units, rounded up like upstream."""

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation

_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$"
)
_CACHE: dict[str, int] = {}
_LIMIT = Decimal("1e15")  # far above any machine's resources; rejects absurd or hostile values


def milli_value(raw: object) -> int:
    """Return the quantity in milli-units, rounded up (resource.Quantity.MilliValue).

    Raises ValueError for anything that is not a Kubernetes quantity.
    """
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a quantity")
    if isinstance(raw, int):
        if raw < 0 or raw > _LIMIT:
            raise ValueError(f"{raw!r} is out of range")
        return raw * 1000
    if isinstance(raw, float):
        raw = repr(raw)
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} is not a quantity")
    cached = _CACHE.get(raw)
    if cached is not None:
        return cached
    match = _QUANTITY.match(raw.strip())
    if not match:
        raise ValueError(f"{raw!r} is not a quantity")
    number, exponent, suffix = match.groups()
    try:
        value = Decimal(number)
        value *= Decimal(f"1{exponent}") if exponent else _SUFFIXES[suffix or ""]
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(f"{raw!r} is not a quantity") from None
    if value < 0 or value > _LIMIT:  # checked before int(): "1e999999" would be a huge integer
        raise ValueError(f"{raw!r} is out of range")
    millis = int((value * 1000).to_integral_value(rounding=ROUND_CEILING))
    if len(_CACHE) < 4096:  # clusters reuse a handful of sizes; keep the cache bounded
        _CACHE[raw] = millis
    return millis
