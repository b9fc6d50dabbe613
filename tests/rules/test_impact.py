"""impact(): dependents by shortest depth, the union of their traces, and the slip cascade."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import KeyResult, Objective, Portfolio, Theme
from rules.errors import Code, ImpactError
from rules.impact import ImpactResult, impact
from tests.rules.builders import art, epic, feature, pi, portfolio, team, wsjf

PIS = (
    pi("P1", "2026-01-05"),
    pi("P2", "2026-03-16"),
    pi("P3", "2026-05-25"),
    pi("P4", "2026-08-03"),
)


def run(
    snapshot: Portfolio, root: str = "R", max_depth: int = 10, slip: str | None = None
) -> ImpactResult:
    result = impact(snapshot, root, max_depth, slip)
    assert result is not None
    return result


def depths(result: ImpactResult) -> list[tuple[str, int]]:
    return [(item.item_id, item.depth) for item in result.items]


def slips(result: ImpactResult) -> list[tuple[str, str, str]]:
    return [(s.item_id, s.from_pi_id, s.to_pi_id) for s in result.slips]


# --- items ---------------------------------------------------------------------

CHAIN = portfolio(
    *(feature(name) for name in ("R", "B", "C", "D", "E", "F", "G")),
    dependencies=(
        ("B", "R"), ("C", "R"),
        ("D", "B"), ("D", "R"),  # depth 1 through the direct link, not 2
        ("E", "D"), ("F", "E"),
        ("R", "G"),  # what the root depends on is not impacted
    ),
)  # fmt: skip


def test_items_are_dependents_at_their_shortest_depth_by_depth_then_id() -> None:
    assert depths(run(CHAIN)) == [("B", 1), ("C", 1), ("D", 1), ("E", 2), ("F", 3)]


@pytest.mark.parametrize(
    ("max_depth", "expected"), [(1, ["B", "C", "D"]), (2, ["B", "C", "D", "E"])]
)
def test_max_depth_bounds_the_hops(max_depth: int, expected: list[str]) -> None:
    assert [i for i, _ in depths(run(CHAIN, max_depth=max_depth))] == expected


def test_root_on_a_cycle_is_not_its_own_dependent() -> None:
    snapshot = portfolio(feature("R"), feature("A"), dependencies=(("A", "R"), ("R", "A")))
    assert depths(run(snapshot)) == [("A", 1)]


def test_traces_of_impacted_items_are_merged_without_the_roots() -> None:
    snapshot = portfolio(
        Theme(id="TH-1", name="Digital"),
        Theme(id="TH-2", name="Growth"),
        Theme(id="TH-9", name="Root only"),
        Objective(id="O-1", title="Online", themes=("TH-1",)),
        KeyResult(id="KR-1", title="Share", objective="O-1"),
        art("ART-1"),
        art("ART-2"),
        art("ART-R"),
        team("T-1", "ART-1"),
        team("T-2", "ART-2"),
        team("T-R", "ART-R"),
        epic("E-1", themes=("TH-2",), key_results=("KR-1",)),
        epic("E-2"),
        epic("E-R", themes=("TH-9",)),
        feature("R", epic="E-R", team="T-R"),
        feature("B", epic="E-1", team="T-1"),
        feature("C", epic="E-2", team="T-2"),
        feature("D", epic="E-1"),
        dependencies=(("B", "R"), ("C", "B"), ("D", "C")),
    )
    result = run(snapshot)
    assert (result.team_ids, result.art_ids, result.epic_ids) == (
        ("T-1", "T-2"),
        ("ART-1", "ART-2"),
        ("E-1", "E-2"),
    )
    assert (result.key_result_ids, result.objective_ids, result.theme_ids) == (
        ("KR-1",),
        ("O-1",),
        ("TH-1", "TH-2"),
    )
    assert (result.slips, result.business_value_at_risk) == ((), 0)


def test_only_features_have_an_impact() -> None:
    snapshot = portfolio(epic("E-1"), feature("R"))
    assert impact(snapshot, "E-1") is None
    assert impact(snapshot, "nope") is None


@pytest.mark.parametrize("max_depth", [0, 51, -1])
def test_max_depth_outside_1_to_50_is_invalid(max_depth: int) -> None:
    with pytest.raises(ImpactError) as caught:
        impact(CHAIN, "R", max_depth)
    assert caught.value.code == Code.INVALID_ARGUMENT


def test_max_depth_limits_are_inclusive() -> None:
    assert run(CHAIN, max_depth=1).items and run(CHAIN, max_depth=50).items


def test_unknown_slip_pi_is_an_error() -> None:
    with pytest.raises(ImpactError) as caught:
        impact(portfolio(*PIS, feature("R", pi="P1")), "R", 10, "P9")
    assert caught.value.code == Code.NOT_FOUND
    assert "P9" in caught.value.message


# --- slips ---------------------------------------------------------------------


def test_slip_cascade() -> None:
    snapshot = portfolio(
        *PIS,
        feature("R", pi="P1", wsjf=wsjf(20, 1, 1, 1)),
        feature("A", pi="P2", wsjf=wsjf(8, 1, 1, 1)),  # depends on R: P2 -> P3
        feature("B", pi="P4", wsjf=wsjf(13, 1, 1, 1)),  # depends on A, already later: stays
        feature("C", pi="P1", wsjf=wsjf(3, 1, 1, 1)),  # depends on A: P1 -> P3
        feature("D"),  # depends on R, no PI: never moves, passes nothing on
        feature("E", pi="P1", wsjf=wsjf(5, 1, 1, 1)),  # depends only on D: stays
        feature("F", pi="P1"),  # on R and on X (P4, not impacted): P3, not P4
        feature("X", pi="P4"),
        dependencies=(
            ("A", "R"), ("B", "A"), ("C", "A"), ("D", "R"), ("E", "D"), ("F", "R"), ("F", "X"),
        ),
    )  # fmt: skip
    result = run(snapshot, slip="P3")
    assert slips(result) == [
        ("R", "P1", "P3"),  # the root first
        ("A", "P2", "P3"),  # depth 1
        ("F", "P1", "P3"),  # depth 1
        ("C", "P1", "P3"),  # depth 2
    ]
    assert result.business_value_at_risk == 8 + 0 + 3  # A, F (no WSJF), C; not the root


def test_sideways_dependencies_between_impacted_items_count() -> None:
    snapshot = portfolio(
        *PIS,
        feature("R", pi="P1"),
        feature("X", pi="P3"),
        feature("Y", pi="P1"),
        dependencies=(("X", "R"), ("Y", "R"), ("Y", "X")),
    )
    # new(Y) = latest of its own P1, new(R) = P2 and new(X) = P3 (X keeps its later PI).
    assert slips(run(snapshot, slip="P2")) == [("R", "P1", "P2"), ("Y", "P1", "P3")]


def test_a_root_on_a_cycle_keeps_the_pi_it_slips_to() -> None:
    snapshot = portfolio(
        *PIS, feature("R", pi="P1"), feature("A", pi="P1"), dependencies=(("A", "R"), ("R", "A"))
    )
    assert slips(run(snapshot, slip="P2")) == [("R", "P1", "P2"), ("A", "P1", "P2")]


@pytest.mark.parametrize(("root_pi", "slip"), [(None, "P3"), ("P2", "P2"), ("P3", "P2")])
def test_nothing_slips_unless_the_root_moves_later(root_pi: str | None, slip: str) -> None:
    snapshot = portfolio(
        *PIS, feature("R", pi=root_pi), feature("A", pi="P1"), dependencies=(("A", "R"),)
    )
    result = run(snapshot, slip=slip)
    assert (result.slips, result.business_value_at_risk) == ((), 0)
    assert depths(result) == [("A", 1)]


def test_a_pi_starting_the_same_day_is_not_later() -> None:
    twin = pi("P2-twin", "2026-03-16")
    snapshot = portfolio(
        *PIS, twin, feature("R", pi="P1"), feature("A", pi="P2-twin"), dependencies=(("A", "R"),)
    )
    assert slips(run(snapshot, slip="P2")) == [("R", "P1", "P2")]


# --- properties ----------------------------------------------------------------

NAMES = [f"F{n}" for n in range(8)]
PI_IDS = [p.id for p in PIS]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, len(NAMES)))
    names = NAMES[:count]
    plans = draw(st.lists(st.sampled_from([None, *PI_IDS]), min_size=count, max_size=count))
    values = draw(st.lists(st.sampled_from([None, 1, 8, 20]), min_size=count, max_size=count))
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=20))
    features = [
        feature(n, pi=p, wsjf=None if v is None else wsjf(v, 1, 1, 1))
        for n, p, v in zip(names, plans, values, strict=True)
    ]
    return {
        "snapshot": portfolio(*PIS, *features, dependencies=tuple(set(edges))),
        "root": draw(st.sampled_from(names)),
        "max_depth": draw(st.integers(1, 4)),
        "slip": draw(st.sampled_from(PI_IDS)),
    }


def oracle(
    snapshot: Portfolio, root: str, max_depth: int, slip: str
) -> tuple[dict[str, int], dict[str, str]]:
    """Depths by repeated relaxation and new PIs by naive iteration of the contract's equations."""
    depth = {root: 0}
    for _ in range(len(snapshot.features)):
        for a, b in snapshot.dependencies:
            if b in depth and depth[b] + 1 < depth.get(a, 1 << 30):
                depth[a] = depth[b] + 1
    items = {x: d for x, d in depth.items() if x != root and d <= max_depth}
    start = {p: snapshot.pis[p].start for p in snapshot.pis}
    root_pi = snapshot.features[root].pi
    if root_pi is None or start[slip] <= start[root_pi]:
        return items, {}
    own = {x: p for x in items if (p := snapshot.features[x].pi) is not None}
    new = {**own, root: slip}
    changed = True
    while changed:
        changed = False
        for x in own:
            needed = [new[b] for a, b in snapshot.dependencies if a == x and b in new]
            latest = max([own[x], *needed], key=start.__getitem__)
            if latest != new[x]:
                new[x], changed = latest, True
    return items, new


