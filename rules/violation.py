"""A broken guardrail, as data: what rule, on what subject, by how much."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graph.model import Severity

# Rules whose key also carries the first related id: one violation per PI or dependency.
KEYED_BY_FIRST_RELATED = frozenset(
    {
        "capacity.team-overload",
        "capacity.allocation",
        "dependency.schedule-conflict",
        "dependency.unplanned",
    }
)


class SubjectType(StrEnum):
    """What a violation's `subject_id` names (the contract's `subjectType`)."""

    EPIC = "Epic"
    FEATURE = "Feature"
    TEAM = "Team"
    RELEASE_TRAIN = "ReleaseTrain"
    VALUE_STREAM = "ValueStream"
    EPIC_STATE = "EpicState"
    HORIZON = "Horizon"


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken guardrail; `excess` says by how much (1 for yes/no rules)."""

    rule: str
    severity: Severity
    subject_type: SubjectType
    subject_id: str
    related_ids: tuple[str, ...]
    excess: float
    message: str

    @property
    def key(self) -> tuple[str, ...]:
        """Identity across snapshots: (rule, subject) plus the PI or B where one subject has many.

        >>> v = Violation("dependency.unplanned", Severity.WARNING, SubjectType.FEATURE,
        ...               "F-2", ("F-1",), 1.0, "...")
        >>> v.key
        ('dependency.unplanned', 'F-2', 'F-1')
        """
        if self.rule in KEYED_BY_FIRST_RELATED and self.related_ids:
            return (self.rule, self.subject_id, self.related_ids[0])
        return (self.rule, self.subject_id)

    @property
    def sort_key(self) -> tuple[str, str, tuple[str, ...]]:
        """The contract's order: rule, then subjectId, then relatedIds."""
        return (self.rule, self.subject_id, self.related_ids)

    def as_json(self) -> dict[str, Any]:
        """The wire shape, with the contract's camelCase names."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "subjectType": self.subject_type.value,
            "subjectId": self.subject_id,
            "relatedIds": list(self.related_ids),
            "excess": self.excess,
            "message": self.message,
        }
