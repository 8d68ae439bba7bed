"""Who is asking: bearer tokens (JWT) and API keys turned into a `Principal`.

- Local use: HS256 tokens signed with HUB_JWT_SECRET (generated once in the data
  directory when unset); `hub token` prints one.
- Production: tokens of the identity provider, RS256 or ES256, checked against the
  PEM file HUB_JWT_PUBLIC_KEY or the JWKS document at HUB_JWT_JWKS_URL. When either is
  set, HS256 tokens are refused.
- Every token must carry `sub` (the user), `role`, `exp`, `iss` = HUB_JWT_ISSUER and
  `aud` = HUB_JWT_AUDIENCE; `unit` is the user's unit code. It may be valid for at
  most HUB_MAX_TOKEN_TTL seconds (from `iat`, or from now without one).
- Connector jobs and dashboards send an API key instead (`hub.keys`).

Every refusal is an `Unauthenticated` error whose message says what was wrong; a token
nothing here can check (another algorithm than the key's, a malformed header, a key
that cannot be read) is refused like any other, never an error of the server.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from typing import Any

import jwt
from neo4j import AsyncDriver

from hub import keyfile, keys
from hub.access import Principal, Role
from hub.errors import ConfigError, Unauthenticated
from hub.settings import Settings

log = logging.getLogger(__name__)
ASYMMETRIC = ["RS256", "ES256"]
# The principal of a WebSocket whose client has not authenticated yet: it may do nothing.
ANONYMOUS = Principal(user="", role=Role.connector, client="")
# Tokens whose signature and claims were checked, remembered until they expire: a
# client sends the same token with every request, and checking it again cost ~8% of
# the API process's time on an empty query.
VERIFIED = 4096


def secret(settings: Settings) -> bytes:
    """The HS256 secret: HUB_JWT_SECRET, or one generated once in the data directory."""
    if settings.jwt_secret:
        return settings.jwt_secret.encode()
    return keyfile.made_once(
        settings.data_dir / "jwt-secret",
        lambda: base64.urlsafe_b64encode(secrets.token_bytes(48)),
    )


def asymmetric(settings: Settings) -> bool:
    return settings.jwt_public_key is not None or settings.jwt_jwks_url is not None


def issue(
    settings: Settings,
    user: str,
    role: Role,
    unit: str | None = None,
    ttl: int | None = None,
    now: float | None = None,
) -> str:
    """A development token (HS256) for `user`."""
    if asymmetric(settings):
        raise ConfigError(
            "this hub accepts only its identity provider's tokens (HUB_JWT_PUBLIC_KEY or "
            "HUB_JWT_JWKS_URL is set); `hub token` signs with HUB_JWT_SECRET"
        )
    if not user.strip():
        raise ConfigError("a token needs a user name")
    ttl = settings.token_ttl if ttl is None else ttl
    if not 0 < ttl <= settings.max_token_ttl:
        raise ConfigError(
            f"a token is valid for 1 to {settings.max_token_ttl} seconds "
            f"(HUB_MAX_TOKEN_TTL), not {ttl}"
        )
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": user,
        "role": str(role),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + ttl,
    }
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, secret(settings), algorithm="HS256")


class Authenticator:
    """Turns the Authorization header of a request into a Principal, or refuses it."""

    def __init__(self, settings: Settings, driver: AsyncDriver) -> None:
        self.settings = settings
        self._keys = keys.KeyChecker(driver, settings.neo4j_database)
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._public_key: bytes | None = None
        if settings.jwt_public_key is not None:
            try:
                self._public_key = settings.jwt_public_key.read_bytes()
            except OSError as exc:
                raise ConfigError(f"HUB_JWT_PUBLIC_KEY cannot be read: {exc}") from None
        self._secret = None if asymmetric(settings) else secret(settings)
        self._verified: dict[str, tuple[dict[str, Any], int]] = {}  # token: claims, exp

    async def authenticate(
        self, authorization: str | None, address: str, throttled: bool = False
    ) -> Principal:
        """The principal of the Authorization header, or Unauthenticated saying why not
        (RateLimited for a key under attack); `throttled`: the address failed too often."""
        if not authorization:
            raise Unauthenticated("a bearer token or API key is required: Authorization: Bearer …")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must read `Bearer <token>`")
        if keys.looks_like_key(token):
            return await self._keys.principal(token, address, throttled)
        claims = await self._claims(token)
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise Unauthenticated(f"the token's role {claims.get('role')!r} is unknown") from None
        user = claims.get("sub")
        if not isinstance(user, str) or not user:
            raise Unauthenticated("the token names no user (`sub`)")
        unit = claims.get("unit")
        return Principal(
            user=user,
            role=role,
            unit=unit if isinstance(unit, str) else None,
            client=f"jwt@{address}",
        )

    async def _claims(self, token: str) -> dict[str, Any]:
        known = self._verified.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        claims = await self._check(token)  # `exp` checked: in the future
        for name in ("exp", "iat", "nbf"):
            value = claims.get(name)
            if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise Unauthenticated(f"the token's {name!r} claim is not a number of seconds")
        issued = claims.get("iat")
        start = issued if isinstance(issued, int | float) else time.time()
        if claims["exp"] - start > self.settings.max_token_ttl:
            raise Unauthenticated(
                f"the token is valid for longer than {self.settings.max_token_ttl} seconds "
                "(HUB_MAX_TOKEN_TTL)"
            )
        if len(self._verified) >= VERIFIED:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (claims, int(claims["exp"]))
        return claims

    async def _check(self, token: str) -> dict[str, Any]:
        options = {"require": ["exp", "iss", "aud", "sub"]}
        check = {
            "audience": self.settings.jwt_audience,
            "issuer": self.settings.jwt_issuer,
            "options": options,
        }
        try:
            if self._secret is not None:
                return jwt.decode(token, self._secret, algorithms=["HS256"], **check)  # type: ignore[arg-type]
            key: Any = self._public_key
            if self._jwks is not None:
                # Fetching the JWKS document blocks; it is cached after the first time.
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            return jwt.decode(token, key, algorithms=ASYMMETRIC, **check)  # type: ignore[arg-type]
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated(
                f"the token is not meant for this hub (audience must be "
                f"{self.settings.jwt_audience!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated(
                f"the token was not issued by {self.settings.jwt_issuer!r}"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the token lacks the {exc.claim!r} claim") from None
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"the token's signing key is not known: {exc}") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from None
        except jwt.PyJWTError as exc:  # e.g. an ES256 token checked against an RSA key
            raise Unauthenticated(
                f"the token cannot be checked with this hub's key: {exc}"
            ) from None
        except Exception as exc:  # never an error of the server, never let in
            log.warning("a token could not be checked: %s", type(exc).__name__)
            raise Unauthenticated("the token is not valid") from None
