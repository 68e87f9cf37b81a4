"""`manage.py serve`'s web server: Daphne's runserver, with a start that cannot fail silently.

Daphne only logs "Listen failure" when its port is taken and then returns normally, so the
process would end with status 0 and nothing on screen saying why. Here the port is tried
before anything starts, a listen failure that still happens (the port taken in between) ends
the command with an error, and the caller learns when the server does listen.
"""

import errno
import logging
import socket
from collections.abc import Callable
from functools import partial
from typing import Any

# Daphne ships no types: its classes are Any here.
from daphne.management.commands.runserver import (  # type: ignore[import-untyped]
    Command as DaphneRunserver,
)
from daphne.server import Server  # type: ignore[import-untyped]
from django.core.management.base import CommandError

logger = logging.getLogger(__name__)


def split_addrport(addrport: str) -> tuple[str, int]:
    """("127.0.0.1", 8000) from "127.0.0.1:8000", "8000" or "[::1]:8000", as runserver reads it."""
    host, sep, port = addrport.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", addrport
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"{addrport!r} is not [HOST:]PORT with a port from 1 to 65535")
    return host, int(port)


def how_to_choose_another() -> str:
    return (
        "choose another with `make run PORT=8080`, TRAFFICLENS_PORT=8080 in the environment, "
        "or `manage.py serve 127.0.0.1:8080`"
    )


def check_can_listen(host: str, port: int) -> None:
    """Bind the address and let it go again; CommandError in one line naming the port if that
    fails (another server on the port, a port below 1024, an address not on this machine)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        # As Twisted does for the real listener: a port left in TIME_WAIT by a server that has
        # just stopped is free; one a server listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                what = f"port {port} on {host} is already in use (TrafficLens or another server)"
            else:
                what = f"cannot listen on port {port} of {host} ({exc.strerror or exc})"
            raise CommandError(f"{what}: {how_to_choose_another()}") from None


class ListeningServer(Server):
    """Daphne's server, calling `on_listening` once it listens and failing if it cannot."""

    def __init__(self, *args: Any, on_listening: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_listening = on_listening
        self.listen_failure: str | None = None

    def listen_success(self, port: Any) -> None:
        super().listen_success(port)
        try:
            self.on_listening()
        except Exception:  # it runs as a Deferred callback, whose errback is listen_error
            logger.exception("after the server started listening")

    def listen_error(self, failure: Any) -> None:
        self.listen_failure = failure.getErrorMessage()
        super().listen_error(failure)  # logs it and stops the server

    def run(self) -> None:
        super().run()
        if self.listen_failure is not None:
            reason = self.listen_failure.rstrip(".")  # Twisted's "Couldn't listen on H:P: ..."
            raise CommandError(f"{reason}: {how_to_choose_another()}")


class ListeningRunserver(DaphneRunserver):
    """`runserver` serving through ListeningServer; pass it to call_command."""

    def __init__(self, on_listening: Callable[[], None]) -> None:
        super().__init__()
        self.server_cls = partial(ListeningServer, on_listening=on_listening)
