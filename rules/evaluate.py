"""Run the guardrails over a snapshot, and tell which violations a change introduces."""

from __future__ import annotations

from collections.abc import Iterable

from graph.model import Portfolio, Severity
from rules.guardrails.registry import registered
from rules.policy import Policy
from rules.violation import Violation

EXCESS_TOLERANCE = 1e-9


def evaluate(portfolio: Portfolio, policy: Policy) -> list[Violation]:
    """Every violation of every enabled rule, at its configured severity, in contract order.

    >>> from graph.model import Epic
    >>> from rules.policy import policy_from_mapping
    >>> p = Portfolio(epics={"E-1": Epic(id="E-1", name="Pay", type="BUSINESS",
    ...                                  state="ANALYZING")})
    >>> policy = policy_from_mapping({"guardrails": {"wsjf.missing-inputs": {"severity": "error"},
    ...                                              "traceability.unaligned": {"enabled": False}}})
    >>> [(v.rule, v.severity.value) for v in evaluate(p, policy)]
    [('engagement.business-owner', 'WARNING'), ('wsjf.missing-inputs', 'ERROR')]
    """
    out: list[Violation] = []
    for rule in registered():
        settings = policy.settings(rule.id)
        if settings.enabled:
            out.extend(rule.check(portfolio, settings))
    out.sort(key=_order)
    return out


def introduced(before: Iterable[Violation], after: Iterable[Violation]) -> list[Violation]:
    """Violations of `after` that are new (unknown key) or worse (excess grew), in contract order.

    >>> from rules.violation import SubjectType
    >>> def wip(excess):
    ...     return Violation("kanban.wip-limit", Severity.ERROR, SubjectType.EPIC_STATE,
    ...                      "ANALYZING", (), excess, "...")
    >>> [v.excess for v in introduced([wip(1.0)], [wip(2.0)])], introduced([wip(1.0)], [wip(1.0)])
    ([2.0], [])
    """
    worst: dict[tuple[str, ...], float] = {}
    for violation in before:
        known = worst.get(violation.key)
        if known is None or violation.excess > known:
            worst[violation.key] = violation.excess
    out = []
    for violation in after:
        known = worst.get(violation.key)
        if known is None or violation.excess > known + EXCESS_TOLERANCE:
            out.append(violation)
    return sorted(out, key=_order)


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    """The violations that block a change: those of severity ERROR."""
    return [v for v in violations if v.severity is Severity.ERROR]


def _order(violation: Violation) -> tuple[str, str, tuple[str, ...]]:
    return violation.sort_key
