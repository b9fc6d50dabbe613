"""GraphiQL works on a closed network: its page loads every script from this app."""

from __future__ import annotations

import base64
import hashlib
import re

from strawberry.http.ides import get_graphql_ide_html

from api.graphiql import ASSETS_DIR, CDN_URL, local_name
from tests.api.conftest import Api, ApiFactory, make_settings


async def test_the_page_references_no_cdn_and_every_asset_is_served(api: Api) -> None:
    page = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page.text) == []  # nothing off-site
    assets = re.findall(r'(?:src|href)="(/graphiql-assets/[^"]+)"\s+integrity="([^"]+)"',
                        page.text)
    assert len(assets) == len(list(ASSETS_DIR.iterdir())) >= 5
    for path, integrity in assets:
        served = await api.http.get(path)
        assert served.status_code == 200, path
        digest = "sha384-" + base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert digest == integrity, path  # the browser would refuse anything else


async def test_assets_are_not_served_when_graphiql_is_off(make_api: ApiFactory) -> None:
    async with make_api(make_settings(graphiql=False)) as api:
        name = sorted(ASSETS_DIR.iterdir())[0].name
        assert (await api.http.get(f"/graphiql-assets/{name}")).status_code == 404


def test_the_vendored_assets_are_those_of_the_installed_strawberry() -> None:
    """Fails after a strawberry upgrade that changes the page: rerun
    `python tools/graphiql_assets/vendor.py`."""
    wanted = {local_name(*m.groups()) for m in CDN_URL.finditer(
        get_graphql_ide_html(graphql_ide="graphiql"))}
    assert wanted == {p.name for p in ASSETS_DIR.iterdir()}
