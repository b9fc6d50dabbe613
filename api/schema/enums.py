"""The contract's enums: the model's own enums, published under the same names."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph.model import EpicState, FeatureState, Horizon, Severity, WorkType

for _enum in (WorkType, Horizon, EpicState, FeatureState, Severity):
    strawberry.enum(_enum)


@strawberry.enum
class RankLevel(Enum):
    """What `ranking` orders: epics or features."""

    EPIC = "EPIC"
    FEATURE = "FEATURE"


__all__ = ["EpicState", "FeatureState", "Horizon", "RankLevel", "Severity", "WorkType"]
