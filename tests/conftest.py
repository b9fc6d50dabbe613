"""Shared fixtures: real engines, never mocks.

The embedded FalkorDB engine always runs. Neo4j runs too: the one at NEO4J_URI
when it is set (use a throwaway database: tests wipe it), else one started once
per session by tools/neo4j/start when Java 17+ and Maven are present. Without
them the Neo4j cases skip and say what is missing; with CI=true they fail
instead, so CI never passes without Neo4j. Add new fixtures in their own
commented section below the engine one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from bench.neo4j_launcher import LaunchError, Neo4jServer, missing_requirements, start_neo4j
from graph.config import EngineConfig
from graph.cypher.labels import Label
from graph.engines.base import Engine
from graph.engines.falkordb import FalkorDBEngine

# --- engines ----------------------------------------------------------------

# Everything but the meta node goes; the schema (constraints, indexes) stays.
WIPE = f"MATCH (n) WHERE NOT n:{Label.META} DETACH DELETE n"
RESET_VERSION = f"MATCH (m:{Label.META}) SET m.version = 0"
ENGINES = ("falkordb", "neo4j")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def wipe(engine: Engine) -> None:
    """Empty the graph, keeping the bootstrapped schema and the meta node at version 0."""
    await engine.write(WIPE)
    await engine.write(RESET_VERSION)


def no_neo4j(reason: str) -> None:
    """Skip a Neo4j case locally; in CI (CI=true) fail it: Neo4j must run there."""
    if IN_CI:
        pytest.fail(f"CI=true and Neo4j cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def falkordb_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engine]:
    """One embedded engine for the whole session (starting one per test is wasted time)."""
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path_factory.mktemp("falkordb")))
    await engine.start()
    await engine.bootstrap()
    yield engine
    await engine.close()


@dataclass(frozen=True)
class Neo4jAccess:
    """Where the session's Neo4j listens and how to log in."""

    uri: str
    user: str
    password: str | None
    database: str

    def config(self, **overrides: object) -> EngineConfig:
        values: dict[str, object] = {"neo4j_uri": self.uri, "neo4j_user": self.user,
                                     "neo4j_password": self.password,
                                     "neo4j_database": self.database, **overrides}
        return EngineConfig(**values)  # type: ignore[arg-type]  # keys are EngineConfig's

    def env(self) -> dict[str, str]:
        """Environment for a `portfolio-graph` subprocess using this Neo4j."""
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user,
                "NEO4J_PASSWORD": self.password or "", "NEO4J_DATABASE": self.database}


_launch_failure: list[str] = []  # a failed start is not retried by every later test


@pytest.fixture(scope="session")
def neo4j_access(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jAccess]:
    """NEO4J_URI's server, or one tools/neo4j/start runs for this session."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Neo4jAccess(uri, os.environ.get("NEO4J_USER", "neo4j"),
                          os.environ.get("NEO4J_PASSWORD"),
                          os.environ.get("NEO4J_DATABASE", "neo4j"))
        return
    missing = missing_requirements()
    if missing:
        no_neo4j(f"NEO4J_URI is not set and tools/neo4j/start needs {missing}")
    if _launch_failure:
        no_neo4j(_launch_failure[0])
    server: Neo4jServer | None = None
    try:
        server = start_neo4j(tmp_path_factory.mktemp("neo4j"))
    except LaunchError as exc:
        _launch_failure.append(f"tools/neo4j/start failed: {exc}")
        no_neo4j(_launch_failure[0])
    assert server is not None
    try:
        yield Neo4jAccess(server.uri, server.user, server.password, "neo4j")
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def neo4j_engine(neo4j_access: Neo4jAccess) -> AsyncIterator[Engine]:
    """A bootstrapped engine on the session's Neo4j."""
    from graph.engines.neo4j import Neo4jEngine

    engine = Neo4jEngine(neo4j_access.config())
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


@pytest.fixture
async def neo4j(neo4j_engine: Engine) -> Engine:
    """The Neo4j engine, emptied: for tests of Neo4j's own behaviour."""
    await wipe(neo4j_engine)
    return neo4j_engine


# --- which engine each test ran on ---------------------------------------------
# `@pytest.mark.falkordb_only` on an engine-parametrised test (or module) drops its
# Neo4j case: for tests of the HTTP layer that never reach an engine difference.
# The summary line counts passed tests per engine; in CI a run with no passed Neo4j
# test fails.

_engine_of: dict[str, str] = {}
_passed: Counter[str] = Counter()


def engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("any_engine") in ENGINES:
        return str(callspec.params["any_engine"])
    if item.get_closest_marker("neo4j"):
        return "neo4j"
    names = set(getattr(item, "fixturenames", ()))
    if names & {"neo4j_engine", "neo4j_access"}:
        return "neo4j"
    if "falkordb_engine" in names:
        return "falkordb"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "falkordb_only: run only the FalkorDB case of an engine-parametrised test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        engine = engine_of(item)
        if engine == "neo4j" and item.get_closest_marker("falkordb_only"):
            dropped.append(item)
            continue
        if engine == "neo4j" and not item.get_closest_marker("neo4j"):
            item.add_marker(pytest.mark.neo4j)
        if engine:
            _engine_of[item.nodeid] = engine
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        _passed[_engine_of.get(report.nodeid, "none")] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    collected_neo4j = any(engine == "neo4j" for engine in _engine_of.values())
    if IN_CI and collected_neo4j and _passed["neo4j"] == 0 and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = (f"passed per engine: falkordb {_passed['falkordb']}, neo4j {_passed['neo4j']}, "
            f"no engine {_passed['none']}")
    terminalreporter.write_line(line)
    if IN_CI and any(e == "neo4j" for e in _engine_of.values()) and _passed["neo4j"] == 0:
        terminalreporter.write_line("CI=true: no Neo4j test passed; failing the run", red=True)
