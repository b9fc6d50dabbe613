"""Traceability: every epic and feature serves at least one strategic theme."""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import named
from rules.scope import Delta, Scope, members, pick
from rules.settings import RuleSettings
from rules.trace import Tracer
from rules.violation import SubjectType, Violation

RULE = "traceability.unaligned"


def _reaching(delta: Delta, previous: Sequence[Violation]) -> set[str]:
    """A changed epic or feature; the epics reaching a changed key result, or one of a changed
    objective (themes are reached by id: a theme's own change alters nothing); the features of
    every epic named."""
    before, after = delta.before, delta.after
    key_results = set(delta.changed(Kind.KEY_RESULT))
    objectives = delta.changed(Kind.OBJECTIVE)
    if objectives:
        for portfolio in (before, after):
            key_results.update(
                k.id for k in portfolio.key_results.values() if k.objective in objectives
            )
    epics = set(delta.changed(Kind.EPIC))
    if key_results:
        epics.update(
            e.id for e in after.epics.values() if not key_results.isdisjoint(e.key_results)
        )
    features = members(delta.index.features_by_epic, epics)
    return epics | features | delta.changed(Kind.FEATURE)


def _reaching_slice(delta: Delta, subjects: set[str]) -> Portfolio:
    """The subjects, the epics of the features among them, and the whole strategy above."""
    after = delta.after
    features = pick(after.features, subjects)
    epics = subjects | {f.epic for f in features.values() if f.epic is not None}
    return Portfolio(
        epics=pick(after.epics, epics),
        features=features,
        key_results=after.key_results,
        objectives=after.objectives,
    )


@register(
    RULE,
    default_severity=Severity.WARNING,
    description="Every epic and feature traces to at least one strategic theme.",
    scope=Scope(frozenset({Kind.EPIC, Kind.FEATURE, Kind.KEY_RESULT, Kind.OBJECTIVE}),
                subjects=_reaching, slice=_reaching_slice),
)
def unaligned(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An epic or feature whose trace reaches no theme.

    >>> from graph.model import Epic, Feature, Theme
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     themes={"TH-1": Theme(id="TH-1", name="Digital first")},
    ...     epics={"E-1": Epic(id="E-1", name="Pay", type="BUSINESS", state="FUNNEL",
    ...                        themes=("TH-1",))},
    ...     features={"F-1": Feature(id="F-1", name="Card", type="BUSINESS", state="BACKLOG",
    ...                              epic="E-1"),
    ...               "F-2": Feature(id="F-2", name="Audit log", type="ENABLER",
    ...                              state="BACKLOG")})
    >>> for v in unaligned(p, default_settings(RULE)):
    ...     print(v.subject_id, "|", v.message)
    F-2 | Feature Audit log (F-2) reaches no strategic theme: it has no epic
    """
    tracer = Tracer(portfolio)
    out: list[Violation] = []

    def flag(subject_type: SubjectType, item_id: str, message: str) -> None:
        out.append(Violation(RULE, settings.severity, subject_type, item_id, (), 1.0, message))

    for epic in portfolio.epics.values():
        if not tracer.epic_reach(epic.id).theme_ids:
            flag(
                SubjectType.EPIC,
                epic.id,
                f"Epic {named(epic.name, epic.id)} reaches no strategic theme: give it a theme "
                "or a key result whose objective has one",
            )
    for feature in portfolio.features.values():
        if tracer.epic_reach(feature.epic).theme_ids:
            continue
        if feature.epic is None:
            why = "it has no epic"
        elif feature.epic in portfolio.epics:
            why = f"its epic {feature.epic} reaches none"
        else:
            why = f"its epic {feature.epic} is unknown"
        flag(
            SubjectType.FEATURE,
            feature.id,
            f"Feature {named(feature.name, feature.id)} reaches no strategic theme: {why}",
        )
    return out
