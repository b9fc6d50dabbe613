"""A cached snapshot behind the store (another process wrote) is caught up by replaying
the changes written since, and equals a whole read of the graph at every version."""

from __future__ import annotations

import pytest

from graph.changes import PutDocument
from graph.store import CATCH_UP_VERSIONS, AuditRecord, Store
from tests.graph.test_history import FORGET_CHANGES, _changes, _feature, _same


async def test_a_replica_catches_up_with_every_kind_of_change(store: Store) -> None:
    replica = Store(store.engine)  # another process's store on the same graph
    assert (await replica.snapshot()).version == await store.version()
    loads = 0
    whole_load = replica._load

    async def counted(version: int) -> object:
        nonlocal loads
        loads += 1
        return await whole_load(version)

    replica._load = counted  # type: ignore[method-assign]
    for change in _changes():
        version = await store.write(change, await store.version(), AuditRecord("test", "t"))
        assert version is not None
        before = replica.remembered()
        caught_up = await replica.snapshot()
        _same(caught_up, await Store(store.engine).snapshot())  # a whole read of the graph
        assert before is not None and before.version == version - 1  # left as it was
        assert replica.replayed is not None and replica.replayed.after is caught_up
        assert replica.replayed.before is before and len(replica.replayed.changes) == 1
    assert loads == 0  # every version by replaying its change, none read whole


async def test_several_versions_behind_replay_them_all(store: Store) -> None:
    replica = Store(store.engine)
    await replica.snapshot()
    for change in _changes():
        assert await store.write(change, await store.version(), AuditRecord("t", "t"))
    _same(await replica.snapshot(), await Store(store.engine).snapshot())


async def test_a_change_without_history_is_read_whole(store: Store) -> None:
    replica = Store(store.engine)
    for change in _changes()[:3]:
        assert await store.write(change, await store.version(), AuditRecord("t", "t"))
    await replica.snapshot()
    assert await store.write(PutDocument(items=(_feature(40),)), await store.version(),
                             AuditRecord("t", "t"))
    await store.engine.write(FORGET_CHANGES)  # as written by a store older than history
    found = await replica.snapshot()
    assert "F-H40" in found.features
    _same(found, await Store(store.engine).snapshot())


async def test_too_far_behind_is_read_whole(store: Store, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    import graph.store

    monkeypatch.setattr(graph.store, "CATCH_UP_VERSIONS", 2)
    replica = Store(store.engine)
    await replica.snapshot()
    replayed = 0
    changes_since = replica.history.changes_since

    async def counted(*args: object) -> object:
        nonlocal replayed
        replayed += 1
        return await changes_since(*args)  # type: ignore[arg-type]

    replica.history.changes_since = counted  # type: ignore[method-assign]
    for change in _changes()[:4]:
        assert await store.write(change, await store.version(), AuditRecord("t", "t"))
    _same(await replica.snapshot(), await Store(store.engine).snapshot())
    assert replayed == 0
    assert CATCH_UP_VERSIONS >= 100  # the real bound is not this test's 2
