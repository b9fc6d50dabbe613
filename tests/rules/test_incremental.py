"""Incremental evaluation equals a full evaluation after every change of a random sequence.

Each step makes one change the API can make (an upsert of any kind of item with
any field changed, a one-item document such as a team's capacities, a batch
as an import makes, a dependency added or removed, a delete of any kind of
item with the service's cascade) and checks `evaluate_change` against
`evaluate`, `introduced` against its full form, and the carried index against
one built afresh. Every rule is enabled, with parameters that make them fire
on a small portfolio.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from graph.changes import Change, DeleteItem, PutDocument, RemoveDependency, apply
from graph.model import (
    Epic,
    EpicState,
    Feature,
    FeatureState,
    Horizon,
    Item,
    KeyResult,
    Kind,
    Objective,
    Portfolio,
    Severity,
    Theme,
    ValueStream,
    WorkType,
    Wsjf,
)
from rules.errors import RankingError
from rules.evaluate import evaluate, introduced
from rules.events import violation_events
from rules.guardrails import registry
from rules.guardrails.registry import Rule, registered
from rules.incremental import Touched, evaluate_change, index_of
from rules.policy import Policy, policy_from_mapping
from rules.ranking import rank
from rules.scope import Index
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation
from tests.rules.builders import art, epic, feature, pi, portfolio, team, wsjf

ALL_RULES_FIRING = {
    "approval.significant-epic": {"threshold": 300_000},
    "kanban.wip-limit": {"limits": {"ANALYZING": 1, "IMPLEMENTING": 2, "PORTFOLIO_BACKLOG": 1}},
    "capacity.team-overload": {"tolerance": 0.1},
    "capacity.allocation": {"enablerShare": {"min": 0.2, "max": 0.3}},
    "investment.horizon-mix": {
        "bands": {"H0": [0, 0.05], "H1": [0.4, 0.6], "H2": [0.2, 0.3], "H3": [0, 0.1]}
    },
    "wsjf.missing-inputs": {"severity": "error"},
}
POLICIES = [
    policy_from_mapping({"guardrails": ALL_RULES_FIRING}),
    policy_from_mapping({"guardrails": {
        "traceability.unaligned": {"enabled": False},
        "dependency.schedule-conflict": {"enabled": False},
        "wsjf.missing-inputs": {"severity": "warning"},
    }}),
]

FEATURES = [f"F-{i}" for i in range(14)]
EPICS = [f"E-{i}" for i in range(6)]
TEAMS = [f"T-{i}" for i in range(4)]
ARTS = ["ART-0", "ART-1", "ART-2"]
STREAMS = ["VS-0", "VS-1", "VS-2"]
PIS = ["PI-0", "PI-1", "PI-2", "PI-3"]
THEMES = ["TH-0", "TH-1", "TH-2"]
OBJECTIVES = ["O-0", "O-1", "O-2"]
KEY_RESULTS = ["KR-0", "KR-1", "KR-2", "KR-3"]
NAMES = st.sampled_from(["Alpha", "Beta", "Gamma"])
FIRST_PI = date(2026, 1, 5)


def deleted(snapshot: Portfolio, item_id: str) -> Portfolio:
    """The snapshot after deleting an item, with the cascade the service uses."""
    assert snapshot.get(item_id) is not None
    return snapshot.without(item_id)


def base() -> Portfolio:
    """A small portfolio with every kind of item, already breaking several rules."""
    items: list[Item] = [
        Theme(id="TH-0", name="Digital"),
        Theme(id="TH-1", name="Green"),
        Objective(id="O-0", title="Grow", themes=("TH-1",)),
        Objective(id="O-1", title="Keep"),
        KeyResult(id="KR-0", title="NPS", objective="O-0"),
        KeyResult(id="KR-1", title="Churn", objective="O-1"),
        ValueStream(id="VS-0", name="Retail", budget=700_000),
        ValueStream(id="VS-1", name="Wholesale"),
        art("ART-0", "VS-0"),
        art("ART-1"),
        pi("PI-0", "2026-01-05"),
        pi("PI-1", "2026-03-16"),
        pi("PI-2", "2026-05-25"),
        team("T-0", "ART-0", {"PI-0": 5, "PI-1": 20}),
        team("T-1", "ART-0", {"PI-1": 5}),
        team("T-2", "ART-1", {"PI-0": 8, "PI-2": 8}),
        epic("E-0", themes=("TH-0",), value_stream="VS-0", estimated_cost=800_000,
             horizon="H1", business_owner="Ada", wsjf=wsjf()),
        epic("E-1", "ANALYZING", key_results=("KR-0",), estimated_cost=400_000,
             value_stream="VS-0"),
        epic("E-2", "PORTFOLIO_BACKLOG", key_results=("KR-1",), horizon="H3",
             estimated_cost=500_000, value_stream="VS-1"),
        epic("E-3", "FUNNEL"),
    ]
    for i, (epic_id, team_id, pi_id, points, kind) in enumerate([
        ("E-0", "T-0", "PI-0", 8.0, "BUSINESS"),
        ("E-0", "T-0", "PI-1", 13.0, "ENABLER"),
        ("E-1", "T-1", "PI-1", 5.0, "BUSINESS"),
        ("E-1", "T-1", None, 3.0, "BUSINESS"),
        ("E-2", "T-2", "PI-0", 8.0, "ENABLER"),
        ("E-2", "T-2", "PI-2", None, "BUSINESS"),
        (None, "T-0", "PI-2", 2.0, "BUSINESS"),
        ("E-3", None, None, 1.0, "ENABLER"),
    ]):
        items.append(feature(FEATURES[i], "IMPLEMENTING" if i % 3 else "BACKLOG",
                             epic=epic_id, team=team_id, pi=pi_id, points=points, type=kind,
                             wsjf=wsjf() if i % 2 else None))
    return portfolio(*items, dependencies=(("F-1", "F-0"), ("F-0", "F-4"), ("F-2", "F-3"),
                                           ("F-4", "F-1"), ("F-6", "F-5")))


def maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values)) if values else st.none()


def subset(values: list[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), max_size=2, unique=True).map(tuple) if values \
        else st.just(())


WSJF: st.SearchStrategy[Wsjf | None] = st.one_of(
    st.none(), st.builds(wsjf, st.sampled_from([1, 5]), st.just(3), st.just(1),
                         st.sampled_from([1, 8])))


def existing(snapshot: Portfolio, kind: Kind) -> list[str]:
    return sorted(snapshot.collection(kind))


def upserted_item(draw: st.DrawFn, p: Portfolio, kind: Kind) -> Item:
    """A new or changed item of `kind`, referring only to items that exist."""
    ids = {
        Kind.FEATURE: FEATURES, Kind.EPIC: EPICS, Kind.TEAM: TEAMS, Kind.ART: ARTS,
        Kind.VALUE_STREAM: STREAMS, Kind.PI: PIS, Kind.THEME: THEMES,
        Kind.OBJECTIVE: OBJECTIVES, Kind.KEY_RESULT: KEY_RESULTS,
    }[kind]
    item_id = draw(st.sampled_from(ids))
    old = p.collection(kind).get(item_id)
    if kind is Kind.FEATURE:
        fields: dict[str, Any] = {
            "name": draw(NAMES), "type": draw(st.sampled_from(list(WorkType))),
            "state": draw(st.sampled_from(list(FeatureState))),
            "points": draw(st.sampled_from([None, 0.0, 2.0, 5.0, 13.0])),
            "epic": draw(maybe(existing(p, Kind.EPIC))),
            "team": draw(maybe(existing(p, Kind.TEAM))),
            "pi": draw(maybe(existing(p, Kind.PI))), "wsjf": draw(WSJF),
        }
        return _changed(old, Feature, item_id, fields, draw)
    if kind is Kind.EPIC:
        fields = {
            "name": draw(NAMES), "type": draw(st.sampled_from(list(WorkType))),
            "state": draw(st.sampled_from(list(EpicState))),
            "horizon": draw(st.one_of(st.none(), st.sampled_from(list(Horizon)))),
            "estimated_cost": draw(st.sampled_from([None, 0.0, 200_000.0, 700_000.0])),
            "approved": draw(st.booleans()),
            "business_owner": draw(st.sampled_from([None, "", " ", "Ada"])),
            "value_stream": draw(maybe(existing(p, Kind.VALUE_STREAM))),
            "themes": draw(subset(existing(p, Kind.THEME))),
            "key_results": draw(subset(existing(p, Kind.KEY_RESULT))), "wsjf": draw(WSJF),
        }
        return _changed(old, Epic, item_id, fields, draw)
    if kind is Kind.TEAM:
        capacity = draw(st.dictionaries(st.sampled_from(existing(p, Kind.PI) or ["PI-0"]),
                                        st.sampled_from([0.0, 4.0, 10.0, 30.0]), max_size=3))
        return team(item_id, draw(maybe(existing(p, Kind.ART))),
                    {k: v for k, v in capacity.items() if k in p.pis})
    if kind is Kind.ART:
        return replace_name(art(item_id, draw(maybe(existing(p, Kind.VALUE_STREAM)))), draw)
    if kind is Kind.VALUE_STREAM:
        return ValueStream(id=item_id, name=draw(NAMES),
                           budget=draw(st.sampled_from([None, 0.0, 500_000.0, 2e6])))
    if kind is Kind.PI:
        start = FIRST_PI + timedelta(weeks=10 * draw(st.integers(0, 4)))
        return pi(item_id, start.isoformat(), draw(NAMES))
    if kind is Kind.THEME:
        return Theme(id=item_id, name=draw(NAMES))
    if kind is Kind.OBJECTIVE:
        return Objective(id=item_id, title=draw(NAMES),
                         themes=draw(subset([*existing(p, Kind.THEME), "TH-9"])))
    assert kind is Kind.KEY_RESULT
    return KeyResult(id=item_id, title=draw(NAMES),
                     objective=draw(st.sampled_from([*existing(p, Kind.OBJECTIVE), "O-9"])))


def replace_name(item: Any, draw: st.DrawFn) -> Any:
    return item.model_copy(update={"name": draw(NAMES)})


def _changed(old: Any, model: type[Any], item_id: str, fields: dict[str, Any],
             draw: st.DrawFn) -> Any:
    """A new item from `fields`, or the existing one with one to three of them changed."""
    if old is None:
        return model(id=item_id, **fields)
    names = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True))
    return old.model_copy(update={name: fields[name] for name in names})


@st.composite
def step(draw: st.DrawFn, p: Portfolio) -> tuple[str, Portfolio, Touched]:
    """One change to `p`: what it is, the snapshot after it, and the change as the service
    describes it."""
    kinds = [k for k in Kind if k is not Kind.FEATURE and k is not Kind.EPIC]
    what = draw(st.sampled_from(
        ["feature", "feature", "feature", "epic", "epic", "other", "batch",
         "add dependency", "add dependency", "remove dependency", "delete", "delete"]))
    after = p.copy()
    if what in ("feature", "epic", "other"):
        kind = {"feature": Kind.FEATURE, "epic": Kind.EPIC}.get(what) or draw(
            st.sampled_from(kinds))
        item = upserted_item(draw, p, kind)
        after.put(item)
        described = draw(st.booleans())
        change = Touched.of([item]) if described else Touched.between(p, after)
        return f"upsert {kind.value}", after, change
    if what == "batch":
        items = [upserted_item(draw, after, draw(st.sampled_from(list(Kind))))
                 for _ in range(draw(st.integers(2, 4)))]
        for item in items:
            after.put(item)
        features = existing(after, Kind.FEATURE)
        added = draw(st.lists(st.tuples(st.sampled_from(features), st.sampled_from(features)),
                              max_size=2)) if features else []
        after.dependencies.update(added)
        return "batch", after, Touched.of(items, added=added)
    if what == "add dependency":
        features = existing(p, Kind.FEATURE)
        if not features:
            return "nothing", after, Touched()
        a = draw(st.sampled_from(features))
        b = draw(st.one_of(st.sampled_from(features), st.just(a)))  # a self loop, often
        after.dependencies.add((a, b))
        return "add dependency", after, Touched.of(added=[(a, b)])
    if what == "remove dependency":
        if not p.dependencies:
            return "nothing", after, Touched()
        dependency = draw(st.sampled_from(sorted(p.dependencies)))
        after.dependencies.discard(dependency)
        return "remove dependency", after, Touched.of(removed=[dependency])
    # An objective that still has key results cannot be deleted (the service: IN_USE).
    in_use = {k.objective for k in p.key_results.values()}
    ids = sorted(i for kind in Kind for i in p.collection(kind) if i not in in_use)
    if not ids:
        return "nothing", after, Touched()
    item_id = draw(st.sampled_from(ids))
    kind = p.kind_of_id(item_id)
    assert kind is not None
    after = deleted(p, item_id)
    return f"delete {kind.value}", after, Touched.between(p, after)


def as_sets(index: Index) -> list[dict[str, set[str]]]:
    groups = (index.features_by_team, index.features_by_epic, index.epics_by_value_stream,
              index.depends_on, index.dependents)
    return [{k: set(v) for k, v in g.items()} for g in groups]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_incremental_evaluation_equals_a_full_one_after_every_change(data: st.DataObject) -> None:
    policy = data.draw(st.sampled_from(POLICIES))
    before = base()
    violations = evaluate(before, policy)
    index = Index.build(before)
    for _ in range(data.draw(st.integers(1, 20))):
        what, after, change = data.draw(step(before))
        note(f"{what}: {change}")
        event(what)
        result = evaluate_change(before, violations, after, change, policy)
        full = evaluate(after, policy)
        assert result.recomputed is not result.violations, "took the full-evaluation path"
        assert result.violations == full
        assert result.introduced() == introduced(violations, full)
        # the write path's events, from what was recomputed and what it replaced only
        assert result.events() == violation_events(violations, full)
        assert violation_events(violations, result.violations) == \
            violation_events(violations, full)
        index = index.updated(before, after, change.items, change.added - before.dependencies,
                              change.removed & before.dependencies)
        assert as_sets(index) == as_sets(Index.build(after))
        before, violations = after, full


def test_the_sequence_provokes_every_rule() -> None:
    """The base portfolio and policy make most rules fire, so equality above means something."""
    fired = {v.rule for v in evaluate(base(), POLICIES[0])}
    assert fired >= {
        "approval.significant-epic", "budget.value-stream", "capacity.allocation",
        "capacity.team-overload", "dependency.cycle", "dependency.schedule-conflict",
        "dependency.unplanned", "engagement.business-owner", "investment.horizon-mix",
        "traceability.unaligned", "wsjf.missing-inputs",
    }


def test_every_rule_declares_its_scope() -> None:
    """The built-in rules are all re-run for the touched subjects only, or cheaply whole."""
    assert [r.id for r in registered() if r.scope is None] == []


def _theme_named_zeta(snapshot: Portfolio, rule_settings: RuleSettings) -> list[Violation]:
    return [Violation("test.theme-name", rule_settings.severity, SubjectType.EPIC, t.id, (),
                      1.0, "named Zeta") for t in snapshot.themes.values() if t.name == "Zeta"]


def test_a_rule_without_a_scope_is_run_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule reading what no scoped rule reads (theme names) still sees the change."""
    rule = Rule("test.theme-name", _theme_named_zeta, Severity.WARNING, "test", {})
    monkeypatch.setitem(registry._RULES, rule.id, rule)
    policy: Policy = replace(POLICIES[0], rules={**POLICIES[0].rules,
                                                 rule.id: rule.default_settings()})
    before = base()
    after = before.copy()
    renamed = Theme(id="TH-0", name="Zeta")
    after.put(renamed)
    result = evaluate_change(before, evaluate(before, policy), after, Touched.of([renamed]), policy)
    assert [v.rule for v in result.violations if v.rule == rule.id] == [rule.id]
    assert result.violations == evaluate(after, policy)


