"""`analyze`: a thin Django face for the engine's command-line interface.

`manage.py analyze` never gets here (manage.py hands it to the engine before importing Django);
this command keeps `django-admin analyze` and `call_command("analyze", ...)` working the same way.
"""

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser


class _PassThroughParser(CommandParser):
    """Keeps every argument, in order, for the engine's own parser.

    Django's parser would reject the engine's options (or take `-v` as its own verbosity) and
    lose the order of options and paths; here they all become the positional ``args``, while
    Django's own options keep their defaults so `execute()` still finds them.
    """

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args([], namespace)
        parsed.args = [str(arg) for arg in (args or [])]
        return parsed


@contextlib.contextmanager
def _with_buffer(stream: IO[str]) -> Iterator[IO[str]]:
    """Yield a text stream with a ``.buffer`` whose output, text or bytes, ends up in ``stream``.

    The engine writes its JSON as bytes to ``sys.stdout.buffer``; call_command's usual targets
    (StringIO) have no buffer, so they get a UTF-8 wrapper that is copied over at the end.
    """
    if hasattr(stream, "buffer"):
        yield stream
        return
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    try:
        yield wrapper
    finally:
        wrapper.flush()
        stream.write(raw.getvalue().decode("utf-8"))


class Command(BaseCommand):
    help = (
        "Analyse kubectl dumps: per-Service zone-to-zone flows, cost, what-if "
        "(see docs/analysis-report.md)"
    )
    requires_system_checks: list[str] = []  # no database or app state is involved

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # BaseCommand builds a plain CommandParser and offers no hook for the class; switching
        # it keeps Django's base options (verbosity, no_color, ...) for call_command and execute.
        parser.__class__ = _PassThroughParser
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # argv is [prog, "analyze", *rest]; the engine parses rest itself and owns the exit status.
        from routing.engine.cli import main

        sys.exit(main(argv[2:]))

    def handle(self, *args: str, **options: Any) -> None:
        """Run the engine CLI with ``args`` as its argv (the `call_command` path)."""
        from routing.engine.cli import main

        # The engine prints to sys.stdout/sys.stderr; send that where call_command asked. Use the
        # streams OutputWrapper wraps, since its write() appends a newline to every call.
        # django-stubs does not declare OutputWrapper._out (the wrapped stream): its __getattr__
        # types every unknown attribute as a method.
        with (
            _with_buffer(cast(IO[str], self.stdout._out)) as out,
            _with_buffer(cast(IO[str], self.stderr._out)) as err,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            status = main(list(args))
        if status:
            raise CommandError(f"analyze exited with status {status}", returncode=status)
