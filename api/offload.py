"""A second event loop, on its own thread, where GraphQL queries execute.

Resolving a large answer is CPU work (graphql-core completes every field of
every object): 13,000 violations or a whole themes -> epics -> features tree
hold a loop for hundreds of milliseconds to seconds. Queries therefore run on
this loop, and the server's loop stays free for everything else (`/healthz`,
small requests, writes): Python switches threads every few milliseconds while
one computes. Engine work stays on the server's loop, which owns the
connections: the request context sends it there (`Context.on_server_loop`).
Mutations keep running on the server's loop, next to the write lock.

Started on first use, never at import; one per process, a daemon thread, so
it ends with the process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class QueryLoop:
    """An event loop running forever on a daemon thread."""

    def __init__(self, name: str = "graphql-queries") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name=self._name, daemon=True).start()
                self._loop = loop
            return self._loop

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on this loop and await its result from the caller's loop; cancelling
        the caller cancels `work` at its next await."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._running()))


QUERIES = QueryLoop()
