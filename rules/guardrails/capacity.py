"""Team capacity per PI, and lean budget guardrail 2: capacity allocation to enablers."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from graph.model import Kind, Portfolio, Severity, WorkType
from rules.guardrails.registry import register
from rules.guardrails.wording import amount, named, pi_name, share
from rules.scope import Delta, Scope, members, pick
from rules.settings import Number, RuleSettings, ShareRange
from rules.violation import SubjectType, Violation

OVERLOAD = "capacity.team-overload"
ALLOCATION = "capacity.allocation"
TOLERANCE = 1e-9


def _teams(delta: Delta, previous: Sequence[Violation]) -> set[str]:
    """A changed team, the teams a changed feature was or is in, the teams with capacity in a
    changed PI (its name is in their messages)."""
    teams = set(delta.changed(Kind.TEAM)) | delta.values(Kind.FEATURE, "team")
    pis = delta.changed(Kind.PI)
    if pis:
        teams.update(t.id for t in delta.after.teams.values() if not pis.isdisjoint(t.capacity))
    return teams


def _teams_slice(delta: Delta, teams: set[str]) -> Portfolio:
    after = delta.after
    features = members(delta.index.features_by_team, teams)
    return Portfolio(
        teams=pick(after.teams, teams), pis=after.pis, features=pick(after.features, features)
    )


@dataclass(frozen=True, slots=True)
class Load:
    """What a team plans in a PI, as `capacity.team-overload` measures it: the summed points
    of its features planned there (features without points add none), and every such
    feature, by id."""

    points: float
    features: tuple[str, ...]


def planned_loads(portfolio: Portfolio) -> dict[tuple[str, str], Load]:
    """(team, PI) -> the team's load in the PI, for every pair with a feature planned.

    >>> from graph.model import Feature
    >>> p = Portfolio(features={i: Feature(id=i, name=i, type="BUSINESS", state="BACKLOG",
    ...                                    team="T-1", pi="PI-1", points=pts)
    ...                         for i, pts in (("F-2", 5), ("F-1", None))})
    >>> planned_loads(p)
    {('T-1', 'PI-1'): Load(points=5.0, features=('F-1', 'F-2'))}
    """
    planned: dict[tuple[str, str], list[str]] = defaultdict(list)
    points: dict[tuple[str, str], list[float]] = defaultdict(list)
    for feature in portfolio.features.values():
        if feature.team is None or feature.pi is None:
            continue
        planned[feature.team, feature.pi].append(feature.id)
        if feature.points is not None:
            points[feature.team, feature.pi].append(feature.points)
    return {pair: Load(math.fsum(points.get(pair, ())), tuple(sorted(ids)))
            for pair, ids in planned.items()}


def over_capacity(points: float, capacity: float, tolerance: float) -> bool:
    """Whether `points` break `capacity` with the rule's tolerance (at the cap is within)."""
    return points > capacity * (1 + tolerance) + TOLERANCE


