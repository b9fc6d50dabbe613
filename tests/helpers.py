"""Helpers shared by test modules: the example document and a digest of the whole graph."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from graph.engines.base import Engine

DATA = Path(__file__).parent / "data"


def example() -> dict[str, Any]:
    """A fresh copy of the contract's example portfolio document."""
    data: dict[str, Any] = json.loads((DATA / "example-portfolio.json").read_text())
    return data


async def content_hash(engine: Engine) -> str:
    """A digest of the whole graph: every node with its labels and properties, every edge."""
    nodes = await engine.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    edges = await engine.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS p, b.id AS b")
    canon = sorted(json.dumps(r, sort_keys=True, default=str) for r in nodes + edges)
    return hashlib.sha256("\n".join(canon).encode()).hexdigest()
