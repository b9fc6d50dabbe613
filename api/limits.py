"""Slow and large requests: body cap (413), body and header read timeouts (408), server limits.

Body cap: one cap per request, chosen by who asks: importing a portfolio needs
the admin role and may send a large document, so admins (and open mode, whose
anonymous actor holds every role) get `max_import_bytes`; every other request
gets `max_body_bytes`. The actor is known before the body is read because
AuthMiddleware runs first and reads only headers.

Slow clients: a body must keep arriving (no pause longer than `body_timeout`)
and be complete within `body_deadline`, else 408; request headers must be
complete within `header_timeout` of the first byte (or of the connection),
else 408 and the connection is closed: uvicorn itself only times out idle
keep-alive connections, so `serve` runs a small subclass of its h11 protocol
(`server_options`). Only /graphql reads a body: health checks and metrics
never wait for one. Once the body is read, a client that hangs up cancels its
request instead of leaving it to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.auth import actor_of
from api.errors import ErrorCode
from api.roles import Role, has_role
from api.settings import Settings

BODY_PATHS = frozenset({"/graphql"})  # the only route that reads a request body


class BodyLimit:
    """413 for a body over the cap, 408 for one that stalls; runs the request until the
    client hangs up (see the module doc)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def cap(self, scope: Scope) -> int:
        actor = actor_of(scope)
        if actor is not None and has_role(actor, Role.ADMIN):
            return max(self.settings.max_import_bytes, self.settings.max_body_bytes)
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in BODY_PATHS:
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope)
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _too_large(cap, send)
            return
        body = await self._read(receive, send, cap)
        if body is None:
            return
        await _until_disconnect(self.app, scope, body, receive, send)

    async def _read(self, receive: Receive, send: Send, cap: int) -> bytes | None:
        """The whole body, or None when it was refused (413, 408) or the client left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.body_deadline
        chunks: list[bytes] = []
        size = 0
        while True:
            wait = min(self.settings.body_timeout, deadline - loop.time())
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    message = await receive()
            except TimeoutError:
                await _too_slow(self.settings, send)
                return None
            if message["type"] != "http.request":  # the client went away
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _too_large(cap, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _until_disconnect(app: ASGIApp, scope: Scope, body: bytes, receive: Receive,
                            send: Send) -> None:
    """Run the request with its body replayed; cancel it if the client disconnects first."""
    gone = asyncio.Event()
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass  # no more body can come: only the disconnect matters

    request = asyncio.ensure_future(app(scope, replay, send))
    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait({request, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not request.done():  # the client hung up (or we are cancelled): stop the work
            gone.set()
            request.cancel()
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    with contextlib.suppress(asyncio.CancelledError):
        await request
    if not request.cancelled():
        request.result()  # re-raise what the app raised


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, status: int, message: str, **extensions: Any) -> None:
    body = json.dumps({"errors": [{"message": message, "extensions": extensions}]}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})


async def _too_large(cap: int, send: Send) -> None:
    await _refuse(send, 413, f"the request body is larger than this server accepts ({cap} bytes)",
                  code=ErrorCode.PAYLOAD_TOO_LARGE, maxBytes=cap)


async def _too_slow(settings: Settings, send: Send) -> None:
    await _refuse(send, 408, (
        f"the request body did not arrive in time: it may pause at most "
        f"{settings.body_timeout:g} s and must be complete within {settings.body_deadline:g} s"),
        code=ErrorCode.TIMEOUT)


# --- the server: uvicorn's limits and a header read timeout ---------------------------


class HeaderTimeout(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers do not arrive in
    `header_timeout` seconds (408 when some bytes came, a plain close for a silent one)."""

    header_timeout = 10.0
    _timer: asyncio.TimerHandle | None = None
    _received = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]  # uvicorn's own narrowing
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        self._received = True
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._received = False  # a keep-alive wait: uvicorn's own idle timeout applies

    def _watch_headers(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if not waiting:
            self._stop_timer()
        elif self._timer is None and (self._received or self.cycle is None):
            # From the connection or the first byte of a request; more bytes never extend it.
            self._timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _headers_too_slow(self) -> None:
        self._timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        if self._received:
            text = f"request headers not received within {self.header_timeout:g} s\n".encode()
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\n"
                                 b"content-type: text/plain; charset=utf-8\r\n"
                                 b"content-length: " + str(len(text)).encode() + b"\r\n"
                                 b"connection: close\r\n\r\n" + text)
        self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn.run/Config options bounding what slow or numerous clients can hold."""
    protocol = type("HeaderTimeout", (HeaderTimeout,), {"header_timeout": settings.header_timeout})
    return {
        "http": protocol,
        # Past this many open connections or running requests, uvicorn answers 503.
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_timeout,
        # The largest request head (request line and headers) h11 buffers: 400 beyond.
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
