"""Backup and restore of the embedded engine's data dir, consistent while `serve` runs.

A backup is a point-in-time RDB snapshot taken with BGSAVE: redis forks, the
child writes the dataset as it was at the fork, and FalkorDB makes every
graph consistent at the fork (it holds its graph locks across it), so writes
running meanwhile are either wholly in the snapshot or wholly not. DUMP /
RESTORE of the graph key is not used: RESTORE of a graph with edges crashes
FalkorDB (upstream FalkorDB issue 1204). The snapshot is loaded once in a
scratch server before the backup file is written, so a backup that exists
has been read back.

File format: a magic line, one JSON header line (graph name, portfolio
version, counts, payload size and SHA-256), then the RDB bytes.

Restore needs the engine to itself (it replaces files under the server): it
refuses while another process runs the engine, refuses a non-empty store
unless forced, checks the file completely and loads it in a scratch server
before anything in the data dir changes, then swaps the AOF directory in one
rename while holding the data dir's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from graph.config import EngineConfig
from graph.cypher import statements as q
from graph.engines.base import EngineError
from graph.engines.embedded import EmbeddedServer
from graph.engines.falkordb import FalkorDBEngine
from graph.store import Store

MAGIC = b"PORTFOLIO-GRAPH-BACKUP 1\n"
MAX_HEADER = 64 * 1024
AOF_DIR = "appendonlydir"  # redis' default appenddirname, which the server keeps
SAVE_TIMEOUT = 600.0  # seconds a snapshot may take (bounded: never wait forever)

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was written. The message says why."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """What a backup holds (its header)."""

    graph: str
    created_at: str
    portfolio_version: int
    counts: dict[str, int]
    payload_bytes: int
    payload_sha256: str

    def header(self) -> dict[str, Any]:
        return {"engine": "falkordb", "graph": self.graph, "createdAt": self.created_at,
                "portfolioVersion": self.portfolio_version, "counts": self.counts,
                "payloadBytes": self.payload_bytes, "payloadSha256": self.payload_sha256}


def _quiet(_: str) -> None:
    return None


# --- backup ---------------------------------------------------------------------------


async def backup(config: EngineConfig, out: Path, progress: Progress = _quiet) -> BackupInfo:
    """Snapshot the data dir's graph (starting or reusing its engine) and write `out`
    atomically; the snapshot is read back in a scratch server first."""
    engine = FalkorDBEngine(config, supervise=False)
    await engine.start()
    try:
        progress("Taking a consistent snapshot (BGSAVE)…")
        payload = await _snapshot(engine.server.socket_path)
    finally:
        await engine.close()
    progress(f"Reading the snapshot back ({len(payload) / 1e6:.1f} MB)…")
    with tempfile.TemporaryDirectory(prefix="pg-bk-") as scratch:
        version, counts = await _load(Path(scratch), payload, config, to_aof=False)
    info = BackupInfo(
        graph=config.graph_name,
        created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        portfolio_version=version, counts=counts, payload_bytes=len(payload),
        payload_sha256=hashlib.sha256(payload).hexdigest())
    progress(f"Writing {out}…")
    header = json.dumps(info.header(), sort_keys=True).encode() + b"\n"
    write_atomically(out, MAGIC + header + payload)
    return info


async def _snapshot(socket_path: Path) -> bytes:
    """BGSAVE and return the RDB file it wrote, taken after this call began."""
    client = Redis(unix_socket_path=str(socket_path), decode_responses=True)
    try:
        deadline = time.monotonic() + SAVE_TIMEOUT
        while True:
            base = int((await client.info("persistence"))["rdb_saves"])
            try:
                # SCHEDULE: wait for an AOF rewrite in progress rather than fail.
                await client.bgsave(schedule=True)
                break
            except ResponseError as exc:
                if "in progress" not in str(exc):
                    raise BackupError(f"the engine refused to snapshot: {exc}") from exc
            # Another snapshot (an earlier backup) is running: ours must start after it.
            await _wait(deadline)
        while True:
            info = await client.info("persistence")
            if int(info["rdb_saves"]) > base and not int(info["rdb_bgsave_in_progress"]):
                if info["rdb_last_bgsave_status"] != "ok":
                    raise BackupError("the engine failed to write its snapshot; see falkordb.log")
                break
            await _wait(deadline)
        directory = str((await client.config_get("dir"))["dir"])
        name = str((await client.config_get("dbfilename"))["dbfilename"])
        # Opened at once: a later BGSAVE replaces the file by rename, never in place.
        return (Path(directory) / name).read_bytes()
    except (RedisError, OSError) as exc:
        raise BackupError(f"the engine failed while taking a snapshot: {exc}") from exc
    finally:
        await client.aclose()


async def _wait(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BackupError(f"the snapshot did not finish within {SAVE_TIMEOUT:g}s")
    await asyncio.sleep(0.02)


class _ScratchServer(EmbeddedServer):
    """A server that loads `dump.rdb` from its dir (the AOF off at start), for checking a
    snapshot and for turning it into an AOF directory."""

    def command(self) -> list[str]:
        args = super().command()
        args[args.index("--appendonly") + 1] = "no"
        return args


async def _load(scratch: Path, payload: bytes, config: EngineConfig,
                *, to_aof: bool) -> tuple[int, dict[str, int]]:
    """Load `payload` in a scratch server on `scratch`; its portfolio version and counts.
    With `to_aof` it also leaves `scratch/appendonlydir` holding the same data."""
    (scratch / "dump.rdb").write_bytes(payload)
    server = _ScratchServer(scratch, start_timeout=SAVE_TIMEOUT)
    engine = FalkorDBEngine(replace(config, data_dir=scratch), supervise=False, server=server)
    try:
        await engine.start()
        store = Store(engine)
        if not await engine.read(q.VERSION):  # every bootstrapped store has its meta node
            raise BackupError(f"the file holds no portfolio graph named '{config.graph_name}'")
        version = await store.version()
        counts = {kind.value: n for kind, n in (await store.counts()).items()}
        if to_aof:
            await _enable_aof(server.socket_path)
    except EngineError as exc:
        raise BackupError(f"the snapshot does not load: {exc}\n{server.log_tail()}") from exc
    finally:
        await engine.close()
    return version, counts


async def _enable_aof(socket_path: Path) -> None:
    """Turn the AOF on: redis rewrites the loaded dataset into a fresh AOF directory."""
    client = Redis(unix_socket_path=str(socket_path), decode_responses=True)
    deadline = time.monotonic() + SAVE_TIMEOUT
    try:
        base = int((await client.info("persistence"))["aof_rewrites"])
        await client.config_set("appendonly", "yes")
        while True:
            info = await client.info("persistence")
            if (int(info["aof_rewrites"]) > base and not int(info["aof_rewrite_in_progress"])
                    and not int(info["aof_rewrite_scheduled"])):
                if info["aof_last_bgrewrite_status"] != "ok":
                    raise BackupError("the scratch engine failed to write the restored AOF")
                return
            await _wait(deadline)
    finally:
        await client.aclose()


# --- reading a backup file --------------------------------------------------------------


def read_backup(path: Path) -> tuple[BackupInfo, bytes]:
    """The header and payload of a backup file, checked completely (format, size, SHA-256)."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise BackupError(f"{path} is not a portfolio-graph backup (no backup header); "
                                  "a JSON export is loaded with `portfolio-graph import`")
            line = handle.readline(MAX_HEADER)
            payload = handle.read()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        header = json.loads(line)
        info = BackupInfo(
            graph=_typed(header, "graph", str), created_at=_typed(header, "createdAt", str),
            portfolio_version=_typed(header, "portfolioVersion", int),
            counts=_typed(header, "counts", dict),
            payload_bytes=_typed(header, "payloadBytes", int),
            payload_sha256=_typed(header, "payloadSha256", str))
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} has a damaged backup header: {exc}") from exc
    if len(payload) != info.payload_bytes:
        raise BackupError(f"{path} is truncated or damaged: {len(payload)} bytes of data where "
                          f"the header says {info.payload_bytes}")
    if hashlib.sha256(payload).hexdigest() != info.payload_sha256:
        raise BackupError(f"{path} is damaged: its data does not match the header's SHA-256")
    return info, payload


