"""The one HTTP POST the JSON-over-HTTPS adapters (SendGrid, Slack) make, with urllib.

The standard library keeps the Lambda dependency layer small; this module keeps the
plumbing in one place: the endpoint check, the exchange (which provider_http sends its
calls through too), reading error bodies, Retry-After.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any

from reschedule_dispatch.domain.errors import MessagingUnavailable

USER_AGENT = "reschedule-dispatch"


def endpoint(api_base_url: str | None, default_origin: str, path: str) -> str:
    """The URL to POST to; only http(s), since urlopen also opens file:// and ftp://."""
    base = (api_base_url or default_origin).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ValueError("api_base_url must be an http(s) URL")
    return base + path


def post_json(
    url: str,
    bearer: str,
    payload: dict[str, Any],
    timeout: float,
    *,
    unreachable: str,
    content_type: str = "application/json",
) -> tuple[int, Message, bytes]:
    """POSTs `payload`; answers (status, headers, body) for any HTTP answer, 2xx or not.

    Only a failure to get an answer at all (refused, timed out, reset) raises, as
    MessagingUnavailable with the `unreachable` message.
    """
    request = urllib.request.Request(  # noqa: S310  # the scheme is checked by endpoint()
        url,
        data=json.dumps(payload).encode("utf-8"),
        method="POST",
        headers={
            "Authorization": f"Bearer {bearer}",
            "Content-Type": content_type,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        },
    )
    return exchange(request, timeout, MessagingUnavailable(unreachable))


def exchange(
    request: urllib.request.Request, timeout: float, unreachable: Exception
) -> tuple[int, Message, bytes]:
    """Sends `request`; answers (status, headers, body) for any HTTP answer, 2xx or not.

    Only a failure to get an answer at all (refused, timed out, reset) raises `unreachable`.
    """
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:  # a non-2xx answer: its body says why
        try:
            body = error.read()
        except (OSError, http.client.HTTPException):
            body = b""
        return error.code, error.headers, body
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
        raise unreachable from error


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (e.g. a proxy's HTML page)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def retry_after_seconds(headers: Message, now: float | None = None) -> int | None:
    """Whole seconds to wait, from Retry-After (seconds or an HTTP date) or, as SendGrid
    sends on 429s, X-RateLimit-Reset (the Unix time the limit resets); None if neither."""
    current = time.time() if now is None else now
    retry_after = (headers.get("Retry-After") or "").strip()
    if retry_after.isdigit():
        return int(retry_after)
    if retry_after:
        try:
            return max(0, round(parsedate_to_datetime(retry_after).timestamp() - current))
        except (TypeError, ValueError):
            pass
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    if reset.isdigit():
        return max(0, int(reset) - int(current))
    return None
