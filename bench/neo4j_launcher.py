"""Neo4j for tests, benchmarks and people: `tools/neo4j/start DATA_DIR` as a child process.

    python -m bench.neo4j_launcher DATA_DIR -- COMMAND ...

starts Neo4j on DATA_DIR, runs COMMAND with NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD
set to it, and stops Neo4j when COMMAND ends (e.g. `-- portfolio-graph serve --demo`).
The launcher stops by itself when its stdin closes, so it never outlives its parent.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
START = REPO / "tools" / "neo4j" / "start"
# The first start builds the launcher and downloads Neo4j from Maven Central.
FIRST_START_TIMEOUT = 900.0


class LaunchError(RuntimeError):
    """tools/neo4j/start did not become ready; the message quotes its log."""


def java_major(java: str | None = None) -> int | None:
    """The major version of JAVA_HOME's java (or `java` on PATH), None when there is none."""
    if java is None:
        home = os.environ.get("JAVA_HOME")
        java = str(Path(home) / "bin" / "java") if home else (shutil.which("java") or "")
    if not java or not Path(java).exists():
        return None
    try:
        out = subprocess.run([java, "-XshowSettings:properties", "-version"],
                             capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"java\.specification\.version = (\d+)", out)
    return int(found.group(1)) if found else None


def missing_requirements() -> str | None:
    """Why tools/neo4j/start cannot run here (Java 17+, Maven), or None when it can."""
    missing = []
    major = java_major()
    if major is None:
        missing.append("Java 17+ (no java on PATH or in JAVA_HOME)")
    elif major < 17:
        missing.append(f"Java 17+ (found Java {major})")
    if shutil.which("mvn") is None:
        missing.append("Maven (no mvn on PATH)")
    return "; ".join(missing) or None


@dataclass
class Neo4jServer:
    """A running launcher and the credentials it printed."""

    uri: str
    user: str
    password: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def env(self) -> dict[str, str]:
        """The environment variables `portfolio-graph` reads to use this Neo4j."""
        return {"NEO4J_URI": self.uri, "NEO4J_USER": self.user,
                "NEO4J_PASSWORD": self.password, "NEO4J_DATABASE": "neo4j"}

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, wait for a clean shutdown (kill after `timeout`); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        return self.process.returncode


def start_neo4j(data_dir: Path, *, timeout: float = FIRST_START_TIMEOUT) -> Neo4jServer:
    """Start tools/neo4j/start on `data_dir` and wait for its ready line.

    Its stderr (Maven, JVM, Neo4j) goes to DATA_DIR/launcher.log, quoted on failure.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "launcher.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen([str(START), str(data_dir)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=log)
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                _fail(process, log_path, f"not ready within {timeout:g}s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                _fail(process, log_path, f"exited with code {process.wait()}")
            line += chunk
    try:
        ready = json.loads(line)
        return Neo4jServer(uri=ready["uri"], user=ready["user"], password=ready["password"],
                           data_dir=data_dir, process=process)
    except (ValueError, KeyError) as exc:
        _fail(process, log_path, f"printed {line[:200]!r} instead of its JSON line ({exc})")


def _fail(process: subprocess.Popen[bytes], log_path: Path, what: str) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    tail = log_path.read_text(errors="replace")[-3000:]
    raise LaunchError(f"tools/neo4j/start {what}; the end of {log_path}:\n{tail}")


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m bench.neo4j_launcher DATA_DIR -- COMMAND [ARGS...]",
              file=sys.stderr)
        return 2
    missing = missing_requirements()
    if missing:
        print(f"cannot start Neo4j: needs {missing}", file=sys.stderr)
        return 3
    server = start_neo4j(Path(argv[0]).resolve())
    print(f"Neo4j ready at {server.uri} (data in {server.data_dir})", file=sys.stderr)
    try:
        command = subprocess.Popen(argv[2:], env={**os.environ, **server.env()})
        try:
            return command.wait()
        except KeyboardInterrupt:
            command.send_signal(signal.SIGINT)
            return command.wait()
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
