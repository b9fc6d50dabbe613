"""The GraphQL schema of the contract, built with the protections the settings ask for.

Where resolvers get their data, one way per kind of read:

- portfolio items, nested lists and pages: the request's `PortfolioView`
  (graph/view.py). Root resolvers get it from `info.context.view()`, the one
  entry point (one engine read per request: the version check); every object
  they return carries that view, so nested fields resolve synchronously from
  the same version, never through a loader or the engine;
- answers computed on the portfolio (trace, impact, ranking, violations) and
  the audit log: `info.context.service`, given the view where it computes on
  one (the service owns the policy and the per-version caches);
- changes: `info.context.service`; the payload's item resolves in the view
  of the version the change wrote (`info.context.fresh_view()`).

Resolvers never use the store, the engine or `rules` directly.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from typing import ClassVar

import strawberry
from graphql import (
    ASTValidationRule,
    GraphQLError,
    StringValueNode,
    ValidationRule,
    parse,
)
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.cost import EstimateCache, QueryBudget, Refusal
from api.errors import ErrorCodes, MaskUnexpected, is_expected
from api.execution import LeafExecutionContext, thin_resolvers
from api.pinned import Pinned
from api.schema import organisation, strategy, work
from api.schema.glossary import describe
from api.schema.mutation import Mutation
from api.schema.query import Query
from api.schema.subscription import Subscription
from api.settings import Settings
from api.shape import alias_rule, depth_rule
from graph.engines.base import EngineUnavailable
from graph.model import UNSTORABLE_TEXT

logger = logging.getLogger("api.graphql")

# Every Node type, so that `node(id)` and `ChangeResult.item` can return any of them.
NODE_TYPES = (
    strategy.StrategicTheme, strategy.Objective, strategy.KeyResult,
    organisation.ValueStream, organisation.ReleaseTrain, organisation.Team,
    organisation.ProgramIncrement, work.Epic, work.Feature,
)


class NoNulInStrings(ValidationRule):
    """U+0000 and lone surrogates cannot be stored (the embedded engine reads C strings)."""

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if UNSTORABLE_TEXT.search(node.value):
            self.report_error(GraphQLError(
                "strings must not contain U+0000 or unpaired surrogates", node))


class PortfolioSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback; expected ones (a client's mistake) at DEBUG."""

    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if isinstance(error.original_error, EngineUnavailable):
                logger.warning("graph store unavailable: %s", error.original_error)
            elif is_expected(error):
                logger.debug("expected GraphQL error: %s", error.message)
            else:
                StrawberryLogger.error(error, execution_context)


# Each distinct query text parsed once (also by api/view.py for answers from the cache).
cached_parse = lru_cache(maxsize=256)(parse)


class ParseCache(SchemaExtension):
    """Parse each distinct query text once, so ValidationCache can reuse its validation.

    strawberry's ParserCache would lose a refused parse's error code: a text
    that does not parse is left to strawberry's own parse, which reports it.
    """

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None:
            with contextlib.suppress(GraphQLError):
                ctx.graphql_document = cached_parse(ctx.query, **ctx.parse_options)
        yield


class PreparedDocuments(ParseCache):
    """What strawberry's MaxTokensLimiter, AddValidationRules and ValidationCache do, with
    ParseCache, as one extension: each extension's hooks cost every request something.

    Its validation cache is keyed by the parsed document's identity (ParseCache hands
    every request of a text the same document; api/pinned.py): strawberry's
    ValidationCache hashes the whole document tree on every request, 25 µs for the
    bench's trace and far more for a large document.
    """

    _validated: ClassVar[Pinned[list[GraphQLError]]] = Pinned(256)

    def __init__(self, max_tokens: int, rules: Sequence[type[ASTValidationRule]]) -> None:
        self.max_tokens, self.rules = max_tokens, tuple(rules)

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.parse_options["max_tokens"] = self.max_tokens
        ctx.validation_rules = ctx.validation_rules + self.rules
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        schema, document = ctx.schema._schema, ctx.graphql_document
        if document is not None:
            rules = ctx.validation_rules
            found = self._validated.get((schema, document), rules)
            if found is None:
                found = self._validated.put(
                    (schema, document), validate_document(schema, document, rules), rules)
            ctx.pre_execution_errors = found
        yield


def build_schema(settings: Settings | None = None,
                 extra_extensions: Sequence[Callable[[], SchemaExtension]] = (),
                 on_refusal: Refusal | None = None,
                 late_extensions: Sequence[Callable[[], SchemaExtension]] = (),
                 plain_execution: bool = False) -> PortfolioSchema:
    """The schema; without settings, with no protection extensions (for printing the SDL).

    Executed with api/execution.py's short paths for plain leaves and resolvers;
    `plain_execution` leaves them out (strawberry's and graphql-core's own path, which
    tests compare answers with).
    """
    # Factories, not instances: strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = list(extra_extensions)
    if settings is not None:
        # The rule classes are built once (the limiter extensions would build new ones
        # per request), so a query text seen before skips parsing and validation:
        # that was ~3 ms of every small request (bench/README.md, hotspot C).
        rules = [depth_rule(settings.max_depth), alias_rule(settings.max_aliases),
                 NoNulInStrings]
        extensions += [
            partial(PreparedDocuments, max_tokens=settings.max_tokens, rules=rules),
            # Cost before execution, values and deadline during it (api/cost.py).
            partial(QueryBudget, max_cost=settings.max_cost, max_resolved=settings.max_resolved,
                    timeout=settings.request_timeout, cache=EstimateCache(),
                    on_refusal=on_refusal),
        ]
        if not settings.introspection:
            extensions.append(DisableIntrospection)
        # Order matters: extensions exit in reverse, so codes are set before masking.
        extensions += [MaskUnexpected, ErrorCodes]
    # Listed last, they exit first: they see errors before codes and masking (metrics).
    extensions += late_extensions
    schema = PortfolioSchema(query=Query, mutation=Mutation, subscription=Subscription,
                             types=NODE_TYPES, extensions=extensions,
                             execution_context_class=None if plain_execution
                             else LeafExecutionContext)
    describe(schema._schema)  # descriptions the code does not declare (glossary.py)
    if not plain_execution:
        thin_resolvers(schema)
    return schema
