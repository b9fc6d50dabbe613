"""History in the schema: versions, `asOf`, violation events and the diff of two versions.

Resolvers are thin: the use cases live in api/history.py. `view_for` is the one
place a root field turns its `asOf` argument into the view it answers from.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.context import Info
from api.history import AsOfValue, Diff, HistoryEvent, HistoryService, ItemDiff, VersionInfo
from api.schema.enums import Severity  # noqa: F401  (registers the enum before use)
from api.schema.fields import field
from api.schema.governance import AuditEntry, Violation
from api.schema.permissions import VIEWER, needs
from graph.view import PortfolioView
from rules.events import EventKind

ViolationEventKind = strawberry.enum(EventKind, name="ViolationEventKind")


@strawberry.input(description=(
    "Which earlier state to read: a portfolio version, or the last version written at or "
    "before an instant. Exactly one."))
class AsOf:
    version: int | None = None
    at: datetime | None = None

    def value(self) -> AsOfValue:
        return AsOfValue(version=self.version, at=self.at)


async def view_for(info: Info, as_of: AsOf | None) -> PortfolioView:
    """The view a root field answers from: the request's own without `asOf`, else the
    view of the version `asOf` names (INVALID_ARGUMENT when it names none). Everything
    nested under the field resolves from the same view."""
    return await info.context.view(None if as_of is None else as_of.value())


@strawberry.type
class PortfolioVersion:
    version: int = strawberry.field(
        description="0 for the empty store; every applied change or import adds 1.")
    at: datetime | None = strawberry.field(
        description="When this version was written; null for version 0.")
    change: AuditEntry | None = strawberry.field(
        description="The audit entry that wrote this version; null for version 0.")

    @classmethod
    def of(cls, info: VersionInfo) -> PortfolioVersion:
        entry = info.entry
        return cls(version=info.version,
                   at=None if entry is None else datetime.fromisoformat(entry.at),
                   change=None if entry is None else AuditEntry.of(entry))


@strawberry.type
class ViolationEvent:
    kind: ViolationEventKind  # type: ignore[valid-type]  # strawberry.enum returns the enum
    violation: Violation = strawberry.field(
        description="The violation after the change; for CLOSED, as it was just before.")
    previous_excess: float | None = strawberry.field(
        description="excess before the change; null for OPENED.")
    version: int
    at: datetime
    change: AuditEntry = strawberry.field(description=(
        "The change that caused the event (its justification is set for an override)."))

    @classmethod
    def of(cls, found: HistoryEvent) -> ViolationEvent:
        return cls(kind=found.event.kind, violation=Violation.of(found.event.violation),
                   previous_excess=found.event.previous_excess, version=found.entry.version,
                   at=datetime.fromisoformat(found.entry.at), change=AuditEntry.of(found.entry))


@strawberry.type
class ItemChange:
    id: strawberry.ID
    type: str = strawberry.field(description="The item's GraphQL type name, e.g. Feature.")
    fields: list[str] = strawberry.field(description=(
        "Document field names whose value differs, sorted; every field of the item for "
        "added or removed items."))
    before: JSON | None = strawberry.field(
        description="The item in the import document's format; null when added.")
    after: JSON | None = strawberry.field(
        description="The item in the import document's format; null when removed.")

    @classmethod
    def of(cls, diff: ItemDiff) -> ItemChange:
        return cls(id=strawberry.ID(diff.id), type=diff.kind.value, fields=diff.fields,
                   before=None if diff.before is None else JSON(diff.before),
                   after=None if diff.after is None else JSON(diff.after))


@strawberry.type
class DependencyChange:
    from_: strawberry.ID = strawberry.field(name="from")
    to: strawberry.ID


@strawberry.type
class PortfolioDiff:
    from_: PortfolioVersion = strawberry.field(name="from")
    to: PortfolioVersion
    added: list[ItemChange]
    removed: list[ItemChange]
    changed: list[ItemChange]
    dependencies_added: list[DependencyChange]
    dependencies_removed: list[DependencyChange]
    violations_opened: list[Violation]
    violations_closed: list[Violation]


def _dependencies(pairs: list[tuple[str, str]]) -> list[DependencyChange]:
    return [DependencyChange(from_=strawberry.ID(a), to=strawberry.ID(b)) for a, b in pairs]


async def _diff(info: Info, diff: Diff) -> PortfolioDiff:
    history, server = info.context.service.history, info.context.on_server_loop
    return PortfolioDiff(
        from_=PortfolioVersion.of(await server(history.version_info(diff.from_version))),
        to=PortfolioVersion.of(await server(history.version_info(diff.to_version))),
        added=[ItemChange.of(d) for d in diff.added],
        removed=[ItemChange.of(d) for d in diff.removed],
        changed=[ItemChange.of(d) for d in diff.changed],
        dependencies_added=_dependencies(diff.dependencies_added),
        dependencies_removed=_dependencies(diff.dependencies_removed),
        violations_opened=[Violation.of(v) for v in diff.violations_opened],
        violations_closed=[Violation.of(v) for v in diff.violations_closed],
    )


async def _info_of(history: HistoryService,
                   version: Callable[[], Awaitable[int]]) -> VersionInfo:
    return await history.version_info(await version())


# Resolvers may run on a query loop (api/offload.py): engine work goes through
# `info.context.on_server_loop`, the loop that owns the engine's connections.
@strawberry.type
class HistoryQuery:
    """The history root fields; `Query` inherits them."""

    @field(extensions=needs(VIEWER), description="The version the portfolio is at now.")
    async def portfolio_version(self, info: Info) -> PortfolioVersion:
        history = info.context.service.history
        return PortfolioVersion.of(await info.context.on_server_loop(
            _info_of(history, history.current)))

    @field(extensions=needs(VIEWER), description=(
        "The earliest version `asOf` can read: 0 for a store kept with history from its start."))
    async def history_start(self, info: Info) -> PortfolioVersion:
        history = info.context.service.history
        return PortfolioVersion.of(await info.context.on_server_loop(
            _info_of(history, history.start)))

    @field(extensions=needs(VIEWER), description=(
        "How violations opened, grew, shrank and closed, change by change, oldest first; "
        "`since` exclusive, `until` inclusive; limit: 1 to 1000."))
    async def violation_history(self, info: Info, rule: str | None = None,
                                subject_id: strawberry.ID | None = None,
                                since: AsOf | None = None, until: AsOf | None = None,
                                limit: int | None = 100) -> list[ViolationEvent]:
        found = await info.context.on_server_loop(info.context.service.history.violation_history(
            rule=rule, subject_id=None if subject_id is None else str(subject_id),
            since=None if since is None else since.value(),
            until=None if until is None else until.value(),
            limit=100 if limit is None else limit))
        return [ViolationEvent.of(e) for e in found]

    @field(extensions=needs(VIEWER),
           description="What differs between two versions (`to` defaults to now).")
    async def changes(self, info: Info,
                      from_: Annotated[AsOf, strawberry.argument(name="from")],
                      to: AsOf | None = None) -> PortfolioDiff:
        diff = await info.context.on_server_loop(info.context.service.history.diff(
            from_.value(), None if to is None else to.value()))
        return await _diff(info, diff)
