"""The production engine: Neo4j 5 through the official async driver."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from neo4j import (
    AsyncDriver,
    AsyncGraphDatabase,
    NotificationDisabledClassification,
    Query,
    RoutingControl,
)
from neo4j.exceptions import (
    AuthError,
    ConnectionPoolError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph.config import EngineConfig
from graph.cypher.bootstrap import ENSURE_META, neo4j_schema
from graph.cypher.statements import PRIME_SCHEMA
from graph.engines.base import (
    EngineError,
    EngineQueryError,
    EngineUnavailable,
    Params,
    Row,
)
from graph.engines.values import check_params, plain

ENGINE = "neo4j"
CONNECTION_TIMEOUT = 10.0  # seconds to open a connection before calling Neo4j unreachable
PING = "RETURN 1 AS ok"


class Neo4jEngine:
    """Engine over a Neo4j server (`config.neo4j_uri`), on one explicit database."""

    name = ENGINE

    def __init__(self, config: EngineConfig) -> None:
        if not config.neo4j_uri:
            raise ValueError("Neo4jEngine needs config.neo4j_uri")
        self.config = config
        self._driver: AsyncDriver | None = None

    async def start(self) -> None:
        """Create the driver and verify that the server and credentials work."""
        uri = self.config.neo4j_uri
        assert uri is not None  # checked in __init__
        auth = ((self.config.neo4j_user, self.config.neo4j_password or "")
                if self.config.neo4j_user else None)
        self._driver = AsyncGraphDatabase.driver(
            uri, auth=auth,
            max_connection_pool_size=self.config.pool_size,
            connection_timeout=CONNECTION_TIMEOUT,
            # Waiting for a pooled connection is bounded like a query.
            connection_acquisition_timeout=self.config.query_timeout,
            # Every statement is written to run on FalkorDB too, whose Cypher lacks
            # the forms Neo4j 5.26 prefers (e.g. `CALL (m) {}` over `CALL { WITH m }`):
            # its deprecation notices would only flood the log.
            notifications_disabled_classifications=[
                NotificationDisabledClassification.DEPRECATION],
        )
        try:
            with _translate_errors("connecting"):
                await self._driver.verify_connectivity()
        except BaseException:
            await self.close()
            raise

    async def bootstrap(self) -> None:
        """Create unique-id constraints and indexes (IF NOT EXISTS), then the meta node."""
        # Constraints first: the MERGE of the meta node then cannot race into a duplicate.
        for statement in neo4j_schema():
            await self.write(statement)
        await self.write(ENSURE_META)
        # Registers every label, relationship type and property key, so that reads of a
        # portfolio that has none yet do not log "... does not exist" notices.
        await self.write(PRIME_SCHEMA)

    async def read(self, statement: str, params: Params | None = None,
                   *, timeout: float | None = None) -> list[Row]:
        """Run a statement in a read transaction (may be routed to a replica)."""
        return await self._run(statement, params, timeout, RoutingControl.READ)

    async def write(self, statement: str, params: Params | None = None,
                    *, timeout: float | None = None) -> list[Row]:
        """Run a statement in one write transaction (all or nothing)."""
        return await self._run(statement, params, timeout, RoutingControl.WRITE)

    async def ping(self) -> bool:
        """True when the database answers a trivial query now."""
        if self._driver is None:
            return False
        try:
            async with asyncio.timeout(CONNECTION_TIMEOUT):
                await self._run(PING, None, CONNECTION_TIMEOUT, RoutingControl.READ)
        except Exception:  # ping never raises: any failure means "not answering now"
            return False
        return True

    async def close(self) -> None:
        """Close the driver and its connections."""
        if self._driver is not None:
            await self._driver.close()
            self._driver = None

    async def _run(self, statement: str, params: Params | None, timeout: float | None,
                   routing: RoutingControl) -> list[Row]:
        if self._driver is None:
            raise EngineUnavailable("the Neo4j engine is not started", engine=ENGINE)
        args = check_params(params)
        seconds = self.config.query_timeout if timeout is None else timeout
        # The driver types query text as LiteralString; ours comes from named constants.
        query = Query(statement, timeout=seconds)
        # execute_query runs a managed transaction: the driver retries it on transient
        # errors (deadlocks, leader changes) for up to max_transaction_retry_time.
        with _translate_errors("reading" if routing is RoutingControl.READ else "writing"):
            result = await self._driver.execute_query(
                query, args, routing_=routing, database_=self.config.neo4j_database)
        return [plain(record.data()) for record in result.records]


@contextlib.contextmanager
def _translate_errors(doing: str) -> Iterator[None]:
    """Map driver errors to engine errors: unreachable vs refused statement."""
    try:
        yield
    except (ServiceUnavailable, SessionExpired, ConnectionPoolError, AuthError, OSError) as exc:
        raise EngineUnavailable(f"Neo4j unavailable while {doing}: {exc}", engine=ENGINE) from exc
    except ConstraintError as exc:
        raise EngineQueryError(str(exc.message or exc), engine=ENGINE, constraint_violation=True,
                               code=exc.code) from exc
    except Neo4jError as exc:
        raise EngineQueryError(str(exc.message or exc), engine=ENGINE, code=exc.code) from exc
    except DriverError as exc:
        raise EngineError(f"Neo4j driver error while {doing}: {exc}", engine=ENGINE) from exc
