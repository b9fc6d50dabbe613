"""Feature dependencies: planned in order, planned at all, and free of cycles."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from graph.model import FeatureState, Kind, Portfolio, Severity
from rules.graphs import depends_on, is_cycle, reaches, strongly_connected
from rules.guardrails.registry import register
from rules.guardrails.wording import feature_name, pi_name
from rules.scope import Delta, Scope, pick
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation

SCHEDULE = "dependency.schedule-conflict"
UNPLANNED = "dependency.unplanned"
CYCLE = "dependency.cycle"


def _dependents(delta: Delta, previous: Sequence[Violation]) -> set[str] | None:
    """The A of a changed dependency A -> B, a changed feature and what depends on it; every
    feature for a changed PI (dates and names)."""
    if delta.changed(Kind.PI):
        return None
    changed = delta.changed(Kind.FEATURE)
    subjects = set(changed)
    dependents = delta.index.dependents
    for feature_id in changed:
        subjects.update(dependents.get(feature_id, ()))
    subjects.update(a for a, _ in delta.added | delta.removed)
    return subjects


def _dependents_slice(delta: Delta, subjects: set[str]) -> Portfolio:
    """The subjects, their dependencies and what they depend on."""
    depends = delta.index.depends_on
    dependencies = {(a, b) for a in subjects for b in depends.get(a, ())}
    features = subjects | {b for _, b in dependencies}
    after = delta.after
    return Portfolio(
        features=pick(after.features, features), pis=after.pis, dependencies=dependencies
    )


DEPENDENTS = Scope(
    frozenset({Kind.FEATURE, Kind.PI}), dependencies=True, subjects=_dependents,
    slice=_dependents_slice,
)


@register(
    SCHEDULE,
    default_severity=Severity.ERROR,
    description="No feature is planned in an earlier PI than a feature it depends on.",
    keyed_by_first_related=True,  # one per dependency
    scope=DEPENDENTS,
)
def schedule_conflict(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A dependency A -> B where both are planned and B's PI starts after A's.

    >>> from graph.model import Feature, ProgramIncrement
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     pis={"PI-1": ProgramIncrement(id="PI-1", name="PI 26.1", start="2026-01-05",
    ...                                   end="2026-03-13"),
    ...          "PI-2": ProgramIncrement(id="PI-2", name="PI 26.2", start="2026-03-16",
    ...                                   end="2026-05-22")},
    ...     features={"F-1": Feature(id="F-1", name="API", type="ENABLER", state="BACKLOG",
    ...                              pi="PI-2"),
    ...               "F-2": Feature(id="F-2", name="App", type="BUSINESS", state="BACKLOG",
    ...                              pi="PI-1")},
    ...     dependencies={("F-2", "F-1")})
    >>> [v.message for v in schedule_conflict(p, default_settings(SCHEDULE))]
    ['Feature App (F-2) is planned in PI 26.1 but depends on API (F-1), planned later in PI 26.2']
    """
    pis = portfolio.pis
    planned_in = {
        feature.id: pis[feature.pi]
        for feature in portfolio.features.values()
        if feature.pi is not None and feature.pi in pis
    }
    out: list[Violation] = []
    for a_id, b_id in portfolio.dependencies:
        b_pi = planned_in.get(b_id)
        if b_pi is None:
            continue
        a_pi = planned_in.get(a_id)
        if a_pi is None or b_pi.start <= a_pi.start:
            continue
        message = (
            f"Feature {feature_name(portfolio, a_id)} is planned in {a_pi.name} but depends on "
            f"{feature_name(portfolio, b_id)}, planned later in {b_pi.name}"
        )
        out.append(
            Violation(SCHEDULE, settings.severity, SubjectType.FEATURE, a_id, (b_id,), 1.0, message)
        )
    return out


