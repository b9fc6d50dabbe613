"""rank(): candidates, scope and PI filters, argument errors, and dependency-respecting order."""

from __future__ import annotations

import random
from functools import cmp_to_key
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from graph.changes import PutDocument, apply, changed_ids
from graph.model import Feature, FeatureState, Kind, Portfolio, ValueStream, Wsjf
from rules.errors import Code, RankingError
from rules.ranking import Level, carried_order, rank, same_ranking
from rules.ranking import candidates as candidates_of
from rules.wsjf import plain_order
from tests.rules.builders import art, epic, feature, pi, portfolio, team, wsjf


def ids(snapshot: Portfolio, level: Level = "FEATURE", **options: Any) -> list[str]:
    return [entry.item_id for entry in rank(snapshot, level, **options)]


def world(*items: Feature, dependencies: tuple[tuple[str, str], ...] = ()) -> Portfolio:
    """Two value streams, two trains, three teams, two PIs, plus the given features."""
    return portfolio(
        ValueStream(id="VS-1", name="Retail"),
        ValueStream(id="VS-2", name="Wholesale"),
        art("ART-1", "VS-1"),
        art("ART-2", "VS-2"),
        team("T-1", "ART-1"),
        team("T-2", "ART-1"),
        team("T-3", "ART-2"),
        pi("PI-1", "2026-01-05"),
        pi("PI-2", "2026-03-16"),
        *items,
        dependencies=dependencies,
    )


def scored(item_id: str, score: int, **fields: Any) -> Feature:
    """A feature whose score is `score` (cost of delay 3 * score over size 3)."""
    return feature(item_id, wsjf=wsjf(score, score, score, size=3), **fields)


# --- candidates and filters ----------------------------------------------------


def test_done_items_and_items_without_wsjf_are_not_ranked() -> None:
    snapshot = world(
        scored("F-1", 2), scored("F-2", 5, state="DONE"), feature("F-3"), scored("F-4", 3)
    )
    entries = rank(snapshot, "FEATURE")
    assert [(e.rank, e.item_id) for e in entries] == [(1, "F-4"), (2, "F-1")]
    assert entries[0].wsjf == wsjf(3, 3, 3, size=3)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (None, ["F-4", "F-3", "F-2", "F-1"]),
        ("T-1", ["F-1"]),
        ("ART-1", ["F-2", "F-1"]),
        ("VS-2", ["F-3"]),
        ("VS-1", ["F-2", "F-1"]),
    ],
)
def test_feature_scope_goes_through_the_team(scope: str | None, expected: list[str]) -> None:
    snapshot = world(
        scored("F-1", 1, team="T-1"),
        scored("F-2", 2, team="T-2"),
        scored("F-3", 3, team="T-3"),
        scored("F-4", 4),  # no team: only in the unscoped ranking
    )
    assert ids(snapshot, scope=scope) == expected


def test_pi_keeps_only_features_planned_in_it() -> None:
    snapshot = world(scored("F-1", 1, pi="PI-1"), scored("F-2", 2, pi="PI-2"), scored("F-3", 3))
    assert ids(snapshot, pi_id="PI-1") == ["F-1"]
    assert ids(snapshot, scope="T-1", pi_id="PI-1") == []


def test_epics_rank_by_their_value_stream() -> None:
    snapshot = world()
    for item in (
        epic("E-1", value_stream="VS-1", wsjf=wsjf(1, 1, 1, size=1)),
        epic("E-2", value_stream="VS-2", wsjf=wsjf(2, 2, 2, size=1)),
        epic("E-3", state="DONE", value_stream="VS-1", wsjf=wsjf(20, 20, 20, size=1)),
        epic("E-4", wsjf=wsjf(1, 1, 2, size=1)),
        epic("E-5", value_stream="VS-1"),
    ):
        snapshot.put(item)
    assert ids(snapshot, "EPIC") == ["E-2", "E-4", "E-1"]
    assert ids(snapshot, "EPIC", scope="VS-1") == ["E-1"]
    assert ids(snapshot, "EPIC", scope="VS-1", respect_dependencies=True) == ["E-1"]


