"""Enforcement through the service on each real engine (FalkorDB and Neo4j).

Blocked, dry-run, overridden and concurrent changes must leave the graph
exactly as the contract says; imports are all or nothing and never blocked.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from api.errors import Forbidden
from api.roles import Actor, Role
from api.service import PortfolioService
from graph.engines import create_engine
from graph.engines.base import Engine
from graph.model import Kind
from graph.store import Store
from rules.policy import Policy, default_policy, policy_from_mapping
from tests.helpers import content_hash, example

ADMIN = Actor("alice", frozenset({Role.ADMIN}))
PORTFOLIO = Actor("lpm", frozenset({Role.PORTFOLIO}))
EDITOR = Actor("ed", frozenset({Role.EDITOR}))

# One epic may be implementing: the example already has E-CHATBOT there.
TIGHT = policy_from_mapping({"guardrails": {"kanban.wip-limit": {"limits": {"IMPLEMENTING": 1}}}})


def epic_input(**changes: Any) -> dict[str, Any]:
    """E-CHECKOUT-HA from the example as an upsert input, with changes."""
    epic = next(e for e in example()["epics"] if e["id"] == "E-CHECKOUT-HA")
    epic.update(changes)
    return epic


async def service_on(engine: Engine, policy: Policy = TIGHT) -> PortfolioService:
    service = PortfolioService(Store(engine), policy)
    outcome = await service.import_document(example(), ADMIN)
    assert outcome.applied, outcome.errors
    return service


@pytest.fixture
async def service(engine: Engine) -> PortfolioService:
    return await service_on(engine)


async def test_blocked_change_writes_nothing(service: PortfolioService) -> None:
    engine = service.store.engine
    digest, log = await content_hash(engine), await service.store.audit_log()
    outcome = await service.upsert(Kind.EPIC, epic_input(state="IMPLEMENTING"), EDITOR)
    assert not outcome.applied
    assert [(v.rule, v.subject_id, v.excess) for v in outcome.violations] == [
        ("kanban.wip-limit", "IMPLEMENTING", 1.0)]
    assert await content_hash(engine) == digest
    assert await service.store.audit_log() == log


async def test_dry_run_reports_and_writes_nothing(engine: Engine) -> None:
    service = await service_on(engine, default_policy())
    digest = await content_hash(engine)
    chatbot = next(e for e in example()["epics"] if e["id"] == "E-CHATBOT")
    del chatbot["businessOwner"]
    outcome = await service.upsert(Kind.EPIC, chatbot, EDITOR, dry_run=True)
    assert not outcome.applied
    assert [(v.rule, v.subject_id) for v in outcome.violations] == [
        ("engagement.business-owner", "E-CHATBOT")]
    assert await content_hash(engine) == digest


async def test_non_blocking_change_applies_and_is_audited(engine: Engine) -> None:
    service = await service_on(engine, default_policy())
    outcome = await service.upsert(Kind.EPIC, epic_input(state="IMPLEMENTING"), EDITOR)
    assert outcome.applied and outcome.violations == []
    [entry, *_] = await service.store.audit_log(item_id="E-CHECKOUT-HA")
    assert (entry.operation, entry.actor, entry.justification) == ("upsertEpic", "ed", None)
    assert entry.before["state"] == "PORTFOLIO_BACKLOG"
    assert entry.after["state"] == "IMPLEMENTING"
    # Read back from the engine, not from the snapshot the service remembered.
    epic = (await Store(service.store.engine).snapshot()).epics["E-CHECKOUT-HA"]
    assert epic.state == "IMPLEMENTING"


async def test_override_by_portfolio_role_is_written_with_justification(
    service: PortfolioService,
) -> None:
    outcome = await service.upsert(Kind.EPIC, epic_input(state="IMPLEMENTING"), PORTFOLIO,
                                   justification="Regulator deadline in PI 26.2")
    assert outcome.applied
    assert [v.rule for v in outcome.violations] == ["kanban.wip-limit"]
    [entry, *_] = await service.store.audit_log()
    assert entry.justification == "Regulator deadline in PI 26.2"
    assert entry.actor == "lpm"


async def test_override_needs_portfolio_role(service: PortfolioService) -> None:
    digest = await content_hash(service.store.engine)
    with pytest.raises(Forbidden):
        await service.upsert(Kind.EPIC, epic_input(state="IMPLEMENTING"), EDITOR,
                             justification="I say so")
    assert await content_hash(service.store.engine) == digest


async def test_approval_change_needs_portfolio_role(service: PortfolioService) -> None:
    with pytest.raises(Forbidden):
        await service.upsert(Kind.EPIC, epic_input(approved=True), EDITOR)
    same = await service.upsert(Kind.EPIC, epic_input(approved=False), EDITOR)
    assert same.applied
    left_out = epic_input()
    del left_out["approved"]
    await service.upsert(Kind.EPIC, epic_input(approved=True), PORTFOLIO)
    kept = await service.upsert(Kind.EPIC, left_out, EDITOR)
    assert kept.applied
    epic = (await Store(service.store.engine).snapshot()).epics["E-CHECKOUT-HA"]
    assert epic.approved is True


async def test_upsert_leaves_dependencies_and_clears_omitted_fields(
    service: PortfolioService,
) -> None:
    feature = {"id": "F-HANDOVER", "name": "Hand-over", "type": "BUSINESS", "state": "BACKLOG"}
    outcome = await service.upsert(Kind.FEATURE, feature, EDITOR)
    assert outcome.applied
    snapshot = await service.snapshot()
    assert snapshot.features["F-HANDOVER"].points is None
    assert snapshot.features["F-HANDOVER"].epic is None
    assert {("F-HANDOVER", "F-INTENTS"), ("F-HANDOVER", "F-SESSION-REPL")} <= (
        snapshot.dependencies)


async def test_invalid_upsert_is_input_error_not_written(service: PortfolioService) -> None:
    digest = await content_hash(service.store.engine)
    outcome = await service.upsert(
        Kind.FEATURE,
        {"id": "F-NEW", "name": "New", "type": "BUSINESS", "state": "BACKLOG", "pi": "PI-9",
         "wsjf": {"userBusinessValue": 4, "timeCriticality": 1,
                  "riskReductionOpportunityEnablement": 1, "jobSize": 1}},
        EDITOR)
    assert not outcome.applied
    assert {(e.path, e.code) for e in outcome.errors} == {
        ("input.pi", "UNKNOWN_REFERENCE"), ("input.wsjf.userBusinessValue", "OFF_SCALE")}
    assert await content_hash(service.store.engine) == digest


async def test_dependency_schedule_conflict_blocked_then_removed(
    engine: Engine,
) -> None:
    service = await service_on(engine, default_policy())
    # F-INTENTS is planned in PI-26-1; F-SESSION-REPL in PI-26-2: a conflict (ERROR).
    blocked = await service.add_dependency("F-INTENTS", "F-SESSION-REPL", EDITOR)
    assert not blocked.applied
    assert [(v.rule, v.subject_id, v.related_ids) for v in blocked.violations] == [
        ("dependency.schedule-conflict", "F-INTENTS", ("F-SESSION-REPL",))]
    bad = await service.add_dependency("F-INTENTS", "F-INTENTS", EDITOR)
    assert [e.code for e in bad.errors] == ["SELF_DEPENDENCY"]
    removed = await service.remove_dependency("F-HANDOVER", "F-INTENTS", EDITOR)
    assert removed.applied
    assert ("F-HANDOVER", "F-INTENTS") not in (await service.snapshot()).dependencies
    again = await service.remove_dependency("F-HANDOVER", "F-INTENTS", EDITOR)
    assert [e.code for e in again.errors] == ["NOT_FOUND"]


async def test_delete_objective_with_key_results_is_refused(service: PortfolioService) -> None:
    refused = await service.delete_item("O-UPTIME", ADMIN)
    assert not refused.applied and [e.code for e in refused.errors] == ["IN_USE"]
    assert (await service.delete_item("KR-AVAILABILITY", ADMIN)).applied
    assert (await service.delete_item("O-UPTIME", ADMIN)).applied
    epic = (await service.snapshot()).epics["E-CHECKOUT-HA"]
    assert epic.key_results == ()


async def test_import_is_never_blocked_and_reports_violations(engine: Engine) -> None:
    service = await service_on(engine)
    doc = {"epics": [epic_input(state="IMPLEMENTING")]}
    outcome = await service.import_document(doc, ADMIN)
    assert outcome.applied and outcome.updated == ["E-CHECKOUT-HA"] and outcome.created == []
    assert "kanban.wip-limit" in {v.rule for v in outcome.violations}
    [entry, *_] = await service.store.audit_log()
    assert entry.after == {"created": [], "updated": ["E-CHECKOUT-HA"]}


async def test_invalid_import_writes_nothing_and_logs_nothing(service: PortfolioService) -> None:
    engine = service.store.engine
    digest, log = await content_hash(engine), await service.store.audit_log()
    raw = copy.deepcopy(example())
    raw["themes"].append({"id": "TH-EXTRA", "name": "valid, in a rejected document"})
    raw["features"][0]["epic"] = "E-MISSING"
    raw["dependencies"].append({"from": "F-INTENTS", "to": "F-INTENTS"})
    outcome = await service.import_document(raw, ADMIN)
    assert not outcome.applied
    assert {(e.path, e.code) for e in outcome.errors} == {
        ("features.0.epic", "UNKNOWN_REFERENCE"), ("dependencies.2", "SELF_DEPENDENCY")}
    assert await content_hash(engine) == digest
    assert await service.store.audit_log() == log


async def test_concurrent_changes_never_both_pass_a_limit(
    engine: Engine,
) -> None:
    """Two writers with their own connections and caches (as two processes would be)."""
    first = await service_on(engine)
    # Make room for exactly one more: move E-CHATBOT out of IMPLEMENTING.
    chatbot = next(e for e in example()["epics"] if e["id"] == "E-CHATBOT")
    assert (await first.upsert(Kind.EPIC, {**chatbot, "state": "DONE"}, EDITOR)).applied
    second_engine = create_engine(engine.config)  # type: ignore[attr-defined]
    await second_engine.start()
    try:
        second = PortfolioService(Store(second_engine), TIGHT)
        results = await asyncio.gather(
            first.upsert(Kind.EPIC, {**chatbot, "state": "IMPLEMENTING"}, EDITOR),
            second.upsert(Kind.EPIC, epic_input(state="IMPLEMENTING"), EDITOR),
        )
    finally:
        await second_engine.close()
    assert sorted(r.applied for r in results) == [False, True]
    implementing = [e for e in (await first.snapshot()).epics.values()
                    if e.state == "IMPLEMENTING"]
    assert len(implementing) == 1


async def test_concurrent_changes_in_one_process_all_land(engine: Engine) -> None:
    """Changes of one process queue behind each other instead of losing the version race."""
    service = await service_on(engine, default_policy())
    base = {"type": "BUSINESS", "state": "FUNNEL"}
    results = await asyncio.gather(*(
        service.upsert(Kind.FEATURE, {"id": f"F-NEW-{i}", "name": f"New {i}", **base}, EDITOR)
        for i in range(12)))
    assert all(r.applied for r in results)
    snapshot = await service.snapshot()
    assert {f"F-NEW-{i}" for i in range(12)} <= set(snapshot.features)
    log = await service.store.audit_log(limit=20)
    assert [e.seq for e in log[:13]] == list(range(13, 0, -1))  # import + 12, no gaps


async def test_an_items_source_is_stored_and_survives_an_edit(engine: Engine) -> None:
    """Where an imported feature came from is written with it, read back by a fresh store,
    and kept by an upsert that does not mention it (the GraphQL inputs cannot)."""
    document = example()
    source = {"system": "jira", "key": "PAY-7", "url": "https://meridian.atlassian.net/browse/PAY-7",
              "importedAt": "2026-12-01T09:30:00+00:00"}
    document["features"][0]["source"] = source
    service = await service_on(engine, default_policy())
    assert (await service.import_document(document, ADMIN)).applied
    feature_id = document["features"][0]["id"]
    fresh = await Store(engine).snapshot()
    stored = fresh.features[feature_id].source
    assert stored is not None and stored.model_dump(by_alias=True) == source
    edited = {k: v for k, v in document["features"][0].items() if k != "source"}
    edited["name"] = "Renamed here"
    outcome = await service.upsert(Kind.FEATURE, edited, ADMIN)
    assert outcome.applied, outcome.errors
    after = (await Store(engine).snapshot()).features[feature_id]
    assert after.name == "Renamed here" and after.source == stored
    document["features"][0]["source"] = {"system": "jira"}  # key and importedAt missing
    outcome_bad = await service.import_document(document, ADMIN)
    assert not outcome_bad.applied
    assert {e.path for e in outcome_bad.errors} == {"features.0.source.key",
                                                    "features.0.source.importedAt"}


async def test_an_import_validates_and_evaluates_off_the_event_loop(
        service: PortfolioService) -> None:
    """Validating and evaluating a large document is CPU work: it runs in a worker thread,
    so the server's loop answers other requests meanwhile; the write itself stays on it."""
    import threading

    from graph.document import validate_document

    threads: list[threading.Thread] = []

    def validate(raw: Any, **options: Any) -> Any:
        threads.append(threading.current_thread())
        return validate_document(raw, **options)

    outcome = await service.import_document(example(), ADMIN, validate=validate)
    assert outcome.applied, outcome.errors
    assert threads and threads[0] is not threading.current_thread()
    remembered = service.store.remembered()  # the service adopted what it wrote
    assert remembered is not None and remembered.version == await service.store.version()
    assert set(remembered.features) == {f["id"] for f in example()["features"]}