@register(
    UNPLANNED,
    default_severity=Severity.WARNING,
    description="A planned feature depends only on planned or done features.",
    keyed_by_first_related=True,  # one per dependency
    scope=DEPENDENTS,
)
def unplanned(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A dependency A -> B where A is planned, B has no PI and is not DONE.

    >>> from graph.model import Feature
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     features={"F-1": Feature(id="F-1", name="API", type="ENABLER", state="BACKLOG"),
    ...               "F-2": Feature(id="F-2", name="App", type="BUSINESS", state="BACKLOG",
    ...                              pi="PI-1")},
    ...     dependencies={("F-2", "F-1")})
    >>> for v in unplanned(p, default_settings(UNPLANNED)):
    ...     print(v.message)
    Feature App (F-2) is planned in PI-1 but depends on API (F-1), which has no PI and is not done
    """
    planned = {f.id: f.pi for f in portfolio.features.values() if f.pi is not None}
    open_unplanned = {
        f.id
        for f in portfolio.features.values()
        if f.pi is None and f.state is not FeatureState.DONE
    }
    out: list[Violation] = []
    for a_id, b_id in portfolio.dependencies:
        if b_id not in open_unplanned or a_id not in planned:
            continue
        message = (
            f"Feature {feature_name(portfolio, a_id)} is planned in "
            f"{pi_name(portfolio, planned[a_id])} but "
            f"depends on {feature_name(portfolio, b_id)}, which has no PI and is not done"
        )
        out.append(
            Violation(
                UNPLANNED, settings.severity, SubjectType.FEATURE, a_id, (b_id,), 1.0, message
            )
        )
    return out


def _cycle_members(delta: Delta, previous: Sequence[Violation]) -> set[str] | None:
    """The features a change touches (ends of changed dependencies, changed features: a self
    loop's message names it) with every member of the cycles they were in.

    A component after the change lies within one component before it, unless an
    added dependency A -> B closes a path B ->* A between two of them: then the
    whole rule runs again.
    """
    component_of = {member: v.related_ids for v in previous for member in v.related_ids}
    touched = set(delta.changed(Kind.FEATURE))
    for a, b in delta.added | delta.removed:
        touched.update((a, b))
    index = delta.index
    for a, b in delta.added:
        if a != b and b not in component_of.get(a, ()) and reaches(
            b, a, index.depends_on, index.dependents
        ):
            return None
    subjects = set(touched)
    for feature_id in touched:
        subjects.update(component_of.get(feature_id, ()))
    return subjects


def _cycle_slice(delta: Delta, subjects: set[str]) -> Portfolio:
    """The features and the dependencies among them."""
    depends = delta.index.depends_on
    dependencies = {(a, b) for a in subjects for b in depends.get(a, ()) if b in subjects}
    return Portfolio(features=pick(delta.after.features, subjects), dependencies=dependencies)


@register(
    CYCLE,
    default_severity=Severity.ERROR,
    description="Feature dependencies form no cycle.",
    scope=Scope(frozenset({Kind.FEATURE}), dependencies=True, subjects=_cycle_members,
                slice=_cycle_slice),
)
def cycle(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A dependency cycle: one per strongly connected set (or self loop), on its smallest id.

    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(dependencies={("F-1", "F-2"), ("F-2", "F-3"), ("F-3", "F-1")})
    >>> [v] = cycle(p, default_settings(CYCLE))
    >>> v.subject_id, v.related_ids, v.excess
    ('F-1', ('F-1', 'F-2', 'F-3'), 3.0)
    >>> v.message
    'Features F-1, F-2, F-3 depend on each other in a cycle: F-1 -> F-2 -> F-3 -> F-1'
    """
    edges = depends_on(portfolio.dependencies)
    out: list[Violation] = []
    for component in strongly_connected(sorted(edges), edges):
        if not is_cycle(component, edges):
            continue
        if len(component) == 1:
            message = f"Feature {feature_name(portfolio, component[0])} depends on itself"
        else:
            path = " -> ".join(_shortest_cycle(component, edges))
            message = f"Features {', '.join(component)} depend on each other in a cycle: {path}"
        out.append(
            Violation(
                CYCLE,
                settings.severity,
                SubjectType.FEATURE,
                component[0],
                tuple(component),
                float(len(component)),
                message,
            )
        )
    return out


def _shortest_cycle(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest cycle through the component's smallest id, as a closed path, for messages."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(edges.get(node, ())):
            if target == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [*reversed(chain), start]
            if target in members and target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [start]
