"""WSJF ranking of epics or features, optionally in an order that respects dependencies."""

from __future__ import annotations

import heapq
from bisect import insort
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Literal, TypeVar

from graph.changes import changed_ids
from graph.model import Epic, EpicState, Feature, FeatureState, Kind, Portfolio, Wsjf
from rules.errors import Code, RankingError
from rules.graphs import is_cycle, strongly_connected
from rules.scope import Index
from rules.wsjf import PlainKey, plain_key, plain_order

Level = Literal["EPIC", "FEATURE"]
MAX_LIMIT = 1000
N = TypeVar("N", bound=Hashable)  # a node of the graph _kahn walks


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int
    item_id: str
    wsjf: Wsjf


def rank(
    portfolio: Portfolio,
    level: Level,
    scope: str | None = None,
    pi_id: str | None = None,
    respect_dependencies: bool = False,
    limit: int = 100,
    *,
    ordered: Sequence[tuple[str, Wsjf]] | None = None,
    index: Index | None = None,
) -> list[RankedEntry]:
    """Rank the not-DONE items of `level` that have WSJF inputs; `rank` starts at 1.

    Plain order: score desc, cost of delay desc, job size asc, id asc. With
    `respect_dependencies`, no feature comes before a candidate it depends on,
    directly or through any chain; among items free to come next the first in
    plain order goes first.

    >>> from graph.model import Feature
    >>> def f(i, ubv, size):
    ...     w = Wsjf(user_business_value=ubv, time_criticality=1,
    ...              risk_reduction_opportunity_enablement=1, job_size=size)
    ...     return Feature(id=i, name=i, type="BUSINESS", state="BACKLOG", wsjf=w)
    >>> p = Portfolio(features={i: f(i, ubv, size)
    ...                         for i, ubv, size in (("F-1", 20, 2), ("F-2", 1, 1), ("F-3", 8, 2))},
    ...               dependencies={("F-1", "F-9"), ("F-9", "F-2")})
    >>> [(e.rank, e.item_id, e.wsjf.score) for e in rank(p, "FEATURE")]
    [(1, 'F-1', 11.0), (2, 'F-3', 5.0), (3, 'F-2', 3.0)]
    >>> [e.item_id for e in rank(p, "FEATURE", respect_dependencies=True)]  # F-1 needs F-2 via F-9
    ['F-3', 'F-2', 'F-1']

    `ordered` may be passed in by a caller that keeps it per snapshot:
    `plain_order(candidates(portfolio, level))`, the level's candidates before
    `scope` and `pi_id`; then a plain ranking costs the items it walks to fill
    `limit`, not a sort of the whole level. `index` is the snapshot's dependency lookups
    (`rules.incremental.index_of`, which a change carries to the next snapshot);
    without it they are built here.
    """
    check_limit(limit)
    if level == "EPIC":
        keep = _epic_filter(portfolio, scope, pi_id)
    elif level == "FEATURE":
        keep = _feature_filter(portfolio, scope, pi_id)
    else:
        raise RankingError(Code.INVALID_ARGUMENT, f"unknown level {level}: use EPIC or FEATURE")
    if ordered is None:
        ordered = plain_order(candidates(portfolio, level))
    # Filtering keeps the plain order: it is a total order on the candidates.
    matching: Iterable[tuple[str, Wsjf]] = (
        ordered if scope is None and pi_id is None  # nothing to filter: the level whole
        else (entry for entry in ordered if keep(entry[0])))
    if respect_dependencies and level == "FEATURE":
        order = _respecting_dependencies(portfolio, list(matching),
                                         index or Index.build(portfolio))[:limit]
    else:
        order = list(islice(matching, limit))
    return [RankedEntry(n, item_id, wsjf) for n, (item_id, wsjf) in enumerate(order, 1)]


def check_limit(limit: int) -> None:
    """INVALID_ARGUMENT unless 1 <= limit <= MAX_LIMIT."""
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise RankingError(Code.INVALID_ARGUMENT, f"limit must be between 1 and {MAX_LIMIT}")


def candidates(portfolio: Portfolio, level: Level) -> list[tuple[str, Wsjf]]:
    """Every item of `level` that is not DONE and has WSJF inputs (no scope, no PI)."""
    items, done = _level(portfolio, level)
    return [(i.id, i.wsjf) for i in items.values() if i.wsjf is not None and i.state is not done]


