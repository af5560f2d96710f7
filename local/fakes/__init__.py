"""Local fakes of the scheduling providers' APIs, for contract tests and the local stack.

Each fake is a WSGI app (a `local.sandbox_base.Sandbox`) that answers the documented
request and response shapes of one provider, keeps its data in memory and lets a test
break it on purpose. What they share lives here: armed failures, access tokens that
expire, and delivering a webhook to a URL the way the provider would.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from werkzeug.wrappers import Request


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None
    path: str | None = None  # only API paths containing this
    token: bool = False  # the token endpoint too

    def applies(self, path: str, *, token: bool) -> bool:
        if token:
            return self.token
        return self.path is None or self.path in path


class Faults:
    """Failures armed by a test, answered by the next requests they apply to, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def arm(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        path: str | None = None,
        token: bool = False,
    ) -> None:
        with self._lock:
            self._queue.extend([Fault(status, retry_after, path, token)] * times)

    def next(self, path: str = "", *, token: bool = False) -> Fault | None:
        """The first armed fault for a call to `path` (or the token endpoint), spent."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.applies(path, token=token):
                    return self._queue.pop(index)
        return None

    def headers(self, fault: Fault) -> dict[str, str]:
        return {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}


class AccessTokens:
    """Bearer tokens a fake's token endpoint issues, each valid for `lifetime` seconds."""

    def __init__(self, lifetime: int, clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.granted = 0  # how many tokens were issued: tests see a refresh happen
        self._clock = clock
        self._lock = threading.Lock()
        self._expiry: dict[str, float] = {}

    def issue(self, prefix: str) -> str:
        token = prefix + secrets.token_urlsafe(24)
        with self._lock:
            self._expiry[token] = self._clock() + self.lifetime
            self.granted += 1
        return token

    def valid(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and self._expiry.get(token, 0.0) > self._clock()

    def expire_all(self) -> None:
        """Every token issued so far stops working now (the next call answers 401)."""
        with self._lock:
            self._expiry = dict.fromkeys(self._expiry, 0.0)


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class Delivery:
    """What the receiving URL answered to a delivered webhook."""

    status: int
    body: str
    content_type: str


def deliver(
    url: str, headers: Mapping[str, str], body: bytes = b"", timeout: float = 10.0
) -> Delivery:
    """POSTs a webhook to `url` as the provider would; answers whatever came back."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Delivery(
                response.status,
                response.read().decode("utf-8", "replace"),
                response.headers.get("Content-Type", ""),
            )
    except urllib.error.HTTPError as error:
        return Delivery(
            error.code,
            error.read().decode("utf-8", "replace"),
            error.headers.get("Content-Type", ""),
        )


def push_later(send: Callable[[], object]) -> None:
    """Sends a notification from its own thread, as a provider does after the write that
    caused it (so the writer's answer never waits on the receiver, which may call back)."""

    def run() -> None:
        try:
            send()
        except Exception:  # a receiver that is down misses it, as with the real provider
            logging.getLogger(__name__).warning("push notification not delivered", exc_info=True)

    threading.Thread(target=run, name="provider-push", daemon=True).start()
