"""Dependency guardrails: schedule conflicts, unplanned dependencies, cycles."""

from __future__ import annotations

import pytest

from graph.model import Severity
from rules.violation import SubjectType
from tests.rules.builders import check, feature, pi, portfolio

PIS = (
    pi("PI-1", "2026-01-05", "PI 26.1"),
    pi("PI-2", "2026-03-16", "PI 26.2"),
    pi("PI-3", "2026-05-25", "PI 26.3"),
)

# --- dependency.schedule-conflict ----------------------------------------------

SCHEDULE = "dependency.schedule-conflict"


def test_dependency_planned_later_than_its_dependent_conflicts() -> None:
    snapshot = portfolio(
        *PIS,
        feature("A", pi="PI-1"),
        feature("B", pi="PI-2"),
        feature("C", pi="PI-3"),
        dependencies=(("A", "B"), ("A", "C")),
    )
    found = check(SCHEDULE, snapshot)
    assert [
        (v.subject_id, v.related_ids, v.excess) for v in sorted(found, key=lambda v: v.key)
    ] == [
        ("A", ("B",), 1.0),
        ("A", ("C",), 1.0),
    ]
    assert {v.key for v in found} == {(SCHEDULE, "A", "B"), (SCHEDULE, "A", "C")}
    assert all(
        v.subject_type is SubjectType.FEATURE and v.severity is Severity.ERROR for v in found
    )
    assert "PI 26.1" in found[0].message and "PI 26." in found[0].message


@pytest.mark.parametrize(
    ("a_pi", "b_pi"), [("PI-1", "PI-1"), ("PI-2", "PI-1"), (None, "PI-2"), ("PI-1", None)]
)
def test_same_pi_earlier_pi_or_unplanned_is_no_conflict(a_pi: str | None, b_pi: str | None) -> None:
    snapshot = portfolio(
        *PIS, feature("A", pi=a_pi), feature("B", pi=b_pi), dependencies=(("A", "B"),)
    )
    assert check(SCHEDULE, snapshot) == []


# --- dependency.unplanned ------------------------------------------------------

UNPLANNED = "dependency.unplanned"


def test_planned_feature_depending_on_open_unplanned_one() -> None:
    snapshot = portfolio(
        *PIS,
        feature("A", pi="PI-1"),
        feature("B", state="IMPLEMENTING"),
        dependencies=(("A", "B"),),
    )
    [v] = check(UNPLANNED, snapshot)
    assert (v.subject_type, v.subject_id, v.related_ids, v.excess, v.severity) == (
        SubjectType.FEATURE,
        "A",
        ("B",),
        1.0,
        Severity.WARNING,
    )
    assert v.key == (UNPLANNED, "A", "B")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"pi": "PI-1"}, {"state": "DONE"}),  # done needs no PI
        ({}, {}),  # A not planned either
        ({"pi": "PI-1"}, {"pi": "PI-2"}),  # B planned (a conflict, not this rule)
    ],
)
def test_done_or_planned_dependencies_and_unplanned_dependents_pass(
    a: dict[str, str], b: dict[str, str]
) -> None:
    snapshot = portfolio(*PIS, feature("A", **a), feature("B", **b), dependencies=(("A", "B"),))
    assert check(UNPLANNED, snapshot) == []


# --- dependency.cycle ----------------------------------------------------------

CYCLE = "dependency.cycle"


def test_one_violation_per_cycle_on_its_smallest_id() -> None:
    snapshot = portfolio(
        dependencies=(
            ("F-2", "F-10"), ("F-10", "F-3"), ("F-3", "F-2"),  # a 3-cycle
            ("F-9", "F-2"), ("F-3", "F-8"),  # a tail in, a tail out: not members
            ("X", "Y"), ("Y", "X"),  # a second cycle
            ("S", "S"),  # a self loop
        )
    )  # fmt: skip
    found = check(CYCLE, snapshot)
    assert [
        (v.subject_id, v.related_ids, v.excess) for v in sorted(found, key=lambda v: v.key)
    ] == [
        ("F-10", ("F-10", "F-2", "F-3"), 3.0),  # ids order as strings: "F-10" < "F-2"
        ("S", ("S",), 1.0),
        ("X", ("X", "Y"), 2.0),
    ]
    assert all(
        v.subject_type is SubjectType.FEATURE and v.severity is Severity.ERROR for v in found
    )
    three = next(v for v in found if v.subject_id == "F-10")
    assert "F-10 -> F-3 -> F-2 -> F-10" in three.message


def test_acyclic_dependencies_pass() -> None:
    snapshot = portfolio(dependencies=(("A", "B"), ("B", "C"), ("A", "C"), ("D", "C")))
    assert check(CYCLE, snapshot) == []
