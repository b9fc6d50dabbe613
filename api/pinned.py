"""Values cached by the identity of live objects: a schema, a parsed document, an operation.

Parsing is cached per query text (api/schema: `cached_parse`), so every request of a text
gets the same document object; what is derived from a document (its validation, its
execution plans) can then be found by the document's identity instead of hashing its
whole tree. Each entry holds its objects, so the ids in its key stay theirs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Pinned(Generic[V]):
    """At most `maxsize` values keyed by the identity of objects (and an `extra` hashable
    part), the oldest dropped first. Shared by threads (the query loops): under the GIL a
    race costs at most a value computed twice."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: dict[tuple[Hashable, ...], tuple[tuple[object, ...], V]] = {}

    def get(self, objects: tuple[object, ...], extra: Hashable = None) -> V | None:
        """The value put for these very objects (and `extra`), or None."""
        found = self._entries.get((*map(id, objects), extra))
        if found is None or any(a is not b for a, b in zip(found[0], objects, strict=True)):
            return None
        return found[1]

    def put(self, objects: tuple[object, ...], value: V, extra: Hashable = None) -> V:
        """Keep `value` for these objects (and `extra`); returns it."""
        entries = self._entries
        while len(entries) >= self.maxsize:
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                del entries[next(iter(entries))]  # the oldest; another thread may race
        entries[(*map(id, objects), extra)] = (objects, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["Pinned"]