def _level(portfolio: Portfolio, level: Level
           ) -> tuple[Mapping[str, Epic | Feature], EpicState | FeatureState]:
    """The items of `level` and the state in which they are never ranked."""
    if level == "EPIC":
        return portfolio.epics, EpicState.DONE
    return portfolio.features, FeatureState.DONE


def carried_order(ordered: Sequence[tuple[str, Wsjf]], after: Portfolio, level: Level,
                  touched: Collection[str]) -> list[tuple[str, Wsjf]]:
    """`plain_order(candidates(after, level))`, from `ordered`, another snapshot's plain
    order of the level, and `touched`, every item of the level whose value differs
    between the two (added and removed ones included; naming more is allowed).

    The untouched candidates keep their places; each touched item that is a candidate
    in `after` is inserted where `plain_key` puts it. The order is total, so the result
    is the one sorting gives: at 50,000 features that sort took 0.1-0.2 s on the first
    ranking after every change; this takes a pass over the list.
    """
    out = [entry for entry in ordered if entry[0] not in touched]
    items, done = _level(after, level)
    for item_id in touched:
        item = items.get(item_id)
        if item is not None and item.wsjf is not None and item.state is not done:
            insort(out, (item_id, item.wsjf), key=_plain_key)
    return out


def same_ranking(before: Portfolio, after: Portfolio) -> bool:
    """True when every feature ranking of `before` holds for `after` as it is: the same
    dependencies and the same teams, trains, value streams and PIs (the same objects,
    as a change that did not write them leaves them: graph.changes.apply), the same
    features, and each feature that differs differs only in what no ranking reads
    (not its WSJF inputs, whether it is DONE, its team or its PI). Most edits (a name,
    points, a state short of DONE) are such changes: the next version reuses its
    dependency-respecting orders instead of computing them again."""
    if before.dependencies is not after.dependencies or any(
            before.collection(kind) is not after.collection(kind)
            for kind in (Kind.TEAM, Kind.ART, Kind.VALUE_STREAM, Kind.PI)):
        return False
    old, new = before.features, after.features
    for feature_id in changed_ids(before, after, Kind.FEATURE):
        was, now = old.get(feature_id), new.get(feature_id)
        if (was is None or now is None or was.wsjf != now.wsjf or was.team != now.team
                or was.pi != now.pi
                or (was.state is FeatureState.DONE) != (now.state is FeatureState.DONE)):
            return False
    return True


def _plain_key(entry: tuple[str, Wsjf]) -> PlainKey:
    return plain_key(*entry)


def _epic_filter(
    portfolio: Portfolio, scope: str | None, pi_id: str | None
) -> Callable[[str], bool]:
    if pi_id is not None:
        raise RankingError(
            Code.INVALID_ARGUMENT, "piId cannot filter epics: only features are planned in a PI"
        )
    if scope is not None and scope not in portfolio.value_streams:
        kind = portfolio.kind_of_id(scope)
        raise RankingError(
            Code.INVALID_ARGUMENT,
            f"unknown scope {scope}: no value stream has this id"
            if kind is None
            else f"scope {scope} is a {kind.value}: epics can only be scoped by a value stream",
        )
    epics = portfolio.epics
    return lambda epic_id: scope is None or epics[epic_id].value_stream == scope


def _teams_in_scope(portfolio: Portfolio, scope: str) -> set[str]:
    if scope in portfolio.teams:
        return {scope}
    if scope in portfolio.arts:
        arts = {scope}
    elif scope in portfolio.value_streams:
        arts = {art.id for art in portfolio.arts.values() if art.value_stream == scope}
    else:
        raise RankingError(
            Code.INVALID_ARGUMENT,
            f"unknown scope {scope}: no release train, team or value stream has this id",
        )
    return {team.id for team in portfolio.teams.values() if team.art in arts}


def _feature_filter(
    portfolio: Portfolio, scope: str | None, pi_id: str | None
) -> Callable[[str], bool]:
    if pi_id is not None and pi_id not in portfolio.pis:
        raise RankingError(Code.INVALID_ARGUMENT, f"unknown PI {pi_id}")
    teams = None if scope is None else _teams_in_scope(portfolio, scope)
    features = portfolio.features

    def keep(feature_id: str) -> bool:
        feature = features[feature_id]
        return (teams is None or feature.team in teams) and (pi_id is None or feature.pi == pi_id)

    return keep


