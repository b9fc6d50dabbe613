"""The store on the real embedded engine: import round trip, all-or-nothing, guarded writes."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from typing import Any

import pytest

from graph.changes import DeleteItem, apply
from graph.document import ParsedDocument, validate_document
from graph.engines.base import Engine
from graph.engines.falkordb import FalkorDBEngine
from graph.model import Kind, WorkType
from graph.store import AuditRecord, Store
from graph.view import FeatureQuery, PortfolioView, link_field
from tests.helpers import content_hash, example


async def load(store: Store, raw: dict[str, Any]) -> int | None:
    parsed = validate_document(raw, existing=(await store.snapshot()).kinds())
    assert isinstance(parsed, ParsedDocument), parsed
    return await store.write(parsed.change(), await store.version(),
                             AuditRecord("importPortfolio", "test"))


def normalised(raw: dict[str, Any]) -> dict[Kind, dict[str, Any]]:
    """The document's items as models, with link lists in id order (how the store returns them)."""
    parsed = validate_document(raw)
    assert isinstance(parsed, ParsedDocument)
    result: dict[Kind, dict[str, Any]] = {}
    for kind in Kind:
        result[kind] = {}
        for item in parsed.items[kind]:
            data = item.model_dump()
            for name in ("themes", "key_results"):
                if name in data:
                    data[name] = tuple(sorted(data[name]))
            result[kind][item.id] = type(item).model_validate(data)
    return result


async def test_import_round_trip_returns_every_field(store: Store) -> None:
    raw = example()
    assert await load(store, raw) == 1
    snapshot = await store.snapshot()
    expected = normalised(raw)
    for kind in Kind:
        assert snapshot.collection(kind) == expected[kind], kind
    assert snapshot.dependencies == {(d["from"], d["to"]) for d in raw["dependencies"]}


async def test_reimport_changes_nothing_but_the_audit_log(store: Store) -> None:
    await load(store, example())
    first = await store.snapshot()
    before = await store.engine.read(
        "MATCH (n:Item) RETURN n.id AS id, properties(n) AS p ORDER BY id")
    edges_before = await store.engine.read("MATCH (:Item)-[r]->(:Item) RETURN count(r) AS c")
    await load(store, example())
    second = await store.snapshot()
    after = await store.engine.read(
        "MATCH (n:Item) RETURN n.id AS id, properties(n) AS p ORDER BY id")
    edges_after = await store.engine.read("MATCH (:Item)-[r]->(:Item) RETURN count(r) AS c")
    assert before == after
    assert edges_before == edges_after
    assert second.version == first.version + 1
    assert {k: second.collection(k) for k in Kind} == {k: first.collection(k) for k in Kind}


async def test_import_replaces_links_and_keeps_unlisted_dependencies(store: Store) -> None:
    await load(store, example())
    raw = {"features": [{"id": "F-HANDOVER", "name": "Hand-over", "type": "BUSINESS",
                         "state": "DONE", "team": "T-ORBIT"}]}
    await load(store, raw)
    feature = (await store.snapshot()).features["F-HANDOVER"]
    assert (feature.epic, feature.team, feature.pi, feature.wsjf) == (None, "T-ORBIT", None, None)
    assert feature.state == "DONE"
    snapshot = await store.snapshot()
    assert ("F-HANDOVER", "F-INTENTS") in snapshot.dependencies


async def test_stale_version_writes_nothing(store: Store) -> None:
    await load(store, example())
    digest = await content_hash(store.engine)
    parsed = validate_document({"themes": [{"id": "TH-NEW", "name": "New"}]})
    assert isinstance(parsed, ParsedDocument)
    version = await store.version()
    assert await store.write(parsed.change(), version - 1, AuditRecord("x", "t")) is None
    assert await store.write(DeleteItem("F-INTENTS"), version + 5, AuditRecord("x", "t")) is None
    assert await content_hash(store.engine) == digest


async def test_write_and_audit_entry_land_together(store: Store) -> None:
    await load(store, example())
    version = await store.version()
    record = AuditRecord("deleteItem", "alice", item_id="F-INTENTS", before={"id": "F-INTENTS"})
    assert await store.write(DeleteItem("F-INTENTS"), version, record) == version + 1
    [entry, *_] = await store.audit_log()
    assert (entry.id, entry.seq, entry.actor, entry.operation, entry.item_id) == (
        record.id, version + 1, "alice", "deleteItem", "F-INTENTS")
    assert entry.before == {"id": "F-INTENTS"}
    assert "F-INTENTS" not in (await store.snapshot()).features
    assert [e.id for e in await store.audit_log(item_id="F-INTENTS")] == [record.id]


async def test_delete_pi_removes_capacities_and_keeps_features(store: Store) -> None:
    await load(store, example())
    await store.write(DeleteItem("PI-26-1"), await store.version(), AuditRecord("deleteItem", "t"))
    snapshot = await store.snapshot()
    assert all("PI-26-1" not in team.capacity for team in snapshot.teams.values())
    assert snapshot.features["F-INTENTS"].pi is None


