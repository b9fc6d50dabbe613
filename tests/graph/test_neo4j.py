"""Neo4j-specific behaviour. The shared read/write/bootstrap contract runs on Neo4j too:
test_engines.py is parametrised over every engine, Neo4j included when NEO4J_URI is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from graph.config import EngineConfig
from graph.cypher.bootstrap import UNIQUE_ID_LABELS, neo4j_statements
from graph.cypher.labels import Label
from graph.engines.base import Engine, EngineQueryError, EngineUnavailable
from graph.engines.neo4j import Neo4jEngine


def needs_server(test: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a test as needing a Neo4j server and skip it, with the reason, without one."""
    skip = pytest.mark.skipif(not os.environ.get("NEO4J_URI"),
                              reason="NEO4J_URI is not set: no Neo4j server to test against")
    marked: Callable[..., Any] = pytest.mark.neo4j(skip(test))
    return marked


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


@needs_server
async def test_temporal_values_become_iso_strings(neo4j_engine: Engine) -> None:
    rows = await neo4j_engine.read(
        "RETURN date('2024-02-29') AS d, datetime('2024-02-29T10:15:00Z') AS dt, "
        "localtime('10:15:30') AS t, duration('P1DT2H') AS span")
    assert rows == [{"d": "2024-02-29", "dt": "2024-02-29T10:15:00.000000000+00:00",
                     "t": "10:15:30.000000000", "span": "P1DT2H"}]


@needs_server
async def test_bootstrap_creates_every_unique_id_constraint(neo4j_engine: Engine) -> None:
    await neo4j_engine.bootstrap()  # a rerun is a no-op
    rows = await neo4j_engine.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties")
    unique = {row["labelsOrTypes"][0] for row in rows if row["properties"] == ["id"]}
    assert {str(label) for label in UNIQUE_ID_LABELS} <= unique


@needs_server
async def test_constraint_error_carries_the_neo4j_code(neo4j_engine: Engine) -> None:
    await neo4j_engine.write(f"MATCH (n:{Label.ITEM} {{id: 'dup'}}) DETACH DELETE n")
    await neo4j_engine.write(f"CREATE (:{Label.ITEM} {{id: 'dup'}})")
    with pytest.raises(EngineQueryError) as caught:
        await neo4j_engine.write(f"CREATE (:{Label.ITEM} {{id: 'dup'}})")
    assert caught.value.constraint_violation
    assert caught.value.code == "Neo.ClientError.Schema.ConstraintValidationFailed"
    await neo4j_engine.write(f"MATCH (n:{Label.ITEM} {{id: 'dup'}}) DETACH DELETE n")


@needs_server
async def test_wrong_password_is_unavailable() -> None:
    engine = Neo4jEngine(EngineConfig(neo4j_uri=os.environ.get("NEO4J_URI"),
                                      neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
                                      neo4j_password="definitely-wrong"))
    with pytest.raises(EngineUnavailable):
        await engine.start()
