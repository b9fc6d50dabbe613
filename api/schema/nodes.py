"""The Node interface, and turning model items into their GraphQL objects.

Each object type registers itself for its `Kind` (`@node_type(Kind.EPIC)`),
so resolvers in any module can wrap items of another kind without importing
its module (the types refer to each other in circles). Every object carries
the `PortfolioView` it was made from: its nested fields read that view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry

from graph.model import Item, Kind, kind_of
from graph.view import PortfolioView


@strawberry.interface(name="Node", description="Any portfolio item, by its global id.")
class Node:
    id: strawberry.ID


T = TypeVar("T")
_WRAPPERS: dict[Kind, Callable[[Any, PortfolioView], Any]] = {}


def node_type(kind: Kind) -> Callable[[type[T]], type[T]]:
    """Register a type's `of(item, view)` constructor as the GraphQL object of a kind."""

    def register(cls: type[T]) -> type[T]:
        _WRAPPERS[kind] = cls.of  # type: ignore[attr-defined]  # every node type has `of`
        return cls

    return register


def wrap(item: Item, view: PortfolioView) -> Any:
    """The GraphQL object for a model item, reading `view` for its nested fields."""
    return _WRAPPERS[kind_of(item)](item, view)


def node(view: PortfolioView, kind: Kind, item_id: str | None) -> Any:
    """The object of one item of a kind by id; None when the view has none."""
    item = view.get(kind, item_id)
    return None if item is None else _WRAPPERS[kind](item, view)


def nodes(view: PortfolioView, kind: Kind, ids: Iterable[str]) -> list[Any]:
    """Objects of a kind in the order of `ids`, skipping ids the view does not hold."""
    make = _WRAPPERS[kind]
    return [make(item, view) for item in view.items(kind, ids)]
