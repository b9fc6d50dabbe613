"""The rules package imports only the standard library, pydantic, PyYAML and graph.model."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import rules

ALLOWED_THIRD_PARTY = {"pydantic", "yaml"}
SOURCES = sorted(Path(rules.__file__).parent.rglob("*.py"))


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_rules_import_only_what_they_may(path: Path) -> None:
    for name in imported(path):
        root = name.split(".")[0]
        allowed = (
            root in sys.stdlib_module_names
            or root in ALLOWED_THIRD_PARTY
            or root == "rules"
            or name == "graph.model"
        )
        assert allowed, f"{path.name} imports {name}"
