"""The customer's private link: a random token, of which only a hash is ever stored."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32  # 256 bits from the OS's CSPRNG
TOKEN_LENGTH = 43  # URL-safe base64 of 32 bytes, unpadded
_TOKEN_SHAPE = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_well_formed(token: str) -> bool:
    """Rejects malformed tokens before any lookup, so junk never reaches the database."""
    return bool(_TOKEN_SHAPE.fullmatch(token))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/r/{token}"


REDACTED = "••••••"


def redact(text: str, token: str) -> str:
    """The text as we may store or show it: the token is the credential, so it never is."""
    return text.replace(token, REDACTED)
