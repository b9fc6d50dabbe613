"""Counts for dashboards: violations by rule, severity and ART; features by state per PI;
each team's planned load against its capacity per PI. Pure functions over a portfolio
and the violations the guardrails found, so a dashboard never downloads the lists."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graph.model import FeatureState, Portfolio, Severity
from rules.guardrails.capacity import over_capacity, planned_loads
from rules.violation import SubjectType, Violation

_SEVERITY_FIRST = (Severity.ERROR, Severity.WARNING, Severity.INFO)


@dataclass(frozen=True, slots=True)
class ViolationCounts:
    """How many violations, in all and per group; only groups with at least one.

    `by_rule`: (rule, its severity, count) by rule id; `by_severity`: ERROR, WARNING, INFO;
    `by_art`: (ART id or None, count) by ART id, violations without an ART last.
    """

    total: int
    by_rule: list[tuple[str, Severity, int]]
    by_severity: list[tuple[Severity, int]]
    by_art: list[tuple[str | None, int]]


def art_of(portfolio: Portfolio, violation: Violation) -> str | None:
    """The release train a violation belongs to: its subject's ART (a train itself, a team's
    train, a feature's team's train); None for subjects above or outside the trains
    (epics, value streams, Kanban states, horizons) and for a team or feature without one.

    >>> from graph.model import Feature, Team
    >>> p = Portfolio(teams={"T-1": Team(id="T-1", name="Nova", art="ART-1")},
    ...               features={"F-1": Feature(id="F-1", name="x", type="BUSINESS",
    ...                                        state="BACKLOG", team="T-1")})
    >>> v = Violation("wsjf.missing-inputs", Severity.INFO, SubjectType.FEATURE, "F-1", (),
    ...               1.0, "...")
    >>> art_of(p, v)
    'ART-1'
    """
    subject = violation.subject_id
    team_id: str | None = None
    if violation.subject_type is SubjectType.RELEASE_TRAIN:
        return subject
    if violation.subject_type is SubjectType.TEAM:
        team_id = subject
    elif violation.subject_type is SubjectType.FEATURE:
        feature = portfolio.features.get(subject)
        team_id = None if feature is None else feature.team
    team = None if team_id is None else portfolio.teams.get(team_id)
    return None if team is None else team.art


def violation_counts(portfolio: Portfolio, violations: Sequence[Violation]) -> ViolationCounts:
    """`violations` counted by rule, by severity and by ART (`art_of`)."""
    rules = Counter((v.rule, v.severity) for v in violations)
    severities = Counter(v.severity for v in violations)
    arts = Counter(art_of(portfolio, v) for v in violations)
    return ViolationCounts(
        total=len(violations),
        by_rule=[(rule, severity, n) for (rule, severity), n in sorted(rules.items())],
        by_severity=[(s, severities[s]) for s in _SEVERITY_FIRST if severities[s]],
        by_art=sorted(arts.items(), key=lambda pair: (pair[0] is None, pair[0] or "")),
    )


@dataclass(frozen=True, slots=True)
class PiFeatureCounts:
    """Features planned in one PI (None: in none), in all and per state (Kanban order,
    states with at least one)."""

    pi: str | None
    total: int
    by_state: list[tuple[FeatureState, int]]


def feature_counts(portfolio: Portfolio, feature_ids: Iterable[str]) -> list[PiFeatureCounts]:
    """The features counted by PI and state: PIs by start date (then id), unplanned last;
    only PIs with at least one of the features.

    >>> from graph.model import Feature
    >>> p = Portfolio(features={i: Feature(id=i, name=i, type="BUSINESS", state=s, pi=pi)
    ...                         for i, s, pi in (("F-1", "DONE", None), ("F-2", "BACKLOG", None),
    ...                                          ("F-3", "DONE", None))})
    >>> [c] = feature_counts(p, p.features)
    >>> c.pi, c.total, [(s.value, n) for s, n in c.by_state]
    (None, 3, [('BACKLOG', 1), ('DONE', 2)])
    """
    counts: dict[str | None, Counter[FeatureState]] = {}
    for feature_id in feature_ids:
        feature = portfolio.features[feature_id]
        counts.setdefault(feature.pi, Counter())[feature.state] += 1
    pis = portfolio.pis

    def when(pi_id: str | None) -> tuple[int, str, str]:
        pi = None if pi_id is None else pis.get(pi_id)
        return (1, "", "") if pi is None else (0, pi.start.isoformat(), pi.id)

    return [PiFeatureCounts(pi_id, sum(states.values()),
                            [(s, states[s]) for s in FeatureState if states[s]])
            for pi_id, states in sorted(counts.items(), key=lambda pair: when(pair[0]))]


@dataclass(frozen=True, slots=True)
class TeamLoad:
    """A team's planned load in a PI against its capacity there.

    `points` and `features` as `capacity.team-overload` measures them; `capacity` None when
    none is recorded; `ratio` points / capacity (None without a positive capacity);
    `overloaded` whether the rule's test (with its tolerance) finds the capacity broken.
    """

    team: str
    pi: str
    points: float
    features: int
    capacity: float | None
    ratio: float | None
    overloaded: bool


def team_loads(portfolio: Portfolio, tolerance: float) -> list[TeamLoad]:
    """Every team and PI with a recorded capacity or a feature planned, by PI start date,
    PI id, then team id.

    >>> from graph.model import Feature, ProgramIncrement, Team
    >>> p = Portfolio(
    ...     teams={"T-1": Team(id="T-1", name="Nova", capacity={"PI-1": 40})},
    ...     pis={"PI-1": ProgramIncrement(id="PI-1", name="PI 26.1",
    ...                                   start="2026-01-05", end="2026-03-13")},
    ...     features={"F-1": Feature(id="F-1", name="x", type="BUSINESS", state="BACKLOG",
    ...                              team="T-1", pi="PI-1", points=50)})
    >>> [row] = team_loads(p, 0.0)
    >>> row.points, row.capacity, row.ratio, row.overloaded
    (50.0, 40.0, 1.25, True)
    """
    loads = planned_loads(portfolio)
    pairs = set(loads) | {(t.id, pi) for t in portfolio.teams.values() for pi in t.capacity}
    out = []
    for team_id, pi_id in pairs:
        team, pi = portfolio.teams.get(team_id), portfolio.pis.get(pi_id)
        if team is None or pi is None:
            continue  # a dangling reference: nothing to show it on
        load = loads.get((team_id, pi_id))
        points = 0.0 if load is None else load.points
        capacity = team.capacity.get(pi_id)
        out.append(TeamLoad(
            team=team_id, pi=pi_id, points=points,
            features=0 if load is None else len(load.features),
            capacity=None if capacity is None else float(capacity),
            ratio=points / capacity if capacity else None,
            overloaded=capacity is not None and over_capacity(points, capacity, tolerance)))
    starts = {pi.id: pi.start for pi in portfolio.pis.values()}
    out.sort(key=lambda row: (starts[row.pi], row.pi, row.team))
    return out
