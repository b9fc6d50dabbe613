"""The contract's enums: the model's own enums, declared to GraphQL under the same names.

The model (graph/model.py) imports no web code, so the GraphQL side of its enums is
declared here, as annotated types: strawberry reads the annotation when it builds
the schema, and values pass between the model and the API unchanged.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, TypeAlias

import strawberry

from graph import model

WorkType: TypeAlias = Annotated[model.WorkType, strawberry.enum(
    description="Business work delivers customer value; enabler work (architecture, "
                "infrastructure, compliance, exploration) makes it possible.")]
Horizon: TypeAlias = Annotated[model.Horizon, strawberry.enum(
    description="An epic's investment horizon, H0 (retiring) to H3 (evaluating).")]
EpicState: TypeAlias = Annotated[model.EpicState, strawberry.enum(
    description="Where an epic is on the portfolio Kanban.")]
FeatureState: TypeAlias = Annotated[model.FeatureState, strawberry.enum(
    description="Where a feature is on its ART's Kanban.")]
Severity: TypeAlias = Annotated[model.Severity, strawberry.enum(
    description="How bad a guardrail violation is; an ERROR blocks the change that "
                "introduces it unless a portfolio role overrides it.")]


@strawberry.enum(description="What `ranking` orders: epics or features.")
class RankLevel(Enum):
    EPIC = "EPIC"
    FEATURE = "FEATURE"


__all__ = ["EpicState", "FeatureState", "Horizon", "RankLevel", "Severity", "WorkType"]
