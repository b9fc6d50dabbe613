"""Backup and restore of the embedded engine, on real servers in temporary data dirs.

Failure cases first (a file that is not a backup, truncated or damaged; a
store holding data; an engine another owner runs): each one leaves the data
dir as it was. Then the backup taken while writes run is one consistent
version, and restore brings it back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

import pytest

from api.cli import main
from api.roles import Actor
from api.service import PortfolioService
from graph import backup
from graph.backup import BackupError, read_backup, write_atomically
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine
from graph.model import Kind
from graph.samples.demo import demo_document
from graph.store import Store
from rules.policy import default_policy
from tests.helpers import content_hash

ADMIN = Actor("cli:test", frozenset({"admin"}))


async def with_demo(data_dir: Path) -> str:
    """Load the demo into the data dir's graph; its content hash."""
    engine = FalkorDBEngine(EngineConfig(data_dir=data_dir))
    store = Store(engine)
    await store.start()
    try:
        outcome = await PortfolioService(store, default_policy()).import_document(
            demo_document(), ADMIN)
        assert outcome.applied
        return await content_hash(engine)
    finally:
        await store.close()


async def state(data_dir: Path) -> tuple[str, int, int]:
    """Content hash, version and audit entries of a data dir's graph."""
    engine = FalkorDBEngine(EngineConfig(data_dir=data_dir))
    store = Store(engine)
    await store.start()
    try:
        return (await content_hash(engine), await store.version(),
                len(await store.audit_log(limit=1000)))
    finally:
        await store.close()


@pytest.fixture
async def backed_up(tmp_path: Path) -> tuple[Path, Path, str]:
    """A data dir holding the demo and a backup of it: (data dir, backup file, hash)."""
    data = tmp_path / "d"
    digest = await with_demo(data)
    out = tmp_path / "demo.bak"
    info = await backup.backup(EngineConfig(data_dir=data), out)
    assert info.portfolio_version == 1 and info.counts[Kind.FEATURE.value] == 150
    return data, out, digest


# --- failures: nothing changes ----------------------------------------------------------


def damaged(path: Path, target: Path, how: str) -> Path:
    raw = path.read_bytes()
    if how == "truncated":
        raw = raw[:-100]
    elif how == "flipped":
        raw = raw[:-50] + bytes([raw[-50] ^ 0xFF]) + raw[-49:]
    elif how == "header":
        raw = raw.replace(b'"payloadBytes"', b'"payloadBites"', 1)
    elif how == "json":
        raw = b'{"themes": []}'
    target.write_bytes(raw)
    return target


@pytest.mark.parametrize(("how", "message"), [
    ("truncated", "truncated or damaged"),
    ("flipped", "SHA-256"),
    ("header", "damaged backup header"),
    ("json", "not a portfolio-graph backup"),
])
async def test_a_bad_file_is_refused_and_the_store_is_untouched(
    backed_up: tuple[Path, Path, str], tmp_path: Path, how: str, message: str,
) -> None:
    _, good, _ = backed_up
    bad = damaged(good, tmp_path / "bad.bak", how)
    target = tmp_path / "t"
    await with_demo(target)
    before = await state(target)
    listing = sorted(os.listdir(target))
    with pytest.raises(BackupError, match=message):
        await backup.restore(EngineConfig(data_dir=target), bad, force=True)
    assert await state(target) == before
    assert sorted(os.listdir(target)) == listing


async def test_a_file_the_engine_cannot_load_is_refused_before_the_swap(
    backed_up: tuple[Path, Path, str], tmp_path: Path,
) -> None:
    """Header and checksum fine, payload not an RDB: the scratch load refuses it."""
    _, good, _ = backed_up
    info, payload = read_backup(good)
    junk = b"REDIS0012" + b"\x00" * (len(payload) - 9)
    header = dict(info.header(), payloadSha256=hashlib.sha256(junk).hexdigest())
    bad = tmp_path / "junk.bak"
    bad.write_bytes(backup.MAGIC + json.dumps(header).encode() + b"\n" + junk)
    target = tmp_path / "t"
    await with_demo(target)
    before = await state(target)
    with pytest.raises(BackupError, match="does not load"):
        await backup.restore(EngineConfig(data_dir=target), bad, force=True)
    assert await state(target) == before
    assert not (target / "rst").exists()