def _typed(header: Any, key: str, kind: type) -> Any:
    value = header[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"'{key}' must be {kind.__name__}")
    return value


# --- restore ----------------------------------------------------------------------------


async def restore(config: EngineConfig, source: Path, *, force: bool = False,
                  progress: Progress = _quiet) -> BackupInfo:
    """Replace the data dir's graph by the backup's; refuses (writing nothing) on a bad file,
    a non-empty store without `force`, or an engine another process runs."""
    progress(f"Checking {source}…")
    info, payload = read_backup(source)
    if info.graph != config.graph_name:
        raise BackupError(f"the backup holds graph '{info.graph}', this store uses "
                          f"'{config.graph_name}'")
    engine = FalkorDBEngine(config, supervise=False)
    await engine.start()
    data_dir = engine.server.data_dir
    try:
        if not engine.server.owner:
            raise BackupError(
                f"another process (pid {engine.server.pid or '?'}, e.g. `portfolio-graph "
                f"serve`) runs the engine of {data_dir}: stop it, restore, then start it again")
        store = Store(engine)
        await store.start()
        await _check_empty(store, force)
        scratch = data_dir / "rst"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        try:
            progress(f"Loading the backup in a scratch engine ({len(payload) / 1e6:.1f} MB)…")
            version, counts = await _load(scratch, payload, config, to_aof=True)
            if (version, counts) != (info.portfolio_version, info.counts):
                raise BackupError(f"{source} loads as version {version} {counts}, not as its "
                                  f"header says ({info.portfolio_version} {info.counts})")
            progress("Replacing the data dir's graph…")
            await engine.server.halt()  # the lock stays ours: nobody starts a server now
            _swap(data_dir, scratch / AOF_DIR)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        await engine.close()
    progress("Starting the engine on the restored data…")
    await _verify(config, info)
    shutil.rmtree(data_dir / f"{AOF_DIR}.replaced", ignore_errors=True)
    return info


