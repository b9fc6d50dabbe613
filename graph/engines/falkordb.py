"""The embedded engine: FalkorDB on a private unix socket through its native async client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Iterator
from typing import Any

from falkordb.asyncio import FalkorDB  # type: ignore[import-untyped]  # ships no type hints
from falkordb.asyncio.query_result import QueryResult  # type: ignore[import-untyped]  # no hints
from falkordb.helpers import stringify_param_value  # type: ignore[import-untyped]  # no hints
from redis.asyncio import BlockingConnectionPool, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from graph.config import EngineConfig
from graph.cypher.bootstrap import (
    ENSURE_META,
    UNIQUE_ID_LABELS,
    falkordb_indexes,
    falkordb_unique_constraint,
)
from graph.cypher.statements import PRIME_SCHEMA
from graph.engines.base import (
    EngineError,
    EngineQueryError,
    EngineUnavailable,
    Params,
    Row,
)
from graph.engines.embedded import EmbeddedServer
from graph.engines.values import check_params, plain

log = logging.getLogger(__name__)

ENGINE = "falkordb"
# Beyond the server-side query timeout, how long the client waits before calling
# the server unresponsive (a hung or stopped process never answers at all).
CLIENT_GRACE = 10.0
LIST_CONSTRAINTS = "CALL db.constraints()"
# FalkorDB refuses reads on a graph never written to ("empty key"); any query
# sent as a write creates the (empty) graph, so reads work from the start.
ENSURE_GRAPH = "RETURN 1"
PARSE_INLINE_ROWS = 2000  # replies with more rows are parsed in a worker thread
# Value types of FalkorDB's compact replies that statements return (never nodes,
# edges or paths: statements return scalars and map projections).
_NULL, _STRING, _INTEGER, _BOOLEAN, _DOUBLE, _ARRAY, _MAP = 1, 2, 3, 4, 5, 6, 10


class FalkorDBEngine:
    """Engine over the data dir's embedded FalkorDB server, started or reused on start()."""

    name = ENGINE

    def __init__(self, config: EngineConfig, *, supervise: bool = True,
                 server: EmbeddedServer | None = None) -> None:
        self.config = config
        self.server = server or EmbeddedServer(config.data_dir)
        # Restart the server if it dies, or take over when the owner's goes away.
        self._supervise = supervise
        self._pool: BlockingConnectionPool | None = None
        self._db: Any = None  # falkordb.asyncio.FalkorDB (untyped)
        self._graph: Any = None  # falkordb.asyncio.AsyncGraph (untyped)
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start or reuse the server, open a bounded pool on its socket, and ping it."""
        if self._graph is not None:
            return
        await self.server.start()
        try:
            self._pool = BlockingConnectionPool(
                connection_class=UnixDomainSocketConnection,
                path=str(self.server.socket_path),
                max_connections=self.config.pool_size,
                # Waiting for a free connection is bounded like a query.
                timeout=self.config.query_timeout,
                socket_connect_timeout=5.0,
                # redis-py 8 defaults reads to a 5 s socket timeout, which failed any
                # statement slower than that (a 50k-feature import); _run bounds each
                # statement with asyncio.timeout instead.
                socket_timeout=None,
                decode_responses=True,
            )
            with _translate_errors("connecting"):
                self._db = FalkorDB(connection_pool=self._pool)
            self._graph = self._db.select_graph(self.config.graph_name)
            if not await self.ping():
                raise EngineUnavailable(
                    f"FalkorDB on {self.server.socket_path} does not answer PING", engine=ENGINE)
            await self.write(ENSURE_GRAPH)
        except BaseException:
            await self.close()
            raise
        # Also when reusing another process's server: supervision takes it over when
        # that server goes away (the contract: the engine belongs to `serve`).
        if self._supervise:
            self._supervisor = asyncio.create_task(self.server.supervise(),
                                                   name=f"falkordb-supervisor:{self.server.data_dir}")

    async def bootstrap(self) -> None:
        """Create indexes and unique-id constraints, wait until they hold, ensure the meta node."""
        for statement in falkordb_indexes():
            await _unless_exists(self.write(statement), "is already indexed")
        for label in UNIQUE_ID_LABELS:
            args = falkordb_unique_constraint(self.config.graph_name, label)
            await _unless_exists(self._command(*args), "Constraint already exists")
        await self._await_constraints()
        await self.write(ENSURE_META)
        # Before anything is planned: see PRIME_SCHEMA for the plan-cache trap it avoids.
        await self.write(PRIME_SCHEMA)

    async def read(self, statement: str, params: Params | None = None,
                   *, timeout: float | None = None) -> list[Row]:
        """Run a read-only statement (the server refuses writes in it)."""
        return await self._run(statement, params, timeout, read_only=True)

    async def write(self, statement: str, params: Params | None = None,
                    *, timeout: float | None = None) -> list[Row]:
        """Run one statement atomically; acknowledged means fsynced to the AOF.

        FalkorDB enforces `timeout` on reads only: past it (plus a grace) the
        client gives up on a write, which may still complete on the server.
        """
        return await self._run(statement, params, timeout, read_only=False)

    async def ping(self) -> bool:
        """True when the server answers PING now."""
        if self._db is None:
            return False
        try:
            async with asyncio.timeout(2.0):
                return bool(await self._db.connection.ping())
        except Exception:  # ping never raises: any failure means "not answering now"
            return False

    async def close(self) -> None:
        """Close the pool; stop the server when this process owns it."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if self._db is not None:
            await self._db.aclose()
        if self._pool is not None:
            await self._pool.aclose()
        self._db = self._graph = self._pool = None
        await self.server.stop()

    async def _run(self, statement: str, params: Params | None, timeout: float | None,
                   *, read_only: bool) -> list[Row]:
        graph = self._require(self._graph)
        args = check_params(params)
        seconds = self.config.query_timeout if timeout is None else timeout
        # The command the client's query()/ro_query() send, but the reply is parsed
        # here: the client parses every value through a coroutine, which took most of
        # a 50,000-feature snapshot load (bench/README.md, "Start to ready").
        text = "".join(f"CYPHER {k}={stringify_param_value(v)} " for k, v in args.items())
        command = ["GRAPH.RO_QUERY" if read_only else "GRAPH.QUERY", graph.name,
                   text + statement, "--compact", "timeout", max(1, math.ceil(seconds * 1000))]
        with _translate_errors("reading" if read_only else "writing"):
            try:
                async with asyncio.timeout(seconds + CLIENT_GRACE):
                    reply = await graph.execute_command(*command)
            # redis-py turns the cancellation into its own TimeoutError.
            except (TimeoutError, RedisTimeoutError) as exc:
                outcome = "" if read_only else "; the write may or may not have been applied"
                raise EngineUnavailable(
                    f"FalkorDB did not answer within {seconds + CLIENT_GRACE:g}s{outcome}",
                    engine=ENGINE) from exc
            _raise_reply_error(reply)
            try:
                if len(reply) < 3 or len(reply[1]) < PARSE_INLINE_ROWS:
                    return _rows(reply)
                # A large reply is parsed off the event loop: other requests go on.
                return await asyncio.to_thread(_rows, reply)
            except _Unparsed:  # a node, edge or temporal value: the client knows them
                result = QueryResult(graph)
                await result.parse(reply)
                names = [column[1] for column in result.header]
                return [{name: plain(value) for name, value in zip(names, row, strict=True)}
                        for row in result.result_set]

    async def _command(self, *args: str | int) -> Any:
        db = self._require(self._db)
        with _translate_errors("running a command"):
            return await db.execute_command(*args)

    async def _await_constraints(self) -> None:
        """Unique constraints build in the background: wait until ours are enforced."""
        wanted = {str(label) for label in UNIQUE_ID_LABELS}
        deadline = time.monotonic() + self.config.query_timeout
        while True:
            rows = await self.read(LIST_CONSTRAINTS)
            status = {row["label"]: row["status"] for row in rows
                      if row["type"] == "UNIQUE" and row["properties"] == ["id"]}
            failed = sorted(label for label in wanted if status.get(label) == "FAILED")
            if failed:
                raise EngineQueryError(
                    f"unique-id constraint failed to build for {', '.join(failed)}: "
                    "the graph already holds duplicate ids", engine=ENGINE,
                    constraint_violation=True)
            pending = sorted(label for label in wanted if status.get(label) != "OPERATIONAL")
            if not pending:
                return
            if time.monotonic() > deadline:
                raise EngineUnavailable(
                    f"unique-id constraints still pending after {self.config.query_timeout:g}s: "
                    f"{', '.join(pending)}", engine=ENGINE)
            await asyncio.sleep(0.02)

    def _require(self, handle: Any) -> Any:
        if handle is None:
            raise EngineUnavailable("the FalkorDB engine is not started", engine=ENGINE)
        return handle


