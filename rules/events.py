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
    return events_between(keyed(list(before)), keyed(list(after)))


Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyedViolations:
    """One evaluation's violations by key (the largest excess where a rule reports a key
    twice), with each one's key by identity, so that the next version's map computes keys
    only for the violations the incremental evaluation did not carry over."""

    violations: list[Violation]  # holds them: `key_of` is by id(), valid while they live
    by_key: dict[Key, Violation]
    key_of: dict[int, Key]


def keyed(violations: list[Violation], previous: KeyedViolations | None = None
          ) -> KeyedViolations:
    """`violations` by key; keys of objects `previous` holds too are taken from it.

    >>> import rules.guardrails  # registers the rules
    >>> v = Violation("kanban.wip-limit", Severity.ERROR, SubjectType.EPIC_STATE,
    ...               "ANALYZING", (), 1.0, "...")
    >>> list(keyed([v], keyed([v])).by_key)
    [('kanban.wip-limit', 'ANALYZING')]
    """
    known = previous.key_of if previous is not None else {}
    found: dict[Key, Violation] = {}
    key_of: dict[int, Key] = {}
    for violation in violations:
        # An id `previous` knows is this very object: previous keeps its own alive.
        key = known.get(id(violation))
        if key is None:
            key = violation.key
        key_of[id(violation)] = key
        known_violation = found.get(key)
        if known_violation is None or violation.excess > known_violation.excess:
            found[key] = violation
    return KeyedViolations(violations, found, key_of)


def events_between(before: KeyedViolations, after: KeyedViolations) -> list[ViolationEvent]:
    """violation_events from the keyed maps of two evaluations."""
    old, new = before.by_key, after.by_key
    out: list[ViolationEvent] = []
    for key, now in new.items():
        was = old.get(key)
        if was is now:
            continue  # carried over unchanged
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
