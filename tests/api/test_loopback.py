"""Open mode answers only loopback Host names and loopback (or allowed) browser origins.

The reproduction of issue 10 item 2: a DNS-rebinding page reaches a
loopback-bound open server with `Host: evil.example:8000` and deleted items.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.app import create_app
from api.loopback import LoopbackOnly, host_of, loopback_origin
from api.service import PortfolioService
from tests.api.conftest import SECRET, Api, ApiFactory, bearer, make_settings

DELETE = """mutation($id: ID!) { deleteItem(id: $id) { applied } }"""
FEATURE_EXISTS = '{ feature(id: "F-TRACING") { id } }'


def assert_refused(response: httpx.Response, mentions: str) -> None:
    assert response.status_code == 403, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert mentions in error["message"] and "PORTFOLIO_JWT_SECRET" in error["message"]


async def test_a_rebound_host_cannot_delete_in_open_mode(example: Api) -> None:
    response = await example.post(DELETE, {"id": "F-TRACING"},
                                  headers={"Host": "evil.example:8000"})
    assert_refused(response, "'evil.example:8000'")
    still = await example.data(FEATURE_EXISTS)
    assert still["feature"] == {"id": "F-TRACING"}  # nothing was deleted


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example",
    "0.0.0.0:8000", "10.0.0.1:8000", "[::2]:8000", "localhost:notaport", "",
])
async def test_non_loopback_hosts_are_refused_everywhere(api: Api, host: str) -> None:
    for path in ("/graphql?query=%7Bthemes%7Bid%7D%7D", "/healthz", "/readyz"):
        response = await api.http.get(path, headers={"Host": host})
        assert response.status_code == 403, (path, host, response.text)


@pytest.mark.parametrize("host", [
    "localhost", "localhost:8000", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:8000",
    "127.1.2.3:9", "[::1]", "[::1]:8000",
])
async def test_loopback_hosts_are_served(api: Api, host: str) -> None:
    response = await api.http.post("/graphql", json={"query": "{ themes { id } }"},
                                   headers={"Host": host})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"themes": []}}


@pytest.mark.parametrize("origin", [
    "https://evil.example", "http://evil.example:8000", "null", "file://",
    "http://127.0.0.1.evil.example", "ftp://127.0.0.1",
])
async def test_foreign_browser_origins_are_refused(example: Api, origin: str) -> None:
    response = await example.post(DELETE, {"id": "F-TRACING"},
                                  headers={"Host": "127.0.0.1:8000", "Origin": origin})
    assert_refused(response, "Origin")
    assert (await example.data(FEATURE_EXISTS))["feature"] is not None


@pytest.mark.parametrize("origin", [
    "http://localhost:3000", "http://127.0.0.1:8000", "https://[::1]:8443",
])
async def test_loopback_origins_are_served(api: Api, origin: str) -> None:
    response = await api.post("{ themes { id } }", headers={"Origin": origin})
    assert response.status_code == 200, response.text


async def test_an_allowed_cors_origin_passes_the_guard(make_api: ApiFactory) -> None:
    settings = make_settings(cors_origins=["https://dash.example"])
    async with make_api(settings) as api:
        allowed = await api.post("{ themes { id } }", headers={"Origin": "https://dash.example"})
        assert allowed.status_code == 200, allowed.text
        other = await api.post("{ themes { id } }", headers={"Origin": "https://evil.example"})
        assert other.status_code == 403


async def test_two_host_headers_are_refused(service: PortfolioService) -> None:
    app = create_app(make_settings(), service=service)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/healthz", "raw_path": b"/healthz",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000),
             "headers": [(b"host", b"127.0.0.1:8000"), (b"host", b"evil.example")]}
    await app(scope, receive, send)
    assert sent[0]["status"] == 403


async def test_auth_mode_does_not_check_hosts(make_api: ApiFactory) -> None:
    async with make_api(make_settings(jwt_secret=SECRET)) as api:
        response = await api.post("{ themes { id } }",
                                  headers={**bearer(), "Host": "api.example.com",
                                           "Origin": "https://dash.example.com"})
        assert response.status_code == 200, response.text


async def test_a_websocket_handshake_from_a_foreign_origin_is_closed() -> None:
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["type"])

    guard = LoopbackOnly(inner)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    base = {"type": "websocket", "path": "/graphql", "query_string": b""}
    await guard({**base, "headers": [(b"host", b"127.0.0.1:8000"),
                                     (b"origin", b"https://evil.example")]}, receive, send)
    assert reached == [] and sent[0]["type"] == "websocket.close"
    await guard({**base, "headers": [(b"host", b"localhost:8000"),
                                     (b"origin", b"http://localhost:5173")]}, receive, send)
    assert reached == ["websocket"]


def test_header_parsing() -> None:
    assert host_of("[::1]:8000") == "::1"
    assert host_of("LocalHost:1") == "localhost"
    assert host_of("a:b:c") is None
    assert loopback_origin("http://127.0.0.1:8000")
    assert not loopback_origin("http://127.0.0.1:99999")
    assert not loopback_origin("null")
