"""The `portfolio-graph` command: serve, import, audit, demo, log.

Each command reads settings once (flags over environment), opens the store
(reusing the embedded engine a running `serve` owns on the same data dir),
and uses the same service as the API, so the CLI and GraphQL enforce and
audit identically.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from api.service import ImportOutcome, PortfolioService
from api.settings import ConfigError, Settings, check_bind
from graph.engines import create_engine
from graph.engines.base import EngineError
from graph.model import Severity
from graph.store import Actor, Store
from rules.errors import PolicyError
from rules.policy import load_policy

# Wide enough for a table when piped (rich would otherwise assume 80 columns).
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    # Whoever can run the command on the data dir already owns the data: full roles.
    return Actor(id=f"cli:{user}", roles=frozenset({"admin"}))


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for name in ("host", "port", "data_dir", "policy"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    return Settings(**overrides)


@asynccontextmanager
async def _service(settings: Settings) -> AsyncIterator[PortfolioService]:
    policy = load_policy(settings.policy)
    store = Store(create_engine(settings.engine_config()))
    await store.start()
    try:
        yield PortfolioService(store, policy)
    finally:
        await store.close()


# --- import / demo ---------------------------------------------------------------


def _read_document(path: Path) -> Any:
    size = path.stat().st_size
    with err.status(f"Reading {path} ({size / 1e6:.1f} MB)…"), path.open("rb") as handle:
        return json.load(handle)


async def _import(settings: Settings, document: Any, fmt: str) -> int:
    async with _service(settings) as service:
        with err.status("Validating and writing the portfolio…"):
            outcome = await service.import_document(document, _cli_actor())
    _print_import(outcome, fmt)
    return 0 if outcome.applied else 1


def _print_import(outcome: ImportOutcome, fmt: str) -> None:
    if fmt == "json":
        out.print_json(data={
            "applied": outcome.applied,
            "created": len(outcome.created),
            "updated": len(outcome.updated),
            "errors": [_error(e) for e in outcome.errors],
            "violations": [v.as_json() for v in outcome.violations],
        })
        return
    if not outcome.applied:
        err.print(f"[red]Rejected: {len(outcome.errors)} problem(s); nothing was written.[/red]")
        table = Table("path", "code", "message")
        for e in outcome.errors:
            table.add_row(e.path or "(document)", e.code, e.message)
        err.print(table)
        return
    out.print(f"Imported: {len(outcome.created)} created, {len(outcome.updated)} updated.")
    _print_violations(outcome.violations)


def _error(e: Any) -> dict[str, Any]:
    return {"path": e.path, "message": e.message, "code": e.code}


def _print_violations(violations: Sequence[Any]) -> None:
    if not violations:
        out.print("No guardrail violations.")
        return
    table = Table("severity", "rule", "subject", "excess", "message", title="Violations")
    colours = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
    for v in violations:
        colour = colours.get(v.severity, "white")
        table.add_row(f"[{colour}]{v.severity}[/{colour}]", v.rule,
                      f"{v.subject_type} {v.subject_id}", f"{v.excess:g}", v.message)
    out.print(table)


async def _audit(settings: Settings, fmt: str) -> int:
    async with _service(settings) as service:
        violations = await service.violations()
    if fmt == "json":
        out.print_json(data=[v.as_json() for v in violations])
    else:
        _print_violations(violations)
    return 1 if any(v.severity == Severity.ERROR for v in violations) else 0


async def _log(settings: Settings, item: str | None, limit: int, fmt: str) -> int:
    async with _service(settings) as service:
        entries = await service.store.audit_log(item_id=item, limit=limit)
    if fmt == "json":
        out.print_json(data=[{
            "id": e.id, "at": e.at, "actor": e.actor, "operation": e.operation,
            "itemId": e.item_id, "justification": e.justification,
            "before": e.before, "after": e.after,
        } for e in entries])
        return 0
    table = Table("at", "actor", "operation", "item", "justification", title="Audit log")
    for e in entries:
        table.add_row(e.at, e.actor, e.operation, e.item_id or "", e.justification or "")
    out.print(table)
    return 0


async def _demo(settings: Settings, fmt: str) -> int:
    from graph.samples.demo import demo_document

    return await _import(settings, demo_document(), fmt)


# --- serve ------------------------------------------------------------------------


def _serve(settings: Settings, demo: bool) -> int:
    import uvicorn

    from api.app import create_app
    from api.limits import server_options

    check_bind(settings)
    # Request logs are JSON lines already (api/observe.py): print them as they are.
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s",
                        stream=sys.stderr)
    if demo:
        asyncio.run(_load_demo_if_empty(settings))
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                proxy_headers=False, server_header=False, timeout_graceful_shutdown=10,
                **server_options(settings))
    return 0


async def _load_demo_if_empty(settings: Settings) -> None:
    from graph.samples.demo import demo_document

    async with _service(settings) as service:
        counts = await service.store.counts()
        if any(counts.values()):
            err.print("Data dir already holds a portfolio: demo not loaded.")
            return
        outcome = await service.import_document(demo_document(), _cli_actor())
        err.print(f"Demo portfolio loaded: {len(outcome.created)} items, "
                  f"{len(outcome.violations)} guardrail violations to explore.")


# --- argument parsing -----------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="portfolio-graph",
        description="Strategy-to-execution graph for Lean Portfolio Management.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, help="where the embedded graph lives "
                       "(default ./.portfolio-graph; PORTFOLIO_DATA_DIR)")
        p.add_argument("--policy", type=Path, help="guardrail policy file, YAML or JSON "
                       "(PORTFOLIO_POLICY; built-in defaults otherwise)")

    serve = sub.add_parser("serve", help="serve the GraphQL API")
    common(serve)
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--demo", action="store_true",
                       help="load the demo portfolio first when the graph is empty")

    imp = sub.add_parser("import", help="import a portfolio document (all or nothing)")
    imp.add_argument("file", type=Path)
    common(imp)
    imp.add_argument("--format", choices=("table", "json"), default="table")

    audit = sub.add_parser("audit", help="print every guardrail violation; exit 1 on ERROR")
    common(audit)
    audit.add_argument("--format", choices=("table", "json"), default="table")

    demo = sub.add_parser("demo", help="load the realistic demo portfolio")
    common(demo)
    demo.add_argument("--format", choices=("table", "json"), default="table")

    log = sub.add_parser("log", help="print the audit log, newest first")
    log.add_argument("--data-dir", type=Path)
    log.add_argument("--item", help="only entries about this item id")
    log.add_argument("--limit", type=int, default=50, help="at most N entries (1-1000)")
    log.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        if args.command == "serve":
            return _serve(settings, args.demo)
        if args.command == "import":
            if not args.file.is_file():
                err.print(f"[red]No such file: {args.file}[/red]")
                return 2
            try:
                document = _read_document(args.file)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                err.print(f"[red]{args.file} is not valid JSON: {exc}[/red]")
                return 1
            return asyncio.run(_import(settings, document, args.format))
        if args.command == "audit":
            return asyncio.run(_audit(settings, args.format))
        if args.command == "demo":
            return asyncio.run(_demo(settings, args.format))
        if args.command == "log":
            if not 1 <= args.limit <= 1000:
                err.print("[red]--limit must be between 1 and 1000[/red]")
                return 2
            return asyncio.run(_log(settings, args.item, args.limit, args.format))
    except (ConfigError, PolicyError) as exc:
        err.print(f"[red]{exc}[/red]")
        return 2
    except EngineError as exc:
        err.print(f"[red]Graph engine ({exc.engine}): {exc}[/red]")
        return 3
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
