"""Traceability: every epic and feature serves at least one strategic theme."""

from __future__ import annotations

from graph.model import Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import named
from rules.settings import RuleSettings
from rules.trace import Tracer
from rules.violation import SubjectType, Violation

RULE = "traceability.unaligned"


@register(
    RULE,
    default_severity=Severity.WARNING,
    description="Every epic and feature traces to at least one strategic theme.",
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
