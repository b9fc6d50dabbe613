"""Changes as they land: one watcher per process polls the store's version and fans
the new versions out to bounded per-subscriber queues.

Events come from the store, not from this process's memory, so a change written by
a CLI import beside `serve` or by another API replica reaches every subscriber. A
subscriber whose queue is full (it does not read fast enough) is dropped and its
socket closed: memory never grows with a slow client. It can reconnect with
`afterVersion` and miss nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from api.errors import ErrorCode, ServiceError
from api.history import HistoryService, invalid
from graph.history import StoredEntry

logger = logging.getLogger("api.watch")
SLOW_SUBSCRIBER_CLOSE = 4008  # WebSocket close code: the subscriber's queue overflowed


class TooManySubscribers(ServiceError):
    def __init__(self, limit: int) -> None:
        super().__init__(ErrorCode.UNAVAILABLE,
                         f"this server already serves {limit} subscriptions; "
                         "retry later or on another replica")


class SlowSubscriber(ServiceError):
    def __init__(self, last: int) -> None:
        super().__init__(ErrorCode.SLOW_SUBSCRIBER,
                         "the subscriber did not keep up and was dropped; "
                         f"resubscribe with afterVersion: {last}", afterVersion=last)


@dataclass(eq=False, slots=True)
class Subscriber:
    queue: asyncio.Queue[StoredEntry | None]
    on_drop: Callable[[], Coroutine[Any, Any, None]] | None = None
    dropped: bool = False


@dataclass(slots=True)
class Watcher:
    """Polls the store version every `interval` seconds while anyone subscribes."""

    history: HistoryService
    interval: float = 0.2
    max_subscribers: int = 1000
    queue_size: int = 256
    published: int = 0  # every version up to this one has been fanned out
    subscribers: set[Subscriber] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    async def ensure_started(self) -> None:
        if self._task is None or self._task.done():
            self.published = await self.history.current()
            self._task = asyncio.create_task(self._run(), name="portfolio-watcher")

    def subscribe(self, on_drop: Callable[[], Coroutine[Any, Any, None]] | None = None
                  ) -> Subscriber:
        """Register a queue that gets every version after `self.published` (read it now)."""
        if len(self.subscribers) >= self.max_subscribers:
            raise TooManySubscribers(self.max_subscribers)
        subscriber = Subscriber(asyncio.Queue(self.queue_size), on_drop)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception:  # an outage must not end the watcher: retry next tick
                logger.warning("polling the portfolio version failed", exc_info=True)

    async def poll(self) -> None:
        """Fan out every version written since the last poll, in order."""
        current = await self.history.current()
        if not self.subscribers:  # looked at after the read: one may have come meanwhile
            self.published = current
            return
        while self.published < current:
            page = await self.history.history.entries(self.published, current)
            if not page:
                break
            for stored in page:
                for subscriber in list(self.subscribers):
                    try:
                        subscriber.queue.put_nowait(stored)
                    except asyncio.QueueFull:
                        self._drop(subscriber)
                self.published = stored.entry.seq

    def _drop(self, subscriber: Subscriber) -> None:
        subscriber.dropped = True
        self.subscribers.discard(subscriber)
        while not subscriber.queue.empty():  # free what it held; wake its reader
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(None)
        if subscriber.on_drop is not None:
            task = asyncio.create_task(subscriber.on_drop())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscriber in list(self.subscribers):
            self._drop(subscriber)

    async def stream(self, after: int | None,
                     on_drop: Callable[[], Coroutine[Any, Any, None]] | None = None,
                     ) -> AsyncIterator[StoredEntry]:
        """Every version after `after` (None: from now) in order, then each as it lands;
        nothing missed, nothing twice."""
        await self.ensure_started()
        history = self.history
        if after is None:
            last = self.published
        else:
            current = await history.current()
            if not 0 <= after <= current:
                raise invalid(f"afterVersion must be between 0 and the current version "
                              f"{current} (got {after})", "afterVersion")
            last = after
            # Far behind: catch up from the store first, without a queue filling meanwhile.
            while self.published - last > self.queue_size // 2:
                async for stored in self._replay(last, self.published):
                    yield stored
                    last = stored.entry.seq
        subscriber = self.subscribe(on_drop)
        try:
            # Versions up to `published` come from the store, later ones from the queue:
            # both read at the same moment (no await between), so the handover is exact.
            async for stored in self._replay(last, self.published):
                yield stored
                last = stored.entry.seq
            while True:
                item = await subscriber.queue.get()
                if item is None:
                    raise SlowSubscriber(last)
                if item.entry.seq > last:
                    yield item
                    last = item.entry.seq
        finally:
            self.unsubscribe(subscriber)

    async def _replay(self, after: int, upto: int) -> AsyncIterator[StoredEntry]:
        while after < upto:
            page = await self.history.history.entries(after, upto)
            if not page:
                return
            for stored in page:
                yield stored
            after = page[-1].entry.seq
