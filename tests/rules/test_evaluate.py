"""evaluate(), introduced() and blocking(): severities, contract order, what a change adds."""

from __future__ import annotations

import pytest

from graph.changes import apply
from graph.document import ParsedDocument, validate_document
from graph.model import Portfolio, Severity, ValueStream
from graph.samples.synthetic import synthetic_document
from rules.evaluate import blocking, evaluate, introduced
from rules.guardrails import registry
from rules.guardrails.registry import registered
from rules.policy import default_policy, policy_from_mapping
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation
from tests.rules.builders import epic, feature, pi, portfolio, team


def messy() -> Portfolio:
    """Breaks several rules at once, some of them more than once."""
    return portfolio(
        pi("PI-1", "2026-01-05"),
        pi("PI-2", "2026-03-16"),
        team("T-1", capacity={"PI-1": 5}),
        epic("E-2", state="ANALYZING"),
        epic("E-1", state="ANALYZING", business_owner="Ada"),
        feature("F-3", pi="PI-1", team="T-1", points=8),
        feature("F-1", pi="PI-2"),
        feature("F-2"),
        dependencies=(("F-3", "F-2"), ("F-3", "F-1")),
    )


def test_violations_come_in_rule_subject_related_order() -> None:
    found = evaluate(messy(), default_policy())
    keys = [(v.rule, v.subject_id, v.related_ids) for v in found]
    assert keys == sorted(keys)
    assert {v.rule for v in found} == {
        "capacity.team-overload",
        "dependency.schedule-conflict",
        "dependency.unplanned",
        "engagement.business-owner",
        "traceability.unaligned",
        "wsjf.missing-inputs",
    }
    unaligned = [v.subject_id for v in found if v.rule == "traceability.unaligned"]
    assert unaligned == ["E-1", "E-2", "F-1", "F-2", "F-3"]


def test_same_subject_is_ordered_by_related_ids() -> None:
    snapshot = portfolio(
        pi("PI-1", "2026-01-05"),
        pi("PI-2", "2026-03-16"),
        feature("A", pi="PI-1"),
        feature("C", pi="PI-2"),
        feature("B", pi="PI-2"),
        dependencies=(("A", "C"), ("A", "B")),
    )
    found = [v for v in evaluate(snapshot, default_policy()) if v.rule.startswith("dependency")]
    assert [v.related_ids for v in found] == [("B",), ("C",)]


def test_severity_and_enabled_come_from_the_policy() -> None:
    policy = policy_from_mapping(
        {
            "guardrails": {
                "traceability.unaligned": {"severity": "error"},
                "wsjf.missing-inputs": {"enabled": False},
                "dependency.unplanned": {"severity": "Info"},
            }
        }
    )
    found = evaluate(messy(), policy)
    by_rule = {v.rule: v.severity for v in found}
    assert "wsjf.missing-inputs" not in by_rule
    assert by_rule["traceability.unaligned"] is Severity.ERROR
    assert by_rule["dependency.unplanned"] is Severity.INFO
    assert by_rule["engagement.business-owner"] is Severity.WARNING  # untouched default


def test_blocking_keeps_only_errors() -> None:
    found = evaluate(messy(), default_policy())
    errors = blocking(found)
    assert errors and all(v.severity is Severity.ERROR for v in errors)
    assert [v for v in found if v not in errors and v.severity is Severity.ERROR] == []
    assert {v.rule for v in errors} == {"dependency.schedule-conflict"}


# --- keys and introduced() -----------------------------------------------------


def violation(
    rule: str, subject: str, related: tuple[str, ...] = (), excess: float = 1.0
) -> Violation:
    return Violation(rule, Severity.ERROR, SubjectType.FEATURE, subject, related, excess, "...")


# The rules whose registration declares keyed_by_first_related (pinned: a key that
# changes would make enforcement forget or repeat what a change introduced).
KEYED_BY_FIRST_RELATED = {
    "capacity.team-overload",
    "capacity.allocation",
    "dependency.schedule-conflict",
    "dependency.unplanned",
}


@pytest.mark.parametrize("rule", sorted(KEYED_BY_FIRST_RELATED))
def test_key_holds_the_first_related_id_where_one_subject_has_many(rule: str) -> None:
    assert violation(rule, "S", ("P", "F-1")).key == (rule, "S", "P")
    assert violation(rule, "S").key == (rule, "S")


@pytest.mark.parametrize("rule", sorted({r.id for r in registered()} - KEYED_BY_FIRST_RELATED))
def test_key_is_rule_and_subject_elsewhere(rule: str) -> None:
    assert violation(rule, "S", ("E-1", "E-2")).key == (rule, "S")


