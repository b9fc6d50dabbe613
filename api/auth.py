"""Who is asking: bearer tokens to actors, and the middleware that refuses the rest with 401.

Two token sources, chosen by the settings:
- `PORTFOLIO_JWT_SECRET`: HS256 tokens signed with a shared secret of at least
  32 bytes (`JwtVerifier`);
- `PORTFOLIO_JWKS_URL`: RS256/ES256 tokens signed by an identity provider
  (Keycloak, Entra ID, Okta, ...), verified against the keys it publishes
  (`JwksVerifier`, PyJWT's `PyJWKClient`); an audience is then required.
Either way a token needs `sub` and `exp`, may live at most
`PORTFOLIO_JWT_MAX_LIFETIME` seconds, must match `aud`/`iss` when those are
configured, and its roles are read from `PORTFOLIO_JWT_ROLES_CLAIM`. Without
either the server runs open and every request acts as `anonymous` with all
roles (`check_bind` and api/loopback.py keep open mode to loopback). Role
checks themselves are GraphQL errors (FORBIDDEN), made in
api/schema/permissions.py.

`TokenVerifier` is the seam for other token sources: anything with an async
`verify(token) -> Actor` that raises `AuthError` can replace these.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Collection, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ErrorCode
from api.loopback import loopback_name
from api.roles import ANONYMOUS, Actor
from api.settings import ConfigError, Settings

CLI_PREFIX = "cli:"  # the CLI's actors (api/cli.py): a token may not claim to be one
LEEWAY_SECONDS = 30  # clock skew tolerated on exp/nbf/iat
MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
SECRET_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
KEY_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                            "ES256", "ES384", "ES512", "EdDSA"})
DEFAULT_KEY_ALGORITHMS = ("RS256", "ES256")
JWKS_TIMEOUT = 5.0  # seconds to fetch the identity provider's keys
JWKS_CACHE_SECONDS = 300  # keys are re-fetched after this, or when a token names a new kid
# At most one fetch for unknown kids per this many seconds: providers publish a new key
# before they sign with it, so this only delays a key used the instant it appears.
JWKS_COOLDOWN = 30.0


class AuthError(Exception):
    """A request that cannot be authenticated; `reason` is safe to show the client."""

    def __init__(self, reason: str, *, error: str | None = "invalid_token",
                 status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error  # RFC 6750 error code for WWW-Authenticate (None: no credentials)
        self.status = status  # 503 when the identity provider's keys cannot be fetched


class TokenVerifier(Protocol):
    """Turns a bearer token into an actor, or raises AuthError."""

    async def verify(self, token: str) -> Actor: ...


class ClaimRules:
    """What every token must satisfy once its signature holds: the checks both sources share."""

    def __init__(self, *, audience: str | None = None, issuer: str | None = None,
                 max_lifetime: float = 86_400, roles_claim: str = "roles") -> None:
        self.audience = audience
        self.issuer = issuer
        self.max_lifetime = max_lifetime
        self.roles_claim = roles_claim

    def decode(self, token: str, key: Any, algorithms: Sequence[str]) -> Actor:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=list(algorithms), audience=self.audience,
                issuer=self.issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["sub", "exp"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token has no '{exc.claim}' claim") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("the token is not meant for this API (its 'aud' claim)") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the token comes from another issuer (its 'iss' claim)") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError("the token is not valid (signature, format or claims)") from exc
        return self.actor(claims)

    def actor(self, claims: dict[str, Any]) -> Actor:
        """The actor of verified claims; AuthError for a lifetime, subject or roles refused."""
        self.check_lifetime(claims)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("the token's 'sub' claim must be a non-empty string")
        folded = subject.strip().casefold()
        if folded == ANONYMOUS.id or folded.startswith(CLI_PREFIX):
            # The audit log names open mode and the CLI this way: a token may not pose as them.
            raise AuthError(f"the token's 'sub' {subject!r} is reserved "
                            f"('{ANONYMOUS.id}' and '{CLI_PREFIX}...' name open mode and the CLI)")
        roles = self.roles(claims)
        return Actor(id=subject, roles=frozenset(roles))

    def check_lifetime(self, claims: dict[str, Any]) -> None:
        expires, issued = claims["exp"], claims.get("iat")
        if isinstance(issued, int | float):
            lifetime = float(expires) - float(issued)
        else:
            lifetime = float(expires) - time.time() - LEEWAY_SECONDS
        if lifetime > self.max_lifetime:
            raise AuthError(f"the token lives longer than this server accepts "
                            f"({self.max_lifetime:g} s, PORTFOLIO_JWT_MAX_LIFETIME)")

    def roles(self, claims: dict[str, Any]) -> list[str]:
        """The roles at `roles_claim`: a claim of that name, else a dotted path; none: []."""
        value: Any = claims.get(self.roles_claim)
        if self.roles_claim not in claims and "." in self.roles_claim:
            value = claims
            for part in self.roles_claim.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
            raise AuthError(f"the token's '{self.roles_claim}' claim must be a list of strings")
        return value


class JwtVerifier:
    """JWTs signed with a shared secret (HS256 unless configured otherwise)."""

    def __init__(self, secret: str, *, audience: str | None = None,
                 issuer: str | None = None, max_lifetime: float = 86_400,
                 roles_claim: str = "roles",
                 algorithms: Sequence[str] = ("HS256",)) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"PORTFOLIO_JWT_SECRET is {len(secret.encode())} bytes; HS256 needs at least "
                f"{MIN_SECRET_BYTES} random bytes (e.g. `openssl rand -hex 32`)")
        _check_algorithms(algorithms, SECRET_ALGORITHMS, "PORTFOLIO_JWT_SECRET")
        self._secret = secret
        self._algorithms = tuple(algorithms)
        self.rules = ClaimRules(audience=audience, issuer=issuer,
                                max_lifetime=max_lifetime, roles_claim=roles_claim)

    async def verify(self, token: str) -> Actor:
        return self.rules.decode(token, self._secret, self._algorithms)


class JwksVerifier:
    """JWTs signed by an identity provider, checked against the keys at its JWKS URL."""

    def __init__(self, url: str, *, audience: str, issuer: str | None = None,
                 max_lifetime: float = 86_400, roles_claim: str = "roles",
                 algorithms: Sequence[str] = DEFAULT_KEY_ALGORITHMS,
                 timeout: float = JWKS_TIMEOUT, cooldown: float = JWKS_COOLDOWN) -> None:
        parts = urlsplit(url)
        local = parts.hostname is not None and loopback_name(parts.hostname)
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            # Keys fetched over plain HTTP can be swapped on the way: anyone could sign.
            raise ConfigError(f"PORTFOLIO_JWKS_URL must be an https:// URL, not {url!r}")
        _check_algorithms(algorithms, KEY_ALGORITHMS, "PORTFOLIO_JWKS_URL")
        self._algorithms = tuple(algorithms)
        # PyJWKClient caches the key set, re-fetches it for an unknown kid at most once
        # per cooldown (so forged kids cannot flood the provider) and refuses redirects.
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=JWKS_CACHE_SECONDS,
                                       timeout=timeout, cooldown_duration=cooldown)
        self.rules = ClaimRules(audience=audience, issuer=issuer,
                                max_lifetime=max_lifetime, roles_claim=roles_claim)

    async def verify(self, token: str) -> Actor:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError("the token is not valid (signature, format or claims)") from exc
        if header.get("alg") not in self._algorithms:
            raise AuthError(f"the token's algorithm {header.get('alg')!r} is not accepted "
                            f"here ({', '.join(self._algorithms)})")
        try:
            # urllib underneath: fetch in a thread, never on the event loop.
            key = await asyncio.to_thread(self._client.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthError("the identity provider's signing keys (PORTFOLIO_JWKS_URL) "
                            "cannot be fetched right now; retry shortly",
                            error=None, status=503) from exc
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
            raise AuthError("the token is not signed by a key of the identity provider") from exc
        return self.rules.decode(token, key, self._algorithms)


def _check_algorithms(algorithms: Sequence[str], allowed: frozenset[str], source: str) -> None:
    wrong = sorted(set(algorithms) - allowed) if algorithms else ["(none)"]
    if wrong:
        raise ConfigError(
            f"PORTFOLIO_JWT_ALGORITHMS {', '.join(wrong)} cannot be used with {source}; "
            f"choose from {', '.join(sorted(allowed))}")


def verifier_for(settings: Settings) -> TokenVerifier | None:
    """The verifier the settings ask for; None in open mode. ConfigError for unusable settings."""
    if settings.open_mode:
        return None
    common: dict[str, Any] = {"issuer": settings.jwt_issuer,
                              "max_lifetime": settings.jwt_max_lifetime,
                              "roles_claim": settings.jwt_roles_claim}
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    if settings.jwks_url:
        if secret:
            raise ConfigError("set PORTFOLIO_JWT_SECRET or PORTFOLIO_JWKS_URL, not both")
        if not settings.jwt_audience:
            raise ConfigError(
                "PORTFOLIO_JWKS_URL needs PORTFOLIO_JWT_AUDIENCE: without it, a token the "
                "identity provider issued for any other application would be accepted")
        return JwksVerifier(settings.jwks_url, audience=settings.jwt_audience,
                            algorithms=settings.jwt_algorithms or DEFAULT_KEY_ALGORITHMS,
                            **common)
    return JwtVerifier(secret, audience=settings.jwt_audience,
                       algorithms=settings.jwt_algorithms or ("HS256",), **common)


def bearer_token(scope: Scope) -> str:
    """The token of the Authorization header; AuthError when there is none."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            header = bytes(value).decode("latin-1")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthError("the Authorization header must be 'Bearer <token>'",
                                error="invalid_request")
            return token.strip()
    raise AuthError("this server needs a bearer token (Authorization: Bearer <JWT>)",
                    error=None)


