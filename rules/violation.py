"""A broken guardrail, as data: what rule, on what subject, by how much."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graph.model import Severity


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

        Which rules those are is declared where each rule is registered
        (`register(..., keyed_by_first_related=True)` in rules/guardrails/registry.py).

        >>> import rules.guardrails  # registers the rules
        >>> v = Violation("dependency.unplanned", Severity.WARNING, SubjectType.FEATURE,
        ...               "F-2", ("F-1",), 1.0, "...")
        >>> v.key
        ('dependency.unplanned', 'F-2', 'F-1')
        """
        if self.related_ids and _keyed_by_first_related(self.rule):
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


_lookup: Callable[[str], bool] | None = None


def _keyed_by_first_related(rule_id: str) -> bool:
    """The registry's answer (rules/guardrails/registry.py `keyed_by_first_related`)."""
    global _lookup
    if _lookup is None:
        # Imported on first use: the registry imports this module for its types.
        from rules.guardrails.registry import keyed_by_first_related

        _lookup = keyed_by_first_related
    return _lookup(rule_id)
