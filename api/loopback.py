"""Open mode answers only loopback names: the defence against DNS rebinding and cross-site posts.

Without a JWT secret every request acts with every role, and `check_bind`
keeps the server on a loopback address. That alone does not stop a web page:
a page on `evil.example` whose DNS name is rebound to 127.0.0.1 reaches the
server with `Host: evil.example`, and any page can post to
`http://127.0.0.1:8000/graphql` from the browser (its `Origin` names the
page). So in open mode every request (health checks included, to keep one
rule) must name a loopback address or `localhost` in `Host`, and a request
that carries an `Origin` must come from such an origin too (or from one of
PORTFOLIO_CORS_ORIGINS, which the operator allowed explicitly); anything else
gets 403 before it reaches a route. WebSocket handshakes are checked the same
way (browsers do not apply CORS to them). With a JWT secret this guard is
off: a token is needed, and browsers never attach one by themselves.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ErrorCode

LOCALHOST = "localhost"


def loopback_name(host: str) -> bool:
    """True for `localhost` or a loopback IP literal (no DNS lookup: a name could be rebound)."""
    name = host.lower().rstrip(".")
    if name == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(name.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def host_of(header: str) -> str | None:
    """The host part of a Host header (`name`, `name:port`, `[v6]` or `[v6]:port`)."""
    try:
        parts = urlsplit(f"//{header}")
        hostname = parts.hostname
        _ = parts.port  # a malformed port is a malformed header
    except ValueError:
        return None
    return hostname or None


def loopback_origin(origin: str) -> bool:
    """True for an http(s) origin whose host is loopback, any port."""
    try:
        parts = urlsplit(origin)
        _ = parts.port
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and parts.hostname is not None
            and loopback_name(parts.hostname))


class LoopbackOnly:
    """Refuses (403) requests whose Host or Origin is not loopback; only installed in open mode."""

    def __init__(self, app: ASGIApp, allowed_origins: Collection[str] = ()) -> None:
        self.app = app
        self.allowed_origins = frozenset(o.rstrip("/") for o in allowed_origins)

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None when it may pass."""
        hosts: list[str] = []
        origins: list[str] = []
        for name, value in scope.get("headers", ()):
            if name == b"host":
                hosts.append(bytes(value).decode("latin-1"))
            elif name == b"origin":
                origins.append(bytes(value).decode("latin-1"))
        if len(hosts) != 1:
            return "this server runs without authentication and needs exactly one Host header"
        host = hosts[0]
        name = host_of(host)
        if name is None or not loopback_name(name):
            return (f"this server runs without authentication and answers only to loopback "
                    f"names (localhost, 127.0.0.1, [::1]), not to Host {host!r}; to serve "
                    "other names set PORTFOLIO_JWT_SECRET")
        for origin in origins:
            if loopback_origin(origin) or origin.rstrip("/") in self.allowed_origins:
                continue
            return (f"this server runs without authentication and accepts browser requests "
                    f"only from loopback pages, not from Origin {origin!r}; allow an origin "
                    "with PORTFOLIO_CORS_ORIGINS or set PORTFOLIO_JWT_SECRET")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        else:
            await _forbidden(reason, send)


async def _forbidden(reason: str, send: Send) -> None:
    body = json.dumps({"errors": [{
        "message": reason, "extensions": {"code": ErrorCode.FORBIDDEN},
    }]}).encode()
    await send({"type": "http.response.start", "status": 403, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})
