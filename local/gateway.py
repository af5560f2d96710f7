"""A local API Gateway: HTTP requests in, the REST API's Lambda proxy events out.

Routes, methods and authorizers come from the synthesized template. Requests for the
Twilio sandbox and the dev pages are served beside the API, as separate hosts would be.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError
from werkzeug.http import http_date
from werkzeug.security import safe_join
from werkzeug.serving import WSGIRequestHandler
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.dev_auth import DEV_CLIENT_ID, DevTokens, RefreshRefused
from local.function_faults import FunctionFaultRule
from local.lambda_runtime import FunctionError, LocalLambdaRuntime
from local.openapi import openapi_json
from local.provider_events import ApplyEvent, DevProviderEvent
from local.provider_faults import FaultPlan, FaultRule
from local.sandbox_base import Sandbox
from local.template import Route
from reschedule_dispatch.domain.messages import mask_private

logger = logging.getLogger("local.gateway")

TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")

# The dispatcher console (console/), served as CloudFront serves it in AWS: static files, the
# same security headers, and a config.json that points it at this gateway with dev sign-in.
CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
# devClock: the local stack's settable clock; the console follows it and says so (a banner).
CONSOLE_CONFIG = {"apiBaseUrl": "", "auth": "dev", "devClock": "/dev/clock"}
# Only these are served (werkzeug adds "; charset=utf-8" to the text types).
CONSOLE_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}
CONSOLE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# The API's OpenAPI document (generated from the handlers' resolvers) and Swagger UI for it,
# vendored from npm (swagger-ui-dist): the page loads nothing from any other host.
SWAGGER_UI_DIR = Path(__file__).resolve().parents[1] / "node_modules" / "swagger-ui-dist"
SWAGGER_UI_FILES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
SWAGGER_UI_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8>"
    "<meta name=viewport content='width=device-width, initial-scale=1'>"
    "<title>Reschedule Dispatch API</title>"
    "<link rel=icon href=/docs/favicon-32x32.png>"
    "<link rel=stylesheet href=/docs/swagger-ui.css>"
    "<div id=swagger-ui></div>"
    "<script src=/docs/swagger-ui-bundle.js></script>"
    "<script src=/docs/start.js></script>"
)
# No validator badge: it would send the document to a third-party host.
SWAGGER_UI_START = (
    'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", '
    "validatorUrl: null, deepLinking: true});\n"
)
SWAGGER_UI_HEADERS = {
    **CONSOLE_HEADERS,
    # Swagger UI sets inline styles; everything else only from here.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
}


def _invalid(message: str, error: ValidationError) -> Response:
    """422 with pydantic's details, as the API answers an invalid body."""
    return _json(
        422, {"message": message, "detail": error.errors(include_url=False, include_context=False)}
    )


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _token_response(status: int, body: dict[str, Any]) -> Response:
    """Tokens are never cached (RFC 6749 5.1)."""
    response = _json(status, body)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _oauth_error(error: str, description: str) -> Response:
    return _token_response(400, {"error": error, "error_description": description})