def test_limit_applies_after_ordering() -> None:
    snapshot = world(*(scored(f"F-{n}", n) for n in range(1, 6)))
    assert ids(snapshot, limit=2) == ["F-5", "F-4"]
    assert len(ids(snapshot, limit=1000)) == 5


@pytest.mark.parametrize(
    ("level", "options", "named"),
    [
        ("EPIC", {"pi_id": "PI-1"}, "piId"),
        ("EPIC", {"scope": "ART-1"}, "ART-1"),
        ("EPIC", {"scope": "T-1"}, "T-1"),
        ("EPIC", {"scope": "nowhere"}, "nowhere"),
        ("FEATURE", {"scope": "nowhere"}, "nowhere"),
        ("FEATURE", {"scope": "PI-1"}, "PI-1"),
        ("FEATURE", {"pi_id": "PI-9"}, "PI-9"),
        ("FEATURE", {"limit": 0}, "limit"),
        ("FEATURE", {"limit": 1001}, "limit"),
        ("STORY", {}, "STORY"),
    ],
)
def test_bad_arguments_are_invalid_argument_errors(
    level: Any, options: dict[str, Any], named: str
) -> None:
    with pytest.raises(RankingError) as caught:
        rank(world(scored("F-1", 1)), level, **options)
    assert caught.value.code == Code.INVALID_ARGUMENT
    assert named in caught.value.message


# --- respectDependencies: examples ---------------------------------------------


def test_an_item_never_comes_before_what_it_depends_on() -> None:
    snapshot = world(scored("A", 9), scored("B", 1), dependencies=(("A", "B"),))
    assert ids(snapshot) == ["A", "B"]
    assert ids(snapshot, respect_dependencies=True) == ["B", "A"]


@pytest.mark.parametrize(
    "between",
    [
        scored("X", 5, state="DONE"),  # not a candidate: done
        feature("X"),  # not a candidate: no WSJF inputs
        scored("X", 5, team="T-3"),  # outside the scope
        scored("X", 5, team="T-1", pi="PI-2"),  # outside the PI
    ],
)
def test_chains_through_non_candidates_count(between: Feature) -> None:
    snapshot = world(
        scored("A", 9, team="T-1", pi="PI-1"),
        scored("B", 1, team="T-1", pi="PI-1"),
        between,
        dependencies=(("A", "X"), ("X", "B")),
    )
    assert ids(snapshot, scope="ART-1", pi_id="PI-1", respect_dependencies=True) == ["B", "A"]


def test_the_first_free_item_in_plain_order_goes_first() -> None:
    # Plain: A, B, C. A waits for C; B and C are free, and B comes first in plain order.
    snapshot = world(scored("A", 9), scored("B", 5), scored("C", 1), dependencies=(("A", "C"),))
    assert ids(snapshot, respect_dependencies=True) == ["B", "C", "A"]
    assert ids(snapshot, respect_dependencies=True, limit=1) == ["B"]


def test_a_cycle_among_candidates_names_every_member() -> None:
    snapshot = world(
        scored("A", 3),
        scored("B", 2),
        scored("X", 1, state="DONE"),
        scored("Z", 1),
        dependencies=(("A", "X"), ("X", "B"), ("B", "A"), ("Z", "A")),
    )
    assert ids(snapshot) == ["A", "B", "Z"]  # the plain order does not care
    with pytest.raises(RankingError) as caught:
        rank(snapshot, "FEATURE", respect_dependencies=True)
    assert caught.value.code == Code.DEPENDENCY_CYCLE
    assert caught.value.members == ["A", "B", "X"]


