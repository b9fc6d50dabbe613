"""Small factories for portfolios in rule tests: only what a case needs is spelled out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from graph.model import (
    Epic,
    EpicState,
    Feature,
    FeatureState,
    Item,
    Portfolio,
    ProgramIncrement,
    ReleaseTrain,
    Team,
    Wsjf,
)
from rules.guardrails.registry import get_rule
from rules.policy import policy_from_mapping
from rules.settings import RuleSettings
from rules.violation import Violation


def wsjf(ubv: int = 1, tc: int = 1, rroe: int = 1, size: int = 1) -> Wsjf:
    return Wsjf(
        user_business_value=ubv,
        time_criticality=tc,
        risk_reduction_opportunity_enablement=rroe,
        job_size=size,
    )


def epic(item_id: str, state: str = "IMPLEMENTING", **fields: Any) -> Epic:
    fields.setdefault("name", f"Epic {item_id}")
    fields.setdefault("type", "BUSINESS")
    return Epic(id=item_id, state=EpicState(state), **fields)


def feature(item_id: str, state: str = "BACKLOG", **fields: Any) -> Feature:
    fields.setdefault("name", f"Feature {item_id}")
    fields.setdefault("type", "BUSINESS")
    return Feature(id=item_id, state=FeatureState(state), **fields)


def pi(item_id: str, start: str, name: str | None = None) -> ProgramIncrement:
    first = date.fromisoformat(start)
    return ProgramIncrement(
        id=item_id, name=name or f"PI {item_id}", start=first, end=first + timedelta(weeks=9)
    )


def team(item_id: str, art: str | None = None, capacity: dict[str, float] | None = None) -> Team:
    return Team(id=item_id, name=f"Team {item_id}", art=art, capacity=capacity or {})


def art(item_id: str, value_stream: str | None = None) -> ReleaseTrain:
    return ReleaseTrain(id=item_id, name=f"Train {item_id}", value_stream=value_stream)


def portfolio(*items: Item, dependencies: tuple[tuple[str, str], ...] = ()) -> Portfolio:
    built = Portfolio(dependencies=set(dependencies))
    for item in items:
        built.put(item)
    return built


def settings(rule_id: str, **given: Any) -> RuleSettings:
    """A rule's settings as a policy giving `given` for it would make them."""
    return policy_from_mapping({"guardrails": {rule_id: given}}).settings(rule_id)


def check(rule_id: str, snapshot: Portfolio, **given: Any) -> list[Violation]:
    """Run one rule with the settings a policy giving `given` would make."""
    return get_rule(rule_id).check(snapshot, settings(rule_id, **given))
