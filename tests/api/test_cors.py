"""CORS for browser dashboards: off by default, preflights answered before auth when on."""

from __future__ import annotations

import pytest

from tests.api.conftest import SECRET, ApiFactory, bearer, make_settings

# The HTTP/GraphQL layer only: FalkorDB is enough (see tests/api/conftest.py).
pytestmark = pytest.mark.falkordb_only

PREFLIGHT = {"origin": "https://dash.example", "access-control-request-method": "POST",
             "access-control-request-headers": "authorization, content-type"}


async def test_no_cors_headers_unless_configured(make_api: ApiFactory) -> None:
    # Auth mode: open mode refuses foreign origins outright (tests/api/test_loopback.py).
    async with make_api(make_settings(jwt_secret=SECRET)) as api:
        response = await api.http.post("/graphql", json={"query": "{ themes { id } }"},
                                       headers={"origin": "https://dash.example", **bearer()})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_allowed_origin_preflight_and_request(make_api: ApiFactory) -> None:
    settings = make_settings(jwt_secret=SECRET, cors_origins=["https://dash.example"])
    async with make_api(settings) as api:
        preflight = await api.http.options("/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://dash.example"
        denied = await api.http.options("/graphql", headers={**PREFLIGHT,
                                                             "origin": "https://evil.example"})
        assert denied.status_code == 400
        assert "access-control-allow-origin" not in denied.headers
        response = await api.http.post(
            "/graphql", json={"query": "{ themes { id } }"},
            headers={"origin": "https://dash.example", **bearer(roles=["viewer"])})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
        anonymous = await api.http.post("/graphql", json={"query": "{ themes { id } }"},
                                        headers={"origin": "https://dash.example"})
        assert anonymous.status_code == 401  # CORS never replaces authentication
