"""API fixtures: the real app over HTTP (httpx + ASGI) on each real engine.

Each test gets an emptied graph on FalkorDB and on Neo4j (the session engines of
tests/conftest.py), a Store and a PortfolioService over it injected into
`create_app`, so no lifespan has to run. `client` is open mode; `auth_client`
has a JWT secret and `token(...)` signs tokens for it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest

from api.app import create_app
from api.service import PortfolioService
from api.settings import Settings
from graph.engines.base import Engine, Params, Row
from graph.store import Store
from rules.policy import default_policy
from tests import helpers

SECRET = "test-secret-of-at-least-32-bytes-for-hs256!"


def example_document() -> dict[str, Any]:
    """The contract's example portfolio (tests/data/example-portfolio.json)."""
    return helpers.example()


def make_settings(**overrides: Any) -> Settings:
    """Settings for a test: explicit values, never the environment's PORTFOLIO_* variables."""
    values: dict[str, Any] = {"jwt_secret": None, "graphiql": True, "introspection": True}
    values.update(overrides)
    return Settings(**values)


def token(sub: str | None = "alice", roles: list[str] | None = None, *,
          secret: str = SECRET, expires_in: float = 300, **claims: Any) -> str:
    """An HS256 JWT for the auth clients (`sub=None` leaves the claim out)."""
    payload: dict[str, Any] = {"exp": int(time.time() + expires_in), **claims}
    if sub is not None:
        payload["sub"] = sub
    payload["roles"] = ["viewer"] if roles is None else roles
    return jwt.encode(payload, secret, algorithm="HS256")


def bearer(sub: str | None = "alice", roles: list[str] | None = None,
           **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, roles, **claims)}"}


class CountingEngine:
    """Passes everything to the real engine and counts reads: the round-trip bound test."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name = inner.name
        self.reads = 0

    async def read(self, statement: str, params: Params | None = None,
                   *, timeout: float | None = None) -> list[Row]:
        self.reads += 1
        return await self.inner.read(statement, params, timeout=timeout)

    async def write(self, statement: str, params: Params | None = None,
                    *, timeout: float | None = None) -> list[Row]:
        return await self.inner.write(statement, params, timeout=timeout)

    async def start(self) -> None:
        await self.inner.start()

    async def bootstrap(self) -> None:
        await self.inner.bootstrap()

    async def ping(self) -> bool:
        return await self.inner.ping()

    async def close(self) -> None:
        """The session fixture owns the engine: nothing to close here."""


class Api:
    """A client bound to one app, with a `gql` helper returning the parsed JSON body."""

    def __init__(self, client: httpx.AsyncClient, service: PortfolioService) -> None:
        self.http = client
        self.service = service

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"query": query, **extra}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=headers)

    async def gql(self, query: str, variables: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def data(self, query: str, variables: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The `data` of a query that must succeed without any error."""
        body = await self.gql(query, variables, headers)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


ApiFactory = Callable[..., AbstractAsyncContextManager[Api]]


@pytest.fixture
async def service(engine: Engine) -> PortfolioService:
    """A service over each emptied engine in turn, with the built-in default policy.

    Modules testing only the HTTP/GraphQL layer (auth, CORS, limits, fuzzing, the
    GraphQL-over-HTTP audit) are marked `falkordb_only`: nothing they check reaches an
    engine difference, and their Neo4j twins would only double the suite's time.
    """
    return PortfolioService(Store(engine), default_policy())


@pytest.fixture
def make_api(service: PortfolioService) -> ApiFactory:
    """Build an Api for settings overrides (and optionally another service)."""

    @asynccontextmanager
    async def build(settings: Settings | None = None,
                    service_: PortfolioService | None = None) -> AsyncIterator[Api]:
        chosen = service_ or service
        app = create_app(settings or make_settings(), service=chosen)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield Api(http, chosen)

    return build


@pytest.fixture
async def api(make_api: ApiFactory) -> AsyncIterator[Api]:
    """Open mode (no JWT secret): every request is `anonymous` with every role."""
    async with make_api() as client:
        yield client


@pytest.fixture
async def auth_api(make_api: ApiFactory) -> AsyncIterator[Api]:
    """Auth mode: requests need `bearer(...)` headers."""
    async with make_api(make_settings(jwt_secret=SECRET)) as client:
        yield client


IMPORT = """
mutation Import($doc: JSON!) {
  importPortfolio(document: $doc) {
    applied created updated errors { path code message } violations { rule subjectId }
  }
}
"""


@pytest.fixture
async def example(api: Api) -> Api:
    """Open-mode Api with the contract's example portfolio imported through the API."""
    data = await api.data(IMPORT, {"doc": example_document()})
    assert data["importPortfolio"]["applied"] is True, data
    return api
