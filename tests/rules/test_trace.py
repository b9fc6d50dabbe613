"""trace(): from an epic or feature up to its themes, lists distinct and ordered by id."""

from __future__ import annotations

from graph.model import KeyResult, Objective, Portfolio, Theme, ValueStream
from rules.trace import Trace, trace
from tests.rules.builders import art, epic, feature, portfolio, team


def strategy() -> Portfolio:
    return portfolio(
        Theme(id="TH-1", name="Digital"),
        Theme(id="TH-2", name="Growth"),
        Theme(id="TH-3", name="Unused"),
        Theme(id="TH-4", name="Epic only"),
        Objective(id="O-2", title="Grow", themes=("TH-2", "TH-1")),
        Objective(id="O-1", title="Online", themes=("TH-1",)),
        KeyResult(id="KR-3", title="NPS", objective="O-2"),
        KeyResult(id="KR-1", title="Share", objective="O-1"),
        KeyResult(id="KR-2", title="Share again", objective="O-1"),
        ValueStream(id="VS-1", name="Retail"),
        ValueStream(id="VS-2", name="Wholesale"),
        art("ART-1", "VS-2"),
        team("T-1", "ART-1"),
        team("T-2"),
        epic(
            "E-1",
            themes=("TH-4", "TH-2"),
            key_results=("KR-3", "KR-1", "KR-2"),
            value_stream="VS-1",
        ),
        epic("E-2"),
        feature("F-1", epic="E-1", team="T-1"),
        feature("F-2", team="T-2"),
        feature("F-3", epic="E-2"),
    )


def test_feature_trace_walks_epic_key_results_objectives_themes_and_train() -> None:
    found = trace(strategy(), "F-1")
    assert found == Trace(
        item_id="F-1",
        epic_id="E-1",
        key_result_ids=("KR-1", "KR-2", "KR-3"),
        objective_ids=("O-1", "O-2"),
        theme_ids=("TH-1", "TH-2", "TH-4"),  # epic's TH-4, TH-2 and objectives' TH-2, TH-1
        team_id="T-1",
        art_id="ART-1",
        value_stream_id="VS-2",  # the ART's, not the epic's VS-1
    )
    assert found.aligned


def test_epic_trace_is_the_epic_itself_and_its_own_value_stream() -> None:
    found = trace(strategy(), "E-1")
    assert found is not None
    assert (found.epic_id, found.value_stream_id, found.team_id, found.art_id) == (
        "E-1",
        "VS-1",
        None,
        None,
    )
    assert found.theme_ids == ("TH-1", "TH-2", "TH-4")


def test_loose_ends_give_empty_lists_and_no_alignment() -> None:
    lone = trace(strategy(), "F-2")
    assert lone == Trace(item_id="F-2", team_id="T-2")
    assert not lone.aligned
    themeless = trace(strategy(), "F-3")
    assert themeless is not None
    assert (themeless.epic_id, themeless.theme_ids, themeless.aligned) == ("E-2", (), False)


def test_unknown_ids_and_other_kinds_have_no_trace() -> None:
    snapshot = strategy()
    assert trace(snapshot, "nope") is None
    assert trace(snapshot, "TH-1") is None
    assert trace(snapshot, "T-1") is None