def test_a_cycle_only_among_non_candidates_is_passed_through() -> None:
    snapshot = world(
        scored("A", 3),
        scored("B", 1),
        feature("X"),
        feature("Y"),
        dependencies=(("A", "X"), ("X", "Y"), ("Y", "X"), ("Y", "B")),
    )
    assert ids(snapshot, respect_dependencies=True) == ["B", "A"]


def test_a_candidate_depending_on_itself_through_others_is_a_cycle() -> None:
    snapshot = world(scored("A", 3), feature("X"), dependencies=(("A", "X"), ("X", "A")))
    with pytest.raises(RankingError) as caught:
        rank(snapshot, "FEATURE", respect_dependencies=True)
    assert caught.value.members == ["A", "X"]


# --- properties ----------------------------------------------------------------

NAMES = [f"F{n}" for n in range(9)]
SCALE = st.sampled_from([1, 2, 3, 5, 8, 13, 20])
WSJF = st.one_of(st.none(), st.builds(wsjf, SCALE, SCALE, SCALE, SCALE))
FEATURE = st.tuples(
    WSJF,
    st.sampled_from(["BACKLOG", "BACKLOG", "IMPLEMENTING", "DONE"]),
    st.sampled_from([None, "T-1", "T-2", "T-3"]),
    st.sampled_from([None, "PI-1", "PI-2"]),
)
FILTERS = st.tuples(
    st.sampled_from([None, "T-1", "ART-1", "VS-2"]), st.sampled_from([None, "PI-1"])
)


@st.composite
def snapshots(draw: st.DrawFn, acyclic: bool) -> Portfolio:
    count = draw(st.integers(1, len(NAMES)))
    names = NAMES[:count]
    drawn = draw(st.lists(FEATURE, min_size=count, max_size=count))
    features = [
        feature(name, wsjf=w, state=state, team=team_id, pi=pi_id)
        for name, (w, state, team_id, pi_id) in zip(names, drawn, strict=True)
    ]
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1))
    edges = draw(st.lists(pairs, max_size=3 * count))
    if acyclic:  # only later names depend on earlier ones
        dependencies = {(names[max(a, b)], names[min(a, b)]) for a, b in edges if a != b}
    else:
        dependencies = {(names[a], names[b]) for a, b in edges}
    return world(*features, dependencies=tuple(sorted(dependencies)))


def reaches(snapshot: Portfolio) -> dict[str, set[str]]:
    """Everything each item reaches through one or more dependencies (plain DFS)."""
    edges: dict[str, set[str]] = {}
    for a, b in snapshot.dependencies:
        edges.setdefault(a, set()).add(b)
    out: dict[str, set[str]] = {}
    for start in snapshot.features:
        seen: set[str] = set()
        stack = list(edges.get(start, ()))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
        out[start] = seen
    return out


def in_scope(snapshot: Portfolio, item: Feature, scope: str | None) -> bool:
    if scope is None:
        return True
    if item.team is None:
        return False
    train = snapshot.teams[item.team].art
    stream = snapshot.arts[train].value_stream if train else None
    return scope in (item.team, train, stream)


def candidates(snapshot: Portfolio, scope: str | None, pi_id: str | None) -> list[str]:
    def better(a: str, b: str) -> int:
        wa, wb = snapshot.features[a].wsjf, snapshot.features[b].wsjf
        assert wa is not None and wb is not None
        left, right = wa.cost_of_delay * wb.job_size, wb.cost_of_delay * wa.job_size
        if left != right:
            return -1 if left > right else 1
        if wa.cost_of_delay != wb.cost_of_delay:
            return -1 if wa.cost_of_delay > wb.cost_of_delay else 1
        return -1 if a < b else 1

    chosen = [
        f.id
        for f in snapshot.features.values()
        if f.wsjf is not None
        and f.state != "DONE"
        and in_scope(snapshot, f, scope)
        and (pi_id is None or f.pi == pi_id)
    ]
    return sorted(chosen, key=cmp_to_key(better))


