"""Slow clients against a real uvicorn server on 127.0.0.1: raw sockets, bounded waits.

The server runs in this event loop with the options `serve` uses
(api/limits.py `server_options`) and short timeouts; every wait is bounded by
BOUND so a hang fails, and the server stops at the end of each test. No
timing is asserted: a slow client gets its 408 or its close, a fast one its
answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from api.app import create_app
from api.limits import server_options
from api.service import PortfolioService
from api.settings import Settings
from graph.model import Portfolio
from tests.api.conftest import make_settings

BOUND = 10.0


@asynccontextmanager
async def serving(service: PortfolioService, **overrides: Any) -> AsyncIterator[int]:
    """A real uvicorn server for the app on a free loopback port; its port."""
    settings = make_settings(**{"header_timeout": 0.3, "body_timeout": 0.3, **overrides})
    app = create_app(settings, service=service)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                            log_level="warning", **server_options(settings))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(BOUND):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        async with asyncio.timeout(BOUND):
            await task


class Raw:
    """One raw TCP connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    @asynccontextmanager
    async def open(cls, port: int) -> AsyncIterator[Raw]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            yield cls(reader, writer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the next response (bounded)."""
        async with asyncio.timeout(BOUND):
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    async def closed(self) -> bool:
        """True once the server has closed the connection (bounded)."""
        async with asyncio.timeout(BOUND):
            rest = await self.reader.read()
        return rest == b""


def post(body: bytes, length: int | None = None, path: str = "/graphql") -> bytes:
    size = len(body) if length is None else length
    return (f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"content-length: {size}\r\n\r\n").encode() + body


QUERY = json.dumps({"query": "{ themes { id } }"}).encode()


async def test_a_fast_client_is_answered(service: PortfolioService) -> None:
    async with serving(service) as port, Raw.open(port) as conn:
        await conn.send(post(QUERY))
        status, _, body = await conn.response()
        assert status == 200 and json.loads(body) == {"data": {"themes": []}}


async def test_half_a_body_then_silence_gets_408(service: PortfolioService) -> None:
    async with serving(service) as port, Raw.open(port) as conn:
        await conn.send(post(QUERY[:10], length=len(QUERY)))
        status, headers, body = await conn.response()
        assert status == 408 and headers["connection"] == "close"
        error = json.loads(body)["errors"][0]
        assert error["extensions"]["code"] == "TIMEOUT" and "0.3 s" in error["message"]
        assert await conn.closed()


async def test_a_body_trickling_past_the_deadline_gets_408(service: PortfolioService) -> None:
    async with serving(service, body_timeout=5, body_deadline=0.5) as port, \
            Raw.open(port) as conn:
        await conn.send(post(b"", length=len(QUERY)))

        async def trickle() -> None:  # one byte every 0.05 s: never a long pause, never done
            for byte in QUERY[:-1]:
                await conn.send(bytes([byte]))
                await asyncio.sleep(0.05)

        sending = asyncio.ensure_future(trickle())
        try:
            status, _, body = await conn.response()
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sending
        assert status == 408 and sending.cancelled()  # answered while still trickling
        assert "complete within 0.5 s" in json.loads(body)["errors"][0]["message"]


async def test_half_sent_headers_get_408_and_a_close(service: PortfolioService) -> None:
    async with serving(service) as port:
        async with Raw.open(port) as conn:
            await conn.send(b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-le")
            status, headers, body = await conn.response()
            assert status == 408 and b"0.3 s" in body and headers["connection"] == "close"
            assert await conn.closed()
        async with Raw.open(port) as silent:  # connected, never a byte: closed, no answer
            assert await silent.closed()


async def test_health_checks_never_wait_for_a_body(service: PortfolioService) -> None:
    async with serving(service, body_timeout=60, header_timeout=60) as port, \
            Raw.open(port) as conn:
        # A body is announced and never sent: the answer comes anyway.
        await conn.send(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 1000"
                        b"\r\n\r\n")
        status, _, body = await conn.response()
        assert status == 200 and json.loads(body) == {"status": "ok"}


HEALTH = b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"


async def test_oversized_headers_are_refused(service: PortfolioService) -> None:
    async with serving(service, max_header_bytes=4096) as port:
        async with Raw.open(port) as conn:  # h11 buffers at most 4096 bytes of a head
            await conn.send(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-pad: "
                            + b"a" * 8000)
            assert (await conn.response())[0] == 400
        async with Raw.open(port) as ok:
            await ok.send(HEALTH)
            assert (await ok.response())[0] == 200


async def test_connections_past_the_limit_get_503(service: PortfolioService) -> None:
    async with serving(service, max_connections=3, header_timeout=60) as port:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(3):  # half-sent requests holding their sockets
                held = await stack.enter_async_context(Raw.open(port))
                await held.send(b"GET /healthz HTTP/1.1\r\n")
            async with Raw.open(port) as extra:
                await extra.send(HEALTH)
                assert (await extra.response())[0] == 503
        async with asyncio.timeout(BOUND):
            while True:  # the server notices the closes
                async with Raw.open(port) as fresh:
                    await fresh.send(HEALTH)
                    if (await fresh.response())[0] == 200:
                        break
                await asyncio.sleep(0.05)


class HangingService(PortfolioService):
    """A real service whose snapshot waits until cancelled, and says when it was."""

    def __init__(self, service: PortfolioService) -> None:
        super().__init__(service.store, service.policy)
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def snapshot(self) -> Portfolio:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return await super().snapshot()


async def test_a_client_hanging_up_cancels_its_request(service: PortfolioService) -> None:
    hanging = HangingService(service)
    async with serving(hanging, request_timeout=3600) as port:
        async with Raw.open(port) as conn:
            await conn.send(post(json.dumps({"query": "{ violations { rule } }"}).encode()))
            async with asyncio.timeout(BOUND):
                await hanging.started.wait()
        async with asyncio.timeout(BOUND):  # the client has hung up
            await hanging.cancelled.wait()
        async with Raw.open(port) as other:  # and the server still answers others
            await other.send(HEALTH)
            assert (await other.response())[0] == 200


def test_serve_passes_the_limits_to_uvicorn() -> None:
    options = server_options(Settings(max_connections=7, keep_alive_timeout=3,
                                      max_header_bytes=9000, header_timeout=2.5))
    assert options["limit_concurrency"] == 7 and options["timeout_keep_alive"] == 3
    assert options["h11_max_incomplete_event_size"] == 9000
    assert options["http"].header_timeout == 2.5