class LocalGateway:
    def __init__(
        self,
        routes: list[Route],
        runtime: LocalLambdaRuntime,
        tokens: DevTokens,
        sandboxes: Sequence[Sandbox],
        faults: FaultPlan | None = None,
        provider_events: ApplyEvent | None = None,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        self._provider_events = provider_events
        self._clock = clock
        self._routes = routes
        self._runtime = runtime
        self._tokens = tokens
        self._sandboxes = sandboxes
        self._faults = faults or FaultPlan()
        self.ready = threading.Event()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for sandbox in self._sandboxes:  # Twilio, SendGrid, Slack: as separate hosts would be
            if sandbox.handles(path):
                return sandbox(environ, start_response)
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path == "/health":
            if self.ready.is_set():
                return _json(200, {"status": "ok"})
            return _json(503, {"status": "starting"})
        if request.path == "/dev/token":
            return self._dev_token(request)
        if request.path == "/oauth2/token":
            return self._oauth2_token(request)
        if request.path == "/oauth2/revoke":
            return self._oauth2_revoke(request)
        if request.path == "/dev/provider-faults":
            return self._provider_faults(request)
        if request.path == "/dev/function-faults":
            return self._function_faults(request)
        if request.path == "/dev/provider-events" and self._provider_events:
            return self._provider_event(request)
        if request.path == "/" and request.method == "GET":
            return redirect("/console/", code=302)
        if request.path in ("/dev", "/dev/") and request.method == "GET":
            return self._index(request)
        if request.path == "/console" or request.path.startswith("/console/"):
            return _console(request)
        if request.path == "/openapi.json" and request.method in ("GET", "HEAD"):
            response = Response(_openapi_json(), mimetype="application/json")
            response.headers["Cache-Control"] = "no-cache"
            return response
        if request.path == "/docs" or request.path.startswith("/docs/"):
            return _swagger_ui(request)
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match and route.method in (request.method, "ANY"):
                return self._invoke(route, match.groupdict(), request)
        # What API Gateway answers for a path or method it does not have.
        return _json(403, {"message": "Missing Authentication Token"})

    def _dev_token(self, request: Request) -> Response:
        """The dev sign-in: `token` (the ID token, for scripts) and what Cognito's token
        endpoint answers a sign-in (the console keeps the refresh token and checks `nonce`)."""
        email = request.args.get("dispatcher", "").strip()
        if not email:
            return _json(400, {"message": "Add ?dispatcher=<email of a seeded dispatcher>."})
        tokens = self._tokens.sign_in(email, request.args.get("nonce") or None)
        if tokens is None:
            return _json(404, {"message": f"No seeded dispatcher has the email {email!r}."})
        return _token_response(200, {"token": tokens.id_token, **tokens.response()})

    def _oauth2_token(self, request: Request) -> Response:
        """Cognito's token endpoint, for the refresh grant the console uses: a form-encoded
        POST of grant_type=refresh_token, client_id (the console's, a public client: no
        secret) and refresh_token; the OAuth errors Cognito answers (400 invalid_grant when
        the sign-in has ended: expired, replayed past the grace, revoked or unknown)."""
        if request.method != "POST":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        if request.mimetype != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_request", "Send the form as x-www-form-urlencoded.")
        if request.form.get("client_id") != DEV_CLIENT_ID:
            return _oauth_error("invalid_client", f"Locally the client_id is {DEV_CLIENT_ID!r}.")
        grant_type = request.form.get("grant_type", "")
        if grant_type != "refresh_token":
            return _oauth_error(
                "unsupported_grant_type", "Locally only grant_type=refresh_token is served."
            )
        refresh_token = request.form.get("refresh_token", "")
        if not refresh_token:
            return _oauth_error("invalid_request", "refresh_token is missing.")
        try:
            tokens = self._tokens.refresh(refresh_token)
        except RefreshRefused as refused:
            return _oauth_error("invalid_grant", str(refused))
        return _token_response(200, tokens.response())

    def _oauth2_revoke(self, request: Request) -> Response:
        """Cognito's revocation endpoint: ends the sign-in of the refresh token (sign-out)."""
        if request.method != "POST":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        token = request.form.get("token", "")
        if not token:
            return _oauth_error("invalid_request", "token is missing.")
        self._tokens.revoke(token)
        return _token_response(200, {})

    def _provider_faults(self, request: Request) -> Response:
        return _armed_faults(request, self._faults, FaultRule)

    def _function_faults(self, request: Request) -> Response:
        return _armed_faults(request, self._runtime.faults, FunctionFaultRule)

    def _provider_event(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("Method Not Allowed", status=405, headers={"Allow": "POST"})
        assert self._provider_events is not None
        try:
            body = DevProviderEvent.model_validate_json(request.get_data())
        except ValidationError as error:
            return _invalid("Invalid provider event.", error)
        self._provider_events(body.event())
        return _json(202, {"received": body.model_dump(mode="json")})

    def _index(self, request: Request) -> Response:
        base = request.host_url.rstrip("/")
        links = [
            ("Dispatcher console", f"{base}/console/"),
            ("Phone inboxes (the Twilio sandbox)", f"{base}/dev/phone"),
            ("Mailboxes (the SendGrid sandbox)", f"{base}/dev/inbox"),
            ("Staff channel (the Slack sandbox)", f"{base}/dev/slack/page"),
            ("A dispatcher token", f"{base}/dev/token?dispatcher=dana@northside.example"),
            ("API reference (Swagger UI)", f"{base}/docs"),
            ("Health", f"{base}/health"),
        ]
        items = "".join(f'<li><a href="{escape(u)}">{escape(t)}</a></li>' for t, u in links)
        html = (
            "<!doctype html><meta charset=utf-8><title>Reschedule Dispatch (local)</title>"
            "<style>body{font:16px system-ui;max-width:40rem;margin:2rem auto}</style>"
            f"<h1>Reschedule Dispatch — local stack</h1><ul>{items}</ul>"
            "<p>API routes: "
            + ", ".join(escape(f"{r.method} {r.path}") for r in self._routes)
            + "</p>"
        )
        return Response(html, mimetype="text/html")

    def _invoke(self, route: Route, path_parameters: dict[str, str], request: Request) -> Response:
        claims = None
        if route.authorization == "COGNITO_USER_POOLS":
            header = request.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip()
            claims = self._tokens.verify(token) if token else None
            if claims is None:
                return _json(401, {"message": "Unauthorized"})
        if route.function is None:
            return _json(200, {"status": "ok"})
        event = proxy_event(route, path_parameters, request, claims, self._clock())
        started = time.perf_counter()
        try:
            result = self._runtime.invoke(route.function, event)
        except FunctionError:
            # API Gateway's answer when the function itself fails.
            return _json(502, {"message": "Internal server error"})
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.info(
                "%s %s -> %s (%.0f ms)",
                request.method,
                mask_private(request.path),  # a customer's path is their link
                route.function,
                elapsed,
            )
        return _response(result)


def dated_by(clock: Callable[[], datetime]) -> type[WSGIRequestHandler]:
    """The server's request handler, dating every answer (its Date header) by `clock`, as
    AWS's would be by its own: the local stack's clock may be set (/dev/clock)."""

    class Dated(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            if timestamp is not None:
                return super().date_time_string(timestamp)
            return http_date(clock())

    return Dated


class _Plan(Protocol):
    def add(self, rule: Any) -> None: ...

    def clear(self) -> None: ...

    def armed(self) -> list[dict[str, Any]]: ...


def _armed_faults(request: Request, plan: _Plan, kind: type[BaseModel]) -> Response:
    """GET lists what is armed, POST arms one more rule, DELETE disarms them all."""
    if request.method == "DELETE":
        plan.clear()
        return _json(200, {"armed": []})
    if request.method == "POST":
        try:
            rule = kind.model_validate_json(request.get_data())
        except ValidationError as error:
            return _invalid("Invalid fault rule.", error)
        plan.add(rule)
        return _json(201, {"armed": plan.armed()})
    return _json(200, {"armed": plan.armed()})


def _console(request: Request) -> Response:
    """A console file, or its config.json; never anything outside console/."""
    if request.method not in ("GET", "HEAD"):
        return Response("Method Not Allowed", status=405, headers={"Allow": "GET, HEAD"})
    if request.path == "/console":
        return redirect("/console/", code=302)
    relative = request.path.removeprefix("/console/") or "index.html"
    if relative == "config.json":
        response = _json(200, CONSOLE_CONFIG)
        response.headers["Cache-Control"] = "no-store"
        return response
    # safe_join refuses "..", absolute paths and other escapes out of the directory.
    path = safe_join(str(CONSOLE_DIR), relative)
    content_type = CONSOLE_TYPES.get(Path(relative).suffix.lower())
    if path is None or content_type is None or not Path(path).is_file():
        return Response("Not Found", status=404, mimetype="text/plain")
    response = send_file(
        path, request.environ, mimetype=content_type, max_age=0, conditional=True, etag=True
    )
    # Revalidate every load (a 304 when unchanged): edits show up without a hard reload.
    response.headers["Cache-Control"] = "no-cache"
    for added in ("Content-Disposition", "Expires", "Date"):  # the server sets its own Date
        response.headers.pop(added, None)
    response.headers.update(CONSOLE_HEADERS)
    return response


@cache
def _openapi_json() -> str:
    """Generated once, on first request: the handlers are imported by then (cold start)."""
    return openapi_json()


def _swagger_ui(request: Request) -> Response:
    """/docs: Swagger UI's page, its start script and its files from node_modules."""
    if request.method not in ("GET", "HEAD"):
        return Response("Method Not Allowed", status=405, headers={"Allow": "GET, HEAD"})
    name = request.path.removeprefix("/docs").removeprefix("/")
    if name == "":
        response = Response(SWAGGER_UI_PAGE, mimetype="text/html")
    elif name == "start.js":
        response = Response(SWAGGER_UI_START, mimetype="text/javascript")
    elif name in SWAGGER_UI_FILES and (SWAGGER_UI_DIR / name).is_file():
        response = send_file(
            SWAGGER_UI_DIR / name,
            request.environ,
            mimetype=SWAGGER_UI_FILES[name],
            max_age=0,
            conditional=True,
            etag=True,
        )
    elif name in SWAGGER_UI_FILES:
        return Response(
            "Swagger UI is not installed: run `make install` (npm ci).",
            status=404,
            mimetype="text/plain",
        )
    else:
        return Response("Not Found", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(SWAGGER_UI_HEADERS)
    return response


def proxy_event(
    route: Route,
    path_parameters: dict[str, str],
    request: Request,
    claims: dict[str, Any] | None,
    received: datetime | None = None,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event API Gateway would send for this request."""
    raw = request.get_data()
    is_text = not raw or any(request.mimetype.startswith(t) for t in TEXT_TYPES)
    headers = dict(request.headers.items())
    headers.setdefault("X-Forwarded-Proto", request.scheme)
    multi_headers: dict[str, list[str]] = {}
    for key, value in request.headers.items():
        multi_headers.setdefault(key, []).append(value)
    multi_headers.setdefault("X-Forwarded-Proto", [request.scheme])
    query = request.args
    now = (received or real_now()).timestamp()
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": request.host,
        "httpMethod": request.method,
        "path": request.path,
        "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "requestId": str(uuid.uuid4()),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "resourceId": "local",
        "resourcePath": route.path,
        "stage": "local",
        "identity": {
            "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.user_agent.string,
        },
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: query.getlist(k)[-1] for k in query} or None,
        "multiValueQueryStringParameters": {k: query.getlist(k) for k in query} or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context,
        # A text payload travels as a UTF-8 string: bytes that are not UTF-8 cannot crash the
        # gateway; the function sees replacement characters (and answers 400, not JSON).
        "body": (raw.decode("utf-8", "replace") if is_text else base64.b64encode(raw).decode())
        if raw
        else None,
        "isBase64Encoded": not is_text,
    }


def _response(result: Any) -> Response:
    if not isinstance(result, dict) or "statusCode" not in result:
        return _json(502, {"message": "Internal server error"})  # a malformed proxy response
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(data, status=int(result["statusCode"]))
    response.headers.pop("Content-Type", None)
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(key)
        for value in values:
            response.headers.add(key, str(value))
    return response