@settings(max_examples=300, deadline=None, database=None)
@given(snapshots(acyclic=True), FILTERS)
def test_respecting_dependencies_is_the_greedy_order_over_all_chains(
    snapshot: Portfolio, filters: tuple[str | None, str | None]
) -> None:
    scope, pi_id = filters
    plain = candidates(snapshot, scope, pi_id)
    assert ids(snapshot, scope=scope, pi_id=pi_id) == plain
    respected = ids(snapshot, scope=scope, pi_id=pi_id, respect_dependencies=True)
    assert sorted(respected) == sorted(plain)
    reach = reaches(snapshot)
    for n, item in enumerate(respected):
        assert not reach[item] & set(respected[n + 1 :]), f"{item} placed before what it needs"
        placed = set(respected[:n])
        free = [c for c in plain if c not in placed and not (reach[c] & set(plain)) - placed]
        assert item == free[0]


@settings(max_examples=300, deadline=None, database=None)
@given(snapshots(acyclic=False), FILTERS)
def test_cycles_fail_exactly_when_a_candidate_is_on_one(
    snapshot: Portfolio, filters: tuple[str | None, str | None]
) -> None:
    scope, pi_id = filters
    plain = candidates(snapshot, scope, pi_id)
    reach = reaches(snapshot)
    members = sorted(
        {c for c in plain if c in reach[c]}
        | {x for c in plain for x in reach[c] if c in reach.get(x, set())}
    )
    if not members:
        assert sorted(ids(snapshot, scope=scope, pi_id=pi_id, respect_dependencies=True)) == sorted(
            plain
        )
        return
    with pytest.raises(RankingError) as caught:
        rank(snapshot, "FEATURE", scope, pi_id, respect_dependencies=True)
    assert caught.value.code == Code.DEPENDENCY_CYCLE
    assert caught.value.members == members


@settings(max_examples=150, deadline=None, database=None)
@given(snapshots(acyclic=True), FILTERS, st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_input_order(
    snapshot: Portfolio, filters: tuple[str | None, str | None], shuffler: random.Random
) -> None:
    features = list(snapshot.features.values())
    dependencies = list(snapshot.dependencies)
    shuffler.shuffle(features)
    shuffler.shuffle(dependencies)
    shuffled = world(*features, dependencies=tuple(dependencies))
    for respect in (False, True):
        scope, pi_id = filters
        assert rank(shuffled, "FEATURE", scope, pi_id, respect) == rank(
            snapshot, "FEATURE", scope, pi_id, respect
        )


def test_rank_entries_carry_the_items_wsjf() -> None:
    inputs = Wsjf(
        user_business_value=8,
        time_criticality=5,
        risk_reduction_opportunity_enablement=3,
        job_size=2,
    )
    [entry] = rank(world(feature("F-1", wsjf=inputs)), "FEATURE")
    assert (entry.rank, entry.item_id, entry.wsjf.cost_of_delay, entry.wsjf.score) == (
        1,
        "F-1",
        16,
        8.0,
    )


@settings(max_examples=300, deadline=None, database=None)
@given(snapshots(acyclic=True), st.data())
def test_a_carried_plain_order_is_the_sorted_one(snapshot: Portfolio, data: st.DataObject) -> None:
    """The service carries each version's plain order from the last one it computed
    (`carried_order`): after any edits, additions and deletions it equals the sort."""
    before_order = plain_order(candidates_of(snapshot, "FEATURE"))
    after = snapshot.copy()
    names = sorted(after.features)
    for name in data.draw(st.lists(st.sampled_from([*names, "F-NEW1", "F-NEW2"]), max_size=4)):
        if data.draw(st.booleans()) and name in after.features:
            del after.features[name]
        else:
            w, state, team_id, pi_id = data.draw(FEATURE)
            after.features[name] = feature(name, wsjf=w, state=state, team=team_id, pi=pi_id)
    touched = changed_ids(snapshot, after, Kind.FEATURE)
    carried = carried_order(before_order, after, "FEATURE", touched)
    assert carried == plain_order(candidates_of(after, "FEATURE"))
    # Naming more than what differs is allowed.
    assert carried_order(before_order, after, "FEATURE", set(names) | touched) == carried


def test_a_carried_epic_order_is_the_sorted_one() -> None:
    epics = [epic(f"E-{n}", wsjf=wsjf(n + 1, 2, 3, size=5)) for n in range(6)]
    before = portfolio(*epics)
    after = before.copy()
    after.epics["E-0"] = epic("E-0", wsjf=wsjf(20, 20, 20, size=1))  # now first
    after.epics["E-5"] = epic("E-5", wsjf=wsjf(20, 20, 20, size=1), state="DONE")  # gone
    del after.epics["E-3"]
    touched = changed_ids(before, after, Kind.EPIC)
    assert touched == {"E-0", "E-3", "E-5"}
    carried = carried_order(plain_order(candidates_of(before, "EPIC")), after, "EPIC", touched)
    assert [item_id for item_id, _ in carried] == ["E-0", "E-4", "E-2", "E-1"]
    assert carried == plain_order(candidates_of(after, "EPIC"))


EDITS = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["renamed", "other"]),
    "points": st.sampled_from([None, 3.0, 8.0]),
    "state": st.sampled_from([FeatureState.BACKLOG, FeatureState.IMPLEMENTING,
                              FeatureState.DONE]),
    "wsjf": WSJF,
    "team": st.sampled_from([None, "T-1", "T-3"]),
    "pi": st.sampled_from([None, "PI-1", "PI-2"]),
})


