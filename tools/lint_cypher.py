"""Lint every portable Cypher statement against Neo4j's own language service.

Usage: python tools/lint_cypher.py   (needs `npm ci` in tools/cypher_lint once)
Exit code: lint.mjs's own: 0 clean, 1 a statement has an error, 2 bad input.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINTER = ROOT / "tools" / "cypher_lint"
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from graph.cypher import bootstrap  # noqa: E402  (needs the path above)
from graph.cypher.labels import Label, Rel  # noqa: E402
from graph.cypher.statements import all_statements  # noqa: E402


def statements() -> dict[str, str]:
    """Every statement Neo4j runs: bootstrap's and graph.cypher.statements'."""
    return {**bootstrap.neo4j_statements(), **all_statements()}


def lint(named: dict[str, str]) -> int:
    """Pipe `named` to lint.mjs with the label/type schema; return its exit code."""
    node = shutil.which("node")
    if node is None:
        print("node is not installed: the Cypher linter needs Node 20+", file=sys.stderr)
        return 2
    if not (LINTER / "node_modules").is_dir():
        print(f"run `npm ci` in {LINTER} first", file=sys.stderr)
        return 2
    schema = {"labels": [str(label) for label in Label],
              "relationshipTypes": [str(rel) for rel in Rel]}
    done = subprocess.run([node, str(LINTER / "lint.mjs"), "--schema", json.dumps(schema)],
                          input=json.dumps(named), text=True, check=False)
    return done.returncode


if __name__ == "__main__":
    sys.exit(lint(statements()))
