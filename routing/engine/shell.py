"""Shell command lines that the product prints or copies, built from argv lists.

People paste these into a shell, and names come from uploaded dumps, so every argument is quoted
with shlex (a namespace `shop;id;#` must stay one argument, not run `id`). Plain names need no
quotes, so for them the output is exactly what a person would type.
"""

import shlex
from collections.abc import Sequence

PATCH_FLAG = "-p"


def command_line(argv: Sequence[str]) -> str:
    """The argv as one line a POSIX shell splits back into exactly these arguments."""
    return shlex.join(argv)


def kubectl_patch_service(namespace: str, name: str, merge_patch: str) -> str:
    """`kubectl -n NS patch service NAME --type merge -p PATCH`, quoted for a shell: what
    command_line gives for that argv (its fixed words need no quotes), for one quoting of the
    three that may (this runs for thousands of Services of a large report)."""
    q = shlex.quote
    return (
        f"kubectl -n {q(namespace)} patch service {q(name)} --type merge "
        f"{PATCH_FLAG} {q(merge_patch)}"
    )


def merge_patch_of(command: str) -> str:
    """The PATCH argument of a kubectl_patch_service() line.

    The patch is the last argument, JSON without a single quote, so shlex wrapped it in one pair
    of single quotes at the very end; anything before that (however a name was quoted) is left
    alone. Lines stored before names were quoted have the same ending.
    """
    marker = f" {PATCH_FLAG} '"
    start = command.rfind(marker)
    if start < 0 or not command.endswith("'"):
        raise ValueError("not a kubectl patch line with a quoted -p argument")
    return command[start + len(marker) : -1]
