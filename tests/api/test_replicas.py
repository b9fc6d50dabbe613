"""Scaling out and restarting on Neo4j: real processes, one shared database.

Two `portfolio-graph serve` processes (the API replicas) on different loopback
ports share the session's Neo4j: concurrent enforced writes through both never
both pass a limit only one fits in, each replica sees the other's change on its
next request (its snapshot cache follows the portfolio version), and every
acknowledged write has its audit entry. A replica restarted later finds it all.
The launcher itself is stopped and started on the same data dir: data, audit
log and password survive.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.roles import Actor
from api.service import PortfolioService
from bench.common import Server, client, gql
from bench.neo4j_launcher import missing_requirements, start_neo4j
from graph.engines.base import Engine
from graph.engines.neo4j import Neo4jEngine
from graph.model import Kind
from graph.store import Store
from rules.policy import default_policy
from tests.conftest import Neo4jAccess, no_neo4j
from tests.helpers import content_hash, example

pytestmark = pytest.mark.neo4j

# One epic may be implementing.
TIGHT = {"guardrails": {"kanban.wip-limit": {"limits": {"IMPLEMENTING": 1}}}}
IMPORT = """mutation($doc: JSON!) { importPortfolio(document: $doc) { applied } }"""
UPSERT_EPIC = """mutation($input: EpicInput!) {
  upsertEpic(input: $input) { applied violations { rule } errors { code } } }"""
STATES = "{ epics(first: 50) { edges { node { id state } } } }"
WIP = '{ violations(rule: "kanban.wip-limit") { subjectId excess } }'
AUDIT = "{ auditLog(limit: 200) { id operation itemId after } }"
ROUNDS = 4


def epic(epic_id: str, state: str) -> dict[str, Any]:
    found = next(e for e in example()["epics"] if e["id"] == epic_id)
    return {**found, "state": state}


async def states(http: httpx.AsyncClient) -> dict[str, str]:
    data = await gql(http, STATES)
    return {e["node"]["id"]: e["node"]["state"] for e in data["epics"]["edges"]}


@pytest.fixture
async def replicas(neo4j: Engine, neo4j_access: Neo4jAccess,
                   tmp_path: Path) -> AsyncIterator[list[Server]]:
    """Two open-mode (loopback) `serve` processes on the emptied session Neo4j."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(TIGHT))
    env = {**neo4j_access.env(), "PORTFOLIO_POLICY": str(policy)}
    servers = [Server(tmp_path / f"replica{i}", tmp_path / f"replica{i}.log", env=env)
               for i in range(2)]
    try:
        for server in servers:
            server.start()
        for server in servers:
            await server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def test_two_replicas_never_both_pass_a_limit_and_see_each_other(
        replicas: list[Server], tmp_path: Path) -> None:
    a_url, b_url = (server.url for server in replicas)
    async with client(a_url) as a, client(b_url) as b:
        assert (await gql(a, IMPORT, {"doc": example()}))["importPortfolio"]["applied"]
        # B's next request sees A's import.
        assert (await states(b))["E-CHATBOT"] == "IMPLEMENTING"
        done = await gql(b, UPSERT_EPIC, {"input": epic("E-CHATBOT", "DONE")})
        assert done["upsertEpic"]["applied"]
        assert (await states(a))["E-CHATBOT"] == "DONE"  # and A sees B's change
        applied: list[tuple[str, str]] = [("E-CHATBOT", "DONE")]
        for _ in range(ROUNDS):
            results = await asyncio.gather(
                gql(a, UPSERT_EPIC, {"input": epic("E-CHATBOT", "IMPLEMENTING")}),
                gql(b, UPSERT_EPIC, {"input": epic("E-CHECKOUT-HA", "IMPLEMENTING")}))
            outcomes = [r["upsertEpic"] for r in results]
            assert sorted(o["applied"] for o in outcomes) == [False, True], outcomes
            loser = next(o for o in outcomes if not o["applied"])
            assert "kanban.wip-limit" in {v["rule"] for v in loser["violations"]}
            winner = "E-CHATBOT" if outcomes[0]["applied"] else "E-CHECKOUT-HA"
            applied.append((winner, "IMPLEMENTING"))
            # Both replicas answer from a snapshot at the new version: one implementing.
            seen_a, seen_b = await states(a), await states(b)
            assert seen_a == seen_b
            assert [i for i, s in seen_a.items() if s == "IMPLEMENTING"] == [winner]
            assert (await gql(a, WIP))["violations"] == (await gql(b, WIP))["violations"] == []
            # Make room again, through the replica that lost.
            back = "DONE" if winner == "E-CHATBOT" else "PORTFOLIO_BACKLOG"
            other = b if winner == "E-CHATBOT" else a
            assert (await gql(other, UPSERT_EPIC, {"input": epic(winner, back)}))[
                "upsertEpic"]["applied"]
            applied.append((winner, back))
        log = (await gql(a, AUDIT))["auditLog"]
        assert log == (await gql(b, AUDIT))["auditLog"]

    # Every acknowledged write has its entry, newest first, and nothing else.
    assert [e["operation"] for e in log] == ["upsertEpic"] * len(applied) + ["importPortfolio"]
    assert [(e["itemId"], e["after"]["state"]) for e in reversed(log[:-1])] == applied

    # A replica started afterwards (an API restart) serves the same portfolio and log.
    replicas[0].stop()
    again = Server(tmp_path / "replica-again", tmp_path / "replica-again.log",
                   env=replicas[0].env)
    again.start()
    try:
        await again.wait_ready()
        async with client(again.url) as c:
            assert (await gql(c, AUDIT))["auditLog"] == log
            final = await states(c)
        assert final["E-CHATBOT"] == "DONE" and final["E-CHECKOUT-HA"] == "PORTFOLIO_BACKLOG"
    finally:
        again.stop()


