"""Subscriptions over a real WebSocket (`websockets` client) to a real uvicorn server on
127.0.0.1, including a change written by a separate CLI process beside the server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection

from api.app import create_app
from api.runtime import Runtime
from api.service import PortfolioService
from api.settings import Settings
from graph.changes import PutDocument
from graph.engines.base import Engine
from graph.model import Feature
from graph.store import AuditRecord
from tests.api.conftest import SECRET, make_settings, token
from tests.api.test_history import CHATBOT
from tests.helpers import example

CHANGED = """subscription($after: Int) { portfolioChanged(afterVersion: $after) {
  version change { version actor operation } } }"""
EVENTS = """subscription($after: Int, $rule: String) {
  violationEvents(afterVersion: $after, rule: $rule) {
    kind version violation { rule subjectId } change { justification } } }"""
TIMEOUT = 15.0


@asynccontextmanager
async def serving(service: PortfolioService, settings: Settings | None = None, *,
                  sndbuf: int | None = None) -> AsyncIterator[tuple[str, Runtime]]:
    """uvicorn serving the app on an ephemeral loopback port, in this event loop."""
    app = create_app(settings or make_settings(subscription_poll_interval=0.05),
                     service=service)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sndbuf is not None:  # accepted sockets inherit it: a small buffer fills fast
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql", app.state.runtime
    finally:
        server.should_exit = True
        await task
        sock.close()


async def connect(url: str, payload: dict[str, Any] | None = None, rcvbuf: int | None = None,
                  **options: Any) -> ClientConnection:
    if rcvbuf is not None:  # a client socket that holds little before the server must wait
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        host, port = url.removeprefix("ws://").split("/")[0].split(":")
        sock.connect((host, int(port)))
        sock.setblocking(False)
        options["sock"] = sock
    ws = await websockets.connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                                  **options)
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    return ws


async def subscribe(url: str, query: str, variables: dict[str, Any] | None = None,
                    payload: dict[str, Any] | None = None, **options: Any) -> ClientConnection:
    ws = await connect(url, payload, **options)
    ack = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe",
                              "payload": {"query": query, "variables": variables or {}}}))
    return ws


async def received(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    data: dict[str, Any] = message["payload"]["data"]
    return data


async def versions(ws: ClientConnection, count: int) -> list[int]:
    return [(await received(ws))["portfolioChanged"]["version"] for _ in range(count)]


async def imported(service: PortfolioService) -> None:
    from api.roles import Actor

    done = await service.import_document(example(), Actor("alice", frozenset({"admin"})))
    assert done.applied


def _feature(i: int) -> Feature:
    return Feature.model_validate({"id": f"F-W{i}", "name": "x" * 400, "type": "BUSINESS",
                                   "state": "BACKLOG"})


async def write_features(service: PortfolioService, count: int, first: int = 0) -> None:
    store = service.store
    for i in range(first, first + count):
        version = await store.version()
        done = await store.write(PutDocument(items=(_feature(i),)), version,
                                 AuditRecord("upsertFeature", "bot", item_id=f"F-W{i}",
                                             after={"name": "x" * 400}))
        assert done == version + 1


def cli_import(engine: Engine, path: Path) -> None:
    """`portfolio-graph import` in another process, on the same store as `engine`."""
    config = engine.config  # type: ignore[attr-defined]  # both engines keep their config
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    if config.neo4j_uri:
        env.update(NEO4J_URI=config.neo4j_uri, NEO4J_USER=config.neo4j_user or "",
                   NEO4J_PASSWORD=config.neo4j_password or "",
                   NEO4J_DATABASE=config.neo4j_database)
    done = subprocess.run([sys.executable, "-m", "api.cli", "import", str(path),
                           "--data-dir", str(config.data_dir), "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr


async def test_live_versions_include_a_cli_import_beside_the_server(
        service: PortfolioService, engine: Engine, tmp_path: Path) -> None:
    async with serving(service) as (url, _):
        ws = await subscribe(url, CHANGED)
        await asyncio.sleep(0.5)  # subscribed before the changes land
        await imported(service)
        first = (await received(ws))["portfolioChanged"]
        assert first["version"] == 1 and first["change"]["actor"] == "alice"
        doc = {"themes": [{"id": "TH-CLI", "name": "From the CLI"}]}
        path = tmp_path / "cli.json"
        path.write_text(json.dumps(doc))
        await asyncio.to_thread(cli_import, engine, path)  # another process writes v2
        second = (await received(ws))["portfolioChanged"]
        assert second["version"] == 2
        assert second["change"]["actor"].startswith("cli:")
        assert second["change"]["operation"] == "importPortfolio"
        await ws.close()


async def test_reconnect_with_after_version_misses_nothing_and_repeats_nothing(
        service: PortfolioService) -> None:
    async with serving(service) as (url, _):
        await imported(service)
        await write_features(service, 4)  # versions 2..5
        ws = await subscribe(url, CHANGED, {"after": 2})
        assert await versions(ws, 3) == [3, 4, 5]
        await write_features(service, 2, first=10)  # live: 6, 7
        assert await versions(ws, 2) == [6, 7]
        await ws.close()
        # While nobody listens, more lands; a reconnect from the last seen gets exactly it.
        await write_features(service, 3, first=20)  # 8..10
        again = await subscribe(url, CHANGED, {"after": 7})
        writer = asyncio.create_task(write_features(service, 5, first=30))  # 11..15, racing
        assert await versions(again, 8) == list(range(8, 16))
        await writer
        with pytest.raises(TimeoutError):  # and nothing more
            await asyncio.wait_for(again.recv(), 0.5)
        await again.close()


async def test_violation_events_replay_then_live(service: PortfolioService) -> None:
    from api.roles import Actor

    async with serving(service) as (url, _):
        await imported(service)
        ws = await subscribe(url, EVENTS, {"after": 0, "rule": "approval.significant-epic"})
        first = (await received(ws))["violationEvents"]
        assert (first["kind"], first["version"], first["violation"]["subjectId"]) == (
            "OPENED", 1, "E-CHECKOUT-HA")
        admin = Actor("boss", frozenset({"admin"}))
        big = {**CHATBOT, "approved": False, "estimatedCost": 1_500_000}
        done = await service.upsert(__import__("graph.model").model.Kind.EPIC, big, admin,
                                    justification="pilot")
        assert done.applied
        live = (await received(ws))["violationEvents"]
        assert (live["kind"], live["version"], live["violation"]["subjectId"]) == (
            "OPENED", 2, "E-CHATBOT")
        assert live["change"]["justification"] == "pilot"
        await ws.close()


async def closed_with(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except websockets.ConnectionClosed as closed:
        return None if closed.rcvd is None else closed.rcvd.code


async def test_token_in_connection_init(service: PortfolioService) -> None:
    settings = make_settings(jwt_secret=SECRET, subscription_poll_interval=0.05)
    async with serving(service, settings) as (url, _):
        for payload in ({}, {"Authorization": "Bearer nonsense"},
                        {"Authorization": f"Bearer {token(roles=[])}"},
                        {"Authorization": token()}):
            assert await closed_with(await connect(url, payload)) == 4403, payload
        ws = await subscribe(url, CHANGED, payload={"Authorization": f"Bearer {token()}"})
        await asyncio.sleep(0.5)  # subscribed before the change lands (it starts live)
        await imported(service)
        assert await versions(ws, 1) == [1]
        await ws.close()


async def test_bad_after_version_is_an_error_message(service: PortfolioService) -> None:
    async with serving(service) as (url, _):
        ws = await subscribe(url, CHANGED, {"after": 5})
        message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert message["type"] in ("next", "error")
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"
        assert "afterVersion" in errors[0]["message"]
        await ws.close()


async def test_subscribers_per_process_are_bounded(service: PortfolioService) -> None:
    settings = make_settings(subscription_poll_interval=0.05, max_subscribers=1)
    async with serving(service, settings) as (url, runtime):
        first = await subscribe(url, CHANGED)
        assert runtime.watcher is not None
        for _ in range(100):
            if runtime.watcher.subscribers:
                break
            await asyncio.sleep(0.02)
        second = await subscribe(url, CHANGED)
        message = json.loads(await asyncio.wait_for(second.recv(), TIMEOUT))
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "UNAVAILABLE"
        await first.close()
        await second.close()


async def test_a_slow_subscriber_is_dropped_and_disconnected(service: PortfolioService) -> None:
    settings = make_settings(subscription_poll_interval=0.02, subscriber_queue=4)
    async with serving(service, settings, sndbuf=4096) as (url, runtime):
        watcher = runtime.watcher
        assert watcher is not None
        # A client that stops reading: a one-message queue and a small receive buffer.
        slow = await subscribe(url, CHANGED.replace("operation", "operation after"),
                               max_queue=1, rcvbuf=4096)
        for _ in range(100):
            if watcher.subscribers:
                break
            await asyncio.sleep(0.02)
        for batch in range(20):
            await write_features(service, 50, first=batch * 50)
            await asyncio.sleep(0.05)
            if not watcher.subscribers:
                break
        assert not watcher.subscribers, "the slow subscriber was never dropped"
        assert await closed_with(slow) == 4008  # once it reads again, it learns why


async def test_a_subscriber_arriving_while_an_idle_poll_reads_the_version_misses_nothing(
        service: PortfolioService) -> None:
    """The watcher polls without subscribers; one subscribes while that poll awaits the
    store's version. The versions written before the poll's read must still reach it (the
    reconnect test above lost them under load: the idle poll jumped `published` past
    them)."""
    from api.watch import Watcher

    await imported(service)  # version 1
    history = service.history
    watcher = Watcher(history, queue_size=16)
    watcher.published = await history.current()
    await write_features(service, 2)  # versions 2, 3: not fanned out yet
    gate, reading = asyncio.Event(), asyncio.Event()
    real_current = history.current

    async def gated_current() -> int:
        reading.set()
        await gate.wait()
        return await real_current()

    history.current = gated_current  # type: ignore[method-assign]  # this watcher's only
    try:
        poll = asyncio.create_task(watcher.poll())
        await reading.wait()
        subscriber = watcher.subscribe()  # what `stream` does: replay up to `published`
        assert watcher.published == 1
        gate.set()
        await poll
    finally:
        history.current = real_current  # type: ignore[method-assign]
    got = [subscriber.queue.get_nowait().entry.seq for _ in range(subscriber.queue.qsize())]
    assert got == [2, 3]
