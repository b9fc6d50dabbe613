"""The GraphQL schema of the contract, built with the protections the settings ask for."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

import strawberry
from graphql import GraphQLError, StringValueNode, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.errors import ErrorCodes, MaskUnexpected, is_expected
from api.schema import organisation, strategy, work
from api.schema.mutation import Mutation
from api.schema.query import Query
from api.settings import Settings
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
            if is_expected(error):
                logger.debug("expected GraphQL error: %s", error.message)
            else:
                StrawberryLogger.error(error, execution_context)


def build_schema(settings: Settings | None = None,
                 extra_extensions: Sequence[Callable[[], SchemaExtension]] = ()
                 ) -> PortfolioSchema:
    """The schema; without settings, with no protection extensions (for printing the SDL)."""
    # Factories, not instances: strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension]] = list(extra_extensions)
    if settings is not None:
        extensions += [
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(QueryDepthLimiter, max_depth=settings.max_depth),
            partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
            partial(AddValidationRules, [NoNulInStrings]),
        ]
        if not settings.introspection:
            extensions.append(DisableIntrospection)
        # Order matters: extensions exit in reverse, so codes are set before masking.
        extensions += [MaskUnexpected, ErrorCodes]
    return PortfolioSchema(query=Query, mutation=Mutation, types=NODE_TYPES,
                             extensions=extensions)
