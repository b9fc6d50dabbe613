"""History: every version rebuilt from the stored changes equals what the store held then."""

from __future__ import annotations

import json

import pytest

from graph.changes import Change, DeleteItem, PutDocument, RemoveDependency
from graph.cypher.labels import Label
from graph.document import ParsedDocument, validate_document
from graph.engines.base import Engine
from graph.history import History, HistoryUnavailable, ensure_history, history_start
from graph.model import Feature, Kind, Portfolio
from graph.store import AuditRecord, Store
from tests.helpers import example

FORGET_CHANGES = f"MATCH (a:{Label.AUDIT}) REMOVE a.change"  # as a store older than history


def _import() -> PutDocument:
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument), parsed
    return parsed.change()


def _feature(i: int, **fields: object) -> Feature:
    data = {"id": f"F-H{i}", "name": f"History {i}", "type": "BUSINESS", "state": "BACKLOG",
            "epic": "E-CHATBOT", "team": "T-ORBIT", "pi": "PI-26-1", "points": float(i)}
    data.update(fields)
    return Feature.model_validate(data)


def _changes() -> list[Change]:
    """Every shape of change, on items of every kind the cascade touches."""
    out: list[Change] = [_import()]
    for i in range(6):
        out.append(PutDocument(items=(_feature(i),)))
    out += [
        PutDocument(dependencies=(("F-H1", "F-H0"), ("F-H2", "F-H1"))),
        PutDocument(items=(_feature(1, name="renamed", pi=None, team="T-KESTREL"),)),
        RemoveDependency("F-HANDOVER", "F-INTENTS"),
        DeleteItem("F-H1"),  # takes its dependencies along
        DeleteItem("PI-26-1"),  # features lose their PI, teams their capacity
        DeleteItem("E-CHATBOT"),
        PutDocument(items=(_feature(7, epic=None, pi="PI-26-2"),),
                    dependencies=(("F-H7", "F-H0"),)),
        DeleteItem("T-ORBIT"),
    ]
    return out


async def _write_all(store: Store, changes: list[Change]) -> list[Portfolio]:
    """Write each change; the store's own snapshot after each (index = version)."""
    seen = [await store.snapshot()]
    for change in changes:
        version = await store.write(change, seen[-1].version, AuditRecord("test", "t"))
        assert version == seen[-1].version + 1
        seen.append(await Store(store.engine).snapshot())  # a fresh read of the graph
    return seen


def _same(rebuilt: Portfolio, expected: Portfolio) -> None:
    for kind in Kind:
        assert rebuilt.collection(kind) == expected.collection(kind), kind
    assert rebuilt.dependencies == expected.dependencies
    assert rebuilt.version == expected.version


@pytest.mark.parametrize("every", [1, 3, 50])
async def test_every_version_rebuilds_to_the_snapshot_the_store_had(
        store: Store, every: int) -> None:
    seen = await _write_all(store, _changes())
    assert len(seen) == len(_changes()) + 1
    history = History(Store(store.engine), every=every, max_checkpoints=3, kept=2)
    assert await history.start() == 0
    for version in [*range(len(seen)), *reversed(range(len(seen))), 4, 11, 2]:
        _same(await history.portfolio(version), seen[version])
    assert len(history._checkpoints) <= 3  # thinned, memory bounded


async def test_rebuilt_versions_are_not_changed_by_later_reads(store: Store) -> None:
    seen = await _write_all(store, _changes()[:4])
    history = History(Store(store.engine), every=2, kept=1)
    first = await history.portfolio(2)
    await history.portfolio(4)
    await history.portfolio(1)
    _same(first, seen[2])


async def test_the_change_is_stored_on_its_audit_entry(store: Store) -> None:
    change = RemoveDependency("F-X", "F-Y")
    await store.write(_import(), 0, AuditRecord("importPortfolio", "t"))
    await store.write(change, 1, AuditRecord("removeDependency", "t"))
    history = History(store)
    stored = await history.entries(0, 2)
    assert [s.entry.version for s in stored] == [1, 2]
    rows = await store.engine.read(f"MATCH (a:{Label.AUDIT} {{seq: 2}}) RETURN a.change AS c")
    assert json.loads(rows[0]["c"]) == change.to_json()


async def test_a_store_older_than_history_starts_it_at_its_version(engine: Engine) -> None:
    store = Store(engine)
    seen = await _write_all(store, _changes()[:3])
    await engine.write(FORGET_CHANGES)
    assert await history_start(store) is None  # nothing rebuildable before a checkpoint
    # What Store.start does after the engine is up (the session's engine is started):
    await ensure_history(store)  # writes the checkpoint once ...
    await ensure_history(store)  # ... and only once
    rows = await engine.read(f"MATCH (c:{Label.CHECKPOINT}) RETURN c.version AS v")
    assert rows == [{"v": 3}]
    history = History(Store(engine))
    assert await history.start() == 3
    _same(await history.portfolio(3), seen[3])
    with pytest.raises(HistoryUnavailable, match="before the history start 3"):
        await history.portfolio(2)
    # Changes written after it are kept in full: later versions rebuild from the checkpoint.
    more = await _write_all(store, _changes()[3:6])
    fresh = History(Store(engine), every=1)
    for version in range(3, 6):
        _same(await fresh.portfolio(version), more[version - 3])
    assert await history_start(store) == 3


async def test_a_new_store_has_history_from_version_0(engine: Engine) -> None:
    store = Store(engine)
    await ensure_history(store)  # what Store.start does once the engine is up
    assert await history_start(store) == 0
    assert await engine.read(f"MATCH (c:{Label.CHECKPOINT}) RETURN count(c) AS n") == [{"n": 0}]