async def test_restore_refuses_a_store_holding_data_without_force(
    backed_up: tuple[Path, Path, str], tmp_path: Path,
) -> None:
    _, good, digest = backed_up
    target = tmp_path / "t"
    engine = FalkorDBEngine(EngineConfig(data_dir=target))
    store = Store(engine)
    await store.start()
    await PortfolioService(store, default_policy()).import_document(
        {"themes": [{"id": "TH-ONLY", "name": "Only this"}]}, ADMIN)
    await store.close()
    before = await state(target)
    with pytest.raises(BackupError, match=r"not empty .*--force"):
        await backup.restore(EngineConfig(data_dir=target), good)
    assert await state(target) == before
    await backup.restore(EngineConfig(data_dir=target), good, force=True)
    assert (await state(target))[0] == digest


async def test_restore_refuses_while_another_owner_runs_the_engine(
    backed_up: tuple[Path, Path, str], tmp_path: Path,
) -> None:
    _, good, _ = backed_up
    target = tmp_path / "t"
    owner = FalkorDBEngine(EngineConfig(data_dir=target))  # like `serve` does
    await owner.start()
    try:
        assert owner.server.owner
        with pytest.raises(BackupError, match=r"another process .* runs the engine"):
            await backup.restore(EngineConfig(data_dir=target), good, force=True)
        assert await owner.ping()  # and it still serves
    finally:
        await owner.close()


def test_write_atomically_leaves_the_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "out.bak"
    target.write_bytes(b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)  # the disk fills up mid-write
    with pytest.raises(BackupError, match="No space left"):
        write_atomically(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bak"]  # no temp file left behind


# --- consistency and the round trip ---------------------------------------------------


async def test_a_backup_taken_during_writes_is_one_consistent_version(tmp_path: Path) -> None:
    data = tmp_path / "d"
    engine = FalkorDBEngine(EngineConfig(data_dir=data))  # the owner, as `serve` is
    store = Store(engine)
    await store.start()
    service = PortfolioService(store, default_policy())
    assert (await service.import_document(demo_document(), ADMIN)).applied
    stop = asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        for i in range(400):  # bounded
            if stop.is_set():
                return
            doc = {"themes": [{"id": f"TH-W{i}", "name": f"written {i}"}]}
            assert (await service.import_document(doc, ADMIN)).applied
            written += 1

    task = asyncio.create_task(writer())
    try:
        await asyncio.sleep(0.05)
        low = await store.version()
        info = await backup.backup(EngineConfig(data_dir=data), tmp_path / "live.bak")
        high = await store.version()
        stop.set()
        await task
    finally:
        await store.close()
    assert high > low  # writes ran while the backup was taken
    assert low <= info.portfolio_version <= high  # everything acknowledged before it began

    target = tmp_path / "t"
    await backup.restore(EngineConfig(data_dir=target), tmp_path / "live.bak")
    restored = Store(FalkorDBEngine(EngineConfig(data_dir=target)))
    await restored.start()
    try:
        version = await restored.version()
        log = await restored.audit_log(limit=1000)
        themes = {t.id for t in (await restored.snapshot()).themes.values()}
    finally:
        await restored.close()
    # One version, whole: every write is there with its audit entry, none half.
    assert version == info.portfolio_version == len(log)
    written_themes = {i for e in log[:-1] for i in e.item_ids}
    assert {t for t in themes if t.startswith("TH-W")} == written_themes
    assert len(written_themes) == version - 1


def test_cli_backup_and_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = str(tmp_path / "s"), str(tmp_path / "t")
    assert main(["demo", "--data-dir", source]) == 0
    out = str(tmp_path / "x.bak")
    capsys.readouterr()
    assert main(["backup", "--data-dir", source, "--out", out]) == 0
    assert "Backup of version 4 (227 items" in capsys.readouterr().err  # demo: import + story
    assert main(["restore", out, "--data-dir", target]) == 0
    assert main(["restore", out, "--data-dir", target]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.bak"), "--data-dir", target]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_cli_backup_on_neo4j_points_to_its_own_tools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:9")
    for argv in (["backup", "--out", str(tmp_path / "n.bak")], ["restore", str(tmp_path)]):
        assert main(argv) == 2
        message = capsys.readouterr().err
        assert "neo4j-admin database dump" in message and "export --with-audit" in message
    assert os.listdir(tmp_path) == []
