"""Keyset pages over sorted id lists: orderings, cursor positions and Relay windows.

An ordering (`Sort`) puts every item of a kind in one total order: its sort
value (nulls last, in both directions), then its id, ascending. `Order` holds
that order for one version: built once (the view caches it), it gives each id
its place, so the lists a page reads (all ids, or the ids a filter index
holds) are sorted by place once and then sliced with bisect. A cursor names a
position as (sort value, id): `Order.boundary` finds where that pair falls in
this version's order, also when the item has since changed or gone, so `after`
continues exactly where the page ended.

Pure: imports nothing of the engines, the API or the rules.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from typing import Any

# A sort value: a casefolded name, a state's place on its Kanban, a WSJF score, an ISO date.
SortValue = str | int | float | None


class SortField(StrEnum):
    """What a page of epics or features can be ordered by (id order is the default)."""

    NAME = "NAME"
    STATE = "STATE"
    WSJF_SCORE = "WSJF_SCORE"
    PI_START = "PI_START"


@dataclass(frozen=True, slots=True)
class Sort:
    """An ordering: a field and a direction. Nulls come last either way; ties go by id,
    ascending."""

    field: SortField
    descending: bool = False

    @property
    def tag(self) -> str:
        """How cursors name the ordering, e.g. `NAME:DESC`."""
        return f"{self.field.value}:{'DESC' if self.descending else 'ASC'}"


@dataclass(frozen=True, slots=True)
class Bound:
    """A position a cursor names: the sort value and id of the item it was made on (the
    value is unused in id order)."""

    id: str
    value: SortValue = None


@dataclass(frozen=True, slots=True)
class Page:
    """Ids of one page in page order, whether pages follow and precede it (Relay's
    `hasNextPage` / `hasPreviousPage`), how many match in all, and each id's sort value
    (for its cursor; None in id order)."""

    ids: list[str]
    has_next: bool
    total: int
    has_previous: bool = False
    values: list[SortValue] | None = None


Key = Callable[[str], Any] | None  # an id's place in the page's order; None: the id itself


class Order:
    """One ordering of one kind's items at one version: every id's place, and the sorted
    keys a cursor's (value, id) is located among."""

    __slots__ = ("_distinct", "_keys", "descending", "ids", "place", "values")

    def __init__(self, values: Mapping[str, SortValue], descending: bool) -> None:
        self.values = values
        self.descending = descending
        self._distinct = sorted({v for v in values.values() if v is not None})
        rank = {v: i for i, v in enumerate(self._distinct)}
        sign = -1 if descending else 1

        def key(item_id: str) -> tuple[int, float, str]:
            value = values[item_id]
            return (1, 0, item_id) if value is None else (0, sign * rank[value], item_id)

        keyed = sorted((key(i), i) for i in values)
        self._keys = [k for k, _ in keyed]
        self.ids = [i for _, i in keyed]
        self.place = {item_id: n for n, item_id in enumerate(self.ids)}

    def arrange(self, ids: Iterable[str]) -> list[str]:
        """`ids` in this order."""
        return sorted(ids, key=self.place.__getitem__)

    def boundary(self, bound: Bound) -> float:
        """Where `bound` falls among the places: its own place when it is there with that
        value, else halfway between the two places it falls between."""
        value = bound.value
        if value is None:
            key: tuple[int, float, str] = (1, 0, bound.id)
        else:
            i = bisect_left(self._distinct, value)
            exact = i < len(self._distinct) and self._distinct[i] == value
            rank = i if exact else i - 0.5
            key = (0, -rank if self.descending else rank, bound.id)
        at = bisect_left(self._keys, key)
        return at if at < len(self._keys) and self._keys[at] == key else at - 0.5


def window(lists: list[list[str]], key: Key, after: Any, before: Any, first: int | None,
           last: int | None) -> tuple[list[str], bool, bool]:
    """One page of the union of disjoint `lists` (each sorted by `key`): the items after
    `after` and before `before` (positions in `key`'s terms), then the `first` of them or
    the `last` of them. Returns the ids and Relay's hasPreviousPage and hasNextPage.

    Slices only what the page needs from each list, so the cost is the page's, not the
    lists'. The flags follow the Relay cursor spec: with `last`, whether more items lie in
    the window before the page, else whether items precede `after`; with `first`, whether
    more lie in the window after the page, else whether items follow `before`.
    """
    spans = []
    for lst in lists:
        start = 0 if after is None else bisect_right(lst, after, key=key)
        end = len(lst) if before is None else bisect_left(lst, before, key=key)
        spans.append((lst, start, max(start, end)))  # `after` past `before`: an empty window
    inside = sum(end - start for _, start, end in spans)
    # Items before `after` / from `before` on, in the whole list (not only the window).
    preceding = after is not None and any(start > 0 for _, start, _ in spans)
    following = before is not None and any(
        bisect_left(lst, before, key=key) < len(lst) for lst, _, _ in spans)
    if last is None:
        n = 0 if first is None else first
        heads = [lst[start:min(end, start + n)] for lst, start, end in spans]
        ids = list(islice(_merged(heads, key), n))
        return ids, preceding, inside > n if first is not None else following
    tails = [lst[max(start, end - last):end] for lst, start, end in spans]
    merged = list(_merged(tails, key))
    return merged[max(0, len(merged) - last):], inside > last, following


def _merged(lists: list[list[str]], key: Key) -> Iterable[str]:
    if len(lists) == 1:
        return iter(lists[0])
    return heapq.merge(*lists, key=key)
