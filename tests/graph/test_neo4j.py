"""Neo4j-specific behaviour. The shared read/write/bootstrap contract runs on Neo4j too:
test_engines.py is parametrised over every engine (tests/conftest.py starts Neo4j).
"""

from __future__ import annotations

import asyncio

import pytest
from neo4j import AsyncGraphDatabase

from graph.changes import DeleteItem
from graph.config import EngineConfig
from graph.cypher.bootstrap import UNIQUE_ID_LABELS, neo4j_statements
from graph.cypher.labels import Label
from graph.engines.base import Engine, EngineQueryError, EngineUnavailable
from graph.engines.neo4j import Neo4jEngine
from graph.store import AuditRecord, Store
from tests.conftest import Neo4jAccess


async def test_unreachable_server_is_unavailable() -> None:
    # Port 1 refuses at once: no server needed to check the error mapping.
    engine = Neo4jEngine(EngineConfig(neo4j_uri="bolt://127.0.0.1:1", neo4j_user="neo4j",
                                      neo4j_password="x"))
    assert not await engine.ping()
    with pytest.raises(EngineUnavailable, match="not started"):
        await engine.read("RETURN 1 AS one")
    with pytest.raises(EngineUnavailable, match=r"127\.0\.0\.1:1"):
        await engine.start()
    assert not await engine.ping()


def test_neo4j_engine_needs_a_uri() -> None:
    with pytest.raises(ValueError, match="neo4j_uri"):
        Neo4jEngine(EngineConfig())


def test_bootstrap_ddl_is_idempotent_by_construction() -> None:
    # Neo4j refuses to re-create a schema object unless IF NOT EXISTS says otherwise.
    for statement in neo4j_statements().values():
        assert "IF NOT EXISTS" in statement or statement.startswith("MERGE "), statement


async def test_temporal_values_become_iso_strings(neo4j_engine: Engine) -> None:
    rows = await neo4j_engine.read(
        "RETURN date('2024-02-29') AS d, datetime('2024-02-29T10:15:00Z') AS dt, "
        "localtime('10:15:30') AS t, duration('P1DT2H') AS span")
    assert rows == [{"d": "2024-02-29", "dt": "2024-02-29T10:15:00.000000000+00:00",
                     "t": "10:15:30.000000000", "span": "P1DT2H"}]


async def test_bootstrap_creates_every_unique_id_constraint(neo4j_engine: Engine) -> None:
    await neo4j_engine.bootstrap()  # a rerun is a no-op
    rows = await neo4j_engine.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties")
    unique = {row["labelsOrTypes"][0] for row in rows if row["properties"] == ["id"]}
    assert {str(label) for label in UNIQUE_ID_LABELS} <= unique


async def test_constraint_error_carries_the_neo4j_code(neo4j_engine: Engine) -> None:
    await neo4j_engine.write(f"MATCH (n:{Label.ITEM} {{id: 'dup'}}) DETACH DELETE n")
    await neo4j_engine.write(f"CREATE (:{Label.ITEM} {{id: 'dup'}})")
    with pytest.raises(EngineQueryError) as caught:
        await neo4j_engine.write(f"CREATE (:{Label.ITEM} {{id: 'dup'}})")
    assert caught.value.constraint_violation
    assert caught.value.code == "Neo.ClientError.Schema.ConstraintValidationFailed"
    await neo4j_engine.write(f"MATCH (n:{Label.ITEM} {{id: 'dup'}}) DETACH DELETE n")


async def test_wrong_password_is_unavailable(neo4j_access: Neo4jAccess) -> None:
    engine = Neo4jEngine(neo4j_access.config(neo4j_password="definitely-wrong"))
    with pytest.raises(EngineUnavailable):
        await engine.start()


async def test_the_version_guard_locks_the_meta_node_before_reading(
        neo4j: Engine, neo4j_access: Neo4jAccess) -> None:
    """Under read committed, a guarded write that starts while another transaction holds an
    uncommitted version bump must wait for it and then see the new version (so refuse)."""
    store = Store(neo4j)
    version = await store.version()
    driver = AsyncGraphDatabase.driver(neo4j_access.uri,
                                       auth=(neo4j_access.user, neo4j_access.password or ""))
    try:
        async with driver.session(database=neo4j_access.database) as session:
            other = await session.begin_transaction()
            await other.run(f"MATCH (m:{Label.META}) SET m.version = m.version + 1")
            guarded = asyncio.create_task(
                store.write(DeleteItem("F-NONE"), version, AuditRecord("deleteItem", "ed")))
            await asyncio.sleep(0.5)
            assert not guarded.done()  # waiting for the meta node's lock
            await other.commit()
            assert await guarded is None  # stale: it saw the committed bump
    finally:
        await driver.close()
    assert await store.version() == version + 1
    assert await store.audit_log() == []


async def test_portable_statements_log_no_deprecation_notices(
        neo4j: Engine, caplog: pytest.LogCaptureFixture) -> None:
    # `CALL { WITH m }` is deprecated in 5.26 but the only form FalkorDB runs.
    await Store(neo4j).write(DeleteItem("F-NONE"), 0, AuditRecord("deleteItem", "ed"))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("neo4j")] == []

