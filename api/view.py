"""The GraphQL endpoint: strawberry's ASGI view with this API's HTTP rules.

- one operation per request: a JSON array (batch) is refused with 400;
- GET runs queries only: a mutation over GET is 405 (Allow: POST);
- CSRF: POST needs `application/json`; a GET query needs a header a browser
  cannot send cross-origin without a CORS preflight (Authorization,
  X-Requested-With, Apollo-Require-Preflight, GraphQL-Require-Preflight,
  X-Apollo-Operation-Name) or a non-simple Content-Type;
- `application/graphql-response+json` when the client accepts it, with 4xx
  for request errors as GraphQL-over-HTTP asks (plain `application/json`
  keeps status 200);
- every operation runs under `asyncio.timeout` (code TIMEOUT);
- HTTP-level failures answer with a JSON `errors` body carrying a code;
- queries execute on the query loop (api/offload.py), so a large answer never
  holds the server's loop; mutations run on the server's loop;
- answers of queries are kept per portfolio version (api/response_cache.py)
  and carry an `ETag`; a GET whose `If-None-Match` names it gets 304, and a
  request with `Cache-Control: no-cache` is computed afresh;
- bodies are encoded with orjson.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from concurrent.futures import Future, InvalidStateError
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, TypeVar, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, OperationDefinitionNode, get_operation_ast
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from api.auth import AuthError, actor_of, verifier_for
from api.context import Context
from api.errors import ApiError, ErrorCode
from api.graphiql import offline_page
from api.offload import QUERIES
from api.response_cache import CacheKey, ResponseCache, cache_key, etag_matches
from api.roles import ANONYMOUS, Actor, Role, has_role
from api.runtime import Runtime
from api.schema import cached_parse
from api.settings import Settings
from graph.model import unstorable_paths
from graph.view import PortfolioView

T = TypeVar("T")
GRAPHQL_RESPONSE = "application/graphql-response+json"
PREFLIGHT_HEADERS = (
    "authorization", "x-requested-with", "apollo-require-preflight",
    "graphql-require-preflight", "x-apollo-operation-name",
)
SIMPLE_CONTENT_TYPES = ("", "text/plain", "application/x-www-form-urlencoded",
                        "multipart/form-data")
_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST, 404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
NOBODY = Actor(id="unauthenticated")
_ACK = cast("UnsetType", UNSET)  # connection_ack without a payload


def _release(response_data: object) -> None:
    """Empty an answer's data once it is encoded. graphql-core's and strawberry's execution
    state form reference cycles that hold the result: left to the cyclic GC, a large
    answer (100,000 objects for the whole tree) went through full collections of ~100 ms
    each under load, stopping every thread, the server's loop included."""
    if isinstance(response_data, dict):
        data = response_data.get("data")
        if isinstance(data, dict):
            data.clear()


