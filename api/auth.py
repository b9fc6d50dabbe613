"""Who is asking: bearer tokens to actors, and the middleware that refuses the rest with 401.

With `PORTFOLIO_JWT_SECRET` set, every GraphQL request needs
`Authorization: Bearer <HS256 JWT>` with a `sub` and a `roles` list; without
it the server runs open and every request acts as `anonymous` with all roles
(`check_bind` keeps open mode on loopback addresses). Role checks themselves
are GraphQL errors (FORBIDDEN), made in api/schema/permissions.py.

`TokenVerifier` is the seam for other token sources (e.g. an OIDC provider's
JWKS): anything with an async `verify(token) -> Actor` that raises
`AuthError` can replace `JwtVerifier`.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, Protocol

import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ErrorCode
from api.roles import ANONYMOUS, Actor
from api.settings import Settings

LEEWAY_SECONDS = 30  # clock skew tolerated on exp/nbf/iat


class AuthError(Exception):
    """A request that cannot be authenticated; `reason` is safe to show the client."""

    def __init__(self, reason: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error  # RFC 6750 error code for WWW-Authenticate (None: no credentials)


class TokenVerifier(Protocol):
    """Turns a bearer token into an actor, or raises AuthError."""

    async def verify(self, token: str) -> Actor: ...


class JwtVerifier:
    """HS256 JWTs signed with a shared secret; `sub` is required, `roles` is a list of strings."""

    def __init__(self, secret: str, *, audience: str | None = None,
                 issuer: str | None = None) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer

    async def verify(self, token: str) -> Actor:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=["HS256"], audience=self._audience,
                issuer=self._issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token has no '{exc.claim}' claim") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError("the token is not valid (signature, format or claims)") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("the token's 'sub' claim must be a non-empty string")
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AuthError("the token's 'roles' claim must be a list of strings")
        return Actor(id=subject, roles=frozenset(roles))


def verifier_for(settings: Settings) -> TokenVerifier | None:
    """The verifier the settings ask for; None in open mode."""
    if settings.open_mode or settings.jwt_secret is None:
        return None
    return JwtVerifier(settings.jwt_secret.get_secret_value(),
                       audience=settings.jwt_audience, issuer=settings.jwt_issuer)


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
    body = json.dumps({"errors": [{
        "message": error.reason, "extensions": {"code": ErrorCode.UNAUTHENTICATED},
    }]}).encode()
    challenge = 'Bearer realm="portfolio-graph"'
    if error.error is not None:
        challenge += f', error="{error.error}"'
    await send({"type": "http.response.start", "status": 401, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", challenge.encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
