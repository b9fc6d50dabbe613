"""An engine outage is an outage: UNAVAILABLE for requests, 503 on /readyz, never a masked bug."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.app import create_app
from api.service import PortfolioService
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine
from graph.store import Store
from rules.policy import default_policy
from tests.api.conftest import make_settings


async def test_engine_down_gives_unavailable_and_not_ready(tmp_path: Path) -> None:
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "data"), supervise=False)
    store = Store(engine)
    await store.start()
    app = create_app(make_settings(), service=PortfolioService(store, default_policy()))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            assert (await http.get("/readyz")).status_code == 200
            await engine.server.stop()  # the engine dies; nothing restarts it here
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            response = await http.post("/graphql",
                                       json={"query": '{ feature(id: "F-1") { id } }'})
            body = response.json()
            assert response.status_code == 200
            assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]
            message = body["errors"][0]["message"]
            assert "unavailable" in message and "falkordb.sock" not in message
    finally:
        await engine.close()
