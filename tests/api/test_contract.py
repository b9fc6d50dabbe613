"""The served schema against the contract: nothing removed or changed, SDL file up to date."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import build_schema, find_breaking_changes

from api.schema.export import CONTRACT_COPY, SERVED_SDL, served_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_the_served_schema_breaks_nothing_in_the_contract() -> None:
    contract = build_schema(CONTRACT_COPY.read_text(encoding="utf-8"))
    served = build_schema(served_sdl())
    assert find_breaking_changes(contract, served) == []


def test_the_contract_copy_is_the_contract() -> None:
    shared = ROOT.parent / "shared" / "contract" / "schema.graphql"
    if shared.exists():  # the shared folder sits beside the repository on CI and dev machines
        assert CONTRACT_COPY.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_api_schema_graphql_is_up_to_date() -> None:
    assert SERVED_SDL.read_text(encoding="utf-8") == served_sdl(), (
        "api/schema.graphql is stale: run python -m api.schema.export")


def test_the_diff_can_fail() -> None:
    """The check above must notice a removed field (guards against a vacuous comparison)."""
    contract = build_schema(CONTRACT_COPY.read_text(encoding="utf-8"))
    # The field goes with its description (a description left alone would not parse).
    served = build_schema(re.sub(r'(  """[^\n]*"""\n)?  totalCount: Int!\n', "", served_sdl(),
                                 count=1))
    assert find_breaking_changes(contract, served)
