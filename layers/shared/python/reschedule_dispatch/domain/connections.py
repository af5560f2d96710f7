"""Connecting a business's calendar from Settings: OAuth 2's authorization code flow with
PKCE (S256) and `state` (RFC 6749 §4.1, RFC 7636).

An admin starts: the product makes a random `state` (single use, ten minutes, bound to the
business, the admin and the provider) and a PKCE verifier, keeps both, and sends the browser
to the provider's consent page with the verifier's S256 challenge. The provider sends the
browser back to the callback with a `code` and the same `state`; the code is exchanged, with
the verifier, for the tokens, which are kept in the business's own secret. Nothing is written
unless every step succeeded.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from reschedule_dispatch.domain.errors import DomainError

STATE_LIFETIME = timedelta(minutes=10)


class ConnectionRefused(DomainError):
    """The connection could not be made (a denied consent, an unknown, used or expired
    `state`, a code the provider refused); `reason` is a short code the console reads."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class OAuthProvider:
    """A provider's OAuth endpoints and what the product asks it for."""

    kind: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    # Parameters the provider needs beyond the standard ones (Google: a refresh token).
    extra: tuple[tuple[str, str], ...] = ()


GOOGLE = OAuthProvider(
    kind="google_calendar",
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",  # noqa: S106  # a URL, not a secret
    # Calendars read and written; openid email: who connected ("connected as ...").
    scopes=("https://www.googleapis.com/auth/calendar", "openid", "email"),
    extra=(("access_type", "offline"), ("prompt", "consent"), ("include_granted_scopes", "true")),
)
MICROSOFT = OAuthProvider(
    kind="microsoft_graph",
    authorize_url="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token_url="https://login.microsoftonline.com/common/oauth2/v2.0/token",  # noqa: S106
    scopes=("offline_access", "Calendars.ReadWrite", "User.Read"),
    extra=(("response_mode", "query"),),
)
OAUTH_PROVIDERS = {p.kind: p for p in (GOOGLE, MICROSOFT)}


def verifier() -> str:
    """A PKCE code verifier: 43 to 128 unreserved characters (here 64)."""
    return secrets.token_urlsafe(48)


def s256(code_verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PendingConnection:
    """A started connection, kept until its callback or ten minutes."""

    state: str
    kind: str
    business_id: str
    admin_email: str
    code_verifier: str
    redirect_uri: str
    expires_at: datetime
    used: bool = field(default=False)

    @classmethod
    def start(
        cls, kind: str, business_id: str, admin_email: str, redirect_uri: str, now: datetime
    ) -> PendingConnection:
        return cls(
            state=secrets.token_urlsafe(32),
            kind=kind,
            business_id=business_id,
            admin_email=admin_email,
            code_verifier=verifier(),
            redirect_uri=redirect_uri,
            expires_at=now + STATE_LIFETIME,
        )

    def authorization_url(self, provider: OAuthProvider, client_id: str) -> str:
        query = {
            "client_id": client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": " ".join(provider.scopes),
            "state": self.state,
            "code_challenge": s256(self.code_verifier),
            "code_challenge_method": "S256",
            **dict(provider.extra),
        }
        return f"{provider.authorize_url}?{urlencode(query)}"


@dataclass(frozen=True)
class OAuthClient:
    """The product's own registration at a provider (one per stack, not per business)."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint answered that the product keeps."""

    refresh_token: str = field(repr=False)
    account: str | None = None  # who consented (an id_token's email, Graph's /me)


def oauth_provider(kind: str) -> OAuthProvider:
    if kind not in OAUTH_PROVIDERS:
        raise ConnectionRefused(
            "unsupported", f"{kind} is not connected with a sign-in; see docs/providers.md."
        )
    return OAUTH_PROVIDERS[kind]
