"""Portfolio Kanban: WIP limits per epic state."""

from __future__ import annotations

from graph.model import EpicState, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import amount
from rules.scope import whole_rule
from rules.settings import NumbersByName, RuleSettings
from rules.violation import SubjectType, Violation

RULE = "kanban.wip-limit"
TOLERANCE = 1e-9


@register(
    RULE,
    default_severity=Severity.ERROR,
    description="A portfolio Kanban state holds no more epics than its WIP limit.",
    params={
        "limits": NumbersByName(
            {"ANALYZING": 5, "IMPLEMENTING": 8}, [s.value for s in EpicState], "epic state"
        )
    },
    scope=whole_rule(Kind.EPIC),  # a few states, counted over the epics only: cheap
)
def wip_limit(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """An epic state holding more epics than its limit (exactly at the limit is fine).

    >>> from graph.model import Epic
    >>> from rules.settings import RuleSettings
    >>> p = Portfolio(epics={i: Epic(id=i, name=i, type="BUSINESS", state="ANALYZING")
    ...                      for i in ("E-1", "E-2", "E-3")})
    >>> settings = RuleSettings(True, Severity.ERROR, {"limits": {"ANALYZING": 2}})
    >>> [v.message for v in wip_limit(p, settings)]
    ['Epic state ANALYZING holds 3 epics against a WIP limit of 2']
    """
    limits = settings.params["limits"]
    members: dict[str, list[str]] = {state: [] for state in limits}
    for epic in portfolio.epics.values():
        in_state = members.get(epic.state.value)
        if in_state is not None:
            in_state.append(epic.id)
    out: list[Violation] = []
    for state, epic_ids in members.items():
        limit = limits[state]
        if len(epic_ids) <= limit + TOLERANCE:
            continue
        message = (
            f"Epic state {state} holds {len(epic_ids)} epics against a WIP limit of {amount(limit)}"
        )
        out.append(
            Violation(
                RULE,
                settings.severity,
                SubjectType.EPIC_STATE,
                state,
                tuple(sorted(epic_ids)),
                len(epic_ids) - limit,
                message,
            )
        )
    return out
