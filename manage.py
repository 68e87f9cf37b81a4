#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    """Run `analyze` straight on the engine; everything else through Django."""
    if len(sys.argv) > 1 and sys.argv[1] == "analyze":
        # `analyze` needs no database and must start fast: it is benchmarked against a bare JSON
        # parse, and importing Django (settings, apps, checks) would dominate its run time. The
        # engine is pure Python, so the Django command of the same name is only a thin fallback.
        import routing.engine.cli

        status = routing.engine.cli.main(sys.argv[2:])
        # Skip tearing down the heap object by object at exit: for a large cluster that takes
        # longer than writing the report. Output is flushed first, so nothing is lost.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