@settings(max_examples=400, deadline=None, database=None)
@given(cases())
def test_impact_matches_the_contract_equations(case: dict[str, Any]) -> None:
    snapshot, root = case["snapshot"], case["root"]
    result = run(snapshot, root, case["max_depth"], case["slip"])
    items, new = oracle(snapshot, root, case["max_depth"], case["slip"])
    assert depths(result) == sorted(items.items(), key=lambda item: (item[1], item[0]))
    start = {p: snapshot.pis[p].start for p in snapshot.pis}
    for slip in result.slips:
        assert start[slip.to_pi_id] > start[slip.from_pi_id]  # only ever later
    moved = {s.item_id: s.to_pi_id for s in result.slips}
    final = {x: moved.get(x, snapshot.features[x].pi) for x in [root, *items]}
    for a, b in snapshot.dependencies:  # after a slip, impacted items follow their dependencies
        if result.slips and a in items and final[a] and final.get(b) and (b == root or b in items):
            assert start[final[a]] >= start[final[b]]
    expected = {x: p for x, p in new.items() if x == root or p != snapshot.features[x].pi}
    assert moved == expected
    if result.slips:
        assert result.slips[0].item_id == root
        rest = [s.item_id for s in result.slips[1:]]
        assert rest == sorted(rest, key=lambda x: (items[x], x))
    at_risk = sum(
        w.user_business_value for x in moved if x != root and (w := snapshot.features[x].wsjf)
    )
    assert result.business_value_at_risk == at_risk
