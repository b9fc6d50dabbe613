"""Authentication (401) and the role boundaries (FORBIDDEN errors), over HTTP."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from api.auth import AuthError, JwtVerifier
from api.settings import ConfigError, Settings, check_bind
from tests.api.conftest import IMPORT, SECRET, Api, bearer, example_document, token

# The HTTP/GraphQL layer only: FalkorDB is enough (see tests/api/conftest.py).
pytestmark = pytest.mark.falkordb_only

QUERY = "{ themes { id } }"
FEATURE = {"id": "F-NEW", "name": "New", "type": "BUSINESS", "state": "FUNNEL"}
UPSERT_FEATURE = """mutation($input: FeatureInput!, $override: OverrideInput) {
  upsertFeature(input: $input, override: $override) { applied errors { code } } }"""
UPSERT_EPIC = """mutation($input: EpicInput!) { upsertEpic(input: $input) { applied } }"""
DELETE = """mutation($id: ID!) { deleteItem(id: $id) { applied } }"""
HA_EPIC = {"id": "E-CHECKOUT-HA", "name": "Active-active checkout", "type": "ENABLER",
           "state": "PORTFOLIO_BACKLOG", "horizon": "H1", "estimatedCost": 1200000,
           "valueStream": "VS-RETAIL", "themes": ["TH-RESILIENCE"],
           "keyResults": ["KR-AVAILABILITY"],
           "wsjf": {"userBusinessValue": 8, "timeCriticality": 13,
                    "riskReductionOpportunityEnablement": 13, "jobSize": 20}}


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


@pytest.fixture
async def seeded(auth_api: Api) -> Api:
    """The example portfolio imported by an admin."""
    body = await auth_api.gql(IMPORT, {"doc": example_document()}, bearer("root", ["admin"]))
    assert body["data"]["importPortfolio"]["applied"] is True, body
    return auth_api


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": f"Bearer {token(secret='another-secret-that-is-long-enough-ok!')}"},
    {"Authorization": f"Bearer {token(expires_in=-3600)}"},
    {"Authorization": f"Bearer {token(sub=None)}"},
    {"Authorization": f"Bearer {token(sub='')}"},
    {"Authorization": f"Bearer {token(roles='admin')}"},  # type: ignore[arg-type]
], ids=["missing", "basic", "empty", "garbage", "bad-signature", "expired", "no-sub",
        "empty-sub", "roles-not-a-list"])
async def test_bad_or_missing_tokens_get_401(auth_api: Api, headers: dict[str, str]) -> None:
    response = await auth_api.post(QUERY, headers=headers)
    assert_unauthorized(response)
    assert "data" not in response.json()


async def test_a_token_signed_with_another_algorithm_is_refused(auth_api: Api) -> None:
    unsigned = jwt.encode({"sub": "eve", "roles": ["admin"]}, key=None, algorithm="none")
    response = await auth_api.post(QUERY, headers={"Authorization": f"Bearer {unsigned}"})
    assert_unauthorized(response)


async def test_health_checks_need_no_token(auth_api: Api) -> None:
    assert (await auth_api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await auth_api.http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_every_role_can_query(seeded: Api) -> None:
    for role in ("viewer", "editor", "portfolio", "admin"):
        body = await seeded.gql(QUERY, headers=bearer("bob", [role]))
        assert [t["id"] for t in body["data"]["themes"]] == ["TH-DIGITAL", "TH-RESILIENCE"]


async def test_a_token_without_roles_cannot_query(seeded: Api) -> None:
    response = await seeded.post(QUERY, headers=bearer("nobody", []))
    assert response.status_code == 200  # authenticated: a role failure is a GraphQL error
    assert codes(response.json()) == ["FORBIDDEN"]
    assert response.json()["data"] is None
    unknown = await seeded.gql(QUERY, headers=bearer("nobody", ["superuser"]))
    assert codes(unknown) == ["FORBIDDEN"]


async def test_viewer_cannot_mutate(seeded: Api) -> None:
    body = await seeded.gql(UPSERT_FEATURE, {"input": FEATURE}, bearer("vic", ["viewer"]))
    assert codes(body) == ["FORBIDDEN"] and body["data"] is None
    check = await seeded.gql('{ feature(id: "F-NEW") { id } }', headers=bearer("vic"))
    assert check["data"]["feature"] is None


async def test_editor_changes_but_cannot_override_or_approve(seeded: Api) -> None:
    editor = bearer("ed", ["editor"])
    body = await seeded.gql(UPSERT_FEATURE, {"input": FEATURE}, editor)
    assert body["data"]["upsertFeature"]["applied"] is True
    body = await seeded.gql(UPSERT_FEATURE, {"input": FEATURE,
                                             "override": {"justification": "because"}}, editor)
    assert codes(body) == ["FORBIDDEN"]
    approve = await seeded.gql(UPSERT_EPIC, {"input": {**HA_EPIC, "approved": True}}, editor)
    assert codes(approve) == ["FORBIDDEN"]
    same = await seeded.gql(UPSERT_EPIC, {"input": {**HA_EPIC, "approved": False}}, editor)
    assert same["data"]["upsertEpic"]["applied"] is True  # passing the current value is no change
    log = await seeded.gql('{ auditLog(itemId: "F-NEW") { actor operation } }', headers=editor)
    assert log["data"]["auditLog"] == [{"actor": "ed", "operation": "upsertFeature"}]


async def test_portfolio_role_overrides_and_approves(seeded: Api) -> None:
    lpm = bearer("lpm", ["portfolio"])
    approve = await seeded.gql(UPSERT_EPIC, {"input": {**HA_EPIC, "approved": True}}, lpm)
    assert approve["data"]["upsertEpic"]["applied"] is True
    epic = await seeded.gql('{ epic(id: "E-CHECKOUT-HA") { approved } }', headers=lpm)
    assert epic["data"]["epic"]["approved"] is True
    override = await seeded.gql(UPSERT_FEATURE, {"input": FEATURE,
                                                 "override": {"justification": "ok"}}, lpm)
    assert override["data"]["upsertFeature"]["applied"] is True


@pytest.mark.parametrize("role", ["editor", "portfolio"])
async def test_only_admin_imports_and_deletes(seeded: Api, role: str) -> None:
    headers = bearer("someone", [role])
    body = await seeded.gql(IMPORT, {"doc": {"themes": [{"id": "TH-X", "name": "x"}]}}, headers)
    assert codes(body) == ["FORBIDDEN"]
    body = await seeded.gql(DELETE, {"id": "F-TRACING"}, headers)
    assert codes(body) == ["FORBIDDEN"]
    themes = await seeded.gql(QUERY, headers=headers)
    assert [t["id"] for t in themes["data"]["themes"]] == ["TH-DIGITAL", "TH-RESILIENCE"]
    admin = await seeded.gql(DELETE, {"id": "F-TRACING"}, bearer("root", ["admin"]))
    assert admin["data"]["deleteItem"]["applied"] is True


async def test_actor_is_the_subject_and_anonymous_in_open_mode(seeded: Api, api: Api) -> None:
    log = await seeded.gql("{ auditLog { actor operation } }", headers=bearer())
    assert log["data"]["auditLog"] == [{"actor": "root", "operation": "importPortfolio"}]
    body = await api.gql(IMPORT, {"doc": {"themes": [{"id": "TH-OPEN", "name": "x"}]}})
    assert body["data"]["importPortfolio"]["applied"] is True
    log = await api.gql('{ auditLog(actor: "anonymous") { actor } }')
    assert log["data"]["auditLog"] == [{"actor": "anonymous"}]


async def test_open_mode_ignores_tokens_and_grants_every_role(api: Api) -> None:
    body = await api.gql(DELETE, {"id": "NOPE"}, {"Authorization": "Bearer whatever"})
    assert body["data"]["deleteItem"]["applied"] is False  # reached the service: no FORBIDDEN


async def test_audience_and_issuer_are_checked_when_configured() -> None:
    verifier = JwtVerifier(SECRET, audience="portfolio", issuer="https://idp.example")
    good = token(aud="portfolio", iss="https://idp.example", roles=["editor"])
    actor = await verifier.verify(good)
    assert actor.id == "alice" and actor.roles == frozenset({"editor"})
    for bad in (token(aud="other", iss="https://idp.example"), token(aud="portfolio")):
        with pytest.raises(AuthError):
            await verifier.verify(bad)


def test_open_mode_refuses_public_addresses() -> None:
    with pytest.raises(ConfigError):
        check_bind(Settings(host="0.0.0.0", jwt_secret=None))
    check_bind(Settings(host="127.0.0.1", jwt_secret=None))
    check_bind(Settings(host="0.0.0.0", jwt_secret=SecretStr(SECRET)))
