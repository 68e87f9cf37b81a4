"""The one error type the engine raises for bad input."""


class InputError(Exception):
    """Input that is not a readable set of Kubernetes objects.

    `source` names the file (or "-" for stdin) and `obj` the object, so the command line can
    print a single line that tells the user where to look.
    """

    def __init__(self, message: str, *, source: str | None = None, obj: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.obj = obj

    def with_source(self, source: str) -> "InputError":
        if self.source is None:
            self.source = source
        return self

    def __str__(self) -> str:
        parts = [p for p in (self.source, self.obj) if p]
        prefix = ": ".join(parts)
        return printable(f"{prefix}: {self.message}" if prefix else self.message)


def printable(text: str) -> str:
    """Escape control characters so a hostile name cannot break a one-line message or a table."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