@pytest.mark.slow
async def test_the_launcher_restarts_on_its_dir_with_data_and_audit_log(
        tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture) -> None:
    """Stop and start tools/neo4j/start on the same dir (about 50 s: two starts, two stops)."""
    missing = missing_requirements()
    if missing:
        no_neo4j(f"tools/neo4j/start needs {missing}")
    data_dir = tmp_path_factory.mktemp("neo4j-restart")
    admin = Actor("alice", frozenset({"admin"}))

    async def open_engine(uri: str, password: str) -> Neo4jEngine:
        access = Neo4jAccess(uri, "neo4j", password, "neo4j")
        # A fresh database plans the import statement cold: slow on a loaded machine.
        engine = Neo4jEngine(access.config(query_timeout=180.0))
        await engine.start()
        await engine.bootstrap()
        return engine

    first = start_neo4j(data_dir)
    try:
        engine = await open_engine(first.uri, first.password)
        service = PortfolioService(Store(engine), default_policy())
        # A fresh database: bootstrap registered every identifier, so reading the
        # empty portfolio logs no "relationship type does not exist" notices.
        await service.snapshot()
        assert [r.getMessage() for r in caplog.records if r.name.startswith("neo4j")] == []
        assert (await service.import_document(example(), admin)).applied
        change = await service.upsert(Kind.EPIC, epic("E-CHECKOUT-HA", "ANALYZING"), admin)
        assert change.applied
        before = (await content_hash(engine), await service.store.audit_log(),
                  await service.store.version())
        await engine.close()
    finally:
        assert first.stop() in (0, 143)  # 143: the JVM's exit after SIGTERM's clean shutdown

    second = start_neo4j(data_dir)
    try:
        assert second.password == first.password
        engine = await open_engine(second.uri, second.password)
        store = Store(engine)
        after = (await content_hash(engine), await store.audit_log(), await store.version())
        await engine.close()
    finally:
        second.stop()
    assert after == before
    assert len(before[1]) == 2 and before[2] == 2