def test_a_large_change_is_evaluated_in_full() -> None:
    policy = POLICIES[0]
    before = base()
    after = before.copy()
    items = [feature(f"F-{100 + i}", epic="E-9") for i in range(80)]
    for item in items:
        after.put(item)
    result = evaluate_change(before, evaluate(before, policy), after, Touched.of(items), policy)
    assert result.recomputed is result.violations
    assert result.violations == evaluate(after, policy)



def _covers(named: Touched, differing: Touched) -> bool:
    return (all(ids <= named.items.get(kind, frozenset())
                for kind, ids in differing.items.items())
            and differing.added <= named.added and differing.removed <= named.removed)


def test_what_a_stored_change_touches_covers_what_differs() -> None:
    """`Touched.by` (how the service describes graph.changes values) names at least every
    item and dependency that differs, for each kind of change; a delete's cascade too."""
    before = base()
    feature_id = sorted(before.features)[0]
    renamed = before.features[feature_id].model_copy(update={"name": "renamed"})
    a, b = sorted(before.features)[:2]
    dependency = sorted(before.dependencies)[0]
    epic_id = sorted(before.epics)[0]
    changes: list[Change] = [
        PutDocument((renamed,), ((a, b),)),
        RemoveDependency(*dependency),
        DeleteItem(epic_id),  # its features lose their epic: a cascade
        DeleteItem(feature_id),
    ]
    for change in changes:
        after = apply(before, change)
        differing = Touched.between(before, after)
        assert any(differing.items.values()) or differing.added or differing.removed, change
        assert _covers(Touched.by(before, after, change), differing), change