@register(
    OVERLOAD,
    default_severity=Severity.WARNING,
    description="A team's feature points planned in a PI stay within its capacity.",
    params={"tolerance": Number(0.0)},
    keyed_by_first_related=True,  # one per PI
    scope=Scope(frozenset({Kind.TEAM, Kind.FEATURE, Kind.PI}), subjects=_teams,
                slice=_teams_slice),
)
def team_overload(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A team and PI with a recorded capacity below the points planned there.

    >>> from graph.model import Feature, ProgramIncrement, Team
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     teams={"T-1": Team(id="T-1", name="Nova", capacity={"PI-2": 40})},
    ...     pis={"PI-2": ProgramIncrement(id="PI-2", name="PI 26.2",
    ...                                   start="2026-03-16", end="2026-05-22")},
    ...     features={i: Feature(id=i, name=i, type="BUSINESS", state="BACKLOG", team="T-1",
    ...                          pi="PI-2", points=pts) for i, pts in (("F-1", 21), ("F-2", 25))})
    >>> [v] = team_overload(p, default_settings(OVERLOAD))
    >>> v.related_ids, v.excess
    (('PI-2', 'F-1', 'F-2'), 6.0)
    >>> print(v.message)
    Team Nova (T-1): 46 points planned in PI 26.2 against a capacity of 40
    """
    tolerance = settings.params["tolerance"]
    loads = planned_loads(portfolio)
    out: list[Violation] = []
    for team in portfolio.teams.values():
        for pi_id, capacity in team.capacity.items():
            load = loads.get((team.id, pi_id), Load(0.0, ()))
            total, allowed = load.points, capacity * (1 + tolerance)
            if not over_capacity(total, capacity, tolerance):
                continue
            message = (
                f"Team {named(team.name, team.id)}: {amount(total)} points planned in "
                f"{pi_name(portfolio, pi_id)} against a capacity of {amount(capacity)}"
            )
            if tolerance:
                message += f" ({amount(allowed)} with the {share(tolerance)} tolerance)"
            related = (pi_id, *load.features)
            out.append(
                Violation(
                    OVERLOAD,
                    settings.severity,
                    SubjectType.TEAM,
                    team.id,
                    related,
                    total - allowed,
                    message,
                )
            )
    return out


def _arts(delta: Delta, previous: Sequence[Violation]) -> set[str] | None:
    """A changed ART, the ARTs a changed team was or is in, the ARTs of the teams a changed
    feature was or is in; every ART for a changed PI (its name is in the messages)."""
    if delta.changed(Kind.PI):
        return None
    arts = set(delta.changed(Kind.ART))
    for portfolio in (delta.before, delta.after):
        teams = set(delta.changed(Kind.TEAM))
        for feature_id in delta.changed(Kind.FEATURE):
            feature = portfolio.features.get(feature_id)
            if feature is not None and feature.team is not None:
                teams.add(feature.team)
        for team_id in teams:
            team = portfolio.teams.get(team_id)
            if team is not None and team.art is not None:
                arts.add(team.art)
    return arts


def _arts_slice(delta: Delta, arts: set[str]) -> Portfolio:
    after = delta.after
    teams = {t.id for t in after.teams.values() if t.art in arts}
    features = members(delta.index.features_by_team, teams)
    return Portfolio(
        arts=after.arts,
        teams=pick(after.teams, teams),
        pis=after.pis,
        features=pick(after.features, features),
    )


@register(
    ALLOCATION,
    default_severity=Severity.WARNING,
    description="Enablers take an agreed share of the points each ART plans in a PI.",
    params={"enablerShare": ShareRange(0.1, 0.4)},
    keyed_by_first_related=True,  # one per PI
    scope=Scope(frozenset({Kind.TEAM, Kind.FEATURE, Kind.ART, Kind.PI}), subjects=_arts,
                slice=_arts_slice),
)
def allocation(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An ART and PI whose ENABLER share of planned feature points is outside [min, max].

    >>> from graph.model import Feature, ReleaseTrain, Team
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     arts={"ART-1": ReleaseTrain(id="ART-1", name="Phoenix")},
    ...     teams={"T-1": Team(id="T-1", name="Nova", art="ART-1")},
    ...     features={i: Feature(id=i, name=i, type=kind, state="BACKLOG", team="T-1",
    ...                          pi="PI-1", points=pts)
    ...               for i, kind, pts in (("F-1", "BUSINESS", 95), ("F-2", "ENABLER", 5))})
    >>> [v] = allocation(p, default_settings(ALLOCATION))
    >>> v.related_ids, round(v.excess, 9)
    (('PI-1',), 0.05)
    >>> print(v.message)  # doctest: +NORMALIZE_WHITESPACE
    Release train Phoenix (ART-1): enablers take 5% of the 100 points planned in PI-1,
    below the minimum of 10%
    """
    low = settings.params["enablerShare"]["min"]
    high = settings.params["enablerShare"]["max"]
    art_of_team = {team.id: team.art for team in portfolio.teams.values()}
    totals: dict[tuple[str, str], list[float]] = defaultdict(list)
    enablers: dict[tuple[str, str], list[float]] = defaultdict(list)
    for feature in portfolio.features.values():
        art_id = art_of_team.get(feature.team) if feature.team is not None else None
        if art_id is None or feature.pi is None or feature.points is None:
            continue
        totals[art_id, feature.pi].append(feature.points)
        if feature.type is WorkType.ENABLER:
            enablers[art_id, feature.pi].append(feature.points)
    out: list[Violation] = []
    for (art_id, pi_id), all_points in totals.items():
        total = math.fsum(all_points)
        if total <= 0:
            continue  # nothing planned: no share to judge
        enabler_share = math.fsum(enablers.get((art_id, pi_id), ())) / total
        if enabler_share < low - TOLERANCE:
            excess, bound = low - enabler_share, f"below the minimum of {share(low)}"
        elif enabler_share > high + TOLERANCE:
            excess, bound = enabler_share - high, f"above the maximum of {share(high)}"
        else:
            continue
        art = portfolio.arts.get(art_id)
        message = (
            f"Release train {art_id if art is None else named(art.name, art_id)}: enablers take "
            f"{share(enabler_share)} of the {amount(total)} points planned in "
            f"{pi_name(portfolio, pi_id)}, {bound}"
        )
        out.append(
            Violation(
                ALLOCATION,
                settings.severity,
                SubjectType.RELEASE_TRAIN,
                art_id,
                (pi_id,),
                excess,
                message,
            )
        )
    return out
