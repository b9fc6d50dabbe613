"""Per-request context: who asks, the service, and DataLoaders that batch graph reads.

Built by the GraphQL view for each request (never at module level), so a
loader's cache lives exactly as long as one request. Every nested list is
two batched reads per level whatever the number of parents: the link loader
gives child ids, the item loader of the child kind gives the items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from api.roles import Actor
from api.service import PortfolioService
from api.settings import Settings
from api.watch import Watcher
from graph.cypher.statements import Link
from graph.model import Item, Kind, Portfolio
from graph.store import Store

K = TypeVar("K")
V = TypeVar("V")


def _loader(load: Callable[[Sequence[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    async def batch(keys: list[K]) -> list[V]:
        return await load(keys)

    return DataLoader(load_fn=batch)


@dataclass(slots=True)
class Loaders:
    """One DataLoader per item kind, per nested-list link, and for kinds."""

    items: dict[Kind, DataLoader[str, Item | None]]
    links: dict[Link, DataLoader[str, list[str]]]
    theme_epics: DataLoader[str, list[str]]
    theme_features: DataLoader[str, list[str]]
    kinds: DataLoader[str, Kind | None]


def _items_of(store: Store, kind: Kind) -> DataLoader[str, Item | None]:
    async def load(ids: Sequence[str]) -> list[Item | None]:
        return await store.items(kind, ids)

    return _loader(load)


def _links_of(store: Store, link: Link) -> DataLoader[str, list[str]]:
    async def load(ids: Sequence[str]) -> list[list[str]]:
        return await store.linked(link, ids)

    return _loader(load)


def create_loaders(store: Store) -> Loaders:
    async def kinds(ids: Sequence[str]) -> list[Kind | None]:
        found = await store.kinds(ids)
        return [found.get(i) for i in ids]

    return Loaders(
        items={kind: _items_of(store, kind) for kind in Kind},
        links={link: _links_of(store, link) for link in Link},
        theme_epics=_loader(store.theme_epics),
        theme_features=_loader(store.theme_features),
        kinds=_loader(kinds),
    )


@dataclass(slots=True)
class Context:
    """What every resolver may use; `actor` is who the token (or open mode) says asks."""

    request: Request | WebSocket
    response: Response | WebSocket
    actor: Actor
    service: PortfolioService
    settings: Settings
    loaders: Loaders
    _portfolio: asyncio.Task[Portfolio] | None = None
    # Subscriptions (WebSocket only): the process's watcher and the connection_init payload.
    watcher: Watcher | None = None
    connection_params: dict[str, object] | None = None

    @property
    def store(self) -> Store:
        return self.service.store

    async def portfolio(self) -> Portfolio:
        """The whole-portfolio snapshot, checked against the store's version once per request."""
        if self._portfolio is None:
            self._portfolio = asyncio.ensure_future(self.service.snapshot())
        return await self._portfolio


Info = strawberry.Info[Context, None]
