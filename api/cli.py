"""The `portfolio-graph` command: serve, import, audit, demo, log, export, backup, restore.

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
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from api import reports
from api.demo import load_demo
from api.diagram import to_dot, to_mermaid
from api.errors import ServiceError
from api.history import AsOfValue, ItemDiff
from api.outcomes import ImportOutcome
from api.roles import Actor, Role
from api.service import PortfolioService
from api.settings import ConfigError, Settings, check_bind
from graph import backup
from graph.backup import BackupError, write_atomically
from graph.document_schema import document_json_schema
from graph.engines import create_engine
from graph.engines.base import EngineError
from graph.export import is_archive
from graph.model import Severity
from graph.sources import (
    Mapping,
    MappingError,
    SourceError,
    SourceFormat,
    convert,
    load_mapping,
)
from graph.store import Store
from rules.board import BoardFilter, board
from rules.errors import PolicyError, QueryError
from rules.impact import MAX_DEPTH
from rules.policy import load_policy

# Wide enough for a table when piped (rich would otherwise assume 80 columns).
# No markup and no :emoji: codes: names, messages and justifications are user text, and
# a feature named "[/]" crashed the CLI with MarkupError. Colour goes through style=.
out = Console(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160, markup=False,
              emoji=False)


def _cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    # Whoever can run the command on the data dir already owns the data: full roles.
    return Actor(id=f"cli:{user}", roles=frozenset({Role.ADMIN}))


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
    # A Text, not a str: Status parses str as markup whatever the console says.
    with err.status(Text(f"Reading {path} ({size / 1e6:.1f} MB)…")), path.open("rb") as handle:
        return json.load(handle)


async def _import(settings: Settings, document: Any, fmt: str) -> int:
    async with _service(settings) as service:
        with err.status(Text("Validating and writing the portfolio…")):
            outcome = await service.import_document(document, _cli_actor())
    _print_import(outcome, fmt)
    return 0 if outcome.applied else 1


async def _import_source(settings: Settings, source: SourceFormat, path: Path,
                         mapping: Mapping, fmt: str) -> int:
    async with _service(settings) as service:
        with err.status(f"Reading the {source.value} export {path}…"):
            existing = (await service.snapshot()).kinds()
            converted = convert(source, path, mapping, existing)
        if converted.skipped:
            err.print(f"Skipped {len(converted.skipped)} item(s) in states the mapping skips "
                      f"({', '.join(mapping.skip_states)}).")
        with err.status("Validating and writing the portfolio…"):
            outcome = await service.import_document(converted.document, _cli_actor(),
                                                    validate=converted.validate)
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
        err.print(f"Rejected: {len(outcome.errors)} problem(s); nothing was written.",
                  style="red")
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
        table.add_row(Text(str(v.severity), style=colour), v.rule,
                      f"{v.subject_type} {v.subject_id}", f"{v.excess:g}", v.message)
    out.print(table)


async def _audit(settings: Settings, fmt: str, as_of: AsOfValue | None = None) -> int:
    async with _service(settings) as service:
        if as_of is None:
            violations = await service.violations()
        else:
            history = service.history
            violations = await history.violations(await history.resolve(as_of, "--as-of"))
    if fmt == "table":
        _print_violations(violations)
    else:
        reports.write(reports.violation_rows(violations), reports.VIOLATION_COLUMNS, fmt, out,
                      "Violations")
    return 1 if any(v.severity == Severity.ERROR for v in violations) else 0


async def _log(settings: Settings, item: str | None, limit: int, fmt: str,
               overrides_only: bool = False) -> int:
    async with _service(settings) as service:
        entries = await service.store.audit_log(item_id=item, limit=limit)
    if overrides_only:
        entries = [e for e in entries if e.justification]
    rows = reports.log_rows(entries)
    if fmt == "table":
        table = Table("version", "at", "actor", "operation", "item", "justification",
                      title="Audit log")
        for e in entries:
            table.add_row(str(e.seq), e.at, e.actor, e.operation, e.item_id or "",
                          e.justification or "")
        out.print(table)
    else:
        reports.write(rows, reports.LOG_COLUMNS, fmt, out, "Audit log")
    return 0


async def _rank(settings: Settings, args: argparse.Namespace) -> int:
    async with _service(settings) as service:
        view = await service.view_at(
            (await service.view()).version if args.as_of is None
            else await service.history.resolve(args.as_of, "--as-of"))
        entries = service.ranking(view, args.level, scope=args.scope, pi_id=args.pi,
                                  respect_dependencies=args.respect_dependencies,
                                  limit=args.limit)
    reports.write(reports.rank_rows(view.portfolio, entries), reports.RANK_COLUMNS,
                  args.format, out, f"WSJF ranking ({args.level.lower()}s)")
    return 0


async def _impact(settings: Settings, args: argparse.Namespace) -> int:
    async with _service(settings) as service:
        view = await service.view()
        result = service.impact(view, args.id, args.max_depth, args.slip_to)
    if result is None:
        err.print(f"No feature with id {args.id!r}: impact is of features only.", style="red")
        return 2
    reports.write(reports.impact_rows(view.portfolio, result), reports.IMPACT_COLUMNS,
                  args.format, out, f"Impact of {args.id}"
                  + ("" if args.slip_to is None else f" slipping to {args.slip_to}"))
    if args.format == "table":
        out.print(f"Business value at risk: {result.business_value_at_risk}")
    return 0


# --- history: diff ----------------------------------------------------------------


def _as_of(text: str) -> AsOfValue:
    """A version number or an ISO 8601 instant (UTC when it names no zone)."""
    if text.strip().lstrip("-").isdigit():
        return AsOfValue(version=int(text))
    try:
        return AsOfValue(at=datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a version number nor an ISO 8601 instant") from None


async def _diff(settings: Settings, start: AsOfValue, end: AsOfValue | None, fmt: str) -> int:
    async with _service(settings) as service:
        diff = await service.history.diff(start, end)
    if fmt == "json":
        def items(found: list[ItemDiff]) -> list[dict[str, Any]]:
            return [{"id": d.id, "type": d.kind.value, "fields": d.fields,
                     "before": d.before, "after": d.after} for d in found]

        out.print_json(data={
            "from": diff.from_version, "to": diff.to_version,
            "added": items(diff.added), "removed": items(diff.removed),
            "changed": items(diff.changed),
            "dependenciesAdded": [{"from": a, "to": b} for a, b in diff.dependencies_added],
            "dependenciesRemoved": [{"from": a, "to": b} for a, b in diff.dependencies_removed],
            "violationsOpened": [v.as_json() for v in diff.violations_opened],
            "violationsClosed": [v.as_json() for v in diff.violations_closed],
        })
        return 0
    table = Table("change", "type", "id", "fields",
                  title=f"Changes from version {diff.from_version} to {diff.to_version}")
    for what, found in (("added", diff.added), ("removed", diff.removed),
                        ("changed", diff.changed)):
        for d in found:
            table.add_row(what, d.kind.value, d.id, ", ".join(d.fields))
    for what, pairs in (("dependency added", diff.dependencies_added),
                        ("dependency removed", diff.dependencies_removed)):
        for a, b in pairs:
            table.add_row(what, "Dependency", f"{a} -> {b}", "")
    for what, violations in (("violation opened", diff.violations_opened),
                             ("violation closed", diff.violations_closed)):
        for v in violations:
            table.add_row(what, v.rule, v.subject_id, ", ".join(v.related_ids))
    out.print(table)
    return 0


async def _demo(settings: Settings, fmt: str) -> int:
    async with _service(settings) as service:
        with err.status(Text("Loading the demo portfolio and its PI-planning story…")):
            outcome = await load_demo(service, _cli_actor())
    _print_import(outcome, fmt)
    return 0 if outcome.applied else 1


# --- export / backup / restore ----------------------------------------------------

NEO4J_BACKUP = (
    "backup and restore work on the embedded engine only. With Neo4j (NEO4J_URI set) use "
    "Neo4j's own tools: `neo4j-admin database dump <db> --to-path=DIR` and `neo4j-admin "
    "database load <db> --from-path=DIR` (the database stopped; see the README, Backups), "
    "or `portfolio-graph export --with-audit --out F`, which works on every engine."
)


async def _export(settings: Settings, path: Path | None, with_audit: bool) -> int:
    async with _service(settings) as service:
        with err.status("Reading the portfolio…"):
            data = await service.export(with_audit=with_audit)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    write_atomically(path, text.encode())
    doc = data["portfolio"] if with_audit else data
    items = sum(len(v) for k, v in doc.items() if k != "dependencies")
    extra = f", {len(data['auditLog'])} audit entries" if with_audit else ""
    err.print(f"Exported {items} items, {len(doc['dependencies'])} dependencies{extra} "
              f"to {path}.")
    return 0


async def _import_archive(settings: Settings, archive: Any, fmt: str) -> int:
    async with _service(settings) as service:
        with err.status("Validating and writing the archive…"):
            outcome = await service.import_archive(archive, _cli_actor())
    _print_import(outcome, fmt)
    return 0 if outcome.applied else 1


async def _backup(settings: Settings, path: Path) -> int:
    config = settings.engine_config()
    if not config.embedded:
        err.print(NEO4J_BACKUP, style="red")
        return 2
    with err.status("Backing up…") as status:
        info = await backup.backup(config, path, progress=status.update)
    err.print(f"Backup of version {info.portfolio_version} ({sum(info.counts.values())} items, "
              f"{info.payload_bytes / 1e6:.1f} MB) written to {path}.")
    return 0


async def _restore(settings: Settings, path: Path, force: bool) -> int:
    config = settings.engine_config()
    if not config.embedded:
        err.print(NEO4J_BACKUP, style="red")
        return 2
    with err.status("Restoring…") as status:
        info = await backup.restore(config, path, force=force, progress=status.update)
    err.print(f"Restored version {info.portfolio_version} ({sum(info.counts.values())} items) "
              f"from the backup of {info.created_at}.")
    return 0


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
    async with _service(settings) as service:
        counts = await service.store.counts()
        if any(counts.values()):
            err.print("Data dir already holds a portfolio: demo not loaded.")
            return
        outcome = await load_demo(service, _cli_actor())
        err.print(f"Demo portfolio loaded: {len(outcome.created)} items, "
                  f"{len(outcome.violations)} guardrail violations to explore.")


# --- argument parsing -----------------------------------------------------------------


async def _graph(settings: Settings, args: argparse.Namespace) -> int:
    async with _service(settings) as service:
        portfolio = await service.snapshot()
    checks = ((args.pi, portfolio.pis, "PI"), (args.art, portfolio.arts, "release train"),
              (args.value_stream, portfolio.value_streams, "value stream"),
              (args.around, portfolio.features, "feature"))
    for wanted, items, what in checks:
        if wanted is not None and wanted not in items:
            err.print(f"No {what} with id {wanted!r}.")
            return 2
    if not 1 <= args.depth <= MAX_DEPTH:
        err.print(f"--depth must be between 1 and {MAX_DEPTH}")
        return 2
    where = BoardFilter(pi=args.pi, art=args.art, value_stream=args.value_stream,
                        conflicts_only=args.conflicts_only, cross_art_only=args.cross_art_only)
    edges = board(portfolio, where, around=args.around, max_depth=args.depth)
    text = (to_dot if args.format == "dot" else to_mermaid)(portfolio, edges)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {len(edges)} dependencies to {args.out}.")
    return 0


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

    imp = sub.add_parser("import", help="import a portfolio document (all or nothing), or an "
                         "export of Jira, Azure DevOps or a spreadsheet with --from")
    imp.add_argument("file", type=Path, help="the document; with --from, an export file or a "
                     "folder of paged exports / CSV sheets")
    common(imp)
    imp.add_argument("--from", dest="source", choices=[s.value for s in SourceFormat],
                     help="read a tool's export instead of a portfolio document")
    imp.add_argument("--mapping", type=Path, help="YAML mapping of the export onto the "
                     "portfolio (overrides the --from preset key by key)")
    imp.add_argument("--format", choices=("table", "json"), default="table")

    audit = sub.add_parser("audit", help="print every guardrail violation; exit 1 on ERROR")
    common(audit)
    audit.add_argument("--format", choices=("table", "json", "csv"), default="table")
    audit.add_argument("--as-of", type=_as_of, metavar="VERSION|INSTANT",
                       help="the violations of an earlier version, with the policy of now")

    diff = sub.add_parser("diff", help="what changed between two versions (or instants)")
    diff.add_argument("start", type=_as_of, metavar="FROM", help="a version or ISO instant")
    diff.add_argument("end", type=_as_of, nargs="?", metavar="TO",
                      help="a version or ISO instant (default: now)")
    common(diff)
    diff.add_argument("--format", choices=("table", "json"), default="table")

    demo = sub.add_parser("demo", help="load the realistic demo portfolio")
    common(demo)
    demo.add_argument("--format", choices=("table", "json"), default="table")

    imp.add_argument("--with-audit", action="store_true",
                     help="FILE is an archive from `export --with-audit`: load it, audit log "
                     "included, into an empty store")

    exp = sub.add_parser("export", help="write the whole portfolio as an import document")
    exp.add_argument("--data-dir", type=Path)
    exp.add_argument("--out", type=Path, help="write to this file (atomically) instead of stdout")
    exp.add_argument("--with-audit", action="store_true",
                     help="write an archive: the document plus the audit log")

    bkp = sub.add_parser("backup", help="snapshot the embedded engine's graph into a file")
    bkp.add_argument("--data-dir", type=Path)
    bkp.add_argument("--out", type=Path, required=True)

    rst = sub.add_parser("restore", help="replace the embedded engine's graph by a backup")
    rst.add_argument("file", type=Path)
    rst.add_argument("--data-dir", type=Path)
    rst.add_argument("--force", action="store_true", help="replace a store that holds data")
    board_ = sub.add_parser("graph", help="write the dependency map (the program board) as "
                            "Graphviz DOT or Mermaid")
    common(board_)
    board_.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    board_.add_argument("--pi", help="only dependencies with an end planned in this PI")
    board_.add_argument("--art", help="only dependencies with an end on this release train")
    board_.add_argument("--value-stream", help="only dependencies with an end in this stream")
    board_.add_argument("--conflicts-only", action="store_true",
                        help="only schedule conflicts (the provider planned later)")
    board_.add_argument("--cross-art-only", action="store_true",
                        help="only dependencies between release trains")
    board_.add_argument("--around", metavar="ID", help="the impact map of this feature: it "
                        "and what depends on it")
    board_.add_argument("--depth", type=int, default=10, help="hops for --around (1-50)")
    board_.add_argument("--out", type=Path, help="write here instead of standard output")

    schema = sub.add_parser("schema", help="print a JSON Schema: `document` is the portfolio "
                            "document that import reads")
    schema.add_argument("what", choices=("document",))
    schema.add_argument("--policy", type=Path, help="take the WSJF scale from this policy")

    log = sub.add_parser("log", help="print the audit log, newest first")
    log.add_argument("--data-dir", type=Path)
    log.add_argument("--item", help="only entries about this item id")
    log.add_argument("--limit", type=int, default=50, help="at most N entries (1-1000)")
    log.add_argument("--format", choices=("table", "json", "csv"), default="table")
    log.add_argument("--overrides-only", action="store_true",
                     help="only changes that overrode a blocking guardrail (with a justification)")

    rank = sub.add_parser("rank", help="the WSJF ranking, as the API's ranking answers it")
    common(rank)
    rank.add_argument("--level", choices=("FEATURE", "EPIC"), default="FEATURE")
    rank.add_argument("--scope", metavar="ID", help="a release train, team or value stream")
    rank.add_argument("--pi", metavar="ID", help="only features planned in this PI")
    rank.add_argument("--respect-dependencies", action="store_true",
                      help="nothing before an item it depends on")
    rank.add_argument("--limit", type=int, default=100, help="1-1000 (default 100)")
    rank.add_argument("--as-of", type=_as_of, metavar="VERSION|INSTANT")
    rank.add_argument("--format", choices=("table", "json", "csv"), default="table")

    imp_ = sub.add_parser("impact", help="what depends on a feature, and what a slip moves")
    common(imp_)
    imp_.add_argument("id", help="the feature")
    imp_.add_argument("--max-depth", type=int, default=10, help="hops, 1-50 (default 10)")
    imp_.add_argument("--slip-to", metavar="PI", help="suppose the feature moves to this PI")
    imp_.add_argument("--format", choices=("table", "json", "csv"), default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        if args.command == "serve":
            return _serve(settings, args.demo)
        if args.command == "import" and args.source is not None:
            source = SourceFormat(args.source)
            mapping = load_mapping(source, args.mapping)
            return asyncio.run(_import_source(settings, source, args.file, mapping, args.format))
        if args.command == "import":
            if args.mapping is not None:
                err.print("--mapping goes with --from", style="red")
                return 2
            if not args.file.is_file():
                err.print(f"No such file: {args.file}", style="red")
                return 2
            try:
                document = _read_document(args.file)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                err.print(f"{args.file} is not valid JSON: {exc}", style="red")
                return 1
            if args.with_audit:
                return asyncio.run(_import_archive(settings, document, args.format))
            if is_archive(document):
                err.print(f"{args.file} is an export archive (audit log "
                          "included): load it with `import --with-audit`, into an empty "
                          "store; nothing was written.", style="red")
                return 1
            return asyncio.run(_import(settings, document, args.format))
        if args.command == "export":
            return asyncio.run(_export(settings, args.out, args.with_audit))
        if args.command == "backup":
            return asyncio.run(_backup(settings, args.out))
        if args.command == "restore":
            return asyncio.run(_restore(settings, args.file, args.force))
        if args.command == "graph":
            return asyncio.run(_graph(settings, args))
        if args.command == "rank":
            return asyncio.run(_rank(settings, args))
        if args.command == "impact":
            return asyncio.run(_impact(settings, args))
        if args.command == "schema":
            scale = load_policy(settings.policy).wsjf_scale
            print(json.dumps(document_json_schema(scale), indent=2))
            return 0
        if args.command == "audit":
            return asyncio.run(_audit(settings, args.format, args.as_of))
        if args.command == "diff":
            return asyncio.run(_diff(settings, args.start, args.end, args.format))
        if args.command == "demo":
            return asyncio.run(_demo(settings, args.format))
        if args.command == "log":
            if not 1 <= args.limit <= 1000:
                err.print("--limit must be between 1 and 1000", style="red")
                return 2
            return asyncio.run(_log(settings, args.item, args.limit, args.format,
                                    args.overrides_only))
    except (BackupError, SourceError, MappingError) as exc:
        err.print(str(exc), style="red")
        return 1
    except (ConfigError, PolicyError, QueryError) as exc:  # QueryError: e.g. a limit off range
        err.print(str(exc), style="red")
        return 2
    except ServiceError as exc:  # e.g. a version that does not exist (INVALID_ARGUMENT)
        err.print(f"[red]{exc.message}[/red]")
        return 2
    except EngineError as exc:
        err.print(f"Graph engine ({exc.engine}): {exc}", style="red")
        return 3
    except KeyboardInterrupt:
        return 130
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
