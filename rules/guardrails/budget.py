"""Value stream budgets: committed epics stay within their stream's budget."""

from __future__ import annotations

import math
from collections.abc import Sequence

from graph.model import COMMITTED_EPIC_STATES, Kind, Portfolio, Severity
from rules.guardrails.registry import register
from rules.guardrails.wording import amount, named
from rules.scope import Delta, Scope, members, pick
from rules.settings import RuleSettings
from rules.violation import SubjectType, Violation

RULE = "budget.value-stream"
TOLERANCE = 1e-9


def _streams(delta: Delta, previous: Sequence[Violation]) -> set[str]:
    """A changed value stream, and the streams a changed epic was or is in."""
    return set(delta.changed(Kind.VALUE_STREAM)) | delta.values(Kind.EPIC, "value_stream")


def _streams_slice(delta: Delta, streams: set[str]) -> Portfolio:
    epics = members(delta.index.epics_by_value_stream, streams)
    return Portfolio(
        value_streams=pick(delta.after.value_streams, streams),
        epics=pick(delta.after.epics, epics),
    )


@register(
    RULE,
    default_severity=Severity.ERROR,
    description="The committed epics of a value stream cost no more than its budget.",
    scope=Scope(frozenset({Kind.EPIC, Kind.VALUE_STREAM}), subjects=_streams,
                slice=_streams_slice),
)
def value_stream_budget(portfolio: Portfolio, settings: RuleSettings) -> list[Violation]:
    """A value stream whose committed epics' estimated cost exceeds its budget.

    >>> from graph.model import Epic, ValueStream
    >>> from rules.guardrails.registry import default_settings
    >>> p = Portfolio(
    ...     value_streams={"VS-1": ValueStream(id="VS-1", name="Retail", budget=1_000_000)},
    ...     epics={i: Epic(id=i, name=i, type="BUSINESS", state="IMPLEMENTING",
    ...                    value_stream="VS-1", estimated_cost=600_000) for i in ("E-1", "E-2")})
    >>> [v] = value_stream_budget(p, default_settings(RULE))
    >>> v.related_ids, v.excess
    (('E-1', 'E-2'), 200000.0)
    >>> print(v.message)
    Value stream Retail (VS-1): committed epics cost 1,200,000 against a budget of 1,000,000
    """
    committed: dict[str, list[str]] = {}
    costs: dict[str, list[float]] = {}
    for epic in portfolio.epics.values():
        if epic.value_stream is None or epic.state not in COMMITTED_EPIC_STATES:
            continue
        committed.setdefault(epic.value_stream, []).append(epic.id)
        if epic.estimated_cost is not None:
            costs.setdefault(epic.value_stream, []).append(epic.estimated_cost)
    out: list[Violation] = []
    for stream in portfolio.value_streams.values():
        if stream.budget is None:
            continue
        total = math.fsum(costs.get(stream.id, ()))
        if total <= stream.budget + TOLERANCE:
            continue
        message = (
            f"Value stream {named(stream.name, stream.id)}: committed epics cost {amount(total)} "
            f"against a budget of {amount(stream.budget)}"
        )
        out.append(
            Violation(
                RULE,
                settings.severity,
                SubjectType.VALUE_STREAM,
                stream.id,
                tuple(sorted(committed[stream.id])),
                total - stream.budget,
                message,
            )
        )
    return out
