"""Structured request logs: one JSON line per HTTP request, never with a token.

`AccessLog` (ASGI middleware) times the request and logs method, path,
status, duration, actor and, for GraphQL, the operation name and type and
the error codes, which `RecordOperation` (a schema extension) leaves in the
request scope.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.auth import actor_of

logger = logging.getLogger("api.access")


class RecordOperation(SchemaExtension):
    """Leaves the operation's name, type and error codes in the request scope for the log."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        request = getattr(ctx.context, "request", None)
        if request is None:
            return
        record: dict[str, Any] = {"operation": ctx.operation_name}
        try:
            record["operation_type"] = ctx.operation_type.value
        except RuntimeError:  # no valid operation in the document
            record["operation_type"] = None
        errors = getattr(ctx.result, "errors", None) or []
        record["error_codes"] = sorted({str((e.extensions or {}).get("code")) for e in errors})
        request.scope.setdefault("state", {})["graphql"] = record


class AccessLog:
    """Logs every HTTP request as one JSON line on the `api.access` logger."""

    def __init__(self, app: ASGIApp,
                 record: Callable[[Scope, int, float], None] | None = None) -> None:
        self.app = app
        self.record = record  # e.g. api/metrics.py Metrics.request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            actor = actor_of(scope)
            entry: dict[str, Any] = {
                "event": "request",
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "actor": None if actor is None else actor.id,
                **scope.get("state", {}).get("graphql", {}),
            }
            level = logging.WARNING if status >= 500 else logging.INFO
            logger.log(level, json.dumps(entry, sort_keys=True))
            if self.record is not None:
                self.record(scope, status, time.perf_counter() - started)
