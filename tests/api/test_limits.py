"""Protection: depth, aliases, tokens, page sizes, body size, timeouts, masking, introspection."""

from __future__ import annotations

from typing import Any

import pytest

from api.service import PortfolioService
from graph.model import Portfolio
from tests.api.conftest import SECRET, Api, ApiFactory, bearer, make_settings

# The HTTP/GraphQL layer only: FalkorDB is enough (see tests/api/conftest.py).
pytestmark = pytest.mark.falkordb_only


def code_of(body: dict[str, Any]) -> str:
    codes: list[str] = [e["extensions"]["code"] for e in body["errors"]]
    assert len(set(codes)) == 1, body
    return codes[0]


DEEP = "{ themes { epics { features { dependsOn { dependsOn { id } } } } } }"  # depth 5


async def test_query_depth_is_limited(make_api: ApiFactory) -> None:
    async with make_api(make_settings(max_depth=4)) as api:
        body = await api.gql(DEEP)
        assert code_of(body) == "GRAPHQL_VALIDATION_FAILED" and body["data"] is None
        assert "exceeds maximum operation depth" in body["errors"][0]["message"]
        assert "errors" not in await api.gql("{ themes { epics { features { id } } } }")
    async with make_api(make_settings(max_depth=5)) as api:
        assert "errors" not in await api.gql(DEEP)


async def test_aliases_are_limited(make_api: ApiFactory) -> None:
    async with make_api(make_settings(max_aliases=2)) as api:
        body = await api.gql("{ a: themes { id } b: themes { id } c: themes { id } }")
        assert code_of(body) == "GRAPHQL_VALIDATION_FAILED"
        assert "errors" not in await api.gql("{ a: themes { id } b: themes { id } }")


async def test_tokens_are_limited(make_api: ApiFactory) -> None:
    async with make_api(make_settings(max_tokens=20)) as api:
        body = await api.gql("{ " + " ".join(f"t{i}: themes {{ id }}" for i in range(6)) + " }")
        assert code_of(body) == "GRAPHQL_PARSE_FAILED"
        assert "tokens" in body["errors"][0]["message"]
        assert "errors" not in await api.gql("{ themes { id name } }")


async def test_first_is_bounded(example: Api) -> None:
    query = "query($first: Int) { features(first: $first) { totalCount } }"
    for first in (501, -1):
        body = await example.gql(query, {"first": first})
        assert code_of(body) == "BAD_USER_INPUT" and body["data"] is None
        assert "500" in body["errors"][0]["message"]
    for first in (500, 0):
        assert (await example.data(query, {"first": first}))["features"]["totalCount"] == 4
    body = await example.gql('{ epics(first: 501) { totalCount } }')
    assert code_of(body) == "BAD_USER_INPUT"


async def test_bad_cursors_and_limits_are_bad_input(example: Api) -> None:
    body = await example.gql('{ features(after: "not a cursor!") { totalCount } }')
    assert code_of(body) == "BAD_USER_INPUT"
    for limit in (0, 1001):
        body = await example.gql("query($l: Int) { auditLog(limit: $l) { id } }", {"l": limit})
        assert code_of(body) == "BAD_USER_INPUT"
    body = await example.gql('{ auditLog(before: "Zm9v") { id } }')
    assert code_of(body) == "BAD_USER_INPUT"
    body = await example.gql('{ ranking(level: FEATURE, limit: 1001) { rank } }')
    assert code_of(body) == "INVALID_ARGUMENT"
    body = await example.gql('{ features(first: "ten") { totalCount } }')
    assert code_of(body) == "GRAPHQL_VALIDATION_FAILED"
    body = await example.gql('query($f: Int) { features(first: $f) { totalCount } }',
                             {"f": "ten"})
    assert code_of(body) == "BAD_USER_INPUT"


async def test_audit_log_pages_back_with_before_and_since(example: Api) -> None:
    for n in range(3):
        await example.data(f'mutation {{ importPortfolio(document: {{themes: [{{id: "TH-{n}", '
                           f'name: "t"}}]}}) {{ applied }} }}')
    newest = (await example.data("{ auditLog(limit: 2) { cursor at after } }"))["auditLog"]
    assert [e["after"]["created"] for e in newest] == [["TH-2"], ["TH-1"]]
    older = (await example.data("query($b: String) { auditLog(before: $b) { after } }",
                                {"b": newest[-1]["cursor"]}))["auditLog"]
    assert [e["after"]["created"][:1] for e in older] == [["TH-0"], ["TH-DIGITAL"]]
    since = (await example.data("query($s: DateTime) { auditLog(since: $s) { after } }",
                                {"s": newest[-1]["at"]}))["auditLog"]
    assert [e["after"]["created"] for e in since] == [["TH-2"], ["TH-1"]]


