"""Label and field selectors as list and watch requests send them (the common subset)."""

import re
from collections.abc import Callable

Labels = dict[str, str]
Matcher = Callable[[Labels], bool]

_SET_TERM = re.compile(r"^\s*([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


class SelectorError(ValueError):
    """The selector cannot be parsed; the API answers 400 BadRequest."""


def _split_terms(text: str) -> list[str]:
    # Commas separate terms except inside "in (a,b)" sets.
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return [t.strip() for t in terms if t.strip()]


def _term(term: str) -> Matcher:
    m = _SET_TERM.match(term)
    if m:
        key, op = m.group(1), m.group(2)
        values = {v.strip() for v in m.group(3).split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in term:
            key, value = (part.strip() for part in term.split(op, 1))
            if not key:
                raise SelectorError(f"invalid selector term {term!r}")
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", term):
        raise SelectorError(f"invalid selector term {term!r}")
    return lambda labels: term in labels


def label_matcher(text: str | None) -> Matcher | None:
    """A predicate over labels for `labelSelector`, or None to match everything."""
    if not text or not text.strip():
        return None
    terms = [_term(t) for t in _split_terms(text)]
    return lambda labels: all(t(labels) for t in terms)


def field_matcher(text: str | None, supported: tuple[str, ...]) -> Matcher | None:
    """A predicate over an object's selectable fields for `fieldSelector`."""
    if not text or not text.strip():
        return None
    for term in _split_terms(text):
        key = re.split(r"!=|==|=", term, maxsplit=1)[0].strip()
        if key not in supported:
            raise SelectorError(f"field label not supported: {key}")
    return label_matcher(text)


def selects(selector: Labels, labels: Labels) -> bool:
    """Whether a Service's equality selector matches a Pod's labels."""
    return all(labels.get(k) == v for k, v in selector.items())
