"""Changes as values: the stored JSON form rebuilds the same change, and apply is pure."""

from __future__ import annotations

import pytest

from graph.changes import (
    DeleteItem,
    PutDocument,
    RemoveDependency,
    apply,
    change_from_json,
    replay,
)
from graph.document import ParsedDocument, validate_document
from graph.model import Kind, Portfolio
from tests.helpers import example


def example_portfolio() -> tuple[Portfolio, PutDocument]:
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument), parsed
    change = parsed.change()
    return apply(Portfolio(), change), change


def test_json_round_trip_gives_the_same_change() -> None:
    _, put = example_portfolio()
    for change in (put, RemoveDependency("F-2", "F-1"), DeleteItem("E-1")):
        assert change_from_json(change.to_json()) == change


def test_apply_leaves_the_input_alone_and_replay_matches_apply() -> None:
    portfolio, _ = example_portfolio()
    dep = next(iter(sorted(portfolio.dependencies)))
    changes = [RemoveDependency(*dep), DeleteItem("PI-26-1"), DeleteItem("F-INTENTS")]
    expected = portfolio
    for change in changes:
        expected = apply(expected, change)
    assert dep in portfolio.dependencies and "PI-26-1" in portfolio.pis
    replayed = portfolio.copy()
    replay(replayed, changes)
    for kind in Kind:
        assert replayed.collection(kind) == expected.collection(kind)
    assert replayed.dependencies == expected.dependencies
    assert dep not in expected.dependencies
    assert all(f.pi != "PI-26-1" for f in expected.features.values())
    assert all("PI-26-1" not in t.capacity for t in expected.teams.values())


def test_without_refuses_to_cut_a_required_link() -> None:
    portfolio, _ = example_portfolio()
    objective = next(k.objective for k in portfolio.key_results.values())
    with pytest.raises(ValueError, match="needs its objective"):
        portfolio.without(objective)
