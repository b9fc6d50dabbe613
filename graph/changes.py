"""Changes to a portfolio, as values: what the store writes and what history replays.

Every applied change is one of three shapes. `PutDocument` replaces items by id
and adds dependencies (an import, an upsert, addDependency); `RemoveDependency`
and `DeleteItem` are the other two. `apply` gives the portfolio after the change
exactly as the store's statement for it leaves the graph, so the service can
check guardrails on the result before writing, and a past version can be rebuilt
by replaying the changes written since a known state. `to_json` / `change_from_json`
are the stored form (the import document's format for items).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graph.model import DOCUMENT_KEYS, MODEL_OF_KIND, Item, Kind, Portfolio, kind_of


@dataclass(frozen=True, slots=True)
class PutDocument:
    """Replace these items (properties and links) by id and add these dependencies."""

    items: tuple[Item, ...] = ()
    dependencies: tuple[tuple[str, str], ...] = ()

    def apply_in_place(self, portfolio: Portfolio) -> None:
        for item in self.items:
            portfolio.put(item)
        portfolio.dependencies.update(self.dependencies)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        for item in self.items:
            key = DOCUMENT_KEYS[kind_of(item)]
            document.setdefault(key, []).append(item_json(item))
        if self.dependencies:
            document["dependencies"] = [{"from": a, "to": b} for a, b in self.dependencies]
        return {"put": document}

    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True, slots=True)
class RemoveDependency:
    from_id: str
    to_id: str

    def apply_in_place(self, portfolio: Portfolio) -> None:
        portfolio.dependencies.discard((self.from_id, self.to_id))

    def to_json(self) -> dict[str, Any]:
        return {"removeDependency": {"from": self.from_id, "to": self.to_id}}

    def item_ids(self) -> tuple[str, ...]:
        return (self.from_id,)


@dataclass(frozen=True, slots=True)
class DeleteItem:
    """Delete an item, its links and (a feature's) dependencies; see Portfolio.without."""

    item_id: str

    def apply_in_place(self, portfolio: Portfolio) -> None:
        after = portfolio.without(self.item_id)
        for kind in Kind:
            collection = portfolio.collection(kind)
            collection.clear()
            collection.update(after.collection(kind))
        portfolio.dependencies = after.dependencies

    def to_json(self) -> dict[str, Any]:
        return {"delete": self.item_id}

    def item_ids(self) -> tuple[str, ...]:
        return (self.item_id,)


Change = PutDocument | RemoveDependency | DeleteItem


def apply(portfolio: Portfolio, change: Change) -> Portfolio:
    """The portfolio after `change`; `portfolio` is left as it was (version unchanged).

    The result shares the collections the change does not write with `portfolio`: like
    every snapshot, it is read, never changed in place (`replayed` copies whole)."""
    if isinstance(change, DeleteItem):
        return portfolio.without(change.item_id)
    if isinstance(change, PutDocument):  # copies only what it writes (Portfolio.copy)
        after = portfolio.copy({kind_of(item) for item in change.items},
                               dependencies=bool(change.dependencies))
    else:
        after = portfolio.copy((), dependencies=True)
    change.apply_in_place(after)
    return after


def changed_ids(before: Portfolio, after: Portfolio, kind: Kind) -> frozenset[str]:
    """Ids of the items of `kind` that differ from `before` to `after` (added and removed
    ones included), by identity: items are frozen, and a collection a change did not
    write is the same object on both sides (`apply`), so it costs nothing."""
    old, new = before.collection(kind), after.collection(kind)
    if old is new:
        return frozenset()
    ids = {i for i, item in new.items() if old.get(i) is not item}
    ids.update(i for i in old if i not in new)
    return frozenset(ids)


def replay(portfolio: Portfolio, changes: Iterable[Change]) -> None:
    """Apply changes in order to `portfolio` itself (cheap for many small changes)."""
    for change in changes:
        change.apply_in_place(portfolio)


def replayed(base: Portfolio, changes: Iterable[Change], version: int) -> Portfolio:
    """A copy of `base` (left as it is) with `changes` applied in order: `version`."""
    portfolio = base.copy()
    replay(portfolio, changes)
    portfolio.version = version
    return portfolio


def item_json(item: Item) -> dict[str, Any]:
    """An item in the import document's format: camelCase names, empty fields left out."""
    data = item.model_dump(by_alias=True, mode="json", exclude_none=True)
    return {key: value for key, value in data.items() if value not in ((), [], {})}


def item_from_json(kind: Kind, data: Mapping[str, Any]) -> Item:
    """Rebuild an item from `item_json` (trusted: written by us, already validated)."""
    return MODEL_OF_KIND[kind].model_validate(dict(data))


def change_from_json(data: Mapping[str, Any]) -> Change:
    """The change `to_json` wrote."""
    if "put" in data:
        document = data["put"]
        items: list[Item] = []
        for kind, key in DOCUMENT_KEYS.items():
            items.extend(item_from_json(kind, entry) for entry in document.get(key, ()))
        deps = tuple((d["from"], d["to"]) for d in document.get("dependencies", ()))
        return PutDocument(tuple(items), deps)
    if "removeDependency" in data:
        pair = data["removeDependency"]
        return RemoveDependency(pair["from"], pair["to"])
    if "delete" in data:
        return DeleteItem(str(data["delete"]))
    raise ValueError(f"not a stored change: keys {sorted(data)}")
