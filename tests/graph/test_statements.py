"""Every portable statement runs on the embedded engine (CI also lints each one for Neo4j 5)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from graph.cypher import statements as q
from graph.document import ParsedDocument, validate_document
from graph.engines.base import Engine
from graph.store import AuditRecord, Store
from tests.helpers import example

WRITES = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE)\b")
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
LISTS = {"ids", "states", "themes", "objectives", "keyResults", "valueStreams", "arts", "teams",
         "pis", "epics", "features", "dependencies"}


def params_for(statement: str, version: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in set(PARAM.findall(statement)):
        if name in LISTS:
            values[name] = ["F-INTENTS", "E-CHATBOT", "TH-DIGITAL"] if name == "ids" else []
        elif name == "limit":
            values[name] = 10
        elif name == "expectedVersion":
            values[name] = version
        elif name == "auditId":
            values[name] = uuid.uuid4().hex
        elif name == "audit":
            values[name] = {"at": "2026-01-01T00:00:00+00:00", "actor": "t", "operation": "test"}
        elif name in ("id", "from", "to"):
            values[name] = "F-NOT-THERE"
        else:
            values[name] = None
    return values


@pytest.mark.parametrize("name", sorted(q.all_statements()))
async def test_statement_runs_on_falkordb(falkordb: Engine, name: str) -> None:
    store = Store(falkordb)
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument)
    assert await store.write(parsed.change(), 0, AuditRecord("importPortfolio", "t")) == 1
    statement = q.all_statements()[name]
    params = params_for(statement, await store.version())
    run = falkordb.write if WRITES.search(statement) else falkordb.read
    rows = await run(statement, params)
    assert isinstance(rows, list)
    if name.startswith(("ALL_ITEMS", "ALL_LINKS", "ALL_IDS")) or name in (
            "VERSION", "ALL_DEPENDENCIES", "COUNTS"):
        assert rows, f"{name} found nothing in the example portfolio"
