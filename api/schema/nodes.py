"""The Node interface, and turning model items into their GraphQL objects.

Each object type registers itself for its `Kind` (`@node_type(Kind.EPIC)`),
so resolvers in any module can load and wrap items of another kind without
importing its module (the types refer to each other in circles).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry

from api.loaders import Info
from graph.cypher.statements import Link
from graph.model import Item, Kind, kind_of


@strawberry.interface(name="Node", description="Any portfolio item, by its global id.")
class Node:
    id: strawberry.ID


T = TypeVar("T")
_WRAPPERS: dict[Kind, Callable[[Any], Any]] = {}


def node_type(kind: Kind) -> Callable[[type[T]], type[T]]:
    """Register a type's `of(item)` constructor as the GraphQL object of a kind."""

    def register(cls: type[T]) -> type[T]:
        _WRAPPERS[kind] = cls.of  # type: ignore[attr-defined]  # every node type has `of`
        return cls

    return register


def wrap(item: Item) -> Any:
    """The GraphQL object for a model item."""
    return _WRAPPERS[kind_of(item)](item)


def wrap_all(items: Iterable[Item | None]) -> list[Any]:
    return [wrap(item) for item in items if item is not None]


async def load_node(info: Info, kind: Kind, item_id: str | None) -> Any:
    """One item of a kind by id (None when it is absent), through the request's loader."""
    if item_id is None:
        return None
    item = await info.context.loaders.items[kind].load(item_id)
    return None if item is None else wrap(item)


async def load_nodes(info: Info, kind: Kind, ids: Iterable[str]) -> list[Any]:
    """Items of a kind in the order of `ids`, skipping ids that no longer exist."""
    items = await info.context.loaders.items[kind].load_many(list(ids))
    return wrap_all(items)


async def linked_nodes(info: Info, link: Link, kind: Kind, parent_id: str) -> list[Any]:
    """A nested list: child ids through the link loader, then the items (ordered by id)."""
    ids = await info.context.loaders.links[link].load(parent_id)
    return await load_nodes(info, kind, ids)
