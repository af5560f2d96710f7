"""In the local stack every function shares one process and the gateway's threads run
different functions at once. Powertools keeps the event being resolved on a class attribute
(one per process), so without local/lambda_runtime.py's isolation a dispatcher's request read
a webhook's event mid-way: no claims, 401, "Your session has ended" in the console."""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from local.lambda_runtime import isolate_powertools_events

NO_CONTEXT: Any = None  # the handlers here read none


def proxy_event(method: str, path: str, claims: dict[str, str] | None) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {},
        "requestContext": {
            "authorizer": {"claims": claims} if claims else {},
            "stage": "local",
            "path": path,
        },
        "body": None,
        "isBase64Encoded": False,
    }


def test_a_request_keeps_its_own_event_while_another_function_resolves_one():
    isolate_powertools_events()
    isolate_powertools_events()  # idempotent: every runtime calls it
    dispatcher_api, webhooks = APIGatewayRestResolver(), APIGatewayRestResolver()
    started, webhook_done = threading.Event(), threading.Event()

    @dispatcher_api.get("/api/me")
    def me() -> dict[str, Any]:
        started.set()
        assert webhook_done.wait(5)  # the webhook is resolved on another thread meanwhile
        claims = dispatcher_api.current_event.request_context.authorizer.claims or {}
        return {"email": claims.get("email"), "path": dispatcher_api.current_event.path}

    @webhooks.post("/webhooks/twilio/status")
    def status() -> dict[str, Any]:
        return {}

    answers: list[dict[str, Any]] = []
    request = threading.Thread(
        target=lambda: answers.append(
            dispatcher_api.resolve(proxy_event("GET", "/api/me", {"email": "d@x"}), NO_CONTEXT)
        )
    )
    request.start()
    assert started.wait(5)

    # When a webhook without claims is resolved while the dispatcher's request is in its handler
    webhooks.resolve(proxy_event("POST", "/webhooks/twilio/status", None), NO_CONTEXT)
    webhook_done.set()
    request.join(5)

    # Then the dispatcher's request still reads its own event
    assert json.loads(answers[0]["body"]) == {"email": "d@x", "path": "/api/me"}
    # And on this thread, the webhook's event is the current one (read on the class too)
    assert BaseRouter.current_event.path == "/webhooks/twilio/status"
    assert webhooks.current_event.path == "/webhooks/twilio/status"
