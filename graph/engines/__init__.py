"""Graph engines behind one small interface; `create_engine` picks one from the config."""

from __future__ import annotations

from graph.config import EngineConfig
from graph.engines.base import Engine


def create_engine(config: EngineConfig) -> Engine:
    """Neo4j when `config.neo4j_uri` is set, else the embedded FalkorDB; not started yet."""
    # Imported here so that choosing one engine never imports the other's driver.
    if config.neo4j_uri:
        from graph.engines.neo4j import Neo4jEngine

        return Neo4jEngine(config)
    from graph.engines.falkordb import FalkorDBEngine

    return FalkorDBEngine(config)
