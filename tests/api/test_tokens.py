"""Token rules (issue 10 item 4): exp and its lifetime, aud/iss, secret length, reserved
subjects, the roles claim, and identity-provider tokens verified against a JWKS that the
test serves on loopback (a real HTTP server, keys made with `cryptography`)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.app import create_app
from api.auth import AuthError, JwksVerifier, JwtVerifier
from api.settings import ConfigError
from tests.api.conftest import SECRET, Api, ApiFactory, bearer, make_settings, token
from tests.api.test_cli import run

QUERY = "{ themes { id } }"
DELETE = """mutation($id: ID!) { deleteItem(id: $id) { applied } }"""
IMPORT_THEME = """mutation($doc: JSON!) { importPortfolio(document: $doc) { applied } }"""
AUDIENCE = "portfolio-graph"
ISSUER = "https://idp.example/realms/lpm"


def unauthorized(response: Any, mentions: str) -> None:
    assert response.status_code == 401, response.text
    assert mentions in response.json()["errors"][0]["message"], response.text


# --- HS256 secret ------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["", "x" * 31, "short-secret"])
def test_a_short_secret_stops_the_start(secret: str) -> None:
    if not secret:  # an empty secret is open mode, not a weak one
        create_app(make_settings(jwt_secret=secret))
        return
    with pytest.raises(ConfigError, match=r"PORTFOLIO_JWT_SECRET is .* at least 32"):
        create_app(make_settings(jwt_secret=secret))
    create_app(make_settings(jwt_secret="x" * 32))


def test_serve_exits_2_on_a_short_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORTFOLIO_JWT_SECRET", "too-short")
    code, _, err = run(capsys, "serve", "--data-dir", str(tmp_path / "d"), "--port", "1")
    assert code == 2 and "PORTFOLIO_JWT_SECRET" in err and "32" in err


def test_secret_mode_refuses_asymmetric_algorithms() -> None:
    with pytest.raises(ConfigError, match="RS256"):
        create_app(make_settings(jwt_secret=SECRET, jwt_algorithms=["RS256"]))


async def test_a_token_without_exp_is_refused(auth_api: Api) -> None:
    forever = jwt.encode({"sub": "alice", "roles": ["admin"]}, SECRET, algorithm="HS256")
    response = await auth_api.post(QUERY, headers={"Authorization": f"Bearer {forever}"})
    unauthorized(response, "'exp'")


async def test_token_lifetime_is_bounded(make_api: ApiFactory) -> None:
    now = int(time.time())
    async with make_api(make_settings(jwt_secret=SECRET, jwt_max_lifetime=3600)) as api:
        # exp from the same `now` as iat: a slow second must not lengthen the life.
        ok = await api.post(QUERY, headers=bearer(iat=now, exp=now + 3600))
        assert ok.status_code == 200, ok.text
        ok = await api.post(QUERY, headers=bearer(expires_in=3000))  # no iat: exp - now
        assert ok.status_code == 200, ok.text
        long = await api.post(QUERY, headers=bearer(iat=now, exp=now + 3700))
        unauthorized(long, "PORTFOLIO_JWT_MAX_LIFETIME")
        # An old iat does not excuse a long life, and without iat exp - now counts.
        old = await api.post(QUERY, headers=bearer(iat=now - 86_400, expires_in=60))
        unauthorized(old, "PORTFOLIO_JWT_MAX_LIFETIME")
        far = await api.post(QUERY, headers=bearer(expires_in=7200))
        unauthorized(far, "PORTFOLIO_JWT_MAX_LIFETIME")
    async with make_api(make_settings(jwt_secret=SECRET)) as api:  # default: one day
        year = await api.post(QUERY, headers=bearer(iat=now, exp=now + 365 * 86_400))
        unauthorized(year, "PORTFOLIO_JWT_MAX_LIFETIME")
        day = await api.post(QUERY, headers=bearer(iat=now, exp=now + 86_400))
        assert day.status_code == 200, day.text


@pytest.mark.parametrize("sub", ["anonymous", "Anonymous", " anonymous", "cli:root", "cli:",
                                 "CLI:root"])
async def test_subjects_imitating_open_mode_or_the_cli_are_refused(
    auth_api: Api, sub: str,
) -> None:
    doc = {"themes": [{"id": "TH-FORGED", "name": "written as someone else"}]}
    response = await auth_api.post(IMPORT_THEME, {"doc": doc}, headers=bearer(sub, ["admin"]))
    unauthorized(response, "reserved")
    themes = await auth_api.gql(QUERY, headers=bearer("auditor", ["viewer"]))
    assert themes["data"]["themes"] == []  # nothing was written under the forged name


async def test_audience_and_issuer_are_checked_over_http(make_api: ApiFactory) -> None:
    settings = make_settings(jwt_secret=SECRET, jwt_audience=AUDIENCE, jwt_issuer=ISSUER)
    async with make_api(settings) as api:
        good = await api.post(QUERY, headers=bearer(aud=AUDIENCE, iss=ISSUER))
        assert good.status_code == 200, good.text
        unauthorized(await api.post(QUERY, headers=bearer(aud="other-app", iss=ISSUER)),
                     "'aud'")
        unauthorized(await api.post(QUERY, headers=bearer(aud=AUDIENCE, iss="https://x")),
                     "'iss'")
        unauthorized(await api.post(QUERY, headers=bearer(iss=ISSUER)), "'aud'")


@pytest.mark.parametrize(("claim", "claims", "roles"), [
    ("roles", {"roles": ["editor"]}, {"editor"}),
    ("realm_access.roles", {"realm_access": {"roles": ["admin", "offline_access"]}},
     {"admin", "offline_access"}),
    ("groups", {"groups": ["viewer"]}, {"viewer"}),
    ("https://lpm.example/roles", {"https://lpm.example/roles": ["portfolio"]}, {"portfolio"}),
    ("realm_access.roles", {"roles": ["admin"]}, set()),  # only the configured claim counts
])
async def test_roles_claim_is_configurable(claim: str, claims: dict[str, Any],
                                           roles: set[str]) -> None:
    verifier = JwtVerifier(SECRET, roles_claim=claim)
    payload = {"sub": "u", "exp": int(time.time()) + 60, **claims}
    actor = await verifier.verify(jwt.encode(payload, SECRET, algorithm="HS256"))
    assert actor.roles == frozenset(roles)


async def test_a_roles_claim_that_is_not_a_list_is_refused() -> None:
    verifier = JwtVerifier(SECRET, roles_claim="realm_access.roles")
    bad = token(roles=None, realm_access={"roles": "admin"})
    with pytest.raises(AuthError, match=r"realm_access\.roles"):
        await verifier.verify(bad)


# --- identity provider tokens, JWKS on loopback ---------------------------------------


class Jwks:
    """A JWKS endpoint on 127.0.0.1 serving the public halves of `keys`, counting fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}  # kid -> private key
        self.fetches = 0
        self.fail = False
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                jwks.fetches += 1
                if jwks.fail:
                    self.send_error(500)
                    return
                body = json.dumps({"keys": [jwks.public_jwk(kid) for kid in jwks.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is not the place for access logs."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"

    def public_jwk(self, kid: str) -> dict[str, Any]:
        key = self.keys[kid]
        if isinstance(key, rsa.RSAPrivateKey):
            jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk["alg"] = "RS256"
        else:
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            jwk["alg"] = "ES256"
        return {**jwk, "kid": kid, "use": "sig"}

    def add_rsa(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def add_ec(self, kid: str) -> None:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())

    def sign(self, kid: str, claims: dict[str, Any] | None = None, *,
             key: Any = None, alg: str | None = None) -> str:
        private = key or self.keys[kid]
        algorithm = alg or ("RS256" if isinstance(private, rsa.RSAPrivateKey) else "ES256")
        payload = {"sub": "user-42", "aud": AUDIENCE, "iss": ISSUER,
                   "iat": int(time.time()), "exp": int(time.time()) + 300,
                   "realm_access": {"roles": ["editor"]}, **(claims or {})}
        return jwt.encode(payload, private, algorithm=algorithm, headers={"kid": kid})


@pytest.fixture
def idp() -> Iterator[Jwks]:
    jwks = Jwks()
    jwks.add_rsa("rsa-1")
    jwks.add_ec("ec-1")
    thread = threading.Thread(target=jwks.server.serve_forever, daemon=True)
    thread.start()
    yield jwks
    jwks.server.shutdown()
    jwks.server.server_close()
    thread.join()


@pytest.fixture
async def idp_api(make_api: ApiFactory, idp: Jwks) -> AsyncIterator[Api]:
    settings = make_settings(jwks_url=idp.url, jwt_audience=AUDIENCE, jwt_issuer=ISSUER,
                             jwt_roles_claim="realm_access.roles")
    async with make_api(settings) as api:
        yield api


def auth(token_: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_}"}


async def test_rs256_and_es256_tokens_from_the_jwks_are_accepted(idp_api: Api,
                                                                 idp: Jwks) -> None:
    for kid in ("rsa-1", "ec-1"):
        response = await idp_api.post(QUERY, headers=auth(idp.sign(kid)))
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"themes": []}}
    # realm_access.roles holds editor: mutations pass the role check, admin ones do not.
    body = await idp_api.gql(DELETE, {"id": "X"}, auth(idp.sign("rsa-1")))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = idp.sign("ec-1", {"realm_access": {"roles": ["admin"]}})
    body = await idp_api.gql(DELETE, {"id": "X"}, auth(admin))
    assert body["data"]["deleteItem"]["applied"] is False  # reached the service
    assert idp.fetches == 1  # the key set is cached


async def test_idp_tokens_are_refused_when_forged_or_off_target(idp_api: Api,
                                                                idp: Jwks) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "signed by another key under a known kid": idp.sign("rsa-1", key=stranger),
        "unknown kid": idp.sign("rsa-9", key=stranger),
        "another audience": idp.sign("rsa-1", {"aud": "another-app"}),
        "another issuer": idp.sign("ec-1", {"iss": "https://evil.example"}),
        "expired": idp.sign("ec-1", {"exp": int(time.time()) - 3600}),
        "too long-lived": idp.sign("ec-1", {"exp": int(time.time()) + 30 * 86_400}),
        "reserved subject": idp.sign("rsa-1", {"sub": "cli:root"}),
        "HS256 with the public key as secret": jwt.encode(
            {"sub": "eve", "aud": AUDIENCE, "iss": ISSUER, "exp": int(time.time()) + 60},
            "x" * 64, algorithm="HS256", headers={"kid": "rsa-1"}),
        "RS384 not accepted": idp.sign("rsa-1", alg="RS384"),
    }
    for case, forged in cases.items():
        response = await idp_api.post(QUERY, headers=auth(forged))
        assert response.status_code == 401, (case, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_rotated_key_is_fetched_and_forged_kids_do_not_flood_the_idp(
    idp: Jwks,
) -> None:
    verifier = JwksVerifier(idp.url, audience=AUDIENCE, roles_claim="realm_access.roles",
                            cooldown=0.5)
    assert (await verifier.verify(idp.sign("rsa-1"))).id == "user-42"
    assert idp.fetches == 1
    await asyncio.sleep(0.6)  # past the cooldown after the first fetch
    idp.add_rsa("rsa-2")  # the provider rotates its keys
    assert (await verifier.verify(idp.sign("rsa-2"))).roles == frozenset({"editor"})
    assert idp.fetches == 2
    # Tokens naming made-up kids do not make every request fetch again.
    for n in range(5):
        with pytest.raises(AuthError, match="not signed by a key"):
            await verifier.verify(idp.sign(f"junk-{n}", key=idp.keys["rsa-1"]))
    assert idp.fetches == 2


async def test_an_unreachable_jwks_answers_503_not_401(make_api: ApiFactory, idp: Jwks) -> None:
    idp.fail = True
    settings = make_settings(jwks_url=idp.url, jwt_audience=AUDIENCE)
    async with make_api(settings) as api:
        response = await api.post(QUERY, headers=auth(idp.sign("rsa-1")))
    assert response.status_code == 503, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "PORTFOLIO_JWKS_URL" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("overrides", "names"), [
    ({"jwks_url": "https://idp.example/certs"}, "PORTFOLIO_JWT_AUDIENCE"),
    ({"jwks_url": "http://idp.example/certs", "jwt_audience": "a"}, "https://"),
    ({"jwks_url": "https://idp.example/certs", "jwt_audience": "a",
      "jwt_algorithms": ["HS256"]}, "HS256"),
    ({"jwks_url": "https://idp.example/certs", "jwt_audience": "a",
      "jwt_secret": SECRET}, "not both"),
])
def test_jwks_settings_that_cannot_be_safe_stop_the_start(overrides: dict[str, Any],
                                                          names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        create_app(make_settings(**overrides))


def test_jwks_mode_is_not_open_mode() -> None:
    settings = make_settings(jwks_url="https://idp.example/certs", jwt_audience="a")
    assert not settings.open_mode
    assert isinstance(JwksVerifier("https://idp.example/certs", audience="a"), JwksVerifier)
