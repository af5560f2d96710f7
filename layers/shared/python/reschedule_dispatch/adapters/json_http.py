"""The HTTP exchange every outside JSON API call goes through (SendGrid, Slack and the
scheduling providers), on urllib3, which botocore already brings into every function.

This module keeps the plumbing in one place: the endpoint check, one pool of kept-alive
connections per container, gzip, reading error bodies, Retry-After.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import urllib3

from reschedule_dispatch.domain.errors import MessagingUnavailable

USER_AGENT = "reschedule-dispatch"


# An answer's headers (urllib3's HTTPHeaderDict: looked up without regard to case).
Headers = Mapping[str, str]


def endpoint(api_base_url: str | None, default_origin: str, path: str) -> str:
    """The URL to call; only http(s)."""
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
) -> tuple[int, Headers, bytes]:
    """POSTs `payload`; answers (status, headers, body) for any HTTP answer, 2xx or not.

    Only a failure to get an answer at all (refused, timed out, reset) raises, as
    MessagingUnavailable with the `unreachable` message.
    """
    return exchange(
        "POST",
        url,
        json.dumps(payload).encode("utf-8"),
        {
            "Authorization": f"Bearer {bearer}",
            "Content-Type": content_type,
            "Accept": "application/json",
        },
        timeout,
        MessagingUnavailable(unreachable),
    )


# One pool of kept-alive connections (and one TLS context) per container, for every
# outside HTTP API: a provider sync's hundred calls reuse a handful of connections.
_POOL: urllib3.PoolManager | None = None


def _pool() -> urllib3.PoolManager:
    global _POOL
    if _POOL is None:
        _POOL = urllib3.PoolManager(num_pools=16, maxsize=8, block=False)
    return _POOL


def exchange(
    method: str,
    url: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
    unreachable: Exception,
) -> tuple[int, Headers, bytes]:
    """Sends one request; answers (status, headers, body) for any HTTP answer, 2xx or not.

    Pooled and gzip-compressed both ways it can be (answers are decompressed here); no
    redirect is followed (a bearer token goes only where it was meant to) and nothing is
    retried here (the caller knows what is safe to repeat). Only a failure to get an answer
    at all (refused, timed out, reset) raises `unreachable`.
    """
    try:
        answer = _pool().request(
            method,
            url,
            body=body,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **headers},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.HTTPError as error:  # refused, timed out, reset, bad answer
        raise unreachable from error
    return answer.status, answer.headers, answer.data


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (e.g. a proxy's HTML page)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def retry_after_seconds(headers: Headers, now: float | None = None) -> int | None:
    """Whole seconds to wait, from Retry-After (seconds or an HTTP date) or, as SendGrid
    sends on 429s, X-RateLimit-Reset (the Unix time the limit resets); None if neither."""
    # wall clock: a Retry-After date or a reset time is waited out in real seconds
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
