"""Lean budget guardrail 1: guiding investments by horizon."""

from __future__ import annotations

import math

from graph.model import COMMITTED_EPIC_STATES, Horizon, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import amount, share
from rules.scope import whole_rule
from rules.settings import Bands, RuleSettings
from rules.violation import SubjectType, Violation

RULE = "investment.horizon-mix"
TOLERANCE = 1e-9
DEFAULT_BANDS = {"H0": (0.0, 0.1), "H1": (0.5, 0.8), "H2": (0.1, 0.3), "H3": (0.0, 0.15)}


@register(
    RULE,
    default_severity=Severity.WARNING,
    description="Each horizon's share of committed epic cost stays within its band.",
    params={"bands": Bands(DEFAULT_BANDS, [h.value for h in Horizon])},
    scope=whole_rule(Kind.EPIC),  # a few horizons over all committed epics: cheap
)
def horizon_mix(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A horizon whose share of committed epics' estimated cost is outside its band.

    Only committed epics with both a cost and a horizon count; with none, or
    with a total cost of 0, there is no mix to judge.

    >>> from graph.model import Epic
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(epics={
    ...     "E-1": Epic(id="E-1", name="Core", type="BUSINESS", state="IMPLEMENTING",
    ...                 horizon="H1", estimated_cost=700_000),
    ...     "E-2": Epic(id="E-2", name="Bet", type="BUSINESS", state="PORTFOLIO_BACKLOG",
    ...                 horizon="H3", estimated_cost=300_000)})
    >>> for v in horizon_mix(p, default_settings(RULE)):  # doctest: +NORMALIZE_WHITESPACE
    ...     print(v.subject_id, round(v.excess, 9), "|", v.message)
    H2 0.1 | Horizon H2 takes 0% of committed epic cost (0 of 1,000,000), below its band of 10%-30%
    H3 0.15 | Horizon H3 takes 30% of committed epic cost (300,000 of 1,000,000), above its band
    of 0%-15%
    """
    costs: dict[str, list[float]] = {}
    for epic in portfolio.epics.values():
        if (
            epic.state in COMMITTED_EPIC_STATES
            and epic.horizon is not None
            and epic.estimated_cost is not None
        ):
            costs.setdefault(epic.horizon.value, []).append(epic.estimated_cost)
    total = math.fsum(cost for group in costs.values() for cost in group)
    if total <= 0:
        return []
    out: list[Violation] = []
    for horizon, (low, high) in sorted(settings.params["bands"].items()):
        spent = math.fsum(costs.get(horizon, ()))
        horizon_share = spent / total
        if horizon_share < low - TOLERANCE:
            excess, side = low - horizon_share, "below"
        elif horizon_share > high + TOLERANCE:
            excess, side = horizon_share - high, "above"
        else:
            continue
        message = (
            f"Horizon {horizon} takes {share(horizon_share)} of committed epic cost "
            f"({amount(spent)} of {amount(total)}), {side} its band of {share(low)}-{share(high)}"
        )
        out.append(
            Violation(RULE, settings.severity, SubjectType.HORIZON, horizon, (), excess, message)
        )
    return out
