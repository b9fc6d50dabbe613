"""The service carries its evaluation from change to change; it must equal a full one.

Every kind of write the service makes (enforced upserts and dependencies,
dry runs, removals, deletes with their cascade, imports) on the real embedded
engine, each followed by a comparison of the service's cached violations with
a full evaluation of the portfolio read back from the engine by a fresh store.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.roles import Actor
from api.service import PortfolioService
from graph.engines.base import Engine
from graph.model import Kind
from graph.store import Store
from rules.evaluate import evaluate
from rules.policy import policy_from_mapping
from tests.helpers import example

ADMIN = Actor("alice", frozenset({"admin"}))
# Loose enough that the changes below apply, tight enough that several rules fire.
POLICY = policy_from_mapping({"guardrails": {
    "kanban.wip-limit": {"severity": "warning", "limits": {"IMPLEMENTING": 1}},
    "capacity.team-overload": {"tolerance": 0.0},
    "dependency.schedule-conflict": {"severity": "warning"},
    "dependency.cycle": {"severity": "warning"},
    "wsjf.missing-inputs": {"severity": "warning"},
}})


def feature_input(feature_id: str, **changes: Any) -> dict[str, Any]:
    feature = next(f for f in example()["features"] if f["id"] == feature_id)
    feature.update(changes)
    return feature


async def assert_carried(service: PortfolioService, engine: Engine) -> set[str]:
    """The service's cached evaluation is for the current version and equals a full one;
    the rules it holds violations of."""
    fresh = await Store(engine).snapshot()
    cached = service._evaluated
    assert cached is not None and cached[0] == fresh.version, "the evaluation was not carried"
    assert cached[1] == evaluate(fresh, POLICY)
    return {v.rule for v in cached[1]}


async def test_every_write_carries_an_evaluation_equal_to_a_full_one(falkordb: Engine) -> None:
    service = PortfolioService(Store(falkordb), POLICY)
    assert (await service.import_document(example(), ADMIN)).applied
    await service.violations()  # the one full evaluation; every change below carries it
    steps = [
        lambda: service.upsert(Kind.FEATURE, feature_input("F-INTENTS", points=400), ADMIN),
        lambda: service.upsert(Kind.FEATURE, feature_input("F-TRACING", name="Traces",
                                                           pi="PI-26-1"), ADMIN),
        lambda: service.add_dependency("F-INTENTS", "F-HANDOVER", ADMIN),
        lambda: service.add_dependency("F-TRACING", "F-SESSION-REPL", ADMIN),
        lambda: service.remove_dependency("F-HANDOVER", "F-INTENTS", ADMIN),
        lambda: service.delete_item("F-SESSION-REPL", ADMIN),
        lambda: service.delete_item("E-CHATBOT", ADMIN),
        lambda: service.delete_item("T-ORBIT", ADMIN),
        lambda: service.delete_item("PI-26-1", ADMIN),
        lambda: service.import_document({"teams": [
            {"id": "T-KESTREL", "name": "Kestrel", "art": "ART-CHANNELS",
             "capacity": {"PI-26-2": 1}}]}, ADMIN),
    ]
    fired: set[str] = set()
    for step in steps:
        outcome = await step()
        assert outcome.applied, getattr(outcome, "errors", outcome)
        fired |= await assert_carried(service, falkordb)
    assert fired >= {"capacity.team-overload", "dependency.cycle", "traceability.unaligned",
                     "dependency.schedule-conflict"}


async def test_a_dry_run_leaves_the_evaluation_of_the_current_version(falkordb: Engine) -> None:
    service = PortfolioService(Store(falkordb), POLICY)
    assert (await service.import_document(example(), ADMIN)).applied
    await service.violations()
    outcome = await service.upsert(Kind.FEATURE, feature_input("F-INTENTS", points=400), ADMIN,
                                   dry_run=True)
    assert not outcome.applied
    assert [v.rule for v in outcome.violations] == ["capacity.team-overload"]
    await assert_carried(service, falkordb)


async def test_a_replica_carries_its_evaluation_over_changes_another_one_wrote(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process's changes reach this one as a catch-up (graph/store.py); its
    violations are then evaluated change by change, equal to a full evaluation."""
    writer = PortfolioService(Store(engine), POLICY)
    replica = PortfolioService(Store(engine), POLICY)
    assert (await writer.import_document(example(), ADMIN)).applied
    await replica.violations()  # its one full evaluation
    whole = 0

    def counted(*args: Any) -> Any:
        nonlocal whole
        whole += 1
        return evaluate(*args)

    monkeypatch.setattr("api.service.evaluate", counted)
    steps = [
        lambda: writer.upsert(Kind.FEATURE, feature_input("F-INTENTS", points=400), ADMIN),
        lambda: writer.add_dependency("F-INTENTS", "F-HANDOVER", ADMIN),
        lambda: writer.delete_item("F-SESSION-REPL", ADMIN),
        lambda: writer.delete_item("PI-26-1", ADMIN),
    ]
    fired: set[str] = set()
    for n, step in enumerate(steps):
        assert (await step()).applied
        if n == 1:  # two versions behind at once: replayed and evaluated one by one
            continue
        found = await replica.violations()
        fresh = await Store(engine).snapshot()
        assert replica.store.replayed is not None  # caught up, not read whole
        assert found == evaluate(fresh, POLICY)
        fired |= {v.rule for v in found}
    assert whole == 0  # never evaluated whole
    assert "capacity.team-overload" in fired
