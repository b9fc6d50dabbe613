"""Lean budget guardrail 4: continuous business owner engagement."""

from __future__ import annotations

from graph.model import EpicState, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import named
from rules.scope import per_item
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation

RULE = "engagement.business-owner"
EXEMPT = frozenset({EpicState.FUNNEL, EpicState.DONE})


@register(
    RULE,
    default_severity=Severity.WARNING,
    description="Every epic between the funnel and done has a business owner.",
    scope=per_item(Kind.EPIC),
)
def business_owner(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An epic not in FUNNEL or DONE without a business owner (a blank name counts as none).

    >>> from graph.model import Epic
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(epics={
    ...     "E-1": Epic(id="E-1", name="Pay", type="BUSINESS", state="ANALYZING"),
    ...     "E-2": Epic(id="E-2", name="Idea", type="BUSINESS", state="FUNNEL")})
    >>> [v.message for v in business_owner(p, default_settings(RULE))]
    ['Epic Pay (E-1) is in ANALYZING without a business owner']
    """
    out: list[Violation] = []
    for epic in portfolio.epics.values():
        if epic.state in EXEMPT or (epic.business_owner or "").strip():
            continue
        message = (
            f"Epic {named(epic.name, epic.id)} is in {epic.state.value} without a business owner"
        )
        out.append(Violation(RULE, settings.severity, SubjectType.EPIC, epic.id, (), 1.0, message))
    return out