def outcome(snapshot: Portfolio, scope: str | None, pi_id: str | None) -> object:
    try:
        return rank(snapshot, "FEATURE", scope, pi_id, respect_dependencies=True, limit=1000)
    except RankingError as error:
        return (error.code, error.members)


@settings(max_examples=300, deadline=None, database=None)
@given(snapshots(acyclic=False), st.data(), FILTERS)
def test_a_ranking_reused_after_a_change_is_the_one_computed(
    snapshot: Portfolio, data: st.DataObject, filters: tuple[str | None, str | None]
) -> None:
    """The service reuses a version's dependency-respecting orders for the next one when
    `same_ranking` says the change leaves them as they are: then they are equal."""
    names = sorted(snapshot.features)
    edited = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
    change = PutDocument(items=tuple(
        snapshot.features[name].model_copy(update=data.draw(EDITS)) for name in edited),
        dependencies=tuple(data.draw(st.lists(
            st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=1))))
    after = apply(snapshot, change)
    same = same_ranking(snapshot, after)
    event(f"same ranking: {same}")
    if same:
        assert outcome(after, *filters) == outcome(snapshot, *filters)


def test_what_moves_a_ranking_and_what_does_not() -> None:
    before = world(scored("F-1", 5, team="T-1", pi="PI-1"), scored("F-2", 3),
                   dependencies=(("F-1", "F-2"),))

    def after(**update: Any) -> Portfolio:
        return apply(before, PutDocument(items=(before.features["F-1"].model_copy(
            update=update),)))

    for unmoved in ({"name": "renamed"}, {"points": 13.0},
                    {"state": FeatureState.IMPLEMENTING}):
        assert same_ranking(before, after(**unmoved)), unmoved
    for moved in ({"wsjf": wsjf(1, 1, 1, size=8)}, {"state": FeatureState.DONE},
                  {"team": "T-2"}, {"pi": "PI-2"}):
        assert not same_ranking(before, after(**moved)), moved
    assert not same_ranking(before, apply(before, PutDocument(dependencies=(("F-2", "F-1"),))))
    assert not same_ranking(before, apply(before, PutDocument(items=(scored("F-3", 9),))))
    assert not same_ranking(before, apply(before, PutDocument(items=(team("T-9"),))))