def error_response(status: int, message: str, code: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """An HTTP-level failure in the GraphQL error shape."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def accepts_graphql_response(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(_media_type(part) == GRAPHQL_RESPONSE for part in accept.split(","))


def csrf_rejection(request: Request) -> HTTPException | None:
    """Why a request might be a cross-site forgery, or None when it cannot be one."""
    content_type = _media_type(request.headers.get("content-type", ""))
    if request.method == "POST":
        if content_type != "application/json":
            return HTTPException(415, "POST /graphql needs Content-Type: application/json")
        return None
    if request.method == "GET" and "query" in request.query_params:
        preflighted = content_type not in SIMPLE_CONTENT_TYPES or any(
            request.headers.get(name) for name in PREFLIGHT_HEADERS)
        if not preflighted:
            return HTTPException(400, (
                "a GET query needs a header that forces a CORS preflight, e.g. "
                "'X-Requested-With: fetch' or 'GraphQL-Require-Preflight: 1' (or use POST)"))
    return None


# Set per request by GraphQLView.__call__, read by create_response (same task).
_WANTS_GRAPHQL_RESPONSE: ContextVar[bool] = ContextVar("wants_graphql_response", default=False)


@dataclass(slots=True)
class _Caching:
    """What execute_single decided about the response cache, for create_response."""

    key: CacheKey | None = None
    body: bytes | None = None  # a cached answer to send as it is
    not_modified: bool = False  # the client's If-None-Match names the answer
    storable: bool = False  # a fresh answer without errors: keep it


_CACHING: ContextVar[_Caching | None] = ContextVar("response_caching", default=None)
# The request's view, asked for as the request arrives (see GraphQLView.__call__).
_PREFETCHED: ContextVar[Future[PortfolioView] | None] = ContextVar("prefetched_view",
                                                                    default=None)
CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}


def graphql_response(data: GraphQLHTTPResponse) -> tuple[int, GraphQLHTTPResponse]:
    """Status and body under application/graphql-response+json.

    A request error (no data could be produced: syntax, validation, a bad
    variable, a timeout) is 4xx (504 for a timeout) and has no `data` entry;
    an execution with field errors is 200.
    """
    errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
    if data.get("data") is None and errors and not any("path" in e for e in errors):
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        body = cast(GraphQLHTTPResponse, {k: v for k, v in data.items() if k != "data"})
        return (504 if ErrorCode.TIMEOUT in codes else 400), body
    return 200, data


def _shared(task: asyncio.Future[T]) -> Future[T]:
    """`task`'s outcome as a thread-safe future, which the query loops may wait on. A
    waiter cancelled (a query past its timeout) cancels this future, not the task: the
    request cancels the task when it ends."""
    shared: Future[T] = Future()

    def copy(done: asyncio.Future[T]) -> None:
        with contextlib.suppress(InvalidStateError):  # cancelled by a waiter meanwhile
            if done.cancelled():
                shared.cancel()
            elif (error := done.exception()) is not None:
                shared.set_exception(error)
            else:
                shared.set_result(done.result())

    task.add_done_callback(copy)
    return shared


class GraphQLView(GraphQL[Context, None]):
    """strawberry's ASGI view with per-request context, limits and HTTP rules (see module doc)."""

    def __init__(self, schema: BaseSchema, settings: Settings, runtime: Runtime) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None,
                         allow_queries_via_get=True, multipart_uploads_enabled=False,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         connection_init_wait_timeout=timedelta(seconds=10),
                         # Browsers: same origin or PORTFOLIO_CORS_ORIGINS only.
                         allowed_origins=tuple(settings.cors_origins))
        self.settings = settings
        self.runtime = runtime
        self.verifier = verifier_for(settings)
        self._ide_page = offline_page(self.graphql_ide_html) if settings.graphiql else ""
        self.responses: ResponseCache = ResponseCache()

    async def render_graphql_ide(self, request: Request) -> Response:
        """strawberry's GraphiQL page, loading its scripts from this app (api/graphiql.py)."""
        return HTMLResponse(self._ide_page)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if self.runtime.service is None:
                await WebSocketClose(code=1013, reason="the graph store is not open yet")(
                    scope, receive, send)
                return
            await super().__call__(scope, receive, send)  # subscriptions (graphql-transport-ws)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if self.runtime.service is None:
            await error_response(503, "the graph store is not open yet; retry shortly",
                                 ErrorCode.UNAVAILABLE, {"Retry-After": "1"})(scope, receive, send)
            return
        wants = _WANTS_GRAPHQL_RESPONSE.set(accepts_graphql_response(request))
        caching = _CACHING.set(_Caching())
        # The version check is an engine round trip (~0.3 ms): sent now, it overlaps
        # reading and parsing the request instead of following them. A request that
        # turns out not to need it (a refused one, the IDE page) costs one idle read.
        fetching = asyncio.ensure_future(self.runtime.service.view())
        prefetched = _PREFETCHED.set(_shared(fetching))
        try:
            await asyncio.sleep(0)  # the read's first step: its command goes out now
            rejection = csrf_rejection(request)
            if rejection is not None:
                raise rejection
            response = await self.run(request)
        except HTTPException as exc:
            response = _http_error(request, exc)
        finally:
            _WANTS_GRAPHQL_RESPONSE.reset(wants)
            _CACHING.reset(caching)
            _PREFETCHED.reset(prefetched)
            fetching.cancel()  # the request's own read: a client hanging up cancels it too
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket
                          ) -> Context:
        service = self.runtime.require_service()
        return Context(request=request, response=response,
                       actor=actor_of(request.scope) or NOBODY, service=service,
                       settings=self.settings, _view=_PREFETCHED.get(),
                       watcher=self.runtime.watcher)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from its connection_init payload: 4403 when refused."""
        if self.verifier is None:
            context.actor = ANONYMOUS  # open mode: loopback only (check_bind)
            return _ACK
        header = (context.connection_params or {}).get("Authorization")
        scheme, _, token = header.partition(" ") if isinstance(header, str) else ("", "", "")
        if scheme.lower() != "bearer" or not token.strip():
            raise ConnectionRejectionError({"reason": "connection_init needs "
                                            "{\"Authorization\": \"Bearer <token>\"}"})
        try:
            actor = await self.verifier.verify(token.strip())
        except AuthError as exc:
            raise ConnectionRejectionError({"reason": exc.reason}) from exc
        if not has_role(actor, Role.VIEWER):
            raise ConnectionRejectionError({"reason": "subscriptions need the viewer role"})
        context.actor = actor
        return _ACK

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)  # a JSONDecodeError is strawberry's 400
        except (ValueError, RecursionError) as exc:
            # json.loads raises these for an integer of more than 4300 digits and for
            # nesting past the recursion limit: a bad request, not a server error.
            raise HTTPException(400, "Unable to parse request body as JSON: a number is too "
                                     "long or the nesting too deep") from exc
        if next(unstorable_paths(parsed), None) is not None:
            raise HTTPException(400, "strings must not contain U+0000 or unpaired surrogates")
        if isinstance(parsed, list):
            raise HTTPException(400, "batched operations (a JSON array) are not supported: "
                                     "send one operation per request")
        return parsed

    async def execute_single(  # strawberry's hook signature
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response, context: Context, root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        if request_data.operation_name is None and _operation_count(
                request_data.query, self.settings.max_tokens) > 1:
            raise HTTPException(400, "the document has several operations: "
                                     "choose one with operationName")
        query = _is_query(request_data.query, request_data.operation_name,
                          self.settings.max_tokens)
        try:
            async with asyncio.timeout(self.settings.request_timeout):
                if query and await self._answered_from_cache(request, context, request_data):
                    return ExecutionResult(data={}, errors=None)
                execution = self.schema.execute(
                    request_data.query, root_value=root_value,
                    variable_values=request_data.variables, context_value=context,
                    operation_name=request_data.operation_name,
                    allowed_operation_types=OperationType.from_http(method),
                    operation_extensions=request_data.extensions,
                )
                result = await (QUERIES.run(execution) if query else execution)
                caching = _CACHING.get()
                if caching is not None and caching.key is not None:
                    caching.storable = not result.errors
                return result
        except TimeoutError:
            return ExecutionResult(data=None, errors=[ApiError(
                ErrorCode.TIMEOUT,
                f"the operation took longer than {self.settings.request_timeout:g} s and was "
                "abandoned; a change it was writing may still have landed: check auditLog "
                "before retrying a mutation")])
        except InvalidOperationTypeError as exc:
            if method == "GET":
                raise HTTPException(405, "mutations need POST: GET runs queries only") from exc
            raise HTTPException(400, exc.as_http_error_reason(method)) from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "no GraphQL query found in the request") from exc
        finally:
            # The request's objects form reference cycles (strawberry's and graphql-core's
            # execution state) that only the cyclic GC frees; without this, each one kept
            # its version's whole view (snapshot, indexes, evaluation) alive until a full
            # collection, and those collections took ~100 ms each under load.
            context.release()

    async def _answered_from_cache(self, request: Request, context: Context,
                                   request_data: GraphQLRequestData) -> bool:
        """Key the query by version (the request's one version check); True when a cached
        answer, or 304, will do. A failing version check leaves it to the execution,
        which reports the failure the way every resolver does."""
        caching = _CACHING.get()
        if caching is None or request_data.query is None:
            return False
        try:
            view = await context.view()
        except Exception:  # reported by the resolvers that need the view, with its code
            return False
        caching.key = key = cache_key(
            view.version, request_data.query, request_data.variables,
            request_data.operation_name, context.actor.roles,
            GRAPHQL_RESPONSE if _WANTS_GRAPHQL_RESPONSE.get() else "application/json")
        if request.method == "GET" and etag_matches(request.headers.get("if-none-match"),
                                                    key.etag):
            caching.not_modified = True
            _record_cached(request, request_data)
            return True
        if "no-cache" in request.headers.get("cache-control", "").lower():
            return False
        caching.body = self.responses.get(key)
        if caching.body is None:
            return False
        _record_cached(request, request_data)
        return True

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return json.dumps(data, separators=(",", ":")).encode()

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        caching = _CACHING.get() or _Caching()
        key = caching.key
        if key is not None and caching.not_modified:
            return Response(status_code=304, headers={"ETag": key.etag, **CACHE_HEADERS})
        wants = _WANTS_GRAPHQL_RESPONSE.get() and not isinstance(response_data, list)
        status, media_type = 200, GRAPHQL_RESPONSE if wants else "application/json"
        if caching.body is not None:
            body = caching.body
        else:
            if wants:
                status, response_data = graphql_response(cast(GraphQLHTTPResponse,
                                                              response_data))
            body = self.encode_json(response_data)
            _release(response_data)
            if key is not None and caching.storable and status == 200:
                self.responses.put(key, body)
        response = Response(body, status_code=sub_response.status_code or status,
                            media_type=media_type)
        response.headers.raw.extend(sub_response.headers.raw)
        if key is not None:
            response.headers.update({"ETag": key.etag, **CACHE_HEADERS})
        response.background = sub_response.background
        return response




@lru_cache(maxsize=256)
def _is_query(query: str | None, operation_name: str | None, max_tokens: int) -> bool:
    """True when the operation to run is a query (False when the document does not parse
    or has no such operation: the execution reports it)."""
    if not query:
        return False
    try:
        document = cached_parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [d for d in operations
              if operation_name is None or (d.name is not None and d.name.value == operation_name)]
    return len(chosen) == 1 and chosen[0].operation.value == "query"


def _operation_count(query: str | None, max_tokens: int) -> int:
    """How many operations the document defines (0 when it does not parse: reported later)."""
    if not query:
        return 0
    try:
        document = cached_parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return 0
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _http_error(request: Request, exc: HTTPException) -> Response:
    headers = None
    if exc.status_code == 405:
        headers = {"Allow": "POST" if request.method == "GET" else "GET, POST"}
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
    return error_response(exc.status_code, exc.reason, code, headers)


def _record_cached(request: Request, request_data: GraphQLRequestData) -> None:
    """What RecordOperation leaves for the log and metrics, for an answer from the cache
    (only answers without errors are cached)."""
    name = request_data.operation_name
    if name is None and request_data.query is not None:
        try:
            operation = get_operation_ast(cached_parse(request_data.query))
        except GraphQLError:
            operation = None
        name = operation.name.value if operation is not None and operation.name else None
    request.scope.setdefault("state", {})["graphql"] = {
        "operation": name, "operation_type": "query", "error_codes": [], "cached": True}
