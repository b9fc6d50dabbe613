"""The embedded FalkorDB server: one per data dir, durable, reused, supervised, never orphaned."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis

from graph.config import EngineConfig
from graph.cypher.labels import Label
from graph.engines.base import EngineError, EngineLocked, EngineQueryError, EngineUnavailable
from graph.engines.embedded import EmbeddedServer, ping_status, process_alive, serves_socket
from graph.engines.falkordb import FalkorDBEngine

ROOT = Path(__file__).resolve().parents[2]
IDS = f"MATCH (n:{Label.ITEM}) RETURN n.id AS id ORDER BY id"

# A process that owns the data dir in argv[1], prints its server pid, then idles.
OWNER = f"""
import asyncio, sys
from pathlib import Path
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine

async def main():
    engine = FalkorDBEngine(EngineConfig(data_dir=Path(sys.argv[1])))
    await engine.start()
    await engine.write("CREATE (:{Label.ITEM} {{id: 'from-owner'}})")
    print(engine.server.pid, flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""

# A second process on the same data dir: writes, reads, reports, closes.
SECOND = f"""
import asyncio, json, sys
from pathlib import Path
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine

async def main():
    engine = FalkorDBEngine(EngineConfig(data_dir=Path(sys.argv[1])))
    await engine.start()
    await engine.write("CREATE (:{Label.ITEM} {{id: 'from-second'}})")
    rows = await engine.read("{IDS}")
    print(json.dumps({{"owner": engine.server.owner, "pid": engine.server.pid,
                      "ids": [row["id"] for row in rows]}}))
    await engine.close()

asyncio.run(main())
"""

# A CLI command on the data dir in argv[1]: owns the engine, writes, prints its server
# pid, and closes the engine (stopping its server) when a line arrives on stdin.
COMMAND = f"""
import asyncio, sys
from pathlib import Path
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine

async def main():
    engine = FalkorDBEngine(EngineConfig(data_dir=Path(sys.argv[1])))
    await engine.start()
    await engine.write("CREATE (:{Label.ITEM} {{id: 'from-command'}})")
    print(engine.server.pid, flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await engine.close()

asyncio.run(main())
"""

# Holds the data dir's lock without any server, as a wedged owner would.
HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
os.write(fd, f"{os.getpid()}\\n".encode())
print("locked", flush=True)
time.sleep(600)
"""


async def spawn(code: str, *args: str, stdin: int | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stdin=stdin, env={**os.environ, "PYTHONPATH": str(ROOT)})


async def first_line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), 15)).decode().strip()


async def reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def servers_on(socket_path: Path) -> list[int]:
    """Pids of every live redis-server serving this socket."""
    return [int(p.name) for p in Path("/proc").iterdir()
            if p.name.isdigit() and serves_socket(int(p.name), socket_path)]


@pytest.fixture
async def owned(tmp_path: Path) -> AsyncIterator[FalkorDBEngine]:
    """A started engine owning a fresh data dir."""
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "db"))
    await engine.start()
    yield engine
    await engine.close()


async def test_start_owns_a_private_dir_and_answers(tmp_path: Path) -> None:
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "new" / "db"))
    started = time.monotonic()
    await engine.start()
    elapsed = time.monotonic() - started
    try:
        server = engine.server
        assert server.owner and await engine.ping()
        assert elapsed < 3, f"start took {elapsed:.2f}s"
        assert stat.S_IMODE(server.data_dir.stat().st_mode) == 0o700
        assert stat.S_ISSOCK(server.socket_path.stat().st_mode)
        assert stat.S_IMODE(server.socket_path.stat().st_mode) == 0o700
        assert server.pidfile.read_text().strip() == str(server.pid)
        assert server.lockfile.read_text().strip() == str(os.getpid())
        args = server.command()  # redis rewrites its /proc cmdline, so check ours
        module = args.index("--loadmodule") + 1
        assert Path(args[module]).is_absolute()
        assert args[module + 1:module + 3] == ["EFFECTS_THRESHOLD", "0"]
        assert servers_on(server.socket_path) == [server.pid]
        await engine.write(f"CREATE (:{Label.ITEM} {{id: 'a'}})")
        assert await engine.read(IDS) == [{"id": "a"}]
    finally:
        await engine.close()
    assert not process_alive(server.pid or 0)
    assert not server.socket_path.exists() and not server.pidfile.exists()
    assert not await engine.ping()


def test_too_long_socket_path_is_refused_naming_it(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 110)
    with pytest.raises(EngineError, match=r"d{110}/falkordb\.sock"):
        EmbeddedServer(deep)


async def test_restart_keeps_data_and_schema(tmp_path: Path) -> None:
    config = EngineConfig(data_dir=tmp_path / "db")
    first = FalkorDBEngine(config)
    await first.start()
    await first.bootstrap()
    await first.write(f"CREATE (:{Label.ITEM}:{Label.EPIC} {{id: 'E-1', name: 'kept'}})")
    first_pid = first.server.pid
    await first.close()
    assert first.server.pid is None
    second = FalkorDBEngine(config)
    await second.start()
    try:
        assert second.server.pid != first_pid
        rows = await second.read(f"MATCH (n:{Label.EPIC}) RETURN n {{.*}} AS n")
        assert rows == [{"n": {"id": "E-1", "name": "kept"}}]
        with pytest.raises(EngineQueryError):  # the unique constraint came back too
            await second.write(f"CREATE (:{Label.ITEM} {{id: 'E-1'}})")
    finally:
        await second.close()


@pytest.mark.slow
async def test_acknowledged_writes_survive_kill9_under_4_writers(owned: FalkorDBEngine) -> None:
    acked: list[str] = []
    failures = 0
    stop = asyncio.Event()

    async def writer(n: int) -> None:
        nonlocal failures
        i = 0
        while not stop.is_set():
            i += 1
            try:
                await owned.write(f"CREATE (:{Label.AUDIT} {{id: $id}})", {"id": f"w{n}-{i}"})
            except EngineUnavailable:
                failures += 1
                await asyncio.sleep(0.005)
                continue
            acked.append(f"w{n}-{i}")

    writers = [asyncio.create_task(writer(n)) for n in range(4)]
    await wait_until(lambda: len(acked) >= 200)
    killed = owned.server.pid
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    at_kill = len(acked)
    # Supervision restarts the server; writers carry on once it answers.
    await wait_until(lambda: owned.server.restarts == 1 and len(acked) >= at_kill + 100)
    stop.set()
    await asyncio.gather(*writers)
    assert owned.server.pid != killed and failures > 0
    await owned.close()  # and a cold start must replay everything acknowledged
    again = FalkorDBEngine(owned.config)
    await again.start()
    try:
        rows = await again.read(f"MATCH (n:{Label.AUDIT}) RETURN n.id AS id")
    finally:
        await again.close()
    missing = set(acked) - {row["id"] for row in rows}
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged writes lost"


@pytest.mark.slow
async def test_second_process_reuses_the_running_server(owned: FalkorDBEngine) -> None:
    await owned.write(f"CREATE (:{Label.ITEM} {{id: 'from-first'}})")
    proc = await spawn(SECOND, str(owned.server.data_dir))
    try:
        report = json.loads(await first_line(proc))
        assert await proc.wait() == 0
    finally:
        await reap(proc)
    assert report == {"owner": False, "pid": owned.server.pid,
                      "ids": ["from-first", "from-second"]}
    # Its close() left our server running: still one server, still ours.
    assert await owned.ping()
    assert servers_on(owned.server.socket_path) == [owned.server.pid]
    assert await owned.read(IDS) == [{"id": "from-first"}, {"id": "from-second"}]


async def test_second_engine_in_process_reuses_without_owning(owned: FalkorDBEngine) -> None:
    other = FalkorDBEngine(owned.config)
    await other.start()
    assert not other.server.owner and other.server.pid == owned.server.pid
    await other.close()
    assert await owned.ping()


@pytest.mark.slow
async def test_killed_owner_leaves_no_orphan_server(tmp_path: Path) -> None:
    proc = await spawn(OWNER, str(tmp_path / "db"))
    server_pid = 0
    try:
        server_pid = int(await first_line(proc))
        assert process_alive(server_pid)
        proc.kill()  # SIGKILL: no cleanup code runs in the owner
        await proc.wait()
        await wait_until(lambda: not process_alive(server_pid), timeout=5)
    finally:
        await reap(proc)
        if process_alive(server_pid):  # the test failed: do not leak the orphan
            os.kill(server_pid, signal.SIGKILL)
    # The lock died with the owner: a new engine takes over the same data.
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "db"))
    await engine.start()
    try:
        assert engine.server.owner
        assert await engine.read(IDS) == [{"id": "from-owner"}]
    finally:
        await engine.close()


@pytest.mark.slow
async def test_stale_pidfile_and_socket_are_recovered(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    proc = await spawn(OWNER, str(data_dir))
    try:
        server_pid = int(await first_line(proc))
        # Crash both without any cleanup: freeze the owner (its supervisor must not
        # restart the server), kill -9 the server, then the owner.
        proc.send_signal(signal.SIGSTOP)
        os.kill(server_pid, signal.SIGKILL)
        await wait_until(lambda: not process_alive(server_pid))
        proc.kill()
        await proc.wait()
    finally:
        await reap(proc)
    server = EmbeddedServer(data_dir)
    assert server.socket_path.exists() and server.pidfile.read_text().strip() == str(server_pid)
    assert await ping_status(server.socket_path) == "down"
    engine = FalkorDBEngine(EngineConfig(data_dir=data_dir))
    await engine.start()
    try:
        assert engine.server.owner and engine.server.pid != server_pid
        assert engine.server.pidfile.read_text().strip() == str(engine.server.pid)
        assert await engine.read(IDS) == [{"id": "from-owner"}]
    finally:
        await engine.close()


@pytest.mark.slow
async def test_orphan_server_without_lock_holder_is_replaced(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "db")
    server.data_dir.mkdir(mode=0o700)
    # A server nobody holds the lock for (its owner died on an OS without PDEATHSIG).
    orphan = subprocess.Popen(server.command(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        await wait_until(lambda: server.socket_path.exists())
        await wait_until_ready(server.socket_path)
        client = redis.Redis(unix_socket_path=str(server.socket_path))
        client.execute_command("GRAPH.QUERY", "portfolio", f"CREATE (:{Label.ITEM} {{id: 'o'}})")
        client.close()
        engine = FalkorDBEngine(EngineConfig(data_dir=server.data_dir))
        await engine.start()
        try:
            assert orphan.wait(timeout=5) == 0  # shut down cleanly, not killed
            assert engine.server.owner and engine.server.pid != orphan.pid
            assert await engine.read(IDS) == [{"id": "o"}]
        finally:
            await engine.close()
    finally:
        orphan.kill()
        orphan.wait()


async def wait_until_ready(socket_path: Path) -> None:
    deadline = time.monotonic() + 10
    while await ping_status(socket_path) != "ready":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_lock_held_without_server_is_a_clear_error(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "db", reuse_timeout=0.3)
    server.data_dir.mkdir(mode=0o700)
    holder = await spawn(HOLDER, str(server.lockfile))
    try:
        assert await first_line(holder) == "locked"
        with pytest.raises(EngineLocked) as caught:
            await server.start()
        message = str(caught.value)
        assert f"locked by process {holder.pid}" in message
        assert str(server.data_dir) in message and "did not answer PING" in message
        assert not server.owner
        holder.kill()
        await holder.wait()
        await server.start()  # the lock is free again: start normally
        assert server.owner and await ping_status(server.socket_path) == "ready"
    finally:
        await reap(holder)
        await server.stop()


async def test_server_that_fails_to_start_reports_its_log(tmp_path: Path) -> None:
    class Misconfigured(EmbeddedServer):
        def command(self) -> list[str]:
            return [*super().command(), "--no-such-directive", "1"]

    server = Misconfigured(tmp_path / "db")
    with pytest.raises(EngineUnavailable, match="exited with code") as caught:
        await server.start()
    assert "no-such-directive" in str(caught.value)  # the log tail names the cause
    assert not server.owner
    with open(server.lockfile) as f:  # and the lock was released
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


async def test_stopped_server_is_not_restarted(owned: FalkorDBEngine) -> None:
    server = owned.server
    await owned.close()
    assert not await server.ensure_running()
    assert server.pid is None or not process_alive(server.pid)


async def test_bootstrap_over_duplicate_ids_fails_loudly(tmp_path: Path) -> None:
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "db"), supervise=False)
    await engine.start()
    try:
        await engine.write(f"UNWIND [1, 2] AS i CREATE (:{Label.ITEM}:{Label.TEAM} {{id: 'T'}})")
        with pytest.raises(EngineQueryError, match="duplicate ids") as caught:
            await engine.bootstrap()
        assert caught.value.constraint_violation
        assert "Item" in str(caught.value) and "Team" in str(caught.value)
    finally:
        await engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("exit_how", ["closes", "is-killed"])
async def test_a_supervised_reuser_takes_over_when_the_owner_exits(
    tmp_path: Path, exit_how: str,
) -> None:
    data_dir = tmp_path / "db"
    command = await spawn(COMMAND, str(data_dir), stdin=asyncio.subprocess.PIPE)
    serve = FalkorDBEngine(EngineConfig(data_dir=data_dir))  # supervised, as `serve` runs it
    try:
        command_server = int(await first_line(command))
        await serve.start()
        assert not serve.server.owner and serve.server.pid == command_server
        await serve.write(f"CREATE (:{Label.ITEM} {{id: 'from-serve'}})")
        if exit_how == "closes":
            assert command.stdin is not None
            command.stdin.write(b"done\n")
            await command.stdin.drain()
            assert await asyncio.wait_for(command.wait(), 15) == 0
        else:
            command.kill()  # its server dies with it (PDEATHSIG)
            await command.wait()
        await wait_until(lambda: not process_alive(command_server), timeout=10)
        await wait_until(lambda: serve.server.takeovers == 1, timeout=10)
        assert serve.server.owner and serve.server.pid != command_server
        await wait_until_ready(serve.server.socket_path)
        assert await serve.read(IDS) == [{"id": "from-command"}, {"id": "from-serve"}]
        await serve.write(f"CREATE (:{Label.ITEM} {{id: 'after'}})")
        assert servers_on(serve.server.socket_path) == [serve.server.pid]
    finally:
        await reap(command)
        await serve.close()
    assert not servers_on(data_dir / "falkordb.sock")  # and it stops what it took over


async def test_an_unsupervised_reuser_does_not_take_over(owned: FalkorDBEngine) -> None:
    client = FalkorDBEngine(owned.config, supervise=False)
    await client.start()
    try:
        await owned.close()
        assert not await client.ping()
        await asyncio.sleep(1.2)  # two supervision intervals: nobody starts a server
        assert not client.server.owner and not await client.ping()
        # ensure_running is what supervision calls: it takes over now that the dir is free.
        assert await client.server.ensure_running()
        assert client.server.owner and client.server.takeovers == 1
    finally:
        await client.close()


# --- the data dir is private, its files are never symlinks (issue 10 item 8) ----------


@pytest.mark.parametrize("mode", [0o770, 0o702, 0o777], ids=["0770", "0702", "0777"])
async def test_a_data_dir_writable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    data_dir = tmp_path / "db"
    data_dir.mkdir()
    data_dir.chmod(mode)
    engine = FalkorDBEngine(EngineConfig(data_dir=data_dir), supervise=False)
    with pytest.raises(EngineError) as caught:
        await engine.start()
    message = str(caught.value)
    assert str(data_dir) in message and f"chmod 700 {data_dir}" in message
    assert f"{mode:o}" in message
    assert not (data_dir / "falkordb.sock").exists() and not (data_dir / "engine.lock").exists()
    data_dir.chmod(0o700)  # fixed as the message says: it starts
    await engine.start()
    try:
        assert engine.server.owner and await engine.ping()
    finally:
        await engine.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="making a dir of another user needs root")
async def test_a_data_dir_of_another_user_is_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    data_dir.mkdir(mode=0o700)
    os.chown(data_dir, 65534, 65534)
    with pytest.raises(EngineError, match=r"belongs to uid 65534") as caught:
        await FalkorDBEngine(EngineConfig(data_dir=data_dir), supervise=False).start()
    assert str(data_dir) in str(caught.value)


async def test_a_symlinked_data_dir_is_checked_at_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real"
    target.mkdir(mode=0o777)
    target.chmod(0o777)
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(EngineError, match="writable by other users"):
        await FalkorDBEngine(EngineConfig(data_dir=tmp_path / "link"), supervise=False).start()


@pytest.mark.parametrize("name", ["engine.lock", "falkordb.log"])
async def test_lock_and_log_files_are_never_followed_through_a_symlink(
    tmp_path: Path, name: str,
) -> None:
    data_dir = tmp_path / "db"
    data_dir.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    victim.chmod(0o644)
    (data_dir / name).symlink_to(victim)
    engine = FalkorDBEngine(EngineConfig(data_dir=data_dir), supervise=False)
    with pytest.raises(EngineError, match="is a symlink") as caught:
        await engine.start()
    assert str(data_dir / name) in str(caught.value)
    assert victim.read_text() == "precious\n"  # neither truncated nor appended to
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert not servers_on(data_dir / "falkordb.sock")  # no server left running
    # A dangling symlink is refused as well, and never creates its target.
    victim.unlink()
    with pytest.raises(EngineError, match="is a symlink"):
        await engine.start()
    assert not victim.exists()


async def test_the_pid_file_is_never_followed_through_a_symlink(tmp_path: Path) -> None:
    data_dir = tmp_path / "db"
    data_dir.mkdir(mode=0o700)
    victim = tmp_path / "victim.txt"
    victim.write_text("4242\n")
    (data_dir / "falkordb.pid").symlink_to(victim)
    server = EmbeddedServer(data_dir)
    server._reusing = True  # how a reusing process reads the owner's pid
    assert server.pid is None  # not 4242: the symlink was not read through
    server._reusing = False
    await server.start()  # a stale pid file (here a symlink) is removed, never written through
    try:
        assert victim.read_text() == "4242\n"
        assert not (data_dir / "falkordb.pid").is_symlink()
        assert (data_dir / "falkordb.pid").read_text().strip() == str(server.pid)
    finally:
        await server.stop()