async def _check_empty(store: Store, force: bool) -> None:
    version = await store.version()
    items = sum((await store.counts()).values())
    if (version or items or await store.audit_log(limit=1)) and not force:
        raise BackupError(f"the store is not empty (version {version}, {items} items): restore "
                          "replaces it only with --force (take a backup of it first)")


def _swap(data_dir: Path, restored: Path) -> None:
    """Put the restored AOF directory in place; the old one stays until verified."""
    current = data_dir / AOF_DIR
    kept = data_dir / f"{AOF_DIR}.replaced"
    shutil.rmtree(kept, ignore_errors=True)
    if current.exists():
        os.rename(current, kept)
    os.rename(restored, current)
    # A stale snapshot must never be mistaken for the data.
    (data_dir / "dump.rdb").unlink(missing_ok=True)
    _fsync_dir(data_dir)


async def _verify(config: EngineConfig, info: BackupInfo) -> None:
    engine = FalkorDBEngine(config, supervise=False)
    try:
        await engine.start()
        store = Store(engine)
        version = await store.version()
        counts = {kind.value: n for kind, n in (await store.counts()).items()}
    except EngineError as exc:
        raise BackupError(f"the restored data does not start: {exc}; the previous data is in "
                          f"{engine.server.data_dir / (AOF_DIR + '.replaced')}") from exc
    finally:
        await engine.close()
    if (version, counts) != (info.portfolio_version, info.counts):
        raise BackupError(f"the restored store reads as version {version} {counts}, not as "
                          f"the backup ({info.portfolio_version} {info.counts})")


# --- files ------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: a temp file in the same dir, fsync, rename."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a directory")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise BackupError(f"cannot write in {directory}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
