"""api.schema.governance.wrapped: the GraphQL wrappers of a version's violations reuse
those of the same rules Violations in the list last wrapped (pure: no engine)."""

from __future__ import annotations

from api.schema import governance
from api.schema.governance import Violation, wrapped
from graph.model import Severity
from rules import violation as v


def found(subject: str, excess: float = 1.0) -> v.Violation:
    return v.Violation("kanban.wip-limit", Severity.ERROR, v.SubjectType.EPIC_STATE, subject,
                       ("E-1", "E-2"), excess, f"{subject} is over its limit")


def test_a_carried_violation_keeps_its_wrapper_and_only_a_carried_one() -> None:
    a, b, c = found("ANALYZING"), found("IMPLEMENTING"), found("DONE")
    first = wrapped([a, b], "test-key")
    assert first == [Violation.of(a), Violation.of(b)]
    twin = found("ANALYZING")  # equal to `a`, another object: another violation
    second = wrapped([a, c, twin], "test-key")
    assert second[0] is first[0]
    assert second[1] == Violation.of(c) and second[2] == Violation.of(twin)
    assert second[2] is not first[0]
    # Another filter does not share this one's wrappers.
    assert wrapped([a], "other-key")[0] is not first[0]


def test_only_the_newest_filters_are_kept() -> None:
    a = found("ANALYZING")
    kept = wrapped([a], "oldest")[0]
    for n in range(governance.CARRIED_LISTS):
        wrapped([a], ("newer", n))
    assert wrapped([a], "oldest")[0] is not kept
    assert len(governance._carried) == governance.CARRIED_LISTS
