"""HTTP for the scheduling-provider adapters: OAuth2 access tokens and JSON calls, with urllib.

Google Calendar, Microsoft Graph and ServiceTitan are all JSON over HTTPS behind an OAuth2
bearer token, and they fail in the same ways, so one client maps the answers to the
provider's typed errors once:

* 401 → the token is refreshed once and the call repeated; a second 401, or a 403 →
  ProviderUnauthorized
* 404, 410 → NotFound;  409, 412 → AppointmentChanged (changed elsewhere)
* 429 → ProviderRateLimited with the Retry-After seconds (also Google's 403 with the reason
  rateLimitExceeded or userRateLimitExceeded: Google answers some rate limits with a 403)
* 5xx, timeouts, refused connections → ProviderUnavailable (the caller may retry)
* any other 4xx → ProviderError with the provider's own message

The exchange itself is json_http's: one pool of kept-alive connections per container, gzip.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn, Protocol

from reschedule_dispatch.adapters.json_http import (
    Headers,
    endpoint,
    exchange,
    json_object,
    retry_after_seconds,
)
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    DomainError,
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
)
from reschedule_dispatch.tracing import outside_call

# A token is renewed this long before the provider says it expires, so that a call never
# leaves with a token that lapses on the way (capped at half the lifetime for short ones).
EXPIRY_MARGIN_SECONDS = 60.0

Query = Mapping[str, str | int | Sequence[str]]
# A read answered 429 or 5xx is tried this many times in all, waiting at most this long
# between tries; longer Retry-Afters go back to the caller as ProviderRateLimited.
READ_ATTEMPTS = 3
MAX_RETRY_WAIT_SECONDS = 2.0


class TokenSource(Protocol):
    def token(self, *, refresh: bool = False) -> str:
        """A bearer token; `refresh` asks for a new one (the provider refused the last)."""
        ...


class OAuthTokens:
    """Access tokens from an OAuth2 token endpoint, cached until shortly before they expire.

    `form` is the grant as the provider documents it, e.g. {"grant_type": "refresh_token",
    "refresh_token": ..., "client_id": ..., "client_secret": ...} or a client-credentials
    grant with its "scope". It is POSTed x-www-form-urlencoded.
    """

    def __init__(
        self,
        token_url: str,
        form: Mapping[str, str],
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = endpoint(token_url, token_url, "")
        self._form = dict(form)
        self._headers = dict(headers or {})
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._renew_at = 0.0

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or self._access_token is None or self._clock() >= self._renew_at:
                self._access_token, lifetime = self._grant()
                self._renew_at = self._clock() + lifetime - min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
            return self._access_token

    def _grant(self) -> tuple[str, float]:
        unreachable = ProviderUnavailable("The token endpoint could not be reached.")
        status, headers, body = exchange(
            "POST",
            self._url,
            urllib.parse.urlencode(self._form).encode("ascii"),
            {
                **self._headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            self._timeout,
            unreachable,
        )
        answer = json_object(body) or {}
        if status >= 300:
            _refused_grant(status, headers, answer)
        access_token = answer.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProviderUnavailable("The token endpoint answered without an access token.")
        return access_token, _lifetime(answer.get("expires_in"))


def _lifetime(expires_in: object) -> float:
    # expires_in is RECOMMENDED, not required (RFC 6749 §5.1), and some send a string;
    # without one, an hour (the common lifetime) and a 401 refreshes it sooner if need be.
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return max(seconds, 0.0)


def _refused_grant(status: int, headers: Headers, answer: dict[str, Any]) -> NoReturn:
    """The error for a token endpoint's non-2xx answer (RFC 6749 §5.2 error bodies)."""
    reason = _message(answer) or f"HTTP {status}"
    if status == 429:
        raise ProviderRateLimited(
            f"The token endpoint is rate limiting us ({reason}).", retry_after_seconds(headers)
        )
    if status >= 500:
        raise ProviderUnavailable(f"The token endpoint answered {status}.")
    # invalid_grant (a revoked refresh token), invalid_client (a wrong secret) and the like:
    # retrying cannot help; somebody has to reconnect the provider.
    raise ProviderUnauthorized(f"The token endpoint refused our credentials ({reason}).")


