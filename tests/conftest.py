"""Shared fixtures: real engines, never mocks.

The embedded FalkorDB engine always runs; Neo4j joins when NEO4J_URI is set
(use a throwaway database: tests wipe it). Add new fixtures in their own
commented section below the engine one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from graph.config import EngineConfig
from graph.cypher.labels import Label
from graph.engines.base import Engine
from graph.engines.falkordb import FalkorDBEngine

# --- engines ----------------------------------------------------------------

# Everything but the meta node goes; the schema (constraints, indexes) stays.
WIPE = f"MATCH (n) WHERE NOT n:{Label.META} DETACH DELETE n"
RESET_VERSION = f"MATCH (m:{Label.META}) SET m.version = 0"


async def wipe(engine: Engine) -> None:
    """Empty the graph, keeping the bootstrapped schema and the meta node at version 0."""
    await engine.write(WIPE)
    await engine.write(RESET_VERSION)


@pytest.fixture(scope="session")
async def falkordb_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engine]:
    """One embedded engine for the whole session (starting one per test is wasted time)."""
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path_factory.mktemp("falkordb")))
    await engine.start()
    await engine.bootstrap()
    yield engine
    await engine.close()


@pytest.fixture(scope="session")
async def neo4j_engine() -> AsyncIterator[Engine]:
    """A bootstrapped Neo4j engine from NEO4J_URI / _USER / _PASSWORD / _DATABASE."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: no Neo4j server to test against")
    from graph.engines.neo4j import Neo4jEngine

    engine = Neo4jEngine(EngineConfig(
        neo4j_uri=uri,
        neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
        neo4j_password=os.environ.get("NEO4J_PASSWORD"),
        neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
    ))
    await engine.start()
    await engine.bootstrap()
    yield engine
    await engine.close()


@pytest.fixture(params=["falkordb", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Each available engine in turn (sync: it only picks the session fixture by name)."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return engine


@pytest.fixture
async def engine(any_engine: Engine) -> Engine:
    """Each available engine in turn, emptied: for contract tests that must hold on both."""
    await wipe(any_engine)
    return any_engine


@pytest.fixture
async def falkordb(falkordb_engine: Engine) -> Engine:
    """The embedded engine, emptied: for tests that only make sense on FalkorDB."""
    await wipe(falkordb_engine)
    return falkordb_engine