def test_index_of_a_snapshot_is_the_one_its_change_carried_and_ranks_alike() -> None:
    """The dependency-respecting ranking reads the index a change carried to the snapshot
    (the service passes `index_of`); built afresh or carried, it ranks the same."""
    policy = POLICIES[0]
    before = base()
    a, b = sorted(before.features)[:2]
    pair = (b, a) if (b, a) not in before.dependencies else (a, b)
    after = apply(before, PutDocument(dependencies=(pair,)))
    evaluate_change(before, evaluate(before, policy), after,
                    Touched.of(added=[pair]), policy)
    carried = index_of(after)
    assert index_of(after) is carried  # kept, not built again
    assert as_sets(carried) == as_sets(Index.build(after))
    acyclic = before.copy()  # base() has a cycle: the order, not only its error, compared
    acyclic.dependencies = {(x, y) for x, y in before.dependencies if x > y}
    for snapshot in (before, after, acyclic):
        assert ranked(snapshot, index_of(snapshot)) == ranked(snapshot, None)
    assert ranked(acyclic, index_of(acyclic))[0] == "ranked"


def ranked(snapshot: Portfolio, index: Index | None) -> tuple[str, object]:
    try:
        return "ranked", rank(snapshot, "FEATURE", respect_dependencies=True, index=index)
    except RankingError as error:
        return "refused", (error.code, error.members)
