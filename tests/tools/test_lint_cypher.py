"""The Neo4j Cypher linter itself: it must pass our statements and fail a FalkorDB-only one."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "lint_cypher.py"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (SCRIPT.parent / "cypher_lint" / "node_modules").is_dir(),
    reason="needs node and `npm ci` in tools/cypher_lint")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lint_cypher", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_linter_passes_good_and_fails_falkordb_only_cypher(
        capfd: pytest.CaptureFixture[str]) -> None:
    # One run (node starts in about a second): the good statement must stay silent.
    status = load_script().lint({
        "good": "MATCH (n:Item {id: $id}) WHERE n.p IS NOT NULL RETURN n.id AS id",
        "bad": "MATCH (n:Item) WHERE exists(n.p) RETURN n.id AS id",
    })
    out = capfd.readouterr().out
    assert status == 1
    assert "bad:1:22: error:" in out and "IS NOT NULL" in out
    assert "good:" not in out
