"""The benches' two GraphQL clients (bench/common.py) against a real `serve`: the lean one
(aiohttp, orjson) that bench.run and bench.ab time with gives the answers and the errors
the httpx one gives, so switching clients changed what is timed, not what is asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench import queries as Q
from bench.common import NO_CACHE, GraphQLError, Lean, Server, client, gql, kill_engine_left
from tests.helpers import example

IMPORT = """mutation($doc: JSON!) { importPortfolio(document: $doc) { applied } }"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """An open-mode (loopback) `serve` with its own embedded engine."""
    serve = Server(tmp_path / "data", tmp_path / "serve.log")
    serve.start()
    try:
        await serve.wait_ready()
        yield serve
    finally:
        serve.stop()
        kill_engine_left(tmp_path / "data")


async def test_lean_and_httpx_clients_ask_and_read_alike(server: Server) -> None:
    async with Lean(server.url) as lean, client(server.url) as httpx_client:
        assert (await gql(lean, IMPORT, {"doc": example()}))["importPortfolio"]["applied"]
        for query, variables in ((Q.TRACE, {"id": "F-HANDOVER"}),
                                 (Q.IMPACT_WIDE, {"id": "F-INTENTS"})):
            answer = await gql(lean, query, variables, NO_CACHE)
            assert answer == await gql(httpx_client, query, variables, NO_CACHE)
            assert all(value for value in answer.values()), answer  # something was read
        assert (await gql(lean, Q.IMPACT_WIDE, {"id": "F-INTENTS"}))["impact"]["items"][0][
            "item"]["id"] == "F-HANDOVER"

        # A GraphQL error is raised with its code and message by both.
        raised = []
        for http in (lean, httpx_client):
            with pytest.raises(GraphQLError) as error:
                await gql(http, "{ trace(id: 1) { nope } }")
            raised.append(str(error.value))
        assert raised[0] == raised[1]
        assert "nope" in raised[0]
