"""Violation events: how the violations of one version differ from the version before.

Pure: two evaluations in, events out, by violation key (rules/violation.py). The
events of a change are stored with it, together with the fingerprint of the policy
they were computed with, so history can tell whether they still hold for the
policy running now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graph.model import Severity
from rules.evaluate import EXCESS_TOLERANCE
from rules.guardrails.registry import registered
from rules.policy import Policy
from rules.violation import SubjectType, Violation


class EventKind(StrEnum):
    OPENED = "OPENED"
    GREW = "GREW"
    SHRANK = "SHRANK"
    CLOSED = "CLOSED"


@dataclass(frozen=True, slots=True)
class ViolationEvent:
    """`violation` after the change (for CLOSED: as it was just before)."""

    kind: EventKind
    violation: Violation
    previous_excess: float | None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "violation": self.violation.as_json(),
                "previousExcess": self.previous_excess}


def violation_events(before: Iterable[Violation],
                     after: Iterable[Violation]) -> list[ViolationEvent]:
    """Events by key, ordered by rule, subjectId, relatedIds.

    >>> def wip(excess):
    ...     return Violation("kanban.wip-limit", Severity.ERROR, SubjectType.EPIC_STATE,
    ...                      "ANALYZING", (), excess, "...")
    >>> [(e.kind.value, e.previous_excess) for e in violation_events([wip(1.0)], [wip(2.0)])]
    [('GREW', 1.0)]
    >>> [e.kind.value for e in violation_events([wip(1.0)], [])], violation_events([], [])
    (['CLOSED'], [])
    """
    before, after = _touched(list(before), list(after))
    old = _by_key(before)
    new = _by_key(after)
    out: list[ViolationEvent] = []
    for key, now in new.items():
        was = old.get(key)
        if was is None:
            out.append(ViolationEvent(EventKind.OPENED, now, None))
        elif now.excess > was.excess + EXCESS_TOLERANCE:
            out.append(ViolationEvent(EventKind.GREW, now, was.excess))
        elif now.excess < was.excess - EXCESS_TOLERANCE:
            out.append(ViolationEvent(EventKind.SHRANK, now, was.excess))
    out.extend(ViolationEvent(EventKind.CLOSED, was, was.excess)
               for key, was in old.items() if key not in new)
    out.sort(key=lambda e: e.violation.sort_key)
    return out


def _touched(before: list[Violation],
             after: list[Violation]) -> tuple[list[Violation], list[Violation]]:
    """The violations of the (rule, subject) pairs where `before` and `after` differ.

    An incremental evaluation hands on the violations it did not recompute as the same
    objects, so after one change most pairs hold the same objects on both sides:
    comparing by identity first leaves only what the change touched. Every key
    includes the rule and subject, so no key is split (the events are exact)."""
    kept = {id(v) for v in before}.intersection(id(v) for v in after)
    touched = {(v.rule, v.subject_id) for side in (before, after) for v in side
               if id(v) not in kept}
    if len(touched) * 2 > len(before) + len(after):
        return before, after
    return ([v for v in before if (v.rule, v.subject_id) in touched],
            [v for v in after if (v.rule, v.subject_id) in touched])


def _by_key(violations: Iterable[Violation]) -> dict[tuple[str, ...], Violation]:
    """One violation per key: the largest excess where a rule reports a key twice."""
    found: dict[tuple[str, ...], Violation] = {}
    for violation in violations:
        known = found.get(violation.key)
        if known is None or violation.excess > known.excess:
            found[violation.key] = violation
    return found


def policy_fingerprint(policy: Policy) -> str:
    """A digest of what decides violations: every rule's id and effective settings.

    Stored events computed under another fingerprint are recomputed (the contract
    evaluates every version with the policy running now).
    """
    rules = {g.rule: {"enabled": g.enabled, "severity": g.severity.value, "params": g.params}
             for g in policy.guardrails()}
    text = json.dumps({"rules": rules, "registered": sorted(r.id for r in registered())},
                      sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def violation_from_json(data: Mapping[str, Any]) -> Violation:
    """The violation `Violation.as_json` wrote."""
    return Violation(
        rule=str(data["rule"]), severity=Severity(data["severity"]),
        subject_type=SubjectType(data["subjectType"]), subject_id=str(data["subjectId"]),
        related_ids=tuple(str(i) for i in data["relatedIds"]), excess=float(data["excess"]),
        message=str(data["message"]),
    )


def event_from_json(data: Mapping[str, Any]) -> ViolationEvent:
    previous = data.get("previousExcess")
    return ViolationEvent(EventKind(data["kind"]), violation_from_json(data["violation"]),
                          None if previous is None else float(previous))
