"""Where the graph lives: the settings the store needs, as a plain value.

Built once by `api.settings` from flags and environment and passed down; the
graph package itself never reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class EngineConfig:
    data_dir: Path = Path(".portfolio-graph")
    neo4j_uri: str | None = None
    neo4j_user: str | None = None
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    graph_name: str = "portfolio"
    # Bound on any single statement, seconds: no query runs unbounded.
    query_timeout: float = 30.0
    # Connection pool size for the async clients.
    pool_size: int = 32

    @property
    def embedded(self) -> bool:
        return not self.neo4j_uri