async def test_body_size_is_capped_by_role(make_api: ApiFactory) -> None:
    settings = make_settings(jwt_secret=SECRET, max_body_bytes=2000, max_import_bytes=20000)
    padding = " " * 3000
    query = "{ themes { id } }" + padding
    async with make_api(settings) as api:
        response = await api.post(query, headers=bearer("vic", ["viewer"]))
        assert response.status_code == 413
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE" and "2000" in error["message"]
        admin = await api.post(query, headers=bearer("root", ["admin"]))
        assert admin.status_code == 200 and "errors" not in admin.json()
        huge = await api.post("{ themes { id } }" + " " * 30000, headers=bearer("root", ["admin"]))
        assert huge.status_code == 413


async def test_body_size_without_content_length(make_api: ApiFactory) -> None:
    async with make_api(make_settings(max_body_bytes=100, max_import_bytes=100)) as api:
        async def chunks() -> Any:
            yield b'{"query": "{ themes { id } }'
            yield b" " * 200 + b'"}'

        response = await api.http.post("/graphql", content=chunks(),
                                        headers={"content-type": "application/json"})
        assert response.status_code == 413


class SlowService(PortfolioService):
    """A real service whose snapshot takes a while: trips the request timeout."""

    async def snapshot(self) -> Portfolio:
        import asyncio

        await asyncio.sleep(1)
        return await super().snapshot()


class BrokenService(PortfolioService):
    """A real service whose snapshot fails unexpectedly: the failure must be masked."""

    async def snapshot(self) -> Portfolio:
        raise RuntimeError("connection string postgres://secret@db")


async def test_requests_time_out(make_api: ApiFactory, service: PortfolioService) -> None:
    slow = SlowService(service.store, service.policy)
    async with make_api(make_settings(request_timeout=0.05), slow) as api:
        response = await api.post("{ violations { rule } }")
        assert response.status_code == 200
        body = response.json()
        assert code_of(body) == "TIMEOUT" and body["data"] is None
        graphql_response = await api.http.post(
            "/graphql", json={"query": "{ violations { rule } }"},
            headers={"accept": "application/graphql-response+json"})
        assert graphql_response.status_code == 504
        assert "data" not in graphql_response.json()


async def test_unexpected_errors_are_masked(make_api: ApiFactory,
                                            service: PortfolioService) -> None:
    broken = BrokenService(service.store, service.policy)
    async with make_api(service_=broken) as api:
        response = await api.post("{ violations { rule } themes { id } }")
        body = response.json()
        assert response.status_code == 200
        assert code_of(body) == "INTERNAL_SERVER_ERROR"
        assert "secret" not in response.text and "postgres" not in response.text
        assert body["errors"][0]["path"] == ["violations"]
        assert body["data"] is None  # violations is non-null: the error nulls the whole data


async def test_introspection_can_be_disabled(make_api: ApiFactory) -> None:
    query = "{ __schema { queryType { name } } }"
    async with make_api(make_settings(introspection=False)) as api:
        body = await api.gql(query)
        assert code_of(body) == "GRAPHQL_VALIDATION_FAILED"
    async with make_api() as api:
        assert (await api.data(query))["__schema"]["queryType"]["name"] == "Query"


async def test_limits_hold_for_a_query_text_seen_before(make_api: ApiFactory) -> None:
    """Parses and validations are cached per query text: a refusal must repeat, not vanish."""
    async with make_api(make_settings(max_depth=4, max_aliases=2)) as api:
        many = "{ a: themes { id } b: themes { id } c: themes { id } }"
        for _ in range(3):
            assert code_of(await api.gql(DEEP)) == "GRAPHQL_VALIDATION_FAILED"
            assert code_of(await api.gql(many)) == "GRAPHQL_VALIDATION_FAILED"
            assert code_of(await api.gql("{ themes { id ")) == "GRAPHQL_PARSE_FAILED"
