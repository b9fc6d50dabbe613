"""Input types of the mutations and the browsing filters.

Optional fields default to UNSET, so "left out" and "null" both read as
absent: an upsert replaces the item and leaves out what is absent.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from api.schema.enums import EpicState, FeatureState, Horizon, WorkType
from graph import model as m
from graph.view import EpicQuery, FeatureQuery


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def document_fields(source: object, names: dict[str, str]) -> dict[str, Any]:
    """The given (not UNSET, not null) fields of an input as document keys and JSON values."""
    out: dict[str, Any] = {}
    for attr, key in names.items():
        value = getattr(source, attr)
        if value is strawberry.UNSET or value is None:
            continue
        out[key] = value.as_document() if isinstance(value, WsjfInput) else _plain(value)
    return out


@strawberry.input
class WsjfInput:
    user_business_value: int
    time_criticality: int
    risk_reduction_opportunity_enablement: int
    job_size: int

    def as_document(self) -> dict[str, int]:
        return {
            "userBusinessValue": self.user_business_value,
            "timeCriticality": self.time_criticality,
            "riskReductionOpportunityEnablement": self.risk_reduction_opportunity_enablement,
            "jobSize": self.job_size,
        }


@strawberry.input
class OverrideInput:
    justification: str


@strawberry.input
class EpicInput:
    id: strawberry.ID
    name: str
    type: WorkType
    state: EpicState
    horizon: Horizon | None = strawberry.UNSET
    estimated_cost: float | None = strawberry.UNSET
    approved: bool | None = strawberry.UNSET
    business_owner: str | None = strawberry.UNSET
    value_stream: strawberry.ID | None = strawberry.UNSET
    themes: list[strawberry.ID] | None = strawberry.UNSET
    key_results: list[strawberry.ID] | None = strawberry.UNSET
    wsjf: WsjfInput | None = strawberry.UNSET

    def as_document(self) -> dict[str, Any]:
        """The epic as the portfolio document spells it (`approved` left out keeps its value)."""
        return document_fields(self, {
            "id": "id", "name": "name", "type": "type", "state": "state", "horizon": "horizon",
            "estimated_cost": "estimatedCost", "approved": "approved",
            "business_owner": "businessOwner", "value_stream": "valueStream",
            "themes": "themes", "key_results": "keyResults", "wsjf": "wsjf",
        })


@strawberry.input
class FeatureInput:
    id: strawberry.ID
    name: str
    type: WorkType
    state: FeatureState
    points: float | None = strawberry.UNSET
    epic: strawberry.ID | None = strawberry.UNSET
    team: strawberry.ID | None = strawberry.UNSET
    pi: strawberry.ID | None = strawberry.UNSET
    wsjf: WsjfInput | None = strawberry.UNSET

    def as_document(self) -> dict[str, Any]:
        return document_fields(self, {
            "id": "id", "name": "name", "type": "type", "state": "state", "points": "points",
            "epic": "epic", "team": "team", "pi": "pi", "wsjf": "wsjf",
        })


def _given(value: Any) -> Any:
    return None if value is strawberry.UNSET else value


def _states(given: Any, model: type[Enum]) -> frozenset[Any] | None:
    states = _given(given)
    return None if states is None else frozenset(model(_plain(s)) for s in states)


def _enum(given: Any, model: type[Enum]) -> Any:
    value = _given(given)
    return None if value is None else model(_plain(value))


def _id(given: Any) -> str | None:
    value = _given(given)
    return None if value is None else str(value)


@strawberry.input
class FeatureFilter:
    state: list[FeatureState] | None = strawberry.UNSET
    type: WorkType | None = strawberry.UNSET
    epic: strawberry.ID | None = strawberry.UNSET
    team: strawberry.ID | None = strawberry.UNSET
    art: strawberry.ID | None = strawberry.UNSET
    value_stream: strawberry.ID | None = strawberry.UNSET
    pi: strawberry.ID | None = strawberry.UNSET
    search: str | None = strawberry.field(
        default=strawberry.UNSET, description="Case-insensitive substring of id or name.")
    aligned: bool | None = strawberry.UNSET

    def query(self) -> FeatureQuery:
        """The filter as the view's typed query (left out or null: no condition)."""
        return FeatureQuery(
            states=_states(self.state, m.FeatureState), type=_enum(self.type, m.WorkType),
            epic=_id(self.epic), team=_id(self.team), art=_id(self.art),
            value_stream=_id(self.value_stream), pi=_id(self.pi),
            search=_given(self.search), aligned=_given(self.aligned),
        )


@strawberry.input
class EpicFilter:
    state: list[EpicState] | None = strawberry.UNSET
    type: WorkType | None = strawberry.UNSET
    value_stream: strawberry.ID | None = strawberry.UNSET
    theme: strawberry.ID | None = strawberry.UNSET
    horizon: Horizon | None = strawberry.UNSET
    search: str | None = strawberry.field(
        default=strawberry.UNSET, description="Case-insensitive substring of id or name.")
    aligned: bool | None = strawberry.UNSET

    def query(self) -> EpicQuery:
        """The filter as the view's typed query (left out or null: no condition)."""
        return EpicQuery(
            states=_states(self.state, m.EpicState), type=_enum(self.type, m.WorkType),
            value_stream=_id(self.value_stream), theme=_id(self.theme),
            horizon=_enum(self.horizon, m.Horizon), search=_given(self.search),
            aligned=_given(self.aligned),
        )
