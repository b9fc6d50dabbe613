"""What the benchmarks share: timing, temp dirs, the `serve` subprocess, GraphQL over HTTP.

Everything stays on this machine: the API listens on 127.0.0.1 on a free port,
the embedded engine on a unix socket in a temp dir the caller removes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


# --- figures ----------------------------------------------------------------


def stats(samples_ms: list[float]) -> dict[str, float]:
    """n, median, p95 (nearest rank), min and max of samples in milliseconds."""
    if not samples_ms:
        return {"n": 0}
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, -(-95 * len(ordered) // 100) - 1))]
    return {"n": len(ordered), "median": round(statistics.median(ordered), 3),
            "p95": round(p95, 3), "min": round(ordered[0], 3), "max": round(ordered[-1], 3)}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, -(-int(q * len(ordered)) // 100) - 1))]


async def measure(run: Callable[[], Awaitable[Any]], repeat: int, budget_s: float = 20.0,
                  warmup: int = 2) -> dict[str, float]:
    """Time `run` up to `repeat` times (at least 3 when the budget allows), after warm-ups."""
    for _ in range(warmup):
        await run()
    samples: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(samples) < repeat and (len(samples) < 3 or time.monotonic() < deadline):
        began = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - began) * 1000)
    return stats(samples)


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu": _first_line("/proc/cpuinfo", "model name")}


def commit() -> str:
    """The checked-out commit, with `+dirty` when tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    with contextlib.suppress(OSError, subprocess.SubprocessError):
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")
    return "unknown"


def _first_line(path: str, key: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    return None


def vm_hwm_mb(pid: int | None) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MB."""
    if pid is None:
        return None
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


# --- temp dirs and ports ---------------------------------------------------------


def temp_root(prefix: str = "pgb-") -> Path:
    """A short temp dir (the engine's unix socket path must stay under 107 bytes)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def cli_import(doc: dict[str, Any], data_dir: Path, *, env: dict[str, str] | None = None,
               timeout: float = 900.0) -> None:
    """Import `doc` into `data_dir` as a user would, with `portfolio-graph import` (run as
    `python -m bench.serve import`), from a JSON file written beside the data dir."""
    path = data_dir.parent / "portfolio.json"
    path.write_text(json.dumps(doc))
    subprocess.run([sys.executable, "-m", "bench.serve", "import", str(path),
                    "--data-dir", str(data_dir), "--format", "json"],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL, timeout=timeout,
                   env={**os.environ, **(env or {})})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the API as a subprocess ------------------------------------------------------


class Server:
    """`portfolio-graph serve` (run as `python -m bench.serve`, same entry point) on 127.0.0.1."""

    def __init__(self, data_dir: Path, log: Path, *,
                 env: dict[str, str] | None = None, repo: Path = REPO) -> None:
        self.data_dir, self.log, self.repo = data_dir, log, repo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PORTFOLIO_JWT_SECRET": "", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        args = [sys.executable, "-m", "bench.serve"]
        args += ["serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(args, cwd=self.repo, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def engine_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            return int((self.data_dir / "falkordb.pid").read_text().strip())
        return None

    async def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from start() until /readyz answers 200."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/readyz")).status_code == 200:
                        return time.monotonic() - self.started_at
                await asyncio.sleep(0.05)
        raise RuntimeError(f"serve not ready after {timeout:g}s:\n{self.tail()}")

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM and wait (serve stops its engine); SIGKILL past the timeout."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def problems(self, limit: int = 40) -> list[str]:
        """Log lines other than the one-line-per-request access log (warnings, tracebacks)."""
        with contextlib.suppress(OSError):
            lines = self.log.read_text(errors="replace").splitlines()
            return [line for line in lines if '"event": "request"' not in line][-limit:]
        return []

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def kill_engine_left(data_dir: Path) -> None:
    """After our serve is gone: SIGKILL its engine if it outlived it (checked by socket)."""
    from graph.engines.embedded import serves_socket

    with contextlib.suppress(OSError, ValueError):
        pid = int((data_dir / "falkordb.pid").read_text().strip())
        if serves_socket(pid, data_dir / "falkordb.sock"):
            os.kill(pid, signal.SIGKILL)


# --- GraphQL over HTTP ----------------------------------------------------------


class GraphQLError(Exception):
    """A request that did not give a clean answer: HTTP status, GraphQL errors or transport."""


def client(url: str, connections: int = 10, timeout: float = 120.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=timeout, limits=httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections))


def settle_client_heap() -> None:
    """Take the bench process's own long-lived data (the synthetic document, the direct
    cases' snapshot and view) out of its cyclic GC's reach before it measures the API:
    with 50,000 features held, its full collections ran while requests were timed, and
    in a 30 s load run they took 40-60 ms each, 15 times, on the 2 cores the API
    shares with it. What the figures measure is the API, not this process's heap."""
    gc.collect()
    gc.freeze()


# Asks the API to compute the answer rather than serve it from its response cache.
NO_CACHE = {"Cache-Control": "no-cache"}


class Lean:
    """The client the timed cases of `bench.run` and `bench.ab` ask with: aiohttp (its
    HTTP parser is C), bodies encoded and decoded with orjson, keep-alive connections.

    What is timed is the API's answer, not the client's own work, which on this VM's 2
    cores runs between the request leaving and the figure being taken. Side by side
    against one `serve`, compared with a bare keep-alive socket (`python -m bench.clients`, four
    runs, bench/README.md "The client's share"), httpx with `response.json()` added
    1.2-2.6 ms to the widest impact's 47 KB answer and 0.9-1.6 ms to a trace; aiohttp
    with orjson 0.3-0.8 ms and 0.2-0.45 ms. `client()` (httpx) stays for everything
    else, and `bench.run` prints the httpx figures of those two cases beside these."""

    def __init__(self, url: str, connections: int = 10, timeout: float = 120.0) -> None:
        self.session = aiohttp.ClientSession(
            url, timeout=aiohttp.ClientTimeout(total=timeout),
            connector=aiohttp.TCPConnector(limit=connections))

    async def post(self, path: str, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        async with self.session.post(path, data=orjson.dumps(body), headers={
                "Content-Type": "application/json", **(headers or {})}) as response:
            return response.status, await response.read()

    async def __aenter__(self) -> Lean:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.session.close()


async def gql(http: httpx.AsyncClient | Lean, query: str,
              variables: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> dict[str, Any]:
    """`data` of one GraphQL operation; GraphQLError on any error."""
    request = {"query": query, "variables": variables or {}}
    if isinstance(http, Lean):
        status, content = await http.post("/graphql", request, headers)
        body = orjson.loads(content) if status == 200 else None
    else:
        response = await http.post("/graphql", json=request, headers=headers)
        status, content = response.status_code, response.content
        body = response.json() if status == 200 else None
    if body is None:
        raise GraphQLError(f"HTTP {status}: {content[:300].decode(errors='replace')}")
    if body.get("errors"):
        first = body["errors"][0]
        code = (first.get("extensions") or {}).get("code")
        raise GraphQLError(f"{code}: {first.get('message')}")
    data: dict[str, Any] = body["data"]
    return data


# --- the synthetic portfolio ---------------------------------------------------------


def feature_input(feature: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A document feature as `FeatureInput` (an upsert replaces: send every field)."""
    keys = ("id", "name", "type", "state", "points", "epic", "team", "pi", "wsjf")
    return {**{k: feature[k] for k in keys if k in feature}, **changes}


def dependents_count(document: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for dep in document["dependencies"]:
        counts[dep["to"]] = counts.get(dep["to"], 0) + 1
    return counts
