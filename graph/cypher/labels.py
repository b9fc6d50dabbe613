"""Node labels and relationship types: the only identifiers Cypher text is built from.

Labels and types cannot be query parameters, so statements take them from
these enums and never from input.
"""

from __future__ import annotations

from enum import StrEnum

from graph.model import Kind


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


class Rel(StrEnum):
    SUPPORTS = "SUPPORTS"  # (:Objective)-[:SUPPORTS]->(:StrategicTheme)
    MEASURES = "MEASURES"  # (:KeyResult)-[:MEASURES]->(:Objective)
    IN_VALUE_STREAM = "IN_VALUE_STREAM"  # (:ReleaseTrain|:Epic)-[:IN_VALUE_STREAM]->(:ValueStream)
    ON_TRAIN = "ON_TRAIN"  # (:Team)-[:ON_TRAIN]->(:ReleaseTrain)
    HAS_CAPACITY = "HAS_CAPACITY"  # (:Team)-[:HAS_CAPACITY {points}]->(:ProgramIncrement)
    ALIGNS_TO = "ALIGNS_TO"  # (:Epic)-[:ALIGNS_TO]->(:StrategicTheme)
    CONTRIBUTES_TO = "CONTRIBUTES_TO"  # (:Epic)-[:CONTRIBUTES_TO]->(:KeyResult)
    PART_OF = "PART_OF"  # (:Feature)-[:PART_OF]->(:Epic)
    ASSIGNED_TO = "ASSIGNED_TO"  # (:Feature)-[:ASSIGNED_TO]->(:Team)
    PLANNED_IN = "PLANNED_IN"  # (:Feature)-[:PLANNED_IN]->(:ProgramIncrement)
    DEPENDS_ON = "DEPENDS_ON"  # (:Feature)-[:DEPENDS_ON]->(:Feature): target delivered first


def kind_label(kind: Kind) -> Label:
    return Label(kind.value)
