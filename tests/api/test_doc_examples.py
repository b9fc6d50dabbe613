"""Every GraphQL example in README.md and docs/API.md runs against the demo portfolio
and answers data: no error, no null or empty root field.

An example whose operation takes variables gets them from an HTML comment just
before its code block: `<!-- variables: {"f": {...}} -->`. Examples that show an
error on purpose say so with `<!-- expect: errors -->`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from api.demo import load_demo
from api.roles import Actor, Role
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "API.md"]
BLOCK = re.compile(r"(?:<!--\s*(?P<meta>[^>]*?)\s*-->\s*\n)?```graphql\n(?P<body>.*?)```", re.S)


def examples() -> list[Any]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text[:match.start("body")].count("\n") + 1
            meta = match.group("meta") or ""
            document = parse(match.group("body"))
            for op in document.definitions:
                if isinstance(op, OperationDefinitionNode):
                    name = op.name.value if op.name else None
                    found.append(pytest.param(
                        match.group("body"), name, meta,
                        id=f"{doc.name}:{line}:{name or op.operation.value}"))
    return found


def _meta(meta: str, key: str) -> str | None:
    found = re.search(rf"{key}:\s*(.*)", meta)
    return found.group(1).strip() if found else None


@pytest.fixture
async def demo(api: Api) -> Api:
    """The demo as `serve --demo` loads it: the portfolio and its PI-planning story."""
    outcome = await load_demo(api.service, Actor("cli:docs", frozenset({Role.ADMIN})))
    assert outcome.applied, outcome.errors
    return api


@pytest.mark.falkordb_only  # what the examples answer is engine-independent: tested elsewhere
@pytest.mark.parametrize(("query", "operation", "meta"), examples())
async def test_the_example_answers_data(demo: Api, query: str, operation: str | None,
                                        meta: str) -> None:
    variables_text = _meta(meta, "variables")
    variables = json.loads(variables_text) if variables_text else None
    body: dict[str, Any] = {"query": query, "operationName": operation}
    if variables is not None:
        body["variables"] = variables
    response = await demo.http.post("/graphql", json=body)
    result = response.json()
    if _meta(meta, "expect") == "errors":
        assert result.get("errors"), result
        return
    assert "errors" not in result, result["errors"]
    for field, value in result["data"].items():
        assert value not in (None, [], {}), f"{field} answered {value!r}: no data"


def test_there_are_examples_to_run() -> None:
    assert len(examples()) >= 10
