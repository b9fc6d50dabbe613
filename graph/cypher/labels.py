"""Node labels and relationship types: the only identifiers Cypher text is built from.

Labels and types cannot be query parameters, so statements take them from
these enums and never from input.
"""

from __future__ import annotations

from enum import StrEnum

from graph.model import Kind, Rel

__all__ = ["Label", "Rel", "kind_label"]  # Rel lives with the link table in the model


class Label(StrEnum):
    ITEM = "Item"  # every portfolio item also carries this label: ids are unique across kinds
    THEME = Kind.THEME.value
    OBJECTIVE = Kind.OBJECTIVE.value
    KEY_RESULT = Kind.KEY_RESULT.value
    VALUE_STREAM = Kind.VALUE_STREAM.value
    ART = Kind.ART.value
    TEAM = Kind.TEAM.value
    PI = Kind.PI.value
    EPIC = Kind.EPIC.value
    FEATURE = Kind.FEATURE.value
    AUDIT = "AuditEntry"
    META = "PortfolioMeta"  # one node: the portfolio version every change checks and bumps
    CHECKPOINT = "Checkpoint"  # a whole portfolio at one version: where history starts


def kind_label(kind: Kind) -> Label:
    return Label(kind.value)
