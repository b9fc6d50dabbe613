"""api/pinned.py: values found by the identity of live objects (pure: no engine)."""

from __future__ import annotations

import gc
import weakref

from api.pinned import Pinned


class Doc:
    """Equal to any other Doc: only identity may tell two apart."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Doc)

    def __hash__(self) -> int:
        return 0


def test_found_by_identity_and_extra_only() -> None:
    cache: Pinned[str] = Pinned(4)
    a, b, schema = Doc(), Doc(), object()
    assert cache.get((schema, a)) is None
    assert cache.put((schema, a), "a", ("rule",)) == "a"
    assert cache.get((schema, a), ("rule",)) == "a"
    assert cache.get((schema, b), ("rule",)) is None  # equal, not the same document
    assert cache.get((schema, a)) is None  # another extra part
    assert cache.get((object(), a), ("rule",)) is None  # another schema


def test_at_most_maxsize_the_oldest_dropped() -> None:
    cache: Pinned[int] = Pinned(3)
    docs = [Doc() for _ in range(5)]
    for n, doc in enumerate(docs):
        cache.put((doc,), n)
    assert len(cache) == 3
    assert [cache.get((doc,)) for doc in docs] == [None, None, 2, 3, 4]


def test_an_entry_keeps_its_objects_alive() -> None:
    """The ids in a key stay those of its objects: the entry holds them."""
    cache: Pinned[str] = Pinned(2)
    doc = Doc()
    gone = weakref.ref(doc)
    cache.put((doc,), "kept")
    del doc
    gc.collect()
    assert gone() is not None
