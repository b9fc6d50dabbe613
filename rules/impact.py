"""Impact of a feature: who depends on it, what they trace to, and what a slip moves."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.model import Feature, Portfolio
from rules.errors import Code, ImpactError
from rules.graphs import dependents
from rules.trace import Tracer, TraceUnion

MAX_DEPTH = 50


@dataclass(frozen=True, slots=True)
class ImpactedItem:
    item_id: str
    depth: int


@dataclass(frozen=True, slots=True)
class Slip:
    item_id: str
    from_pi_id: str
    to_pi_id: str


@dataclass(frozen=True, slots=True)
class ImpactResult(TraceUnion):
    """The contract's `Impact`, by id: the union of the impacted items' traces (the
    inherited id lists, distinct and ordered by id), the items and the slips."""

    root_id: str
    items: tuple[ImpactedItem, ...]
    slips: tuple[Slip, ...]
    business_value_at_risk: int


def impact(
    portfolio: Portfolio, root_id: str, max_depth: int = 10, slip_to_pi: str | None = None,
    *, dependents_index: Mapping[str, Sequence[str]] | None = None,
    tracer: Tracer | None = None,
) -> ImpactResult | None:
    """What depends on feature `root_id` (up to `max_depth` hops), and what moves if it slips.

    None when `root_id` is not a feature. Needs only features, dependencies,
    PIs, epics, teams, ARTs, key results and objectives of the snapshot.
    `dependents_index` (B -> items depending on B, as `graphs.dependents`
    builds it) may be passed in by a caller that keeps one per snapshot: it is
    the only part of the work proportional to the whole portfolio. Likewise a
    `tracer` of the snapshot, which walks each epic's strategy links once.

    >>> from graph.model import ProgramIncrement
    >>> def f(i, pi):
    ...     return Feature(id=i, name=i, type="BUSINESS", state="BACKLOG", pi=pi)
    >>> def pi(i, start):
    ...     return ProgramIncrement(id=i, name=i, start=start, end=start)
    >>> p = Portfolio(
    ...     pis={"PI-1": pi("PI-1", "2026-01-05"), "PI-2": pi("PI-2", "2026-03-16")},
    ...     features={"F-1": f("F-1", "PI-1"), "F-2": f("F-2", "PI-1"), "F-3": f("F-3", "PI-2")},
    ...     dependencies={("F-2", "F-1"), ("F-3", "F-2")})
    >>> result = impact(p, "F-1", slip_to_pi="PI-2")
    >>> [(i.item_id, i.depth) for i in result.items]
    [('F-2', 1), ('F-3', 2)]
    >>> [(s.item_id, s.from_pi_id, s.to_pi_id) for s in result.slips]
    [('F-1', 'PI-1', 'PI-2'), ('F-2', 'PI-1', 'PI-2')]
    """
    if isinstance(max_depth, bool) or not 1 <= max_depth <= MAX_DEPTH:
        raise ImpactError(Code.INVALID_ARGUMENT, f"maxDepth must be between 1 and {MAX_DEPTH}")
    if slip_to_pi is not None and slip_to_pi not in portfolio.pis:
        raise ImpactError(Code.NOT_FOUND, f"unknown PI {slip_to_pi}")
    root = portfolio.features.get(root_id)
    if root is None:
        return None
    back = (dependents(portfolio.dependencies) if dependents_index is None
            else dependents_index)
    depth = impacted(portfolio, back, root_id, max_depth)
    traced = (Tracer(portfolio) if tracer is None else tracer).union(depth)
    slips = [] if slip_to_pi is None else _slips(portfolio, back, root, depth, slip_to_pi)
    at_risk = 0
    for slip in slips[1:]:
        wsjf = portfolio.features[slip.item_id].wsjf
        at_risk += 0 if wsjf is None else wsjf.user_business_value
    return ImpactResult(
        root_id=root_id,
        items=tuple(ImpactedItem(i, d) for i, d in sorted(depth.items(), key=_by_depth)),
        team_ids=traced.team_ids,
        art_ids=traced.art_ids,
        epic_ids=traced.epic_ids,
        key_result_ids=traced.key_result_ids,
        objective_ids=traced.objective_ids,
        theme_ids=traced.theme_ids,
        slips=tuple(slips),
        business_value_at_risk=at_risk,
    )


def _by_depth(item: tuple[str, int]) -> tuple[int, str]:
    return item[1], item[0]


def impacted(
    portfolio: Portfolio, back: Mapping[str, Sequence[str]], root_id: str, max_depth: int
) -> dict[str, int]:
    """Features depending on the root within `max_depth` hops, with their shortest hop count."""
    depth = {root_id: 0}
    level = [root_id]
    for hops in range(1, max_depth + 1):
        following = []
        for node in level:
            for dependent in back.get(node, ()):
                if dependent not in depth:
                    depth[dependent] = hops
                    following.append(dependent)
        if not following:
            break
        level = following
    del depth[root_id]
    return {item_id: d for item_id, d in depth.items() if item_id in portfolio.features}


def _slips(
    portfolio: Portfolio,
    back: Mapping[str, Sequence[str]],
    root: Feature,
    depth: dict[str, int],
    slip_to_pi: str,
) -> list[Slip]:
    """Least fixpoint of new(x) = latest of x's PI and new(d) over x's planned impacted deps.

    Only strictly later starts move an item (ties between PIs starting the same
    day break by id, so the result does not depend on visiting order).
    """
    pis, features = portfolio.pis, portfolio.features
    if root.pi is None or root.pi not in pis or pis[slip_to_pi].start <= pis[root.pi].start:
        return []
    own = {i: pi for i in depth if (pi := features[i].pi) is not None and pi in pis}
    new = {**own, root.id: slip_to_pi}
    queue = deque([root.id, *own])  # own PIs pass on too: sideways, between impacted items
    while queue:
        source = queue.popleft()
        later = pis[new[source]]
        for item_id in back.get(source, ()):
            if item_id not in own:
                continue  # not impacted, or no PI: never moves
            current = pis[new[item_id]]
            forced = later.start > pis[own[item_id]].start
            if forced and (later.start, later.id) > (current.start, current.id):
                new[item_id] = later.id
                queue.append(item_id)
    slipped = sorted((i for i in own if new[i] != own[i]), key=lambda i: (depth[i], i))
    return [
        Slip(root.id, root.pi, slip_to_pi),
        *(Slip(i, own[i], new[i]) for i in slipped),
    ]
