"""Violation events between two evaluations: exact, also when most objects are shared.

`violation_events` first drops the (rule, subject) pairs whose violations are the
same objects on both sides (what an incremental evaluation hands on); the events
must be those of a plain comparison by key over everything.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import rules.guardrails  # noqa: F401  (registers the rules, which decide the keys)
from graph.model import Severity
from rules.evaluate import EXCESS_TOLERANCE
from rules.events import EventKind, ViolationEvent, violation_events
from rules.violation import SubjectType, Violation

RULES = ["kanban.wip-limit", "dependency.unplanned", "capacity.team-overload"]


def naive(before: list[Violation], after: list[Violation]) -> list[ViolationEvent]:
    """The comparison by key over every violation, written out plainly."""
    def by_key(vs: list[Violation]) -> dict[tuple[str, ...], Violation]:
        out: dict[tuple[str, ...], Violation] = {}
        for v in vs:
            if v.key not in out or v.excess > out[v.key].excess:
                out[v.key] = v
        return out

    old, new = by_key(before), by_key(after)
    events = []
    for key, now in new.items():
        was = old.get(key)
        if was is None:
            events.append(ViolationEvent(EventKind.OPENED, now, None))
        elif now.excess > was.excess + EXCESS_TOLERANCE:
            events.append(ViolationEvent(EventKind.GREW, now, was.excess))
        elif now.excess < was.excess - EXCESS_TOLERANCE:
            events.append(ViolationEvent(EventKind.SHRANK, now, was.excess))
    events += [ViolationEvent(EventKind.CLOSED, was, was.excess)
               for key, was in old.items() if key not in new]
    events.sort(key=lambda e: e.violation.sort_key)
    return events


violations = st.builds(
    Violation, rule=st.sampled_from(RULES), severity=st.just(Severity.ERROR),
    subject_type=st.just(SubjectType.FEATURE), subject_id=st.sampled_from(["F-1", "F-2", "F-3"]),
    related_ids=st.lists(st.sampled_from(["F-1", "P-1", "P-2"]), max_size=2).map(tuple),
    excess=st.sampled_from([0.5, 1.0, 2.0, 3.0]), message=st.just("..."))


@settings(max_examples=300, deadline=None)
@given(pool=st.lists(violations, min_size=0, max_size=12), fresh=st.lists(violations, max_size=6),
       data=st.data())
def test_events_equal_a_plain_comparison_by_key(pool: list[Violation], fresh: list[Violation],
                                                data: st.DataObject) -> None:
    before = data.draw(st.permutations(pool)).copy()[: data.draw(st.integers(0, len(pool)))]
    shared = [v for v in pool if data.draw(st.booleans())]  # the same objects on both sides
    after = shared + fresh
    assert violation_events(before, after) == naive(before, after)


def test_a_change_touching_one_subject_reports_only_it() -> None:
    def v(subject: str, excess: float) -> Violation:
        return Violation("kanban.wip-limit", Severity.ERROR, SubjectType.EPIC_STATE, subject,
                         (), excess, "...")

    unchanged = [v(f"S-{n}", 1.0) for n in range(50)]
    grown = v("S-7", 2.0)
    after = [grown if x.subject_id == "S-7" else x for x in unchanged]
    events = violation_events(unchanged, after)
    assert [(e.kind, e.violation.subject_id, e.previous_excess) for e in events] == [
        (EventKind.GREW, "S-7", 1.0)]
