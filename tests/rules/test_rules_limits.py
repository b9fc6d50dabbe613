"""Cap guardrails: WIP limits, team capacity, enabler allocation, horizon mix, budgets.

Each cap is checked where it fires, where it does not, and exactly at the cap
(within it, also when float sums land a hair above it).
"""

from __future__ import annotations

import pytest

from graph.model import Epic, Feature, Item, Severity, ValueStream
from rules.violation import SubjectType
from tests.rules.builders import art, check, epic, feature, pi, portfolio, team

# --- kanban.wip-limit ----------------------------------------------------------

WIP = "kanban.wip-limit"


def epics_in(state: str, count: int, first: int = 1) -> list[Epic]:
    return [epic(f"E-{n:02d}", state=state) for n in range(first, first + count)]


def test_state_exactly_at_its_limit_passes() -> None:
    snapshot = portfolio(*epics_in("IMPLEMENTING", 8), *epics_in("ANALYZING", 5, first=20))
    assert check(WIP, snapshot) == []


def test_one_epic_over_the_limit_names_every_epic_in_the_state() -> None:
    snapshot = portfolio(*epics_in("IMPLEMENTING", 9), *epics_in("ANALYZING", 1, first=20))
    [v] = check(WIP, snapshot)
    assert (v.subject_type, v.subject_id, v.excess, v.severity) == (
        SubjectType.EPIC_STATE,
        "IMPLEMENTING",
        1.0,
        Severity.ERROR,
    )
    assert v.related_ids == tuple(f"E-{n:02d}" for n in range(1, 10))
    assert "9" in v.message and "8" in v.message


def test_states_without_a_limit_are_free_unless_the_policy_sets_one() -> None:
    snapshot = portfolio(*epics_in("FUNNEL", 30))
    assert check(WIP, snapshot) == []
    [v] = check(WIP, snapshot, limits={"FUNNEL": 25})
    assert (v.subject_id, v.excess) == ("FUNNEL", 5.0)


def test_fractional_and_zero_limits() -> None:
    snapshot = portfolio(*epics_in("ANALYZING", 3))
    assert [v.excess for v in check(WIP, snapshot, limits={"ANALYZING": 2.5})] == [0.5]
    assert [v.excess for v in check(WIP, snapshot, limits={"ANALYZING": 0})] == [3.0]


# --- capacity.team-overload ----------------------------------------------------

OVERLOAD = "capacity.team-overload"
PIS = (pi("PI-1", "2026-01-05", "PI 26.1"), pi("PI-2", "2026-03-16", "PI 26.2"))


def planned(team_id: str, pi_id: str, *points: float | None) -> list[Feature]:
    return [
        feature(f"F-{team_id}-{pi_id}-{n}", team=team_id, pi=pi_id, points=p)
        for n, p in enumerate(points, 1)
    ]


def test_points_exactly_at_capacity_pass() -> None:
    snapshot = portfolio(*PIS, team("T-1", capacity={"PI-1": 40}), *planned("T-1", "PI-1", 21, 19))
    assert check(OVERLOAD, snapshot) == []


def test_float_sum_a_hair_above_capacity_is_within_it() -> None:
    snapshot = portfolio(
        *PIS, team("T-1", capacity={"PI-1": 0.3}), *planned("T-1", "PI-1", 0.1, 0.2)
    )
    assert 0.1 + 0.2 > 0.3  # the float sum really is above the cap
    assert check(OVERLOAD, snapshot) == []


def test_overload_names_the_pi_then_every_planned_feature() -> None:
    features = planned("T-1", "PI-1", 21, 20, None)
    features.append(feature("F-done", team="T-1", pi="PI-1", points=5, state="DONE"))
    snapshot = portfolio(*PIS, team("T-1", capacity={"PI-1": 40, "PI-2": 1}), *features)
    [v] = check(OVERLOAD, snapshot)
    assert (v.subject_type, v.subject_id, v.excess, v.severity) == (
        SubjectType.TEAM,
        "T-1",
        6.0,
        Severity.WARNING,  # 21 + 20 + 5 (DONE counts) - 40
    )
    assert v.related_ids == ("PI-1", "F-T-1-PI-1-1", "F-T-1-PI-1-2", "F-T-1-PI-1-3", "F-done")
    assert v.key == (OVERLOAD, "T-1", "PI-1")
    assert v.message == "Team Team T-1 (T-1): 46 points planned in PI 26.1 against a capacity of 40"


