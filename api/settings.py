"""Typed settings, read once at startup (flags override environment) and passed down."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.config import EngineConfig


class Settings(BaseSettings):
    """Environment: PORTFOLIO_* for the app, NEO4J_* for the production engine."""

    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Path(".portfolio-graph")
    policy: Path | None = None
    jwt_secret: SecretStr | None = None
    # Tokens signed by an identity provider, verified with the keys it publishes (JWKS).
    jwks_url: str | None = None
    # Signature algorithms accepted; unset: HS256 with a secret, RS256 and ES256 with JWKS.
    jwt_algorithms: list[str] | None = None
    # Accepted token audience/issuer when set (checked by PyJWT); JWKS needs an audience.
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # Longest token lifetime accepted, seconds: exp - iat (exp - now without iat).
    jwt_max_lifetime: float = Field(default=86_400, gt=0)
    # Where the roles list is in the token: a claim name, or a dotted path into nested
    # claims (Keycloak: realm_access.roles).
    jwt_roles_claim: str = Field(default="roles", min_length=1)
    # Origins allowed to call the API from a browser (CORS), e.g. ["https://dash.example"].
    cors_origins: list[str] = Field(default_factory=list)
    graphiql: bool = True
    introspection: bool = True
    max_depth: int = 12
    # Aliases and tokens bound only the size of a document (cost bounds the work): 100
    # aliased traces must parse.
    max_aliases: int = Field(default=200, ge=1)
    max_tokens: int = Field(default=20_000, ge=1)
    # Values an operation may resolve: estimated before it runs (refused above max_cost),
    # counted while it runs (stopped above max_resolved); see api/cost.py.
    max_cost: int = Field(default=200_000, ge=1)
    max_resolved: int = Field(default=300_000, ge=1)
    max_body_bytes: int = 1_000_000
    # A portfolio document can be large: importPortfolio gets its own body cap.
    max_import_bytes: int = 64_000_000
    request_timeout: float = 30.0
    # Slow clients (api/limits.py): request headers must be complete within header_timeout
    # seconds; a body may pause at most body_timeout seconds and must be complete within
    # body_deadline (408 otherwise).
    header_timeout: float = Field(default=10.0, gt=0)
    body_timeout: float = Field(default=10.0, gt=0)
    body_deadline: float = Field(default=120.0, gt=0)
    # uvicorn: open connections or running requests before it answers 503, seconds an idle
    # keep-alive connection stays open, bytes of request line and headers (400 beyond).
    max_connections: int = Field(default=200, ge=1)
    keep_alive_timeout: int = Field(default=5, ge=1)
    max_header_bytes: int = Field(default=16_384, ge=1024)
    query_timeout: float = 30.0
    log_level: str = "INFO"
    # Subscriptions: how often the watcher reads the store's version (seconds), how many
    # subscriptions one process serves, and how many versions wait for a slow one.
    subscription_poll_interval: float = Field(default=0.2, gt=0, le=60)
    max_subscribers: int = Field(default=1000, ge=1)
    subscriber_queue: int = Field(default=256, ge=1)
    # GET /metrics (Prometheus); with auth on it needs this token or an admin JWT.
    metrics: bool = False
    metrics_token: SecretStr | None = None

    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str | None = Field(default=None, validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", validation_alias="NEO4J_DATABASE")

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            data_dir=self.data_dir,
            neo4j_uri=self.neo4j_uri or None,
            neo4j_user=self.neo4j_user,
            neo4j_password=(
                self.neo4j_password.get_secret_value() if self.neo4j_password else None
            ),
            neo4j_database=self.neo4j_database,
            query_timeout=self.query_timeout,
        )

    @property
    def open_mode(self) -> bool:
        """No JWT secret nor JWKS URL: every request is anonymous, every role (loopback only)."""
        no_secret = self.jwt_secret is None or not self.jwt_secret.get_secret_value()
        return no_secret and not self.jwks_url


def is_loopback(host: str) -> bool:
    """True when `host` names only loopback addresses (127.0.0.0/8, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


class ConfigError(Exception):
    """Settings that cannot run (e.g. open mode on a public address)."""


def check_bind(settings: Settings) -> None:
    if settings.open_mode and not is_loopback(settings.host):
        raise ConfigError(
            f"refusing to serve without authentication on {settings.host}: "
            "set PORTFOLIO_JWT_SECRET or PORTFOLIO_JWKS_URL, "
            "or bind to a loopback address such as 127.0.0.1"
        )
