"""GraphQL-over-HTTP conformance of the real server: graphql-http's server audits.

`portfolio-graph serve` runs in a subprocess (open mode, its own data dir, a
free port) and tools/graphql_http_audit/audit.mjs runs every audit of the
pinned `graphql-http` against its /graphql: any failing MUST audit fails the
test, with the audit's reason and the response in the message. SHOULD and MAY
results are printed by the script but do not fail it.

Needs node and `npm ci` in tools/graphql_http_audit (CI installs both).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT_DIR = ROOT / "tools" / "graphql_http_audit"
NODE = shutil.which("node")
START_TIMEOUT = 30.0  # seconds for the server to answer /readyz
AUDIT_TIMEOUT = 120.0  # seconds for one audit run (each request is bounded by the script)

pytestmark = pytest.mark.skipif(
    NODE is None or not (AUDIT_DIR / "node_modules").is_dir(),
    reason="needs node and `npm ci` in tools/graphql_http_audit")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_command() -> list[str]:
    """The installed `portfolio-graph` of this interpreter, else the same CLI as a module."""
    script = shutil.which("portfolio-graph", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "api.cli"]


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"serve not ready after {START_TIMEOUT:g} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """http://127.0.0.1:<port> of a `portfolio-graph serve` in open mode, stopped afterwards."""
    tmp = tmp_path_factory.mktemp("graphql-http")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTFOLIO_", "NEO4J_"))}
    log = tmp / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*serve_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(tmp / "data")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, log)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def audit(url: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, str(AUDIT_DIR / "audit.mjs"), url], cwd=AUDIT_DIR,
                          capture_output=True, text=True, timeout=AUDIT_TIMEOUT, check=False)


def failures(output: str) -> str:
    """The lines of the audit output that are not a passing audit."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("ok "))


def test_graphql_endpoint_passes_every_must_audit(base_url: str) -> None:
    run = audit(f"{base_url}/graphql")
    assert run.returncode == 0, (
        f"graphql-http audits failed (exit {run.returncode}):\n{failures(run.stdout)}\n"
        f"{run.stderr}")
    passed_must = [line for line in run.stdout.splitlines() if line.startswith("ok ")
                   and " MUST " in line]
    assert len(passed_must) >= 10, run.stdout  # the audits really ran
    assert "0 error (MUST)" in run.stdout, run.stdout


def test_the_audit_fails_an_endpoint_that_is_not_graphql(base_url: str) -> None:
    """The gate can fail: /healthz (GET-only JSON) breaks MUST audits and exits 1."""
    run = audit(f"{base_url}/healthz")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "FAILED MUST audits" in run.stdout and "\nerror " in run.stdout, run.stdout
