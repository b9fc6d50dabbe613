"""Per-item guardrails: traceability, approval, business owner, WSJF inputs."""

from __future__ import annotations

from typing import Any

import pytest

from graph.model import KeyResult, Objective, Severity, Theme
from rules.violation import SubjectType
from tests.rules.builders import check, epic, feature, portfolio, wsjf

# --- traceability.unaligned ----------------------------------------------------

UNALIGNED = "traceability.unaligned"
STRATEGY = (
    Theme(id="TH-1", name="Digital first"),
    Objective(id="O-1", title="Grow online", themes=("TH-1",)),
    Objective(id="O-2", title="No theme yet"),
    KeyResult(id="KR-1", title="50% online", objective="O-1"),
    KeyResult(id="KR-2", title="Orphan", objective="O-2"),
)


def test_epic_without_theme_or_key_result_is_unaligned() -> None:
    [v] = check(UNALIGNED, portfolio(*STRATEGY, epic("E-1")))
    assert (v.subject_type, v.subject_id, v.related_ids, v.excess) == (
        SubjectType.EPIC,
        "E-1",
        (),
        1.0,
    )
    assert v.severity is Severity.WARNING
    assert "E-1" in v.message and "Epic E-1" in v.message


@pytest.mark.parametrize(
    "linked",
    [{"themes": ("TH-1",)}, {"key_results": ("KR-1",)}, {"key_results": ("KR-2", "KR-1")}],
)
def test_epic_reaching_a_theme_directly_or_through_an_objective_is_aligned(
    linked: dict[str, Any],
) -> None:
    assert check(UNALIGNED, portfolio(*STRATEGY, epic("E-1", **linked))) == []


def test_key_result_whose_objective_has_no_theme_does_not_align() -> None:
    [v] = check(UNALIGNED, portfolio(*STRATEGY, epic("E-1", key_results=("KR-2",))))
    assert v.subject_id == "E-1"


def test_features_follow_their_epic_and_done_items_still_count() -> None:
    snapshot = portfolio(
        *STRATEGY,
        epic("E-1", themes=("TH-1",)),
        epic("E-2", state="DONE"),
        feature("F-1", epic="E-1"),
        feature("F-2", epic="E-2", state="DONE"),
        feature("F-3"),
    )
    found = {(v.subject_type, v.subject_id) for v in check(UNALIGNED, snapshot)}
    assert found == {
        (SubjectType.EPIC, "E-2"),
        (SubjectType.FEATURE, "F-2"),
        (SubjectType.FEATURE, "F-3"),
    }


# --- approval.significant-epic -------------------------------------------------

APPROVAL = "approval.significant-epic"


@pytest.mark.parametrize("state", ["PORTFOLIO_BACKLOG", "IMPLEMENTING", "DONE"])
def test_unapproved_epic_exactly_at_threshold_is_significant(state: str) -> None:
    [v] = check(APPROVAL, portfolio(epic("E-1", state=state, estimated_cost=1_000_000)))
    assert (v.subject_type, v.subject_id, v.related_ids, v.excess) == (
        SubjectType.EPIC,
        "E-1",
        (),
        1.0,
    )
    assert v.severity is Severity.ERROR
    assert "1,000,000" in v.message and state in v.message


@pytest.mark.parametrize(
    "fields",
    [
        {"estimated_cost": 999_999.99},
        {"estimated_cost": 5_000_000, "approved": True},
        {"estimated_cost": 5_000_000, "state": "ANALYZING"},
        {"estimated_cost": 5_000_000, "state": "FUNNEL"},
        {"estimated_cost": 5_000_000, "state": "REVIEWING"},
        {},
    ],
)
def test_below_threshold_approved_early_or_uncosted_epics_pass(fields: dict[str, Any]) -> None:
    assert check(APPROVAL, portfolio(epic("E-1", **fields))) == []


def test_threshold_comes_from_the_policy() -> None:
    snapshot = portfolio(epic("E-1", estimated_cost=500_000))
    assert check(APPROVAL, snapshot) == []
    assert [v.subject_id for v in check(APPROVAL, snapshot, threshold=500_000)] == ["E-1"]


# --- engagement.business-owner -------------------------------------------------

OWNER = "engagement.business-owner"


@pytest.mark.parametrize("state", ["REVIEWING", "ANALYZING", "PORTFOLIO_BACKLOG", "IMPLEMENTING"])
def test_epic_past_the_funnel_needs_a_business_owner(state: str) -> None:
    [v] = check(OWNER, portfolio(epic("E-1", state=state)))
    assert (v.subject_type, v.subject_id, v.excess, v.severity) == (
        SubjectType.EPIC,
        "E-1",
        1.0,
        Severity.WARNING,
    )


@pytest.mark.parametrize(
    ("state", "owner"), [("FUNNEL", None), ("DONE", None), ("IMPLEMENTING", "Ada Lovelace")]
)
def test_funnel_done_or_owned_epics_pass(state: str, owner: str | None) -> None:
    assert check(OWNER, portfolio(epic("E-1", state=state, business_owner=owner))) == []


def test_a_blank_owner_is_no_owner() -> None:
    assert len(check(OWNER, portfolio(epic("E-1", business_owner="  ")))) == 1


# --- wsjf.missing-inputs -------------------------------------------------------

MISSING = "wsjf.missing-inputs"


def test_items_between_funnel_and_done_need_wsjf_inputs() -> None:
    snapshot = portfolio(
        epic("E-1", state="ANALYZING"),
        epic("E-2", state="FUNNEL"),
        epic("E-3", state="DONE"),
        epic("E-4", state="IMPLEMENTING", wsjf=wsjf()),
        feature("F-1", state="IMPLEMENTING"),
        feature("F-2", state="FUNNEL"),
        feature("F-3", state="DONE"),
        feature("F-4", state="BACKLOG", wsjf=wsjf()),
    )
    found = [(v.subject_type, v.subject_id, v.severity) for v in check(MISSING, snapshot)]
    assert sorted(found) == [
        (SubjectType.EPIC, "E-1", Severity.INFO),
        (SubjectType.FEATURE, "F-1", Severity.INFO),
    ]