def _respecting_dependencies(
    portfolio: Portfolio, order: Sequence[tuple[str, Wsjf]], index: Index
) -> list[tuple[str, Wsjf]]:
    """Kahn's algorithm: items other than the candidates pass as soon as they are free,
    and only candidates wait, in a heap keyed on plain order, so a candidate becomes free
    exactly when every candidate it reaches, through any chain, is placed.

    First over the items themselves (`_acyclic`), which places every candidate unless a
    dependency cycle lies on a candidate's chain; then, only in that case, over strongly
    connected sets (`_through_cycles`): a set holding a candidate is a cycle error, one
    without passes as a whole. Where no cycle lies on a chain the two give the same order
    (items no candidate reaches only ever free other such items)."""
    position = {item_id: n for n, (item_id, _) in enumerate(order)}
    found = _acyclic(portfolio, order, position, index)
    return found if found is not None else _through_cycles(order, position, index.depends_on)


def _acyclic(portfolio: Portfolio, order: Sequence[tuple[str, Wsjf]],
             position: Mapping[str, int], index: Index) -> list[tuple[str, Wsjf]] | None:
    """The order, or None when a candidate is never freed (a cycle on its chain)."""
    features, backward = portfolio.features, index.dependents
    items = chain(features, (b for b in backward if b not in features))
    out = _kahn(order, items, index.depends_on, backward, position, None)
    return out if len(out) == len(order) else None


def _through_cycles(order: Sequence[tuple[str, Wsjf]], position: Mapping[str, int],
                    edges: Mapping[str, Sequence[str]]) -> list[tuple[str, Wsjf]]:
    """Kahn's algorithm over the strongly connected sets reachable from the candidates."""
    components = strongly_connected(position, edges)
    in_cycles = {
        member
        for component in components
        if is_cycle(component, edges) and any(m in position for m in component)
        for member in component
    }
    if in_cycles:
        members = sorted(in_cycles)
        raise RankingError(
            Code.DEPENDENCY_CYCLE,
            f"dependency cycle among {', '.join(members)}: no order can respect it",
            members,
        )
    component_of = {member: n for n, component in enumerate(components) for member in component}
    forward: dict[int, list[int]] = {}  # a dependency edge leaving the set, per edge
    backward: dict[int, list[int]] = {}
    for n, component in enumerate(components):
        for member in component:
            for target in edges.get(member, ()):
                if (reached := component_of[target]) != n:
                    forward.setdefault(n, []).append(reached)
                    backward.setdefault(reached, []).append(n)
    # A candidate's set is the candidate alone (a set holding one with others raised).
    at = {n: position[c[0]] for n, c in enumerate(components) if c[0] in position}
    return _kahn(order, range(len(components)), forward, backward, at, component_of)


def _kahn(order: Sequence[tuple[str, Wsjf]], nodes: Iterable[N],
          forward: Mapping[N, Sequence[N]], backward: Mapping[N, Sequence[N]],
          position: Mapping[N, int], node_of: Mapping[str, N] | None
          ) -> list[tuple[str, Wsjf]]:
    """Kahn's algorithm over `nodes` (each depends on its `forward` ones; `backward` is
    the reverse): a node at a `position` is a candidate, `order[position]`, and waits in
    a heap keyed on it; any other node passes as soon as it is free. `node_of` gives a
    candidate's node (None: the candidate's id is its node). Returns the candidates in
    the order placed, which misses those never freed."""
    unmet: dict[N, int] = {}  # forward nodes not yet placed, per node once one is
    passing: list[N] = []  # free nodes that are not candidates
    free: list[int] = []  # heap of the positions of free candidates

    def release(node: N) -> None:
        n = position.get(node)
        if n is None:
            passing.append(node)
        else:
            heapq.heappush(free, n)

    def placed(node: N) -> None:
        for waiter in backward.get(node, ()):
            left = unmet.get(waiter)
            left = (len(forward[waiter]) if left is None else left) - 1
            unmet[waiter] = left
            if left == 0:
                release(waiter)

    for node in nodes:
        if node not in forward:  # groups are never empty (rules.scope.Index)
            release(node)
    out: list[tuple[str, Wsjf]] = []
    while True:
        while passing:
            placed(passing.pop())
        if not free:
            return out
        entry = order[heapq.heappop(free)]
        out.append(entry)
        placed(entry[0] if node_of is None else node_of[entry[0]])  # type: ignore[arg-type]
