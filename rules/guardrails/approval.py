"""Lean budget guardrail 3: significant epics need LPM approval."""

from __future__ import annotations

from graph.model import EpicState, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import amount, named
from rules.scope import per_item
from rules.settings import Number, RuleSettings
from rules.violation import SubjectType, Violation

RULE = "approval.significant-epic"
NEEDS_APPROVAL = frozenset({EpicState.PORTFOLIO_BACKLOG, EpicState.IMPLEMENTING, EpicState.DONE})


@register(
    RULE,
    default_severity=Severity.ERROR,
    description="Epics costing at least the threshold need LPM approval before the backlog.",
    params={"threshold": Number(1_000_000)},
    scope=per_item(Kind.EPIC),
)
def significant_epic(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An unapproved epic costing at least `threshold` (inclusive) past ANALYZING.

    >>> from graph.model import Epic
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(epics={"E-1": Epic(id="E-1", name="Pay", type="BUSINESS",
    ...                                  state="IMPLEMENTING", estimated_cost=1_000_000)})
    >>> for v in significant_epic(p, default_settings(RULE)):  # doctest: +NORMALIZE_WHITESPACE
    ...     print(v.message)
    Epic Pay (E-1) costs 1,000,000, at or above the approval threshold of 1,000,000,
    and is in IMPLEMENTING without LPM approval
    """
    threshold = settings.params["threshold"]
    out: list[Violation] = []
    for epic in portfolio.epics.values():
        cost = epic.estimated_cost
        if cost is None or cost < threshold or epic.approved or epic.state not in NEEDS_APPROVAL:
            continue
        message = (
            f"Epic {named(epic.name, epic.id)} costs {amount(cost)}, at or above the approval "
            f"threshold of {amount(threshold)}, and is in {epic.state.value} without LPM approval"
        )
        out.append(Violation(RULE, settings.severity, SubjectType.EPIC, epic.id, (), 1.0, message))
    return out
