"""The embedded default's channel layer: Channels' in-memory layer, safe across event loops.

In `make run` one process holds both the ASGI server (its consumers wait on this layer's queues
in the server's loop) and the watcher, whose events the publisher thread sends from a loop of
its own. asyncio queues belong to one loop: a put from another loop would not wake the waiting
consumer until something else did. So operations run on the loop the consumers receive in.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from channels.layers import InMemoryChannelLayer

_Result = TypeVar("_Result")


class LoopSafeInMemoryChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._home: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel: str) -> dict[str, Any]:
        self._home = asyncio.get_running_loop()
        return await super().receive(channel)

    async def _at_home(self, coroutine: Coroutine[Any, Any, _Result]) -> _Result:
        home = self._home
        here = asyncio.get_running_loop()
        if home is None or home is here or home.is_closed() or not home.is_running():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, home))

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        return await self._at_home(super().send(channel, message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        return await self._at_home(super().group_send(group, message))

    async def group_add(self, group: str, channel: str) -> None:
        return await self._at_home(super().group_add(group, channel))

    async def group_discard(self, group: str, channel: str) -> None:
        return await self._at_home(super().group_discard(group, channel))
