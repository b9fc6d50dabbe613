"""Mutation payloads: expected failures are data (InputError, violations), not errors."""

from __future__ import annotations

import strawberry

from api.outcomes import ChangeOutcome, ImportOutcome
from api.schema.governance import Violation
from api.schema.nodes import Node, wrap
from graph import document
from graph.view import PortfolioView


@strawberry.type
class InputError:
    path: str = strawberry.field(
        description="Dotted path into the input that is wrong, e.g. features.3.wsjf.jobSize.")
    message: str
    code: str

    @classmethod
    def of(cls, error: document.InputError) -> InputError:
        return cls(path=error.path, message=error.message, code=error.code)


@strawberry.type
class ImportResult:
    applied: bool
    created: int
    updated: int
    errors: list[InputError]
    violations: list[Violation]

    @classmethod
    def of(cls, outcome: ImportOutcome) -> ImportResult:
        return cls(
            applied=outcome.applied, created=len(outcome.created), updated=len(outcome.updated),
            errors=[InputError.of(e) for e in outcome.errors],
            violations=[Violation.of(v) for v in outcome.violations],
        )


@strawberry.type
class ChangeResult:
    applied: bool = strawberry.field(description=(
        "False when nothing was written: invalid input, a blocking guardrail, or dryRun."))
    item: Node | None
    errors: list[InputError]
    violations: list[Violation] = strawberry.field(description=(
        "Violations this change introduces (for a dry run: would introduce)."))

    @classmethod
    def of(cls, outcome: ChangeOutcome, view: PortfolioView | None) -> ChangeResult:
        """`view` (needed when the outcome has an item) resolves the item's nested fields."""
        item = None
        if outcome.item is not None:
            assert view is not None, "an outcome with an item needs a view to resolve it in"
            item = wrap(outcome.item, view)
        return cls(
            applied=outcome.applied,
            item=item,
            errors=[InputError.of(e) for e in outcome.errors],
            violations=[Violation.of(v) for v in outcome.violations],
        )
