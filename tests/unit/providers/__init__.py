"""Contract tests of the scheduling-provider adapters against local fakes of their APIs.

Shared here: a clock that stands still, an in-memory ProviderState, and a webhook receiver
that serves an adapter's parse_webhook over HTTP the way the API's webhook route will, so the
fakes deliver their notifications to a real URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from reschedule_dispatch.domain.errors import WebhookRejected
from reschedule_dispatch.domain.provider_events import WebhookOutcome, WebhookRequest


@dataclass(frozen=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


class MemoryState:
    """ProviderState in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put(self, key: str, value: str) -> None:
        self.values[key] = value


class WebhookReceiver:
    """A WSGI app answering like the webhook route: the adapter's reply, or 401/403."""

    def __init__(self, parse: Callable[[WebhookRequest], WebhookOutcome]) -> None:
        self._parse = parse
        self.outcomes: list[WebhookOutcome] = []
        self.rejections: list[WebhookRejected] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        webhook = WebhookRequest(
            method=request.method,
            url=request.url,
            headers={name.lower(): value for name, value in request.headers.items()},
            query=request.args.to_dict(),
            body=request.get_data(),
        )
        try:
            outcome = self._parse(webhook)
        except WebhookRejected as rejected:
            self.rejections.append(rejected)
            response = Response(str(rejected), status=rejected.status)
        else:
            self.outcomes.append(outcome)
            reply = outcome.reply
            response = Response(reply.body, status=reply.status, content_type=reply.content_type)
        return response(environ, start_response)

    def events(self) -> list[Any]:
        return [event for outcome in self.outcomes for event in outcome.events]
