"""Traceability: from an epic or feature up to the strategic themes it serves.

A feature reaches its epic; an epic reaches its key results, their objectives,
and the themes of both the epic and those objectives; a feature also reaches
its team, the team's ART and that ART's value stream. The result holds ids;
the API resolves them to items.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graph.model import Epic, Portfolio


@dataclass(frozen=True, slots=True)
class EpicReach:
    """What an epic's strategy links reach, each list distinct and ordered by id."""

    key_result_ids: tuple[str, ...] = ()
    objective_ids: tuple[str, ...] = ()
    theme_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trace:
    """The contract's `Trace`, by id (`epic_id` is the epic itself when tracing an epic)."""

    item_id: str
    epic_id: str | None = None
    key_result_ids: tuple[str, ...] = ()
    objective_ids: tuple[str, ...] = ()
    theme_ids: tuple[str, ...] = ()
    team_id: str | None = None
    art_id: str | None = None
    value_stream_id: str | None = None

    @property
    def aligned(self) -> bool:
        """True when at least one strategic theme is reached."""
        return bool(self.theme_ids)


_NOTHING = EpicReach()


class Tracer:
    """Traces many items of one portfolio, walking each epic's links once."""

    def __init__(self, portfolio: Portfolio) -> None:
        self._portfolio = portfolio
        self._reach: dict[str, EpicReach] = {}

    def epic_reach(self, epic_id: str | None) -> EpicReach:
        """Key results, objectives and themes an epic reaches (nothing for an unknown epic)."""
        if epic_id is None:
            return _NOTHING
        reach = self._reach.get(epic_id)
        if reach is None:
            epic = self._portfolio.epics.get(epic_id)
            reach = _NOTHING if epic is None else self._walk(epic)
            self._reach[epic_id] = reach
        return reach

    def _walk(self, epic: Epic) -> EpicReach:
        key_results = self._portfolio.key_results
        objectives = self._portfolio.objectives
        objective_ids = {key_results[kr].objective for kr in epic.key_results if kr in key_results}
        themes = set(epic.themes)
        for objective_id in objective_ids:
            objective = objectives.get(objective_id)
            if objective is not None:
                themes.update(objective.themes)
        key_result_ids = tuple(sorted(set(epic.key_results)))
        return EpicReach(key_result_ids, tuple(sorted(objective_ids)), tuple(sorted(themes)))

    def trace(self, item_id: str) -> Trace | None:
        """The trace of an epic or feature; None for any other id."""
        portfolio = self._portfolio
        epic = portfolio.epics.get(item_id)
        if epic is not None:
            reach = self.epic_reach(epic.id)
            return Trace(
                item_id=epic.id,
                epic_id=epic.id,
                key_result_ids=reach.key_result_ids,
                objective_ids=reach.objective_ids,
                theme_ids=reach.theme_ids,
                value_stream_id=epic.value_stream,
            )
        feature = portfolio.features.get(item_id)
        if feature is None:
            return None
        reach = self.epic_reach(feature.epic)
        team = portfolio.teams.get(feature.team) if feature.team is not None else None
        art_id = team.art if team is not None else None
        art = portfolio.arts.get(art_id) if art_id is not None else None
        return Trace(
            item_id=feature.id,
            epic_id=feature.epic,
            key_result_ids=reach.key_result_ids,
            objective_ids=reach.objective_ids,
            theme_ids=reach.theme_ids,
            team_id=feature.team,
            art_id=art_id,
            value_stream_id=art.value_stream if art is not None else None,
        )

    def union(self, feature_ids: Iterable[str]) -> TraceUnion:
        """The distinct union of the traces of some features, each list ordered by id."""
        portfolio = self._portfolio
        epics: set[str] = set()
        teams: set[str] = set()
        for feature_id in feature_ids:
            feature = portfolio.features[feature_id]
            if feature.epic is not None:
                epics.add(feature.epic)
            if feature.team is not None:
                teams.add(feature.team)
        arts = {t.art for t in map(portfolio.teams.get, teams) if t is not None and t.art}
        key_results: set[str] = set()
        objectives: set[str] = set()
        themes: set[str] = set()
        for epic_id in epics:
            reach = self.epic_reach(epic_id)
            key_results.update(reach.key_result_ids)
            objectives.update(reach.objective_ids)
            themes.update(reach.theme_ids)
        return TraceUnion(
            *(tuple(sorted(ids)) for ids in (teams, arts, epics, key_results, objectives, themes))
        )


@dataclass(frozen=True, slots=True)
class TraceUnion:
    team_ids: tuple[str, ...]
    art_ids: tuple[str, ...]
    epic_ids: tuple[str, ...]
    key_result_ids: tuple[str, ...]
    objective_ids: tuple[str, ...]
    theme_ids: tuple[str, ...]


def trace(portfolio: Portfolio, item_id: str) -> Trace | None:
    """Walk upward from an epic or feature to the themes it serves; None for an unknown id.

    >>> from graph.model import Epic, Feature, KeyResult, Objective
    >>> p = Portfolio(
    ...     objectives={"O-1": Objective(id="O-1", title="Grow", themes=("TH-2",))},
    ...     key_results={"KR-1": KeyResult(id="KR-1", title="NPS 40", objective="O-1")},
    ...     epics={"E-1": Epic(id="E-1", name="Pay", type="BUSINESS", state="IMPLEMENTING",
    ...                        themes=("TH-1",), key_results=("KR-1",))},
    ...     features={"F-1": Feature(id="F-1", name="1-click", type="BUSINESS",
    ...                              state="BACKLOG", epic="E-1")})
    >>> t = trace(p, "F-1")
    >>> t.epic_id, t.objective_ids, t.theme_ids, t.aligned
    ('E-1', ('O-1',), ('TH-1', 'TH-2'), True)
    >>> trace(p, "KR-1") is None
    True
    """
    return Tracer(portfolio).trace(item_id)
