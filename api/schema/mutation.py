"""The Mutation root: each resolver checks the role, calls the service, returns its outcome.

Invalid input and blocking guardrails come back as data (`errors`,
`violations`, `applied: false`); a missing role is a FORBIDDEN error.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.context import Context, Info
from api.outcomes import ChangeOutcome
from api.schema.fields import mutation
from api.schema.inputs import EpicInput, FeatureInput, OverrideInput
from api.schema.permissions import ADMIN, EDITOR, needs
from api.schema.results import ChangeResult, ImportResult
from graph.model import Kind

FromId = Annotated[strawberry.ID, strawberry.argument(name="from")]


def _justification(override: OverrideInput | None) -> str | None:
    return None if override is None else override.justification


async def _result(ctx: Context, outcome: ChangeOutcome) -> ChangeResult:
    """The payload, its item resolved in the portfolio as the change left it."""
    return ChangeResult.of(outcome, None if outcome.item is None else await ctx.fresh_view())


@strawberry.type
class Mutation:
    @mutation(extensions=needs(ADMIN), description=(
        "Load a portfolio document, all or nothing; never blocked by guardrails (admin)."))
    async def import_portfolio(self, info: Info, document: JSON) -> ImportResult:
        ctx = info.context
        return ImportResult.of(await ctx.service.import_document(document, ctx.actor))

    @mutation(extensions=needs(EDITOR), description=(
        "Create or replace an epic; an override and a change of `approved` need the "
        "portfolio role."))
    async def upsert_epic(self, info: Info, input: EpicInput, dry_run: bool | None = False,
                          override: OverrideInput | None = None) -> ChangeResult:
        ctx = info.context
        outcome = await ctx.service.upsert(
            Kind.EPIC, input.as_document(), ctx.actor, dry_run=bool(dry_run),
            justification=_justification(override))
        return await _result(ctx, outcome)

    @mutation(extensions=needs(EDITOR),
                         description="Create or replace a feature; an override needs portfolio.")
    async def upsert_feature(self, info: Info, input: FeatureInput, dry_run: bool | None = False,
                             override: OverrideInput | None = None) -> ChangeResult:
        ctx = info.context
        outcome = await ctx.service.upsert(
            Kind.FEATURE, input.as_document(), ctx.actor, dry_run=bool(dry_run),
            justification=_justification(override))
        return await _result(ctx, outcome)

    @mutation(extensions=needs(EDITOR),
                         description="Record that feature `from` depends on feature `to`.")
    async def add_dependency(self, info: Info, from_: FromId, to: strawberry.ID,
                             dry_run: bool | None = False,
                             override: OverrideInput | None = None) -> ChangeResult:
        ctx = info.context
        outcome = await ctx.service.add_dependency(
            str(from_), str(to), ctx.actor, dry_run=bool(dry_run),
            justification=_justification(override))
        return await _result(ctx, outcome)

    @mutation(extensions=needs(EDITOR))
    async def remove_dependency(self, info: Info, from_: FromId,
                                to: strawberry.ID) -> ChangeResult:
        ctx = info.context
        return await _result(ctx, await ctx.service.remove_dependency(str(from_), str(to),
                                                                     ctx.actor))

    @mutation(extensions=needs(ADMIN), description=(
        "Delete an item and its links; an objective with key results is refused (admin)."))
    async def delete_item(self, info: Info, id: strawberry.ID) -> ChangeResult:
        ctx = info.context
        return await _result(ctx, await ctx.service.delete_item(str(id), ctx.actor))
