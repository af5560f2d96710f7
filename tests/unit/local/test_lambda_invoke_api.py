"""The local Lambda Invoke API: synchronous invocations answer the result; asynchronous ones
(InvocationType Event) are accepted at once and run after, as in Lambda."""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.test import Client

from local.lambda_runtime import LambdaInvokeApi


class RecordingRuntime:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.called = threading.Event()
        self.release = threading.Event()

    def invoke(self, name: str, event: Any) -> Any:
        self.release.wait(5)
        self.calls.append((name, event))
        self.called.set()
        return {"echo": event}


def _client(runtime: RecordingRuntime) -> Client:
    return Client(LambdaInvokeApi(runtime, fallback=None))  # type: ignore[arg-type]


def test_a_request_response_invocation_answers_the_result():
    runtime = RecordingRuntime()
    runtime.release.set()
    response = _client(runtime).post(
        "/2015-03-31/functions/send-link/invocations", data=json.dumps({"a": 1})
    )
    assert response.status_code == 200
    assert response.json == {"echo": {"a": 1}}


def test_an_event_invocation_is_accepted_before_it_runs():
    runtime = RecordingRuntime()
    response = _client(runtime).post(
        "/2015-03-31/functions/send-link/invocations",
        data=json.dumps({"suggested_send": {"appointment_id": "a-1"}}),
        headers={"X-Amz-Invocation-Type": "Event"},
    )
    # Accepted while the function has not run yet (it waits for `release`)
    assert response.status_code == 202
    assert runtime.calls == []
    runtime.release.set()
    assert runtime.called.wait(5)
    assert runtime.calls == [("send-link", {"suggested_send": {"appointment_id": "a-1"}})]
