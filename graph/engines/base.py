"""The one small interface every graph engine implements.

Rows are plain dicts of scalars, lists and maps (statements return map
projections, never raw nodes), so callers never see a driver type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

Row = dict[str, Any]
Params = Mapping[str, Any]


class EngineError(Exception):
    """Base of every engine failure; `engine` names the backend."""

    def __init__(self, message: str, *, engine: str) -> None:
        super().__init__(message)
        self.engine = engine


class EngineUnavailable(EngineError):
    """The engine cannot be reached (not started, crashed, network)."""


class EngineLocked(EngineError):
    """Another process owns the embedded engine of this data dir and it cannot be reused."""


class EngineQueryError(EngineError):
    """The engine rejected or failed a statement; the statement was rolled back whole.

    `constraint_violation` is True when a uniqueness constraint refused the change
    (e.g. an id already used by another item), so callers can report it as input
    error without parsing engine-specific messages; `code` is the engine's own
    error code when it has one (Neo4j), for logs.
    """

    def __init__(self, message: str, *, engine: str, constraint_violation: bool = False,
                 code: str | None = None) -> None:
        super().__init__(message, engine=engine)
        self.constraint_violation = constraint_violation
        self.code = code


class Engine(Protocol):
    """A graph engine speaking portable openCypher.

    `read` may go to a replica; `write` runs one statement atomically (both
    engines roll a failed statement back whole). `timeout` is in seconds.
    """

    name: str

    async def start(self) -> None:
        """Connect (and for the embedded engine: start or reuse the server) and verify."""

    async def bootstrap(self) -> None:
        """Create unique-id constraints and indexes, idempotently."""

    async def read(self, statement: str, params: Params | None = None,
                   *, timeout: float | None = None) -> list[Row]: ...

    async def write(self, statement: str, params: Params | None = None,
                    *, timeout: float | None = None) -> list[Row]: ...

    async def ping(self) -> bool:
        """True when the engine answers now; never raises."""

    async def close(self) -> None:
        """Release connections; the embedded engine is stopped if this process started it."""