class ProviderHttp:
    """JSON calls to one provider's API with a bearer token from `tokens`.

    Args:
        base_url: the API's root, e.g. "https://www.googleapis.com/calendar/v3" or a local
            fake's URL; paths are appended to it.
        tokens: where bearer tokens come from (refreshed once on a 401).
        provider: the provider's name for error messages ("Google Calendar answered …").
        headers: sent on every call (e.g. ServiceTitan's ST-App-Key).
    """

    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        provider: str,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = endpoint(base_url, base_url, "")
        self._sleep = sleep
        self._tokens = tokens
        self._provider = provider
        self._headers = dict(headers or {})
        self._timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, Headers]:
        """Calls `path` (or a full URL under base_url, e.g. a paging link); answers the
        parsed JSON body (None when empty) and the response headers, or raises a typed error.
        """
        url = self._url(path, query)
        data = None if json_body is None else json.dumps(json_body).encode("utf-8")
        # A read is safe to repeat: a 429 or 5xx is tried again after a short wait (the
        # provider's Retry-After when it gives one). A longer wait, and any write, is left to
        # the caller (the workflow's retries, the next sync).
        attempts = READ_ATTEMPTS if method.upper() == "GET" else 1
        for attempt in range(attempts):
            status, answer_headers, body = self._send(method, url, data, headers, refresh=False)
            if status == 401:
                status, answer_headers, body = self._send(method, url, data, headers, refresh=True)
            if status < 300:
                return self._parse(body), answer_headers
            wait = self._retry_wait(status, answer_headers, attempt)
            if wait is None or attempt == attempts - 1:
                break
            self._sleep(wait)
        raise self._error(status, answer_headers, body)

    @staticmethod
    def _retry_wait(status: int, headers: Headers, attempt: int) -> float | None:
        if status != 429 and status < 500:
            return None
        told = retry_after_seconds(headers)
        wait = float(told) if told is not None else 0.2 * 2**attempt * (0.5 + random.random())  # noqa: S311
        return wait if wait <= MAX_RETRY_WAIT_SECONDS else None

    def _url(self, path: str, query: Query | None) -> str:
        if path.startswith(("https://", "http://")):
            # Paging links are absolute; the bearer token only ever goes to base_url.
            if not path.startswith(self._base + "/"):
                raise ProviderError(f"{self._provider} sent a link outside its API.")
            url = path
        else:
            url = self._base + "/" + path.lstrip("/")
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query, doseq=True)
        return url

    def _send(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        *,
        refresh: bool,
    ) -> tuple[int, Headers, bytes]:
        all_headers = {
            **self._headers,
            **(headers or {}),
            "Authorization": f"Bearer {self._tokens.token(refresh=refresh)}",
            "Accept": "application/json",
        }
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        unreachable = ProviderUnavailable(f"{self._provider} could not be reached.")
        with outside_call(self._provider, method.upper(), urllib.parse.urlsplit(url).netloc):
            return exchange(method.upper(), url, data, all_headers, self._timeout, unreachable)

    def _error(self, status: int, headers: Headers, body: bytes) -> DomainError:
        answer = json_object(body) or {}
        said = _message(answer)
        answered = f"{self._provider} answered {status}" + (f": {said}" if said else ".")
        if status == 429 or (status == 403 and _rate_limit_reason(answer)):
            return ProviderRateLimited(answered, retry_after_seconds(headers))
        if status in (401, 403):
            return ProviderUnauthorized(answered)
        if status in (404, 410):
            return NotFound(answered)
        if status in (409, 412):
            return AppointmentChanged(answered)
        if status >= 500:
            return ProviderUnavailable(answered)
        return ProviderError(answered)

    def _parse(self, body: bytes) -> Any:
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise ProviderError(
                f"{self._provider} answered with a body that is not JSON."
            ) from None


def _rate_limit_reason(answer: Mapping[str, Any]) -> bool:
    """Whether a Google error body gives a rate limit as its reason (error.errors[].reason)."""
    error = answer.get("error")
    details = error.get("errors") if isinstance(error, Mapping) else None
    if not isinstance(details, list):
        return False
    reasons = {d.get("reason") for d in details if isinstance(d, Mapping)}
    return bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})


def _message(answer: Mapping[str, Any]) -> str:
    """The provider's own words from an error body, in the shapes these APIs document.

    Google and Graph: {"error": {"code", "message"}}; OAuth2: {"error": "invalid_grant",
    "error_description": ...}; ServiceTitan (RFC 7807): {"title", "detail"}.
    """
    error = answer.get("error")
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("code") or "")
    if isinstance(error, str):
        description = answer.get("error_description")
        return f"{error}: {description}" if description else error
    for key in ("detail", "title", "message"):
        if isinstance(answer.get(key), str) and answer[key]:
            return str(answer[key])
    return ""
