"""Request body cap: 413 before a large body is read into memory.

One cap per request, chosen by who asks: importing a portfolio needs the
admin role and may send a large document, so admins (and open mode, whose
anonymous actor holds every role) get `max_import_bytes`; every other
request gets `max_body_bytes`. The actor is known before the body is read
because AuthMiddleware runs first and reads only headers.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import actor_of
from api.errors import ErrorCode
from api.roles import Role, has_role
from api.settings import Settings


class BodyLimit:
    """Refuses (413) request bodies over the cap; the body is buffered, then replayed."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def cap(self, scope: Scope) -> int:
        actor = actor_of(scope)
        if actor is not None and has_role(actor, Role.ADMIN):
            return max(self.settings.max_import_bytes, self.settings.max_body_bytes)
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _too_large(cap, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _too_large(cap, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(cap: int, send: Send) -> None:
    body = json.dumps({"errors": [{
        "message": f"the request body is larger than this server accepts ({cap} bytes)",
        "extensions": {"code": ErrorCode.PAYLOAD_TOO_LARGE, "maxBytes": cap},
    }]}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
