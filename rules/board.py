"""The program board: dependencies between features with where each end is planned.

An RTE's "red strings": for every dependency A -> B (A needs B first), the teams,
ARTs and PIs of both ends, whether it crosses ARTs, and whether it is a schedule
conflict (B planned in a later PI than A) or unplanned (A planned, B has no PI and
is not DONE) -- the same tests as the `dependency.*` guardrails.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import FeatureState, Portfolio
from rules.impact import impact


@dataclass(frozen=True, slots=True)
class BoardEdge:
    """`from_id` depends on `to_id`, with both ends' team, ART and PI."""

    from_id: str
    to_id: str
    from_team: str | None
    to_team: str | None
    from_art: str | None
    to_art: str | None
    from_pi: str | None
    to_pi: str | None
    crosses_art: bool
    schedule_conflict: bool
    unplanned: bool


@dataclass(frozen=True, slots=True)
class BoardFilter:
    """Filters combine with AND; an edge matches a place when either end is there."""

    pi: str | None = None
    art: str | None = None
    value_stream: str | None = None
    conflicts_only: bool = False
    cross_art_only: bool = False


def _edge(portfolio: Portfolio, from_id: str, to_id: str) -> BoardEdge:
    a, b = portfolio.features[from_id], portfolio.features[to_id]
    team_a = portfolio.teams.get(a.team) if a.team else None
    team_b = portfolio.teams.get(b.team) if b.team else None
    art_a = team_a.art if team_a else None
    art_b = team_b.art if team_b else None
    pi_a = portfolio.pis.get(a.pi) if a.pi else None
    pi_b = portfolio.pis.get(b.pi) if b.pi else None
    return BoardEdge(
        from_id=from_id, to_id=to_id, from_team=a.team, to_team=b.team,
        from_art=art_a, to_art=art_b, from_pi=a.pi, to_pi=b.pi,
        crosses_art=art_a is not None and art_b is not None and art_a != art_b,
        schedule_conflict=pi_a is not None and pi_b is not None and pi_b.start > pi_a.start,
        unplanned=pi_a is not None and b.pi is None and b.state is not FeatureState.DONE,
    )


def _stream(portfolio: Portfolio, art: str | None) -> str | None:
    train = portfolio.arts.get(art) if art else None
    return train.value_stream if train else None


def board(portfolio: Portfolio, where: BoardFilter = BoardFilter(),
          around: str | None = None, max_depth: int = 10) -> list[BoardEdge]:
    """Dependency edges matching `where`, ordered by from, then to. With `around` (a
    feature id), only the edges among that feature and what depends on it, up to
    `max_depth` hops: the map of its impact.

    >>> from graph.model import Feature, ProgramIncrement, Team, ReleaseTrain
    >>> def f(i, team, pi):
    ...     return Feature(id=i, name=i, type="BUSINESS", state="BACKLOG", team=team, pi=pi)
    >>> p = Portfolio(
    ...     arts={"A": ReleaseTrain(id="A", name="A"), "B": ReleaseTrain(id="B", name="B")},
    ...     teams={"T1": Team(id="T1", name="T1", art="A"),
    ...            "T2": Team(id="T2", name="T2", art="B")},
    ...     pis={"P1": ProgramIncrement(id="P1", name="P1", start="2026-01-05", end="2026-03-13"),
    ...          "P2": ProgramIncrement(id="P2", name="P2", start="2026-03-16", end="2026-05-22")},
    ...     features={"F-1": f("F-1", "T1", "P1"), "F-2": f("F-2", "T2", "P2"),
    ...               "F-3": f("F-3", "T1", None)},
    ...     dependencies={("F-1", "F-2"), ("F-3", "F-1")})
    >>> [(e.from_id, e.to_id, e.crosses_art, e.schedule_conflict) for e in board(p)]
    [('F-1', 'F-2', True, True), ('F-3', 'F-1', False, False)]
    >>> [e.to_id for e in board(p, BoardFilter(conflicts_only=True))]
    ['F-2']
    """
    pairs = sorted(portfolio.dependencies)
    if around is not None:
        result = impact(portfolio, around, max_depth)
        if result is None:
            return []
        keep = {around, *(item.item_id for item in result.items)}
        pairs = [(a, b) for a, b in pairs if a in keep and b in keep]
    edges = []
    for from_id, to_id in pairs:
        edge = _edge(portfolio, from_id, to_id)
        if where.conflicts_only and not edge.schedule_conflict:
            continue
        if where.cross_art_only and not edge.crosses_art:
            continue
        if where.pi is not None and where.pi not in (edge.from_pi, edge.to_pi):
            continue
        if where.art is not None and where.art not in (edge.from_art, edge.to_art):
            continue
        if where.value_stream is not None and where.value_stream not in (
                _stream(portfolio, edge.from_art), _stream(portfolio, edge.to_art)):
            continue
        edges.append(edge)
    return edges