async def test_view_of_the_stored_snapshot(store: Store) -> None:
    """Nested lists, dependencies both ways, PIs by start and pages, read from the snapshot
    the engine gave back (graph/view.py has the pure tests)."""
    await load(store, example())
    view = PortfolioView(await store.snapshot())
    epic_features = view.children(link_field(Kind.FEATURE, "epic"), "E-CHATBOT")
    assert list(epic_features) == ["F-HANDOVER", "F-INTENTS"]
    assert view.children(link_field(Kind.FEATURE, "epic"), "nope") == ()
    assert list(view.depends_on("F-HANDOVER")) == ["F-INTENTS", "F-SESSION-REPL"]
    assert list(view.dependents("F-INTENTS")) == ["F-HANDOVER"]
    assert [pi.id for pi in view.pis_by_start()] == ["PI-26-1", "PI-26-2"]
    first = view.feature_page(FeatureQuery(), 2, None)
    assert first.total == 4 and first.has_next and len(first.ids) == 2
    rest = view.feature_page(FeatureQuery(), 2, first.ids[-1])
    assert not rest.has_next and sorted(first.ids + rest.ids) == first.ids + rest.ids
    enablers = view.feature_page(FeatureQuery(type=WorkType.ENABLER, search="REPL"), 10, None)
    assert enablers.ids == ["F-SESSION-REPL"]


@pytest.mark.parametrize("mutate, path, code", [
    (lambda d: d["features"][0].update(epic="E-NONE"), "features.0.epic", "UNKNOWN_REFERENCE"),
    (lambda d: d["features"][1]["wsjf"].update(jobSize=4), "features.1.wsjf.jobSize",
     "OFF_SCALE"),
    (lambda d: d["epics"][0].update(state="DOING"), "epics.0.state", "INVALID_ENUM"),
    (lambda d: d["features"].append(dict(d["features"][0])), "features.4.id", "DUPLICATE_ID"),
    (lambda d: d["dependencies"].append({"from": "F-INTENTS", "to": "F-INTENTS"}),
     "dependencies.2", "SELF_DEPENDENCY"),
    (lambda d: d["pis"][0].update(start="2026-02-30"), "pis.0.start", "INVALID_DATE"),
    (lambda d: d["pis"][1].update(end="2026-01-01"), "pis.1.end", "INVALID_RANGE"),
    (lambda d: d["valueStreams"][0].update(budget=-5), "valueStreams.0.budget",
     "INVALID_NUMBER"),
    (lambda d: d["themes"][0].update(colour="red"), "themes.0.colour", "UNKNOWN_FIELD"),
    (lambda d: d["themes"][0].update(id="no spaces"), "themes.0.id", "INVALID_ID"),
    (lambda d: d["keyResults"][0].pop("objective"), "keyResults.0.objective", "REQUIRED"),
])
async def test_invalid_document_rejected_and_graph_unchanged(
    store: Store, mutate: Any, path: str, code: str,
) -> None:
    await load(store, example())
    digest, version = await content_hash(store.engine), await store.version()
    raw = copy.deepcopy(example())
    raw["themes"].append({"id": "TH-EXTRA", "name": "Valid item in a rejected document"})
    mutate(raw)
    result = validate_document(raw, existing=(await store.snapshot()).kinds())
    assert isinstance(result, list)
    assert (path, code) in {(e.path, e.code) for e in result}
    assert await content_hash(store.engine) == digest
    assert await store.version() == version


async def test_statements_planned_on_an_empty_graph_still_read_later_data(
    falkordb_engine: Engine,
) -> None:
    """Regression: FalkorDB caches plans; one made before `points` existed read None forever."""
    config = replace(falkordb_engine.config, graph_name=f"primer_{uuid.uuid4().hex[:8]}")  # type: ignore[attr-defined]
    engine = FalkorDBEngine(config)
    store = Store(engine)
    await store.start()
    try:
        assert (await store.snapshot()).teams == {}
        await load(store, example())
        teams = (await store.snapshot()).teams
        assert teams["T-KESTREL"].capacity == {"PI-26-1": 32, "PI-26-2": 30}
    finally:
        await engine.close()


async def test_replace_clears_left_out_fields_and_keeps_given_ones(store: Store) -> None:
    """Regression: FalkorDB's `SET n += {..null..}` dropped `approved` and kept a WSJF input."""
    await load(store, example())
    minimal = {"id": "E-CHATBOT", "name": "Chatbot", "type": "BUSINESS", "state": "FUNNEL",
               "approved": True}
    await load(store, {"epics": [minimal]})
    [row] = await store.engine.read(
        "MATCH (n:Epic {id: 'E-CHATBOT'}) RETURN properties(n) AS p")
    assert row["p"] == minimal
    epic = (await store.snapshot()).epics["E-CHATBOT"]
    assert epic.approved and epic.wsjf is None and epic.themes == ()


@pytest.mark.parametrize("item_id", ["F-INTENTS", "PI-26-1", "E-CHATBOT", "T-KESTREL", "TH-DIGITAL",
                                     "VS-RETAIL", "ART-CHANNELS", "KR-AVAILABILITY"])
async def test_delete_in_memory_matches_the_store(store: Store, item_id: str) -> None:
    """Portfolio.without (what the service checks and history replays) leaves the portfolio
    exactly as the store's DETACH DELETE does, for an item of each kind."""
    await load(store, example())
    before = await store.snapshot()
    assert before.get(item_id) is not None, f"{item_id} is not in the example portfolio"
    await store.write(DeleteItem(item_id), before.version, AuditRecord("deleteItem", "t"))
    stored = await store.snapshot()
    expected = apply(before, DeleteItem(item_id))
    for kind in Kind:
        assert stored.collection(kind) == expected.collection(kind), kind
    assert stored.dependencies == expected.dependencies
