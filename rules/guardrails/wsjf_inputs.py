"""WSJF inputs: work past the funnel must be rankable."""

from __future__ import annotations

from graph.model import Epic, EpicState, Feature, FeatureState, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import named
from rules.scope import per_item
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation

RULE = "wsjf.missing-inputs"
EXEMPT = frozenset({EpicState.FUNNEL, EpicState.DONE, FeatureState.FUNNEL, FeatureState.DONE})


@register(
    RULE,
    default_severity=Severity.INFO,
    description="Epics and features between the funnel and done carry WSJF inputs.",
    scope=per_item(Kind.EPIC, Kind.FEATURE),
)
def missing_inputs(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An epic or feature not in FUNNEL or DONE without WSJF inputs.

    >>> from graph.model import Feature
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(features={"F-1": Feature(id="F-1", name="Card", type="BUSINESS",
    ...                                        state="BACKLOG")})
    >>> [v.message for v in missing_inputs(p, default_settings(RULE))]
    ['Feature Card (F-1) is in BACKLOG without WSJF inputs, so it cannot be ranked']
    """
    out: list[Violation] = []
    items: list[tuple[SubjectType, Epic | Feature]] = [
        (SubjectType.EPIC, epic) for epic in portfolio.epics.values()
    ]
    items.extend((SubjectType.FEATURE, feature) for feature in portfolio.features.values())
    for subject_type, item in items:
        if item.wsjf is not None or item.state in EXEMPT:
            continue
        message = (
            f"{subject_type.value} {named(item.name, item.id)} is in {item.state.value} "
            "without WSJF inputs, so it cannot be ranked"
        )
        out.append(Violation(RULE, settings.severity, subject_type, item.id, (), 1.0, message))
    return out
