"""The client's share of a figure: one `serve`, the same request from three clients in turn:
`python -m bench.clients [--features 5000] [--rounds 3] [--n 150]`.

Over HTTP on this VM the client runs on the same 2 cores as the API, between the
request leaving and the figure being taken. This asks a trace and the widest impact
(47 KB at 5,000 features) with httpx and `response.json()` (what the benches used up
to the change that added this), with aiohttp and orjson (bench.common.Lean, what
bench.run and bench.ab time with now) and over a bare keep-alive socket (a floor: the
request written whole, the body read by Content-Length, decoded with orjson),
alternating request by request so that the VM's swings hit all three alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench import queries as Q
from bench.common import NO_CACHE, Lean, Server, cli_import, client, gql, remove, temp_root
from bench.run import picks
from graph.samples.synthetic import synthetic_document


class Bare:
    """One keep-alive connection, the request written whole, the body read by its length."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def gql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = orjson.dumps({"query": query, "variables": variables})
        self.writer.write(b"POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json"
                          b"\r\nCache-Control: no-cache\r\nContent-Length: %d\r\n\r\n%s"
                          % (self.host.encode(), len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        answer = orjson.loads(await self.reader.readexactly(length))
        if status != b"200" or answer.get("errors"):
            raise RuntimeError(f"HTTP {status.decode()}: {answer}")
        data: dict[str, Any] = answer["data"]
        return data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def compare(url: str, cases: dict[str, tuple[str, dict[str, Any]]], rounds: int,
                  n: int) -> None:
    bare = Bare(url)
    async with client(url, connections=2) as httpx_client, Lean(url, connections=2) as lean:
        for name, (query, variables) in cases.items():
            asks: dict[str, Callable[[], Awaitable[Any]]] = {
                "httpx + json": lambda q=query, v=variables: gql(httpx_client, q, v, NO_CACHE),
                "aiohttp + orjson": lambda q=query, v=variables: gql(lean, q, v, NO_CACHE),
                "bare socket": lambda q=query, v=variables: bare.gql(q, v),
            }
            for ask in asks.values():
                for _ in range(10):  # warm-up
                    await ask()
            for r in range(1, rounds + 1):
                taken: dict[str, list[float]] = {label: [] for label in asks}
                for _ in range(n):
                    for label, ask in asks.items():
                        began = time.perf_counter()
                        await ask()
                        taken[label].append((time.perf_counter() - began) * 1000)
                floor = statistics.median(taken["bare socket"])
                print(f"{name} round {r}: " + "  ".join(
                    f"{label} p50 {statistics.median(t):.2f} ms"
                    f" (+{statistics.median(t) - floor:.2f})" for label, t in taken.items()
                    if label != "bare socket") + f"  bare socket p50 {floor:.2f} ms", flush=True)
    bare.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=150, help="requests per round, per client")
    args = parser.parse_args()
    doc = synthetic_document(args.features, 1)
    p = picks(doc)
    root = temp_root()
    try:
        cli_import(doc, root / "data")
        server = Server(root / "data", root / "serve.log")
        server.start()
        try:
            await server.wait_ready()
            print(f"{args.features} features; figures are p50 per client, (+x) over the bare "
                  "socket", flush=True)
            await compare(server.url, {
                "trace": (Q.TRACE, {"id": p["feature"]["id"]}),
                "impact-wide": (Q.IMPACT_WIDE, {"id": p["root"]}),
            }, args.rounds, args.n)
        finally:
            server.stop()
    finally:
        remove(root)


if __name__ == "__main__":
    asyncio.run(main())
