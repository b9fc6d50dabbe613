"""Event loops on their own threads, where GraphQL queries execute.

Resolving a large answer is CPU work (graphql-core completes every field of
every object): 13,000 violations or a whole themes -> epics -> features tree
hold a loop for hundreds of milliseconds to seconds. Queries therefore run on
these loops, and the server's loop stays free for everything else (`/healthz`,
writes): Python hands the GIL over every half millisecond (SWITCH_INTERVAL).
Each query goes to the loop with the fewest queries in flight, so one heavy
query does not queue the small ones behind it. Engine work stays on the
server's loop, which owns the connections: the request context sends it there
(`Context.on_server_loop`). Mutations run on the server's loop, next to the
write lock; their CPU work (validation, guardrails, events) in a worker thread.

Started on first use, never at import; daemon threads, so they end with the
process.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
LOOPS = 2
# How long a thread computing holds the GIL before another may take it (CPython's default
# is 5 ms). The server's loop needs the GIL at each turn; behind busy query threads it
# waited several default intervals per turn (/healthz p50 51 ms under bench.load with
# four loops and 5 ms; 5 ms with two loops and 0.5 ms: bench/README.md, "The server's
# loop under load"). Two loops: one heavy query does not queue the small ones, and
# fewer threads compete with the server's loop for the GIL.
SWITCH_INTERVAL = 0.0005


class QueryLoops:
    """A few event loops, each running forever on a daemon thread."""

    def __init__(self, size: int = LOOPS, name: str = "graphql-queries") -> None:
        self._size, self._name = size, name
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._busy: list[int] = []
        self._lock = threading.Lock()

    def _least_busy(self) -> int:
        with self._lock:
            if not self._loops:
                sys.setswitchinterval(SWITCH_INTERVAL)
                for n in range(self._size):
                    loop = asyncio.new_event_loop()
                    threading.Thread(target=loop.run_forever, name=f"{self._name}-{n}",
                                     daemon=True).start()
                    self._loops.append(loop)
                    self._busy.append(0)
            chosen = min(range(self._size), key=self._busy.__getitem__)
            self._busy[chosen] += 1
            return chosen

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the least busy loop and await its result from the caller's loop;
        cancelling the caller cancels `work` at its next await."""
        chosen = self._least_busy()
        try:
            future = asyncio.run_coroutine_threadsafe(work, self._loops[chosen])
            return await asyncio.wrap_future(future)
        finally:
            with self._lock:
                self._busy[chosen] -= 1


QUERIES = QueryLoops()
