"""Subscriptions over WebSocket (`graphql-transport-ws`): versions and violation events
as they land, from the store (api/watch.py), with `afterVersion` to resume."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import strawberry
from starlette.websockets import WebSocket

from api.context import Info
from api.errors import ApiError, ServiceError
from api.history import HistoryEvent, VersionInfo, invalid
from api.schema.enums import Severity
from api.schema.fields import subscription
from api.schema.history import PortfolioVersion, ViolationEvent
from api.schema.permissions import VIEWER, needs
from api.watch import SLOW_SUBSCRIBER_CLOSE, Watcher

T = TypeVar("T")


async def _coded(source: AsyncIterator[T]) -> AsyncGenerator[T, None]:
    """A subscription's results, its service errors raised with their code: the ErrorCodes
    extension sees an operation's result, not each event of a stream."""
    try:
        async for item in source:
            yield item
    except ServiceError as exc:
        raise ApiError(exc.code, exc.message, **exc.extensions) from exc


def _watcher(info: Info) -> Watcher:
    watcher = info.context.watcher
    if watcher is None:
        raise invalid("subscriptions are served over WebSocket at /graphql", "subscription")
    return watcher


def _closer(info: Info, last: list[int]) -> Callable[[], Coroutine[Any, Any, None]]:
    socket = info.context.request

    async def close() -> None:
        if isinstance(socket, WebSocket):
            with contextlib.suppress(Exception):  # already closing or gone
                await socket.close(SLOW_SUBSCRIBER_CLOSE,
                                   f"too slow: resubscribe with afterVersion {last[0]}")

    return close


@strawberry.type
class Subscription:
    @subscription(extensions=needs(VIEWER), description=(
        "Each applied change as it lands, in version order; with `afterVersion`, first every "
        "version after it."))
    def portfolio_changed(self, info: Info, after_version: int | None = None
                          ) -> AsyncGenerator[PortfolioVersion, None]:
        return _coded(_portfolio_changed(info, after_version))

    @subscription(extensions=needs(VIEWER), description=(
        "Violation events as changes land, in version order; with `afterVersion`, first every "
        "event after it."))
    def violation_events(self, info: Info, rule: str | None = None,
                         severity: Severity | None = None, after_version: int | None = None,
                         ) -> AsyncGenerator[ViolationEvent, None]:
        return _coded(_violation_events(info, rule, severity, after_version))


async def _portfolio_changed(info: Info, after_version: int | None
                             ) -> AsyncGenerator[PortfolioVersion, None]:
    last = [after_version or 0]
    async for stored in _watcher(info).stream(after_version, _closer(info, last)):
        last[0] = stored.entry.seq
        yield PortfolioVersion.of(VersionInfo(stored.entry.seq, stored.entry))


async def _violation_events(info: Info, rule: str | None, severity: Severity | None,
                            after_version: int | None,
                            ) -> AsyncGenerator[ViolationEvent, None]:
    watcher = _watcher(info)
    history = watcher.history
    if after_version is not None and after_version < await history.start():
        raise invalid(f"afterVersion {after_version} is before historyStart "
                      f"{await history.start()}", "afterVersion")
    last = [after_version or 0]
    async for stored in watcher.stream(after_version, _closer(info, last)):
        last[0] = stored.entry.seq
        for event in await history.events(stored):
            v = event.violation
            if (rule is None or v.rule == rule) and (severity is None
                                                      or v.severity == severity):
                yield ViolationEvent.of(HistoryEvent(event, stored.entry))