def test_each_pi_is_its_own_violation_and_unrecorded_capacity_is_not_judged() -> None:
    snapshot = portfolio(
        *PIS,
        team("T-1", capacity={"PI-1": 10, "PI-2": 10}),
        team("T-2"),
        *planned("T-1", "PI-1", 11),
        *planned("T-1", "PI-2", 12),
        *planned("T-2", "PI-1", 500),
    )
    found = {(v.subject_id, v.related_ids[0], v.excess) for v in check(OVERLOAD, snapshot)}
    assert found == {("T-1", "PI-1", 1.0), ("T-1", "PI-2", 2.0)}


def test_tolerance_widens_the_cap() -> None:
    at_cap = portfolio(*PIS, team("T-1", capacity={"PI-1": 40}), *planned("T-1", "PI-1", 44))
    assert check(OVERLOAD, at_cap, tolerance=0.1) == []
    over = portfolio(*PIS, team("T-1", capacity={"PI-1": 40}), *planned("T-1", "PI-1", 45))
    [v] = check(OVERLOAD, over, tolerance=0.1)
    assert v.excess == pytest.approx(1.0)
    assert "44 with the 10% tolerance" in v.message


# --- capacity.allocation -------------------------------------------------------

ALLOCATION = "capacity.allocation"


def train(*features: Item) -> list[Item]:
    return [*PIS, art("ART-1"), team("T-1", "ART-1"), team("T-2", "ART-1"), team("T-9"), *features]


def mix(pi_id: str, business: float, enabler: float, team_id: str = "T-1") -> list[Feature]:
    return [
        feature(f"B-{team_id}-{pi_id}", type="BUSINESS", team=team_id, pi=pi_id, points=business),
        feature(f"N-{team_id}-{pi_id}", type="ENABLER", team=team_id, pi=pi_id, points=enabler),
    ]


@pytest.mark.parametrize(("business", "enabler"), [(80, 20), (90, 10), (60, 40)])
def test_enabler_share_inside_or_exactly_at_the_band_passes(
    business: float, enabler: float
) -> None:
    assert check(ALLOCATION, portfolio(*train(*mix("PI-1", business, enabler)))) == []


@pytest.mark.parametrize(("business", "enabler", "excess"), [(95, 5, 0.05), (50, 50, 0.1)])
def test_enabler_share_outside_the_band(business: float, enabler: float, excess: float) -> None:
    [v] = check(ALLOCATION, portfolio(*train(*mix("PI-1", business, enabler))))
    assert (v.subject_type, v.subject_id, v.related_ids) == (
        SubjectType.RELEASE_TRAIN,
        "ART-1",
        ("PI-1",),
    )
    assert v.excess == pytest.approx(excess)
    assert v.key == (ALLOCATION, "ART-1", "PI-1")


def test_share_is_over_the_whole_train_and_per_pi() -> None:
    features = [
        *mix("PI-1", 50, 0, "T-1"),
        *mix("PI-1", 30, 20, "T-2"),  # train: 20 of 100 -> fine
        *mix("PI-2", 100, 0, "T-1"),  # train: 0 of 100 -> below
        feature("X", type="ENABLER", team="T-9", pi="PI-2", points=100),  # team without a train
        feature("Y", type="ENABLER", team="T-1", pi="PI-2"),  # no points: not counted
        feature("Z", type="ENABLER", team="T-1", points=100),  # not planned: not counted
    ]
    [v] = check(ALLOCATION, portfolio(*train(*features)))
    assert v.related_ids == ("PI-2",)
    assert v.excess == pytest.approx(0.1)


def test_no_planned_points_reports_nothing() -> None:
    features = [
        feature("F-1", type="BUSINESS", team="T-1", pi="PI-1"),
        feature("F-2", type="BUSINESS", team="T-1", pi="PI-2", points=0),
    ]
    assert check(ALLOCATION, portfolio(*train(*features))) == []


