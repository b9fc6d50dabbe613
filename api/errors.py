"""Error codes, the errors that carry them, and the masking of unexpected ones.

Expected failures (bad arguments, a forbidden change, a dependency cycle) are
raised as `ServiceError` by the use cases or `ApiError` by the schema; both
carry an `ErrorCode` that becomes the `extensions.code` clients switch on.
Anything else is a bug or an outage: `MaskUnexpected` replaces its message
with a fixed text and the code INTERNAL_SERVER_ERROR, so no internal detail
leaks; strawberry has already logged the original with its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from graph.engines.base import EngineUnavailable
from rules.errors import RulesError


class ErrorCode(StrEnum):
    """Every `extensions.code` the API sets (besides the rules' own, see rules/errors.py)."""

    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    DEPENDENCY_CYCLE = "DEPENDENCY_CYCLE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    TIMEOUT = "TIMEOUT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    UNAVAILABLE = "UNAVAILABLE"
    SLOW_SUBSCRIBER = "SLOW_SUBSCRIBER"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"


class ServiceError(Exception):
    """An expected failure of a use case; the API turns it into a GraphQL error with `code`."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = extensions


class Forbidden(ServiceError):
    """The actor lacks the role a use case needs."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.FORBIDDEN, message)


class ApiError(GraphQLError):
    """An expected failure, reported to the client with `code` and extra extensions."""

    def __init__(self, code: ErrorCode, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})
        self.code = code


def bad_input(message: str, **extensions: Any) -> ApiError:
    return ApiError(ErrorCode.BAD_USER_INPUT, message, **extensions)


OUTAGE_MESSAGE = "the graph store is unavailable right now; retry shortly (GET /readyz)"


def is_expected(error: GraphQLError) -> bool:
    """True for errors the client may see as they are.

    Request errors (syntax, validation, variable coercion: no path), ApiErrors,
    the service's and rules' own errors and an unreachable engine (an outage,
    UNAVAILABLE) are expected; any other exception raised while resolving a
    field is a bug.
    """
    original = error.original_error
    return (
        error.path is None
        or original is None
        or isinstance(original, GraphQLError | ServiceError | RulesError | EngineUnavailable)
    )


def _code_of(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if isinstance(original, ServiceError):
        return {"code": original.code, **original.extensions}
    if isinstance(original, EngineUnavailable):
        # An outage, not a bug: the client should retry (/readyz says when).
        return {"code": ErrorCode.UNAVAILABLE}
    if isinstance(original, RulesError):
        members = list(getattr(original, "members", []) or [])
        return {"code": original.code, **({"members": members} if members else {})}
    if error.path is not None:
        return {"code": ErrorCode.BAD_USER_INPUT}
    if error.message.startswith("Syntax Error"):
        return {"code": ErrorCode.GRAPHQL_PARSE_FAILED}
    if error.message.startswith("Variable "):
        return {"code": ErrorCode.BAD_USER_INPUT}
    return {"code": ErrorCode.GRAPHQL_VALIDATION_FAILED}


class MaskUnexpected(MaskErrors):
    """MaskErrors keeping expected errors and giving masked ones a stable code."""

    MESSAGE = "Internal server error: the failure was logged."

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda e: not is_expected(e),
                         error_message=self.MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR}
        return masked


class ErrorCodes(SchemaExtension):
    """Gives every expected error its `extensions.code` (list it after MaskUnexpected).

    The service's and the rules' errors carry their code as data; request
    errors get GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED or, for a bad
    variable, BAD_USER_INPUT.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if is_expected(error) and not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), **_code_of(error)}
            if isinstance(error.original_error, EngineUnavailable):
                # The engine's own message names sockets and hosts: keep it for the log.
                error.message = OUTAGE_MESSAGE
