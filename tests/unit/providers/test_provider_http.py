"""provider_http against a scripted server on a real socket: tokens, calls, error mapping."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from werkzeug.wrappers import Request, Response

from reschedule_dispatch.adapters.provider_http import READ_ATTEMPTS, OAuthTokens, ProviderHttp
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
)
from tests.serving import free_port, serve


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ScriptedServer:
    """Answers /token with numbered tokens (or scripted answers), anything else with the
    scripted answers in order (200 {} when none is left); records every request."""

    def __init__(self) -> None:
        self.token_answers: list[Answer] = []
        self.answers: list[Answer] = []
        self.requests: list[Request] = []
        self.bodies: list[bytes] = []
        self.grants = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.requests.append(request)
        if request.path == "/token":
            self.grants += 1
            answer = (
                self.token_answers.pop(0)
                if self.token_answers
                else Answer(body={"access_token": f"token-{self.grants}", "expires_in": 3600})
            )
        else:
            answer = self.answers.pop(0) if self.answers else Answer(body={})
        body = "" if answer.body is None else json.dumps(answer.body)
        response = Response(body, answer.status, answer.headers, content_type="application/json")
        return response(environ, start_response)

    def api_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path != "/token"]


@pytest.fixture
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture
def url(server: ScriptedServer) -> Iterator[str]:
    with serve(server) as url:
        yield url


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens(url: str, clock: FakeClock) -> OAuthTokens:
    return OAuthTokens(
        f"{url}/token",
        {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret"},
        headers={"X-Tenant": "acme"},
        timeout=5,
        clock=clock,
    )


@pytest.fixture
def http(url: str, tokens: OAuthTokens) -> ProviderHttp:
    return ProviderHttp(
        f"{url}/api/",
        tokens,
        provider="Acme Calendar",
        headers={"X-App-Key": "k"},
        timeout=5,
        sleep=lambda _: None,  # a retried read does not wait here
    )


# -- OAuthTokens -----------------------------------------------------------------------------


def test_the_grant_is_posted_as_a_form_and_the_token_cached_until_near_expiry(
    tokens, server, clock
):
    first = tokens.token()
    clock.now += 3600 - 61  # still more than the renewal margin left
    cached = tokens.token()
    clock.now += 2  # inside the margin: renew before it lapses
    renewed = tokens.token()

    assert (first, cached, renewed) == ("token-1", "token-1", "token-2")
    grant = server.requests[0]
    assert grant.method == "POST"
    assert grant.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert grant.headers["X-Tenant"] == "acme"
    assert server.bodies[0] == b"grant_type=client_credentials&client_id=app&client_secret=s3cret"


def test_refresh_forces_a_new_token(tokens):
    assert tokens.token() == "token-1"
    assert tokens.token(refresh=True) == "token-2"
    assert tokens.token() == "token-2"


def test_a_short_lived_token_is_renewed_halfway(tokens, server, clock):
    server.token_answers.append(Answer(body={"access_token": "short", "expires_in": 60}))
    assert tokens.token() == "short"
    clock.now += 31

    assert tokens.token() == "token-2"


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (Answer(400, {"error": "invalid_grant", "error_description": "revoked"}),
         ProviderUnauthorized, "invalid_grant: revoked"),
        (Answer(401, {"error": "invalid_client"}), ProviderUnauthorized, "invalid_client"),
        (Answer(503, {"error": "temporarily_unavailable"}), ProviderUnavailable, "503"),
        (Answer(429, {}, {"Retry-After": "9"}), ProviderRateLimited, "rate limiting"),
        (Answer(200, {"token_type": "Bearer"}), ProviderUnavailable, "without an access token"),
    ],
)  # fmt: skip
def test_token_endpoint_answers_map_to_typed_errors(tokens, server, answer, error, words):
    server.token_answers.append(answer)

    with pytest.raises(error, match=words):
        tokens.token()


def test_an_unreachable_token_endpoint_is_unavailable():
    tokens = OAuthTokens(f"http://127.0.0.1:{free_port()}/token", {"grant_type": "x"}, timeout=2)

    with pytest.raises(ProviderUnavailable):
        tokens.token()


def test_only_http_urls_are_accepted(tokens):
    with pytest.raises(ValueError, match="http"):
        OAuthTokens("file:///etc/passwd", {})
    with pytest.raises(ValueError, match="http"):
        ProviderHttp("ftp://example.com", tokens, provider="x")


# -- ProviderHttp ----------------------------------------------------------------------------


def test_a_call_sends_the_bearer_json_and_query_and_answers_body_and_headers(http, server):
    server.answers.append(Answer(200, {"id": "e1"}, {"ETag": '"v2"'}))

    body, headers = http.request(
        "patch",
        "/calendars/c1/events/e1",
        query={"sendUpdates": "none", "n": 3, "fields": ["id", "etag"]},
        json_body={"summary": "Moved"},
        headers={"If-Match": '"v1"'},
    )

    assert body == {"id": "e1"}
    assert headers["ETag"] == '"v2"'
    request = server.api_requests()[0]
    assert request.method == "PATCH"
    assert request.path == "/api/calendars/c1/events/e1"
    assert request.args.getlist("fields") == ["id", "etag"]
    assert (request.args["sendUpdates"], request.args["n"]) == ("none", "3")
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["If-Match"] == '"v1"'
    assert request.headers["X-App-Key"] == "k"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(server.bodies[-1]) == {"summary": "Moved"}


def test_an_empty_answer_is_none(http, server):
    server.answers.append(Answer(204))

    assert http.request("DELETE", "/things/1")[0] is None


def test_a_401_refreshes_the_token_once_and_repeats_the_call(http, server):
    server.answers += [Answer(401, {"error": {"message": "expired"}}), Answer(200, {"ok": True})]

    body, _ = http.request("GET", "/things")

    assert body == {"ok": True}
    assert [r.headers["Authorization"] for r in server.api_requests()] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_a_second_401_is_unauthorized_without_a_loop(http, server):
    server.answers += [Answer(401, {}), Answer(401, {"error": {"message": "nope"}})]

    with pytest.raises(ProviderUnauthorized, match="Acme Calendar answered 401: nope"):
        http.request("GET", "/things")

    assert server.grants == 2
    assert len(server.api_requests()) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, ProviderUnauthorized),
        (404, NotFound),
        (410, NotFound),
        (409, AppointmentChanged),
        (412, AppointmentChanged),
        (500, ProviderUnavailable),
        (502, ProviderUnavailable),
        (503, ProviderUnavailable),
        (400, ProviderError),
        (422, ProviderError),
    ],
)
def test_answers_map_to_typed_errors_with_the_providers_message(http, server, status, error):
    answer = Answer(status, {"error": {"code": status, "message": "It said why"}})
    server.answers.extend([answer] * READ_ATTEMPTS)  # a 5xx read is tried again

    with pytest.raises(error, match=f"Acme Calendar answered {status}: It said why") as raised:
        http.request("GET", "/things")

    assert type(raised.value) is error  # not a broader or narrower kind


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"error": {"code": "ErrorItemNotFound", "message": "Not in the store."}}, "Not in the store."),
        ({"error": "invalid_request", "error_description": "Bad form"}, "invalid_request: Bad form"),
        ({"title": "Validation failed", "status": 400}, "Validation failed"),
        ({"detail": "Job is closed", "title": "Bad"}, "Job is closed"),
    ],
)  # fmt: skip
def test_error_messages_are_read_from_each_providers_shape(http, server, body, said):
    server.answers.append(Answer(400, body))

    with pytest.raises(ProviderError, match=said):
        http.request("GET", "/things")


def test_a_429_is_rate_limited_with_retry_after_seconds(http, server):
    server.answers.append(Answer(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}))

    with pytest.raises(ProviderRateLimited) as raised:
        http.request("GET", "/things")

    assert raised.value.retry_after_seconds == 7


def test_googles_403_rate_limit_reason_is_rate_limited(http, server):
    error = {"code": 403, "message": "Rate", "errors": [{"reason": "userRateLimitExceeded"}]}
    server.answers.append(Answer(403, {"error": error}))

    with pytest.raises(ProviderRateLimited):
        http.request("GET", "/things")


def test_a_success_that_is_not_json_is_an_error():
    with serve(lambda environ, start: Response("<html>", 200)(environ, start)) as html_url:
        other = ProviderHttp(html_url, StaticToken(), provider="Acme Calendar")

        with pytest.raises(ProviderError, match="not JSON"):
            other.request("GET", "/")


def test_paging_links_are_followed_only_under_the_base_url(http, server, url):
    body, _ = http.request("GET", f"{url}/api/things?page=2")

    assert body == {}
    assert server.api_requests()[0].args["page"] == "2"
    with pytest.raises(ProviderError, match="outside its API"):
        http.request("GET", "https://elsewhere.example/api/things")
    assert len(server.api_requests()) == 1


def test_a_provider_that_never_answers_is_unavailable():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        http = ProviderHttp(f"http://127.0.0.1:{port}", StaticToken(), provider="Slow", timeout=0.2)

        with pytest.raises(ProviderUnavailable, match="Slow could not be reached"):
            http.request("GET", "/things")


class KeepAliveHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, answering gzip when asked; records each request's client
    port (one per connection) and its Accept-Encoding."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[int, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.client_address[1], self.headers.get("Accept-Encoding", "")))
        body = json.dumps({"items": list(range(50))}).encode()
        gzipped = "gzip" in self.headers.get("Accept-Encoding", "")
        payload = gzip.compress(body) if gzipped else body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def keep_alive_peer() -> Iterator[str]:
    """A KeepAliveHandler server on a free port (its record cleared); yields its URL."""
    KeepAliveHandler.seen = []
    peer = ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveHandler)
    thread = threading.Thread(target=peer.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{peer.server_address[1]}"
    finally:
        peer.shutdown()
        thread.join()


def test_calls_reuse_one_kept_alive_connection_and_answers_come_gzipped():
    with keep_alive_peer() as base:
        client = ProviderHttp(base, StaticToken(), provider="Test")
        answers = [client.request("GET", "/events", query={"page": n})[0] for n in range(5)]
    assert all(a == {"items": list(range(50))} for a in answers)  # decompressed
    ports = {port for port, _ in KeepAliveHandler.seen}
    assert len(KeepAliveHandler.seen) == 5
    assert len(ports) == 1  # one connection for all five
    assert all("gzip" in encoding for _, encoding in KeepAliveHandler.seen)


class StaticToken:
    def token(self, *, refresh: bool = False) -> str:
        return "static"


def _retrying(url: str, tokens: OAuthTokens, waits: list[float]) -> ProviderHttp:
    return ProviderHttp(url, tokens, provider="Acme Calendar", sleep=waits.append)


def test_a_read_answered_503_is_tried_again_and_its_answer_returned(url, tokens, server):
    waits: list[float] = []
    server.answers += [Answer(503, {}), Answer(200, {"ok": True})]
    body, _ = _retrying(url, tokens, waits).request("GET", "/things")
    assert body == {"ok": True}
    assert len(server.api_requests()) == 2
    assert len(waits) == 1
    assert 0 < waits[0] <= 2.0


def test_a_read_told_to_wait_a_second_waits_that_second(url, tokens, server):
    waits: list[float] = []
    server.answers += [Answer(429, {}, {"Retry-After": "1"}), Answer(200, {"ok": True})]
    assert _retrying(url, tokens, waits).request("GET", "/things")[0] == {"ok": True}
    assert waits == [1.0]


def test_a_long_retry_after_and_a_write_go_back_to_the_caller_at_once(url, tokens, server):
    waits: list[float] = []
    http = _retrying(url, tokens, waits)
    server.answers += [Answer(429, {}, {"Retry-After": "30"})]
    with pytest.raises(ProviderRateLimited) as raised:
        http.request("GET", "/things")
    assert raised.value.retry_after_seconds == 30
    server.answers += [Answer(503, {})]
    with pytest.raises(ProviderUnavailable):
        http.request("PATCH", "/things/1", json_body={"a": 1})  # a write is not repeated here
    assert waits == []
    assert len(server.api_requests()) == 2