@pytest.mark.parametrize("keyed", [True, False])
def test_a_rule_declares_at_registration_whether_its_key_holds_the_first_related_id(
    monkeypatch: pytest.MonkeyPatch, keyed: bool
) -> None:
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))  # restored after the test
    rule = "test.per-pi"

    @registry.register(rule, default_severity=Severity.ERROR, description="A test rule.",
                       keyed_by_first_related=keyed)
    def check(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
        return []

    before = [violation(rule, "T-1", ("PI-1",), excess=5.0)]
    after = [*before, violation(rule, "T-1", ("PI-2",), excess=1.0)]
    # Declared: the overload in PI-2 is new and blocks. Not declared: it hides behind
    # the larger one in PI-1 under the same key.
    assert introduced(before, after) == ([after[1]] if keyed else [])


def test_no_rule_reports_two_violations_under_one_key() -> None:
    """A rule that does (one subject, several related ids) must declare keyed_by_first_related.

    The synthetic portfolio breaks both capacity rules and the schedule rule more than
    once on one subject; the small one depends on two unplanned features.
    """
    synthetic = validate_document(synthetic_document(300))
    assert isinstance(synthetic, ParsedDocument)
    unplanned = portfolio(pi("PI-1", "2026-01-05"), feature("F-1", pi="PI-1"), feature("F-2"),
                          feature("F-3"), dependencies=(("F-1", "F-2"), ("F-1", "F-3")))
    pairs: set[str] = set()
    for snapshot in (messy(), unplanned, apply(Portfolio(), synthetic.change())):
        found = evaluate(snapshot, default_policy())
        keys = [v.key for v in found]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        subjects = [(v.rule, v.subject_id) for v in found]
        pairs |= {rule for rule, subject in subjects if subjects.count((rule, subject)) > 1}
    assert pairs == KEYED_BY_FIRST_RELATED  # each such rule was exercised


def test_a_new_key_is_introduced() -> None:
    before = [violation("dependency.unplanned", "A", ("B",))]
    after = [*before, violation("dependency.unplanned", "A", ("C",))]
    assert introduced(before, after) == [after[1]]


def test_growing_excess_is_introduced_equal_or_shrinking_is_not() -> None:
    before = [violation("kanban.wip-limit", "ANALYZING", excess=2.0)]
    grown = [violation("kanban.wip-limit", "ANALYZING", excess=3.0)]
    assert introduced(before, grown) == grown
    assert introduced(before, [violation("kanban.wip-limit", "ANALYZING", excess=2.0)]) == []
    assert introduced(before, [violation("kanban.wip-limit", "ANALYZING", excess=1.0)]) == []
    assert (
        introduced(before, [violation("kanban.wip-limit", "ANALYZING", excess=2.0 + 1e-12)]) == []
    )


def test_a_changed_related_list_under_the_same_key_is_not_new() -> None:
    before = [violation("budget.value-stream", "VS-1", ("E-1",), 10.0)]
    after = [violation("budget.value-stream", "VS-1", ("E-1", "E-2"), 10.0)]
    assert introduced(before, after) == []


def test_introduced_is_in_contract_order() -> None:
    after = [violation("z.rule", "A"), violation("a.rule", "B"), violation("a.rule", "A")]
    assert [(v.rule, v.subject_id) for v in introduced([], after)] == [
        ("a.rule", "A"),
        ("a.rule", "B"),
        ("z.rule", "A"),
    ]


def test_adding_an_epic_to_a_state_already_over_its_limit_introduces_one() -> None:
    policy = default_policy()
    before = portfolio(*(epic(f"E-{n}", state="ANALYZING", business_owner="Ada") for n in range(6)))
    after = before.copy()
    after.put(epic("E-9", state="ANALYZING", business_owner="Ada"))
    [new] = [v for v in introduced(evaluate(before, policy), evaluate(after, policy))
             if v.rule == "kanban.wip-limit"]  # fmt: skip
    assert (new.subject_id, new.excess) == ("ANALYZING", 2.0)


def test_raising_a_cost_in_a_stream_over_budget_introduces_one_lowering_it_does_not() -> None:
    policy = default_policy()

    def stream_with(cost: float) -> Portfolio:
        return portfolio(
            ValueStream(id="VS-1", name="Retail", budget=100.0),
            epic("E-1", value_stream="VS-1", estimated_cost=cost, business_owner="Ada"),
        )

    def budget(snapshot: Portfolio) -> list[Violation]:
        return [v for v in evaluate(snapshot, policy) if v.rule == "budget.value-stream"]

    assert [v.excess for v in introduced(budget(stream_with(150)), budget(stream_with(160)))] == [
        60
    ]
    assert introduced(budget(stream_with(150)), budget(stream_with(120))) == []
