"""The request context every resolver gets: who asks, the service, and the request's view.

Built by the GraphQL view for each request (never at module level). A read
resolves from one `PortfolioView` (graph/view.py): root resolvers get it from
`info.context.view()` (one engine read per request, the version check; the
snapshot is reloaded only when the version moved), and every object they
return carries it, so nested fields resolve synchronously from the same
version as their root.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.history import AsOfValue
from api.roles import Actor
from api.service import PortfolioService
from api.settings import Settings
from api.watch import Watcher
from graph.store import Store
from graph.view import PortfolioView

T = TypeVar("T")


@dataclass(slots=True)
class Context:
    """What every resolver may use; `actor` is who the token (or open mode) says asks.

    `loop` is the event loop that owns the engine's connections (the server's);
    a query may execute on another loop (api/offload.py), so engine work is sent
    to `loop` and awaited from wherever the resolver runs.
    """

    request: Request | WebSocket
    response: Response | WebSocket
    actor: Actor
    service: PortfolioService
    settings: Settings
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    _view: Future[PortfolioView] | None = None
    # Subscriptions (WebSocket only): the process's watcher and the connection_init payload.
    watcher: Watcher | None = None
    connection_params: dict[str, object] | None = None

    def release(self) -> None:
        """Forget the request's view once it is answered (see GraphQLView.execute_single)."""
        self._view = None

    @property
    def store(self) -> Store:
        return self.service.store

    async def view(self, as_of: AsOfValue | None = None) -> PortfolioView:
        """The portfolio of this request: the same view for every root field of it; with
        `as_of`, the view of the version it names (INVALID_ARGUMENT when it names none)."""
        if as_of is not None:
            return await self.on_server_loop(self._view_as_of(as_of))
        if self._view is None:
            self._view = self._submit(self.service.view())
        if self._view.done():  # fetched already (the response cache keys by its version)
            return self._view.result()
        return await asyncio.wrap_future(self._view)

    async def _view_as_of(self, as_of: AsOfValue) -> PortfolioView:
        history = self.service.history
        return await self.service.view_at(await history.resolve(as_of))

    async def fresh_view(self) -> PortfolioView:
        """The view after a change this request made (mutations), not the one it started on."""
        return await self.on_server_loop(self.service.view())

    async def on_server_loop(self, work: Coroutine[Any, Any, T]) -> T:
        """Run engine work on the server's loop and await it from the current one."""
        return await asyncio.wrap_future(self._submit(work))

    def _submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(work, self.loop)


Info = strawberry.Info[Context, None]
