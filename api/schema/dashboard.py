"""Counts for dashboards (rules/dashboard.py through the service): violations by rule,
severity and release train; features by state per PI; team load against capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.context import Info
from api.schema.enums import FeatureState, Severity
from api.schema.fields import field
from api.schema.history import AsOf, view_for
from api.schema.inputs import FeatureFilter
from api.schema.nodes import node
from api.schema.permissions import VIEWER, needs
from graph.model import Kind
from graph.view import PortfolioView
from rules import dashboard

if TYPE_CHECKING:
    from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team

TeamRef = Annotated["Team", strawberry.lazy("api.schema.organisation")]
ArtRef = Annotated["ReleaseTrain", strawberry.lazy("api.schema.organisation")]
PiRef = Annotated["ProgramIncrement", strawberry.lazy("api.schema.organisation")]
AS_OF = "Count the portfolio as it was at an earlier version or instant; now when left out."


@strawberry.type(description="How many violations one guardrail rule has.")
class RuleViolationCount:
    rule: str = strawberry.field(description="The rule id, e.g. capacity.team-overload.")
    severity: Severity = strawberry.field(description="The rule's severity in the policy.")
    count: int = strawberry.field(description="Its violations (at least 1).")


@strawberry.type(description="How many violations have one severity.")
class SeverityViolationCount:
    severity: Severity = strawberry.field(description="The severity.")
    count: int = strawberry.field(description="Violations of that severity (at least 1).")


@strawberry.type(description=(
    "How many violations belong to one release train: those whose subject is the train, "
    "one of its teams, or a feature of one of its teams."))
class ArtViolationCount:
    view: strawberry.Private[PortfolioView]
    art_id: strawberry.Private[str | None]
    count: int = strawberry.field(description="Violations of that train (at least 1).")

    @field(description=(
        "The release train; null for the violations that belong to none (their subject is "
        "an epic, a value stream, a Kanban state or a horizon, or a team or feature "
        "without a train)."))
    def art(self) -> ArtRef | None:
        return cast("ReleaseTrain | None", node(self.view, Kind.ART, self.art_id))


@strawberry.type(description=(
    "Violations counted without downloading them; only groups with at least one violation "
    "are listed."))
class ViolationCounts:
    total: int = strawberry.field(description="Every violation counted.")
    by_rule: list[RuleViolationCount] = strawberry.field(description="Per rule, by rule id.")
    by_severity: list[SeverityViolationCount] = strawberry.field(
        description="Per severity: ERROR, WARNING, INFO.")
    by_art: list[ArtViolationCount] = strawberry.field(
        description="Per release train, by train id; violations without a train last.")

    @classmethod
    def of(cls, counts: dashboard.ViolationCounts, view: PortfolioView) -> ViolationCounts:
        return cls(
            total=counts.total,
            by_rule=[RuleViolationCount(rule=r, severity=s, count=n)
                     for r, s, n in counts.by_rule],
            by_severity=[SeverityViolationCount(severity=s, count=n)
                         for s, n in counts.by_severity],
            by_art=[ArtViolationCount(view=view, art_id=a, count=n) for a, n in counts.by_art])


@strawberry.type(description="How many features are in one state.")
class FeatureStateCount:
    state: FeatureState = strawberry.field(description="The state.")
    count: int = strawberry.field(description="Features in it (at least 1).")


@strawberry.type(description="The features planned in one PI (or in none), counted by state.")
class PiFeatureCounts:
    view: strawberry.Private[PortfolioView]
    pi_id: strawberry.Private[str | None]
    total: int = strawberry.field(description="Every feature counted in this PI.")
    by_state: list[FeatureStateCount] = strawberry.field(description=(
        "Per state, in Kanban order (FUNNEL to DONE); states with at least one feature."))

    @field(description="The PI; null for features planned in none.")
    def pi(self) -> PiRef | None:
        return cast("ProgramIncrement | None", node(self.view, Kind.PI, self.pi_id))


@strawberry.type(description=(
    "A team's planned load in a PI against its capacity there, as the "
    "`capacity.team-overload` guardrail measures it."))
class TeamLoad:
    row: strawberry.Private[dashboard.TeamLoad]
    view: strawberry.Private[PortfolioView]

    @field(description="The team.")
    def team(self) -> TeamRef:
        return cast("Team", node(self.view, Kind.TEAM, self.row.team))

    @field(description="The PI.")
    def pi(self) -> PiRef:
        return cast("ProgramIncrement", node(self.view, Kind.PI, self.row.pi))

    @field(description=(
        "Summed points of the team's features planned in the PI, whatever their state "
        "(features without points add none)."))
    def planned_points(self) -> float:
        return self.row.points

    @field(description="How many of the team's features are planned in the PI.")
    def feature_count(self) -> int:
        return self.row.features

    @field(description="The team's recorded capacity in the PI; null when none is recorded.")
    def capacity(self) -> float | None:
        return self.row.capacity

    @field(description="plannedPoints / capacity; null without a capacity above 0.")
    def ratio(self) -> float | None:
        return self.row.ratio

    @field(description=(
        "True when plannedPoints exceed capacity * (1 + the guardrail's tolerance), as "
        "`capacity.team-overload` judges it (whether or not that rule is enabled); false "
        "without a recorded capacity."))
    def overloaded(self) -> bool:
        return self.row.overloaded


@strawberry.type
class DashboardQuery:
    """The dashboard counts' root fields; `Query` inherits them. Additions to the contract."""

    @field(extensions=needs(VIEWER), description=(
        "Violations counted by rule, severity and release train, filtered as `violations`. "
        "An addition to the contract."))
    async def violation_counts(
            self, info: Info,
            severity: Annotated[Severity | None, strawberry.argument(
                description="Count only violations of this severity.")] = None,
            rule: Annotated[str | None, strawberry.argument(
                description="Count only violations of this rule id.")] = None,
            as_of: Annotated[AsOf | None, strawberry.argument(description=AS_OF)] = None,
    ) -> ViolationCounts:
        view = await view_for(info, as_of)
        return ViolationCounts.of(
            info.context.service.violation_counts(view, severity=severity, rule=rule), view)

    @field(extensions=needs(VIEWER), description=(
        "The features matching `filter` counted by state, per PI: PIs by start date, "
        "unplanned features last; PIs with at least one feature. An addition to the "
        "contract."))
    async def feature_counts(
            self, info: Info,
            filter: Annotated[FeatureFilter | None, strawberry.argument(
                description="Count only features matching it, as `features` filters.")] = None,
            as_of: Annotated[AsOf | None, strawberry.argument(description=AS_OF)] = None,
    ) -> list[PiFeatureCounts]:
        view = await view_for(info, as_of)
        found = info.context.service.feature_counts(view, (filter or FeatureFilter()).query())
        return [PiFeatureCounts(view=view, pi_id=c.pi, total=c.total,
                                by_state=[FeatureStateCount(state=s, count=n)
                                          for s, n in c.by_state])
                for c in found]

    @field(extensions=needs(VIEWER), description=(
        "Each team's planned load against its capacity per PI: every team and PI with a "
        "recorded capacity or a planned feature, by PI start date, then team id. An "
        "addition to the contract."))
    async def team_loads(
            self, info: Info,
            pi_id: Annotated[strawberry.ID | None, strawberry.argument(
                description="Only this PI.")] = None,
            art: Annotated[strawberry.ID | None, strawberry.argument(
                description="Only the teams of this release train.")] = None,
            as_of: Annotated[AsOf | None, strawberry.argument(description=AS_OF)] = None,
    ) -> list[TeamLoad]:
        view = await view_for(info, as_of)
        rows = info.context.service.team_loads(
            view, pi_id=None if pi_id is None else str(pi_id),
            art=None if art is None else str(art))
        return [TeamLoad(row=r, view=view) for r in rows]
