"""docker-compose.yml and the Dockerfile, checked statically: no Docker engine runs here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INTERPOLATION = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(?P<op>:?[-?])(?P<arg>[^}]*)\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # also accept the KEY=value list form
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_services_and_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"neo4j", "api"}
    neo4j = compose["services"]["neo4j"]
    assert re.fullmatch(r"neo4j:5\.\d+(\.\d+)?(-community|-enterprise)?", neo4j["image"])
    assert "neo4j-data" in compose["volumes"]
    data_mounts = [v for v in neo4j["volumes"] if v.split(":")[1] == "/data"]
    assert data_mounts == ["neo4j-data:/data"]  # a named volume, not a bind mount


def test_healthchecks(compose: dict[str, Any]) -> None:
    neo4j, api = compose["services"]["neo4j"], compose["services"]["api"]
    neo4j_check = healthcheck_command(neo4j)
    assert "cypher-shell" in neo4j_check or ("wget" in neo4j_check and "7474" in neo4j_check)
    assert "/healthz" in healthcheck_command(api)
    for service in (neo4j, api):
        assert service["healthcheck"]["retries"] >= 3
        assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")


def test_api_waits_for_a_healthy_neo4j(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
    assert api["build"]["context"] == "."
    assert (ROOT / api["build"].get("dockerfile", "Dockerfile")).is_file()
    assert api["command"] == ["portfolio-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]


def test_api_talks_to_the_neo4j_service(compose: dict[str, Any]) -> None:
    api_env = env(compose["services"]["api"])
    assert api_env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert api_env["NEO4J_USER"] == "neo4j"
    assert api_env["NEO4J_DATABASE"] == "neo4j"
    password = INTERPOLATION.match(api_env["NEO4J_PASSWORD"])
    assert password and password["name"] == "NEO4J_PASSWORD"
    auth = env(compose["services"]["neo4j"])["NEO4J_AUTH"]
    assert auth == f"neo4j/{api_env['NEO4J_PASSWORD']}"  # both sides use the same value


@pytest.mark.parametrize("variable", ["NEO4J_PASSWORD", "PORTFOLIO_JWT_SECRET"])
def test_secrets_are_required_and_have_no_default(variable: str) -> None:
    """Compose refuses to start without each secret: no shipped password, no fallback."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{" + variable + r"(?P<op>[^}]*)\}", text)
    assert uses, f"{variable} is not used"
    for op in uses:
        assert op.startswith((":?", "?")), f"${{{variable}{op}}} must be required (:?)"
        assert not op.startswith((":-", "-")), f"${{{variable}{op}}} ships a default"


def test_jwt_secret_is_required_and_never_literal(compose: dict[str, Any]) -> None:
    secret = env(compose["services"]["api"])["PORTFOLIO_JWT_SECRET"]
    match = INTERPOLATION.match(secret)
    assert match, f"PORTFOLIO_JWT_SECRET must come from the environment, got {secret!r}"
    assert match["name"] == "PORTFOLIO_JWT_SECRET"
    assert match["op"] in (":?", "?")  # compose refuses to start without it


def test_ports_bind_to_loopback_only(compose: dict[str, Any]) -> None:
    published = [port for service in compose["services"].values()
                 for port in service.get("ports", [])]
    assert sorted(published) == [
        "127.0.0.1:7474:7474", "127.0.0.1:7687:7687", "127.0.0.1:8000:8000"]


def test_dockerfile_copies_what_exists(dockerfile: list[tuple[str, str]]) -> None:
    copies = [shlex.split(args) for keyword, args in dockerfile if keyword == "COPY"]
    sources = [source for parts in copies for source in parts[:-1]
               if not source.startswith("--")]
    assert {"pyproject.toml", "README.md", "api/", "graph/", "rules/"} <= set(sources)
    missing = [source for source in sources if not (ROOT / source).exists()]
    assert missing == []


def test_dockerfile_runs_as_a_non_root_user(dockerfile: list[tuple[str, str]]) -> None:
    assert dockerfile[0] == ("FROM", "python:3.12-slim")
    users = [args for keyword, args in dockerfile if keyword == "USER"]
    assert users, "the image must switch to a non-root USER"
    assert users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, (keyword, _) in enumerate(dockerfile) if keyword == "USER")
    assert all(keyword != "RUN" for keyword, _ in dockerfile[last_user:])
    keywords = [keyword for keyword, _ in dockerfile]
    assert {"EXPOSE", "HEALTHCHECK", "CMD"} <= set(keywords)
    assert ("EXPOSE", "8000") in dockerfile
    cmd = next(args for keyword, args in dockerfile if keyword == "CMD")
    assert "--host" in cmd and "0.0.0.0" in cmd


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".git", ".venv", "node_modules", ".portfolio-graph", ".pytest_cache"} <= ignored


def test_the_launcher_runs_the_neo4j_line_compose_runs(compose: dict[str, Any]) -> None:
    """tools/neo4j/pom.xml (tests, `tools/neo4j/start`) and the compose image: one 5.x line."""
    pom = (ROOT / "tools" / "neo4j" / "pom.xml").read_text(encoding="utf-8")
    [pinned] = re.findall(r"<neo4j\.version>([^<]+)</neo4j\.version>", pom)
    image = compose["services"]["neo4j"]["image"]
    tag = re.fullmatch(r"neo4j:(\d+\.\d+)(?:\.\d+)?(?:-community)?", image)
    assert tag, image
    assert pinned.startswith(tag.group(1) + "."), (pinned, image)
