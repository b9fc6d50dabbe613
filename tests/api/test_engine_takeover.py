"""`serve` keeps its engine when the CLI command whose engine it reused exits (issue 10 item 6).

A real second process plays the CLI command: it owns the data dir's engine,
imports the example portfolio, and exits on request (closing its engine, or
killed). `serve` (the app with its lifespan, as `portfolio-graph serve` runs
it) started beside it must take the engine over and keep answering.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from graph.engines.embedded import process_alive
from tests.api.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]

COMMAND = """
import asyncio, sys
from pathlib import Path
from api.service import PortfolioService
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine
from api.roles import Actor
from graph.store import Store
from rules.policy import default_policy
from tests.helpers import example

async def main():
    store = Store(FalkorDBEngine(EngineConfig(data_dir=Path(sys.argv[1]))))
    await store.start()
    service = PortfolioService(store, default_policy())
    outcome = await service.import_document(example(), Actor("cli:test", frozenset({"admin"})))
    assert outcome.applied
    print(store.engine.server.owner, store.engine.server.pid, flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await store.close()

asyncio.run(main())
"""

THEMES = {"query": "{ themes { id } }"}
RENAME = {"query": 'mutation { upsertFeature(input: {id: "F-NEW", name: "after the CLI", '
                   'type: BUSINESS, state: FUNNEL}) { applied } }'}


@pytest.mark.slow
@pytest.mark.parametrize("exit_how", ["exits", "is-killed"])
async def test_serve_keeps_answering_after_the_cli_owning_the_engine_exits(
    tmp_path: Path, exit_how: str,
) -> None:
    data_dir = tmp_path / "data"
    command = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COMMAND, str(data_dir), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert command.stdout is not None and command.stdin is not None
    try:
        owner, server_pid = (await asyncio.wait_for(command.stdout.readline(), 30)).split()
        assert owner == b"True"  # the command owns the engine
        app = create_app(make_settings(data_dir=data_dir))
        transport = httpx.ASGITransport(app=app)
        async with (app.router.lifespan_context(app),
                    httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http):
            before = (await http.post("/graphql", json=THEMES)).json()
            assert before == {"data": {"themes": [{"id": "TH-DIGITAL"}, {"id": "TH-RESILIENCE"}]}}
            # Several pooled connections to the command's server, idle when it goes away.
            await asyncio.gather(*(http.post("/graphql", json=THEMES) for _ in range(8)))
            if exit_how == "exits":
                command.stdin.write(b"done\n")
                await command.stdin.drain()
                assert await asyncio.wait_for(command.wait(), 15) == 0
            else:
                command.kill()
                await command.wait()
            # Killed, the command's server gets SIGTERM (PDEATHSIG) and may answer a
            # moment longer: wait until it is gone, so that what answers next is serve's.
            deadline = time.monotonic() + 15
            while process_alive(int(server_pid)):
                assert time.monotonic() < deadline, "the command's server outlived it"
                await asyncio.sleep(0.02)
            while (ready := await http.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, f"serve did not recover: {ready.text}"
                await asyncio.sleep(0.1)
            # Data intact, and no request meets a stale connection to the old server.
            answers = await asyncio.gather(*(http.post("/graphql", json=THEMES)
                                             for _ in range(8)))
            assert [a.json() for a in answers] == [before] * 8
            written = (await http.post("/graphql", json=RENAME)).json()
            assert written == {"data": {"upsertFeature": {"applied": True}}}
            # And it stays up: the engine is serve's now, not a leftover of the command.
            await asyncio.sleep(1.0)
            assert (await http.get("/readyz")).status_code == 200
    finally:
        if command.returncode is None:
            command.kill()
        await command.wait()
