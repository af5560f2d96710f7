"""Dev sign-in: short-lived HS256 ID tokens that carry the claims Cognito's ID tokens carry,
and rotating refresh tokens that behave like the console's Cognito app client's.

The local gateway checks the ID tokens and hands the claims to handlers exactly where API
Gateway's Cognito authorizer puts them, so handlers cannot tell the difference. Its
`POST /oauth2/token` (`grant_type=refresh_token`, form-encoded, as Cognito's token endpoint)
exchanges a refresh token for a new ID token and a new refresh token, so the console's
session code runs locally exactly as in AWS:

* an ID token lives `DEV_ID_TOKEN_SECONDS` (default an hour, the app client's);
* a sign-in's refresh tokens live `DEV_REFRESH_TOKEN_SECONDS` (default 12 hours, a shift)
  from the sign-in: rotation hands out a new token each time but never extends the session,
  as Cognito's rotation does not;
* a refresh token is single-use: once exchanged, it is refused, except for a retry within
  `ROTATION_GRACE_SECONDS` (the app client's grace: a response lost on the way back);
* `revoke` ends the sign-in's refresh tokens (sign-out).

The tokens live real time, not the stack's settable clock: what is waited out is real
seconds in the dispatcher's browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# The console's Cognito app client's settings (infra/capabilities/auth.py; tests/infra holds
# the two equal): an hour's ID token, a shift's sign-in, half a minute to retry a refresh.
ID_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 12 * 3600
ROTATION_GRACE_SECONDS = 30
# The console's client id locally (its ID tokens' `aud`, as Cognito's carry the app client's).
DEV_CLIENT_ID = "dev-console"
# Environment variables that shorten them for a test (a few seconds: tests/browser).
ID_LIFETIME_VARIABLE = "DEV_ID_TOKEN_SECONDS"
SESSION_LIFETIME_VARIABLE = "DEV_REFRESH_TOKEN_SECONDS"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def seconds_from(environ: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number of seconds from the environment, or the default."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1 second, not {value}")
    return value


def _wall_clock() -> float:
    # wall clock: a sign-in lives real hours in the dispatcher's browser, whatever /dev/clock says
    return time.time()


class RefreshRefused(Exception):
    """The token endpoint's `invalid_grant`: the sign-in has ended (expired, replayed, revoked
    or unknown refresh token); the console asks the dispatcher to sign in again."""


@dataclass(frozen=True)
class Tokens:
    """What a sign-in or a refresh answers (the token endpoint's fields)."""

    id_token: str
    expires_in: int
    refresh_token: str

    def response(self) -> dict[str, Any]:
        """The token endpoint's JSON body, as Cognito's: the access token is the ID token here
        (the local gateway checks ID tokens only, as the API's Cognito authorizer does)."""
        return {
            "id_token": self.id_token,
            "access_token": self.id_token,
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "token_type": "Bearer",
        }


@dataclass
class _Grant:
    """One refresh token, kept by its SHA-256: whose, which sign-in, until when."""

    email: str
    sign_in: str
    ends_at: float  # the sign-in's end: rotation never moves it
    used_at: float | None = None


class DevTokens:
    def __init__(
        self,
        dispatchers: Mapping[str, dict[str, Any]],  # email → claims (the local user pool)
        key: bytes | None = None,
        *,
        id_token_seconds: int | None = None,
        refresh_token_seconds: int | None = None,
        grace_seconds: int = ROTATION_GRACE_SECONDS,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._dispatchers = dispatchers
        self._key = key or secrets.token_bytes(32)
        self.id_token_seconds = id_token_seconds or seconds_from(
            os.environ, ID_LIFETIME_VARIABLE, ID_TOKEN_SECONDS
        )
        self.refresh_token_seconds = refresh_token_seconds or seconds_from(
            os.environ, SESSION_LIFETIME_VARIABLE, REFRESH_TOKEN_SECONDS
        )
        self._grace = grace_seconds
        self._clock = clock or _wall_clock
        self._grants: dict[str, _Grant] = {}
        self._revoked: set[str] = set()  # sign-ins ended by sign-out
        self._lock = threading.Lock()  # the gateway serves requests on threads

    def sign_in(self, email: str, nonce: str | None = None) -> Tokens | None:
        """An ID token and the first refresh token of a new sign-in; None for an email no
        seeded dispatcher has. The nonce, if the console sent one, is in the ID token."""
        claims = self._dispatchers.get(email.strip().lower())
        if claims is None:
            return None
        now = self._clock()
        with self._lock:
            self._forget_ended(now)
            refresh_token = self._grant(
                claims["email"], secrets.token_hex(16), now + self.refresh_token_seconds
            )
        return Tokens(*self._id_token(claims, now, nonce), refresh_token)

    def issue(self, email: str, nonce: str | None = None) -> str | None:
        """Just the ID token of a new sign-in (scripts and tests that call the API)."""
        tokens = self.sign_in(email, nonce)
        return tokens.id_token if tokens else None

    def refresh(self, refresh_token: str) -> Tokens:
        """A new ID token and the next refresh token of the same sign-in (rotation); the one
        given is used up. Raises RefreshRefused when the sign-in has ended."""
        now = self._clock()
        with self._lock:
            grant = self._grants.get(_hash(refresh_token))
            if grant is None or grant.sign_in in self._revoked:
                raise RefreshRefused("Invalid refresh token.")
            if now >= grant.ends_at:
                raise RefreshRefused("Refresh token has expired.")
            if grant.used_at is not None and now - grant.used_at > self._grace:
                raise RefreshRefused("Refresh token has already been used.")
            claims = self._dispatchers.get(grant.email)
            if claims is None:  # no longer a dispatcher
                raise RefreshRefused("Invalid refresh token.")
            if grant.used_at is None:
                grant.used_at = now  # the grace runs from the first exchange
            following = self._grant(grant.email, grant.sign_in, grant.ends_at)
        return Tokens(*self._id_token(claims, now, None), following)

    def revoke(self, refresh_token: str) -> None:
        """Ends the sign-in this refresh token belongs to (all its refresh tokens); an
        unknown token changes nothing, as Cognito's /oauth2/revoke answers it."""
        with self._lock:
            grant = self._grants.get(_hash(refresh_token))
            if grant is not None:
                self._revoked.add(grant.sign_in)

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            header, body, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            claims: dict[str, Any] = json.loads(_unb64(body))
        except ValueError:
            return None
        if int(claims.get("exp", 0)) <= self._clock():
            return None
        # API Gateway hands claims to the function as strings.
        return {k: str(v) for k, v in claims.items()}

    def _id_token(self, claims: dict[str, Any], now: float, nonce: str | None) -> tuple[str, int]:
        """The signed ID token and its expires_in: whole seconds left, rounded down, so a
        client timing it from the answer never holds it past its `exp`."""
        issued = int(now)
        payload = {
            **claims,
            "sub": hashlib.sha256(claims["email"].encode()).hexdigest()[:32],
            "cognito:username": claims["email"],
            "aud": DEV_CLIENT_ID,
            "token_use": "id",
            "iat": issued,
            "exp": issued + self.id_token_seconds,
        }
        if nonce:
            payload["nonce"] = nonce
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(payload).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}", int(payload["exp"] - now)

    def _grant(self, email: str, sign_in: str, ends_at: float) -> str:
        token = secrets.token_urlsafe(48)
        self._grants[_hash(token)] = _Grant(email, sign_in, ends_at)
        return token

    def _forget_ended(self, now: float) -> None:
        """Drops the grants of sign-ins that have ended (a long `make dev` signs in often)."""
        ended = [key for key, grant in self._grants.items() if now >= grant.ends_at]
        for key in ended:
            del self._grants[key]