def test_band_comes_from_the_policy() -> None:
    snapshot = portfolio(*train(*mix("PI-1", 80, 20)))
    [v] = check(ALLOCATION, snapshot, enablerShare={"min": 0.25})
    assert v.excess == pytest.approx(0.05)


# --- investment.horizon-mix ----------------------------------------------------

HORIZON = "investment.horizon-mix"


def committed(
    item_id: str, horizon: str | None, cost: float | None, state: str = "IMPLEMENTING"
) -> Epic:
    return epic(item_id, state=state, horizon=horizon, estimated_cost=cost)


def test_nothing_to_judge_without_a_committed_epic_with_cost_and_horizon() -> None:
    snapshot = portfolio(
        committed("E-1", "H1", None),
        committed("E-2", None, 100.0),
        committed("E-3", "H3", 100.0, state="ANALYZING"),
        committed("E-4", "H3", 100.0, state="DONE"),
    )
    assert check(HORIZON, snapshot) == []


def test_mix_exactly_on_band_edges_passes() -> None:
    snapshot = portfolio(
        committed("E-0", "H0", 100.0),  # 0.1: top of [0, 0.1]
        committed("E-1", "H1", 500.0, state="PORTFOLIO_BACKLOG"),  # 0.5: bottom of [0.5, 0.8]
        committed("E-2", "H2", 300.0),  # 0.3: top of [0.1, 0.3]
        committed("E-3", "H3", 100.0),
        committed("E-4", "H3", 5000.0, state="FUNNEL"),  # not committed
    )
    assert check(HORIZON, snapshot) == []


def test_every_horizon_in_bands_is_checked_even_without_cost() -> None:
    found = check(HORIZON, portfolio(committed("E-1", "H1", 1000.0)))
    assert [(v.subject_type, v.subject_id, v.related_ids) for v in found] == [
        (SubjectType.HORIZON, "H1", ()),
        (SubjectType.HORIZON, "H2", ()),
    ]
    assert [v.excess for v in found] == [pytest.approx(0.2), pytest.approx(0.1)]


def test_bands_come_from_the_policy() -> None:
    snapshot = portfolio(committed("E-1", "H1", 900.0), committed("E-2", "H2", 100.0))
    assert [v.subject_id for v in check(HORIZON, snapshot)] == ["H1"]  # 0.9 > 0.8
    assert check(HORIZON, snapshot, bands={"H1": [0.5, 0.9], "H2": [0, 0.3]}) == []


# --- budget.value-stream -------------------------------------------------------

BUDGET = "budget.value-stream"


def stream(budget: float | None) -> ValueStream:
    return ValueStream(id="VS-1", name="Retail", budget=budget)


def funded(item_id: str, cost: float | None, state: str = "IMPLEMENTING") -> Epic:
    return epic(item_id, state=state, value_stream="VS-1", estimated_cost=cost)


def test_committed_cost_exactly_at_budget_passes() -> None:
    snapshot = portfolio(stream(1_000_000), funded("E-1", 600_000), funded("E-2", 400_000))
    assert check(BUDGET, snapshot) == []
    floats = portfolio(stream(0.3), funded("E-1", 0.1), funded("E-2", 0.2))
    assert check(BUDGET, floats) == []


def test_over_budget_names_the_committed_epics() -> None:
    snapshot = portfolio(
        stream(1_000_000),
        funded("E-1", 600_000),
        funded("E-2", 400_001, state="PORTFOLIO_BACKLOG"),
        funded("E-3", None),  # committed, no estimate yet
        funded("E-4", 9_000_000, state="ANALYZING"),
        funded("E-5", 9_000_000, state="DONE"),
    )
    [v] = check(BUDGET, snapshot)
    assert (v.subject_type, v.subject_id, v.excess, v.severity) == (
        SubjectType.VALUE_STREAM,
        "VS-1",
        1.0,
        Severity.ERROR,
    )
    assert v.related_ids == ("E-1", "E-2", "E-3")
    assert "1,000,001" in v.message and "1,000,000" in v.message


def test_value_stream_without_budget_is_not_judged() -> None:
    assert check(BUDGET, portfolio(stream(None), funded("E-1", 10**9))) == []