async def test_each_versions_plain_order_is_carried_from_the_last_and_ranks_as_a_sort(
        service: PortfolioService, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first ranking, a change's new version gets its plain order by carrying
    the last one (no sort of the level); every ranking equals one computed afresh."""
    from api import service as service_module
    from rules.ranking import rank

    async def ranked() -> list[tuple[str, float]]:
        view = await service.view()
        got = [(e.item_id, e.wsjf.score) for e in service.ranking(view, "FEATURE")]
        assert got == [(e.item_id, e.wsjf.score) for e in rank(view.portfolio, "FEATURE")]
        return got

    first = await ranked()
    assert [item_id for item_id, _ in first] == ["F-INTENTS", "F-HANDOVER", "F-SESSION-REPL"]

    def no_sort(*_: object) -> None:
        raise AssertionError("sorted the level again instead of carrying its order")

    monkeypatch.setattr(service_module, "plain_order", no_sort)
    feature = next(f for f in example()["features"] if f["id"] == "F-TRACING")
    scored = {**feature, "wsjf": {"userBusinessValue": 20, "timeCriticality": 20,
                                  "riskReductionOpportunityEnablement": 20, "jobSize": 1}}
    assert (await service.upsert(Kind.FEATURE, scored, ADMIN)).applied
    assert (await ranked())[0][0] == "F-TRACING"
    done = next(f for f in example()["features"] if f["id"] == "F-HANDOVER")
    assert (await service.upsert(Kind.FEATURE, {**done, "state": "DONE"}, ADMIN)).applied
    assert "F-HANDOVER" not in [item_id for item_id, _ in await ranked()]


async def test_a_change_no_ranking_reads_keeps_the_respecting_order(
        service: PortfolioService) -> None:
    """A name or points edit leaves the dependency-respecting order as it was: the next
    version reuses it; a WSJF edit makes it computed again. Both rank as rank() does."""
    from rules.ranking import rank

    async def respecting() -> list[str]:
        view = await service.view()
        got = service.ranking(view, "FEATURE", respect_dependencies=True)
        assert got == rank(view.portfolio, "FEATURE", respect_dependencies=True)
        return [e.item_id for e in got]

    def listed() -> object:
        return service._respecting_orders[("FEATURE", None, None)][1]

    first = await respecting()
    kept = listed()
    handover = next(f for f in example()["features"] if f["id"] == "F-HANDOVER")
    assert (await service.upsert(Kind.FEATURE, {**handover, "points": 21}, ADMIN)).applied
    assert await respecting() == first and listed() is kept  # reused
    replication = next(f for f in example()["features"] if f["id"] == "F-SESSION-REPL")
    rescored = {**replication, "wsjf": {"userBusinessValue": 20, "timeCriticality": 20,
                                        "riskReductionOpportunityEnablement": 20, "jobSize": 1}}
    assert (await service.upsert(Kind.FEATURE, rescored, ADMIN)).applied
    assert await respecting() == ["F-SESSION-REPL", "F-INTENTS", "F-HANDOVER"]  # computed
    assert first == ["F-INTENTS", "F-SESSION-REPL", "F-HANDOVER"] and listed() is not kept
