"""Dev sign-in: short-lived HS256 tokens that carry the claims Cognito's ID tokens carry.

The local gateway checks them and hands the claims to handlers exactly where API Gateway's
Cognito authorizer puts them, so handlers cannot tell the difference.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

TOKEN_SECONDS = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DevTokens:
    def __init__(self, dispatchers: dict[str, dict[str, Any]], key: bytes | None = None) -> None:
        self._dispatchers = dispatchers
        self._key = key or secrets.token_bytes(32)

    def issue(self, email: str) -> str | None:
        claims = self._dispatchers.get(email.strip().lower())
        if claims is None:
            return None
        # wall clock: a sign-in token lives real hours, whatever /dev/clock says
        now = int(time.time())
        payload = {
            **claims,
            "sub": hashlib.sha256(claims["email"].encode()).hexdigest()[:32],
            "cognito:username": claims["email"],
            "token_use": "id",
            "iat": now,
            "exp": now + TOKEN_SECONDS,
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(payload).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest())
        return f"{header}.{body}.{signature}"

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            header, body, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{body}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None
            claims: dict[str, Any] = json.loads(_unb64(body))
        except ValueError:
            return None
        # wall clock: as issued
        if int(claims.get("exp", 0)) < time.time():
            return None
        # API Gateway hands claims to the function as strings.
        return {k: str(v) for k, v in claims.items()}