def set_actor(scope: Scope, actor: Actor) -> None:
    scope.setdefault("state", {})["actor"] = actor


def actor_of(scope: Scope) -> Actor | None:
    actor = scope.get("state", {}).get("actor")
    return actor if isinstance(actor, Actor) else None


class AuthMiddleware:
    """Authenticates requests to `protected` paths; others (health checks) pass untouched."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier | None,
                 protected: Collection[str] = ("/graphql",)) -> None:
        self.app = app
        self.verifier = verifier
        self.protected = frozenset(protected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.protected:
            await self.app(scope, receive, send)
            return
        if self.verifier is None:
            set_actor(scope, ANONYMOUS)
            await self.app(scope, receive, send)
            return
        try:
            actor = await self.verifier.verify(bearer_token(scope))
        except AuthError as exc:
            await _unauthorized(exc, send)
            return
        set_actor(scope, actor)
        await self.app(scope, receive, send)


async def _unauthorized(error: AuthError, send: Send) -> None:
    code = ErrorCode.UNAUTHENTICATED if error.status == 401 else ErrorCode.UNAVAILABLE
    body = json.dumps({"errors": [{
        "message": error.reason, "extensions": {"code": code},
    }]}).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if error.status == 401:
        challenge = 'Bearer realm="portfolio-graph"'
        if error.error is not None:
            challenge += f', error="{error.error}"'
        headers.append((b"www-authenticate", challenge.encode()))
    else:
        headers.append((b"retry-after", b"5"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