def _raise_reply_error(reply: Any) -> None:
    """A refused statement comes back as an error value first or last in the reply."""
    for part in (reply[0], reply[-1]):
        if isinstance(part, ResponseError):
            raise part


def _rows(reply: list[Any]) -> list[Row]:
    """Rows of a compact reply ([header, rows, stats]; [stats] without RETURN) as dicts."""
    if len(reply) < 3:
        return []
    names = [column[1] for column in reply[0]]
    return [{name: _value(cell) for name, cell in zip(names, row, strict=True)}
            for row in reply[1]]


def _value(cell: list[Any]) -> Any:
    kind, value = cell
    if kind == _STRING:
        return value if isinstance(value, str) else str(value)
    if kind == _INTEGER:
        return int(value)
    if kind == _NULL:
        return None
    if kind == _DOUBLE:
        return float(value)
    if kind == _BOOLEAN:
        return value == "true"
    if kind == _ARRAY:
        return [_value(inner) for inner in value]
    if kind == _MAP:
        return {value[i]: _value(value[i + 1]) for i in range(0, len(value), 2)}
    raise _Unparsed(kind)


class _Unparsed(Exception):
    """A value type the fast parser leaves to the client's own parser."""


async def _unless_exists(create: Awaitable[object], exists_message: str) -> None:
    """Await a DDL step, treating exactly the engine's "already exists" error as success."""
    try:
        await create
    except EngineQueryError as exc:
        if exists_message not in str(exc):
            raise


@contextlib.contextmanager
def _translate_errors(doing: str) -> Iterator[None]:
    """Map redis-py errors to engine errors; a refused statement is a query error."""
    try:
        yield
    except ResponseError as exc:
        message = str(exc)
        raise EngineQueryError(message, engine=ENGINE,
                               constraint_violation="unique constraint violation" in message,
                               ) from exc
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise EngineUnavailable(f"FalkorDB unavailable while {doing}: {exc}",
                                engine=ENGINE) from exc
    except RedisError as exc:
        raise EngineError(f"FalkorDB client error while {doing}: {exc}", engine=ENGINE) from exc
