"""The HTTP side of /graphql and the health checks: methods, content types, CSRF, logs, lifespan."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from api.app import FULL_COLLECTION_EVERY, create_app
from tests.api.conftest import Api, bearer, make_settings

# The HTTP/GraphQL layer only: FalkorDB is enough (see tests/api/conftest.py).
pytestmark = pytest.mark.falkordb_only

PREFLIGHT = {"X-Requested-With": "fetch"}


async def test_batched_operations_are_refused(example: Api) -> None:
    response = await example.http.post("/graphql", json=[{"query": "{ themes { id } }"},
                                                         {"query": "{ arts { id } }"}])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert "batch" in error["message"] and error["extensions"]["code"] == "BAD_REQUEST"


async def test_get_runs_queries_only(example: Api) -> None:
    ok = await example.http.get("/graphql", params={"query": "{ arts { id } }"},
                                headers=PREFLIGHT)
    assert ok.status_code == 200 and ok.json() == {"data": {"arts": [{"id": "ART-CHANNELS"}]}}
    mutation = 'mutation { deleteItem(id: "F-TRACING") { applied } }'
    refused = await example.http.get("/graphql", params={"query": mutation}, headers=PREFLIGHT)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    still = await example.data('{ feature(id: "F-TRACING") { id } }')
    assert still["feature"] == {"id": "F-TRACING"}


async def test_other_methods_are_refused(example: Api) -> None:
    response = await example.http.put("/graphql", json={"query": "{ arts { id } }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_csrf_simple_requests_are_refused(example: Api) -> None:
    simple_get = await example.http.get("/graphql", params={"query": "{ arts { id } }"})
    assert simple_get.status_code == 400
    assert "preflight" in simple_get.json()["errors"][0]["message"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = await example.http.post(
            "/graphql", content=json.dumps({"query": "{ arts { id } }"}),
            headers={"content-type": content_type, **PREFLIGHT})
        assert response.status_code == 415, content_type
        assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    token_get = await example.http.get("/graphql", params={"query": "{ arts { id } }"},
                                       headers=bearer())
    assert token_get.status_code == 200  # Authorization forces a preflight


async def test_graphql_response_media_type_when_accepted(example: Api) -> None:
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = await example.http.post("/graphql", json={"query": "{ arts { id } }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json() == {"data": {"arts": [{"id": "ART-CHANNELS"}]}}
    bad = await example.http.post("/graphql", json={"query": "{ arts { nope } }"},
                                  headers=accept)
    assert bad.status_code == 400 and "data" not in bad.json()
    assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    syntax = await example.http.post("/graphql", json={"query": "{ arts { "}, headers=accept)
    assert syntax.status_code == 400
    assert syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    field_error = await example.http.post(
        "/graphql", json={"query": "{ features(first: 501) { totalCount } }"}, headers=accept)
    assert field_error.status_code == 200  # execution started: data is present (null)
    assert field_error.json()["data"] is None
    legacy = await example.http.post("/graphql", json={"query": "{ arts { nope } }"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


async def test_graphiql_is_served_to_browsers(example: Api) -> None:
    page = await example.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_graphiql_can_be_turned_off(make_api: object) -> None:
    async with make_api(make_settings(graphiql=False)) as api:  # type: ignore[operator]
        page = await api.http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 404


async def test_request_log_has_operation_actor_and_no_token(
        auth_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    headers = bearer("auditor-7", ["viewer"])
    with caplog.at_level(logging.INFO, logger="api.access"):
        response = await auth_api.post("query Dashboard { themes { id } }", headers=headers)
        assert response.status_code == 200
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "api.access"]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["operation"] == "Dashboard" and entry["operation_type"] == "query"
    assert entry["actor"] == "auditor-7" and entry["status"] == 200
    assert entry["path"] == "/graphql" and entry["duration_ms"] >= 0
    assert entry["error_codes"] == []
    token = headers["Authorization"].removeprefix("Bearer ")
    assert token not in caplog.text


async def test_not_ready_before_the_store_is_open() -> None:
    app = create_app(make_settings())  # nothing injected and the lifespan has not run
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        graphql = await http.post("/graphql", json={"query": "{ arts { id } }"})
        assert graphql.status_code == 503


async def test_lifespan_opens_and_closes_the_embedded_store(tmp_path: Path) -> None:
    import gc

    app = create_app(make_settings(data_dir=tmp_path / "pg"))
    transport = httpx.ASGITransport(app=app)
    gc.unfreeze()
    threshold = gc.get_threshold()
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http):
        # Start-up's heap is set aside from the cyclic GC (api/app.py, settle_heap).
        frozen = gc.get_freeze_count()
        gc.unfreeze()  # the test process keeps collecting as usual
        assert frozen > 0
        assert gc.isenabled()  # paused only while the portfolio loaded (graph/heap.py)
        assert gc.get_threshold()[2] == FULL_COLLECTION_EVERY
        gc.set_threshold(*threshold)  # the test process's own, as it was
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        response = await http.post("/graphql", json={"query": "{ themes { id } }"})
        assert response.json() == {"data": {"themes": []}}
    assert (tmp_path / "pg").is_dir()
    after = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=after, base_url="http://127.0.0.1") as http:
        assert (await http.get("/readyz")).status_code == 503  # closed with the lifespan
