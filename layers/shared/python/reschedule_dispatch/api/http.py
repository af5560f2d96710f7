"""The one place that owns the HTTP resolvers and maps domain errors to answers.

Dispatcher routes answer JSON `{"message": ...}`; customer routes answer HTML pages. Either
way a domain error becomes its status code with a message a person can act on, and anything
unexpected becomes a plain 500 with no stack trace.

The JSON error bodies are pydantic models, so the answers below and the OpenAPI document
(`error_answers`, `dispatcher_route`; merged by local/openapi.py) are one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.exceptions import ServiceError, UnauthorizedError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import AwareDatetime, BaseModel, Field

from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    DomainError,
    LinkGone,
    MessagingUnavailable,
    NotAllowed,
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuietHours,
    RulesBroken,
    SessionAlreadyOpen,
    TooManyGuesses,
    Unprocessable,
    WebhookRejected,
)
from reschedule_dispatch.domain.team import Role
from reschedule_dispatch.texts import Text, text
from reschedule_dispatch.web.pages import CONTENT_SECURITY_POLICY, closed_page

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse


@dataclass(frozen=True)
class ErrorAnswer:
    """What one kind of domain error answers: its status, and on a customer's page its
    heading and words (none: the error's own message, which is written to be shown)."""

    status: HTTPStatus
    title: Text
    words: Text | None = None


# The one table of answers. JSON routes send `status` with the error's message; customer
# pages send `status` with a page of `title` and `words`. The first kind that matches wins,
# so a subclass comes before its base.
ANSWERS: tuple[tuple[type[DomainError], ErrorAnswer], ...] = (
    (NotFound, ErrorAnswer(HTTPStatus.NOT_FOUND, Text.PAGE_NOT_FOUND_TITLE, Text.PAGE_NOT_FOUND)),
    (NotAllowed, ErrorAnswer(HTTPStatus.FORBIDDEN, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR)),
    # A provider's message, raised by moves: a customer's page says only that it failed.
    (
        AppointmentChanged,
        ErrorAnswer(HTTPStatus.CONFLICT, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR),
    ),
    (Conflict, ErrorAnswer(HTTPStatus.CONFLICT, Text.PAGE_ALREADY_DONE_TITLE)),
    (LinkGone, ErrorAnswer(HTTPStatus.GONE, Text.PAGE_CLOSED_TITLE)),
    (Unprocessable, ErrorAnswer(HTTPStatus.UNPROCESSABLE_ENTITY, Text.PAGE_ERROR_TITLE)),
    (
        TooManyGuesses,
        ErrorAnswer(
            HTTPStatus.TOO_MANY_REQUESTS, Text.PAGE_TOO_MANY_TRIES_TITLE, Text.PAGE_TOO_MANY_TRIES
        ),
    ),
    (
        MessagingUnavailable,
        ErrorAnswer(HTTPStatus.SERVICE_UNAVAILABLE, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR),
    ),
    (
        ProviderUnavailable,
        ErrorAnswer(HTTPStatus.SERVICE_UNAVAILABLE, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR),
    ),
    (
        ProviderRateLimited,
        ErrorAnswer(HTTPStatus.SERVICE_UNAVAILABLE, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR),
    ),
    (
        ProviderUnauthorized,
        ErrorAnswer(HTTPStatus.BAD_GATEWAY, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR),
    ),
    # Any other provider failure (an answer we cannot read, a refusal it gave no reason
    # for) is the provider's, not the caller's: never a 400.
    (ProviderError, ErrorAnswer(HTTPStatus.BAD_GATEWAY, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR)),
)
# A domain error no row names: the caller's request, refused (JSON: with its message; a
# customer's page: the plain words, as no row said its message was written for them).
REFUSED = ErrorAnswer(HTTPStatus.BAD_REQUEST, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR)
# Anything that is not a domain error: ours, logged, never shown.
UNEXPECTED = ErrorAnswer(HTTPStatus.INTERNAL_SERVER_ERROR, Text.PAGE_ERROR_TITLE, Text.PAGE_ERROR)


def answer_for(error: DomainError) -> ErrorAnswer:
    if isinstance(error, WebhookRejected):  # 401 without credentials, 403 with wrong ones
        return ErrorAnswer(HTTPStatus(error.status), Text.PAGE_ERROR_TITLE)
    for kind, answer in ANSWERS:
        if isinstance(error, kind):
            return answer
    return REFUSED


def status_for(error: DomainError) -> HTTPStatus:
    return answer_for(error).status


def error_page(error: DomainError | None) -> tuple[HTTPStatus, str]:
    """A customer's page for an error, from the table. Errors raised about a customer's
    link (LinkClosed, WrongDigits...) carry its business and language: the page says it in
    the customer's language, with the business's phone number."""
    answer = UNEXPECTED if error is None else answer_for(error)
    business = getattr(error, "business", None)
    language = str(getattr(error, "language", "en"))
    title = text(answer.title, language)
    words = text(answer.words, language) if answer.words else str(error)
    return answer.status, closed_page(title, words, business, language)


class ErrorBody(BaseModel):
    """Every JSON error: a message a person can act on."""

    message: str


class ConflictBody(ErrorBody):
    session_id: str | None = Field(
        default=None, description="The session already in progress on the appointment."
    )
    next_allowed_at: AwareDatetime | None = Field(
        default=None, description="When the customer's quiet hours end."
    )
    broken_rules: list[str] | None = Field(
        default=None, description="The business's rules a dispatcher's chosen time breaks."
    )


class Problem(BaseModel):
    loc: list[str | int] = Field(description='Where: e.g. ["body", "appointment_id"].')
    msg: str
    type: str


class InvalidRequestBody(ErrorBody):
    detail: list[Problem] | None = Field(
        default=None,
        description="What failed validation; absent when a business rule refused a valid request.",
    )


# The security scheme of dispatcher routes in the OpenAPI document (a Cognito ID token).
DISPATCHER_SCHEME = "dispatcherToken"

# Each error status this API answers: what it means here, and its body (the handlers below).
ERROR_ANSWERS: dict[HTTPStatus, tuple[str, type[ErrorBody]]] = {
    HTTPStatus.BAD_REQUEST: ("The request body is not valid JSON.", ErrorBody),
    HTTPStatus.UNAUTHORIZED: ("No valid dispatcher token.", ErrorBody),
    HTTPStatus.FORBIDDEN: (
        "Not allowed, and nothing is recorded: a webhook not signed by its sender "
        "(X-Twilio-Signature), or a change only an admin of the business may make.",
        ErrorBody,
    ),
    HTTPStatus.NOT_FOUND: ("Not found in the caller's business.", ErrorBody),
    HTTPStatus.CONFLICT: (
        "Clashes with the current state. `session_id`: the session already in progress on "
        "the appointment; `next_allowed_at`: the end of the customer's quiet hours; "
        "`broken_rules`: the rules a dispatcher's move breaks (send `override` to move anyway).",
        ConflictBody,
    ),
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: ("The body is not JSON (Content-Type).", ErrorBody),
    HTTPStatus.UNPROCESSABLE_ENTITY: (
        "The request is not valid (`detail` says where), or a business rule refuses it "
        "(`message` only). Nothing was changed.",
        InvalidRequestBody,
    ),
    HTTPStatus.BAD_GATEWAY: (
        "The scheduling provider refused our credentials: reconnect it.",
        ErrorBody,
    ),
    HTTPStatus.SERVICE_UNAVAILABLE: (
        "A provider (scheduling, SMS, the expiry scheduler) could not be reached; nothing "
        "was changed. Try again.",
        ErrorBody,
    ),
}


def error_answers(*statuses: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """A route's documented errors (`responses=`), 422 always: validation runs on every route."""
    answers: dict[int, OpenAPIResponse] = {}
    for status in sorted({HTTPStatus.UNPROCESSABLE_ENTITY, *statuses}):
        description, body = ERROR_ANSWERS[status]
        answers[status] = {
            "description": description,
            "content": {content_types.APPLICATION_JSON: {"model": body}},
        }
    return answers


def dispatcher_route(*errors: HTTPStatus, success: HTTPStatus = HTTPStatus.OK) -> dict[str, Any]:
    """A dispatcher route decorator's OpenAPI options: the bearer token and every answer.

    The success answer's schema comes from the route's return annotation; 401 (no or a bad
    token) applies to all. (400 and 415 apply to every route with a body: local/openapi.py.)
    """
    statuses = {HTTPStatus.UNAUTHORIZED, *errors}
    return {
        "tags": ["Dispatcher"],
        "security": [{DISPATCHER_SCHEME: []}],
        "responses": {success: _success(success), **error_answers(*statuses)},
    }


def _success(status: HTTPStatus) -> OpenAPIResponse:
    """The success answer; its schema comes from the route's return annotation, except a 204,
    which has no body (and so no content type) at all."""
    if status is HTTPStatus.NO_CONTENT:
        return {"description": status.phrase, "content": {}}
    return {"description": status.phrase}


def _json_bodies_only() -> Any:
    """Request validation that reads a body only as JSON: another declared type is 415.
    (Imported here, not at the top: the portal renders pages and loads no validation.)"""
    from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
        OpenAPIRequestValidationMiddleware,
    )

    class JsonBodiesOnly(OpenAPIRequestValidationMiddleware):
        def _get_body(self, app: Any) -> dict[str, Any]:
            content_type = app.current_event.headers.get("content-type", "").strip().lower()
            if content_type and not content_type.startswith(content_types.APPLICATION_JSON):
                raise RequestUnsupportedContentType(
                    "Unsupported content type", errors=[{"type": "unsupported_content_type"}]
                )
            body: dict[str, Any] = super()._get_body(app)
            return body

    return JsonBodiesOnly()  # type: ignore[no-untyped-call]


def json_resolver(logger: Logger) -> APIGatewayRestResolver:
    """JSON API (console, webhooks), with request validation (422 with details on bad input)."""
    # The console is served from another origin; bearer tokens, no cookies, so any origin.
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=["Authorization", "Content-Type"]),
    )
    # Bodies are JSON or nothing: Powertools would also parse forms and multipart (a
    # multipart type without its boundary raised a bare ValueError, a 500).
    app._request_validation_middleware = _json_bodies_only()

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[dict[str, Any]]:
        problems = [
            Problem(loc=list(e.get("loc", ())), msg=e.get("msg", ""), type=e.get("type", ""))
            for e in error.errors()
        ]
        if any(p.type == "json_invalid" for p in problems):
            return _json(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON.")
        return _error(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            InvalidRequestBody(message="The request is not valid.", detail=problems),
        )

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[dict[str, Any]]:
        return _json(status_for(error), str(error))

    @app.exception_handler(QuietHours)
    def _quiet(error: QuietHours) -> Response[dict[str, Any]]:
        body = ConflictBody(message=str(error), next_allowed_at=error.next_allowed_at)
        return _error(HTTPStatus.CONFLICT, body)

    @app.exception_handler(SessionAlreadyOpen)
    def _already_open(error: SessionAlreadyOpen) -> Response[dict[str, Any]]:
        return _error(
            HTTPStatus.CONFLICT, ConflictBody(message=str(error), session_id=error.session_id)
        )

    @app.exception_handler(RulesBroken)
    def _rules_broken(error: RulesBroken) -> Response[dict[str, Any]]:
        return _error(
            HTTPStatus.CONFLICT, ConflictBody(message=str(error), broken_rules=error.rules)
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _not_json(error: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        return _json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the body as application/json.")

    # Powertools' own: 401, 403, and 404 when no route matches (a path parameter with
    # characters its router does not accept).
    @app.exception_handler(ServiceError)
    def _service_error(error: ServiceError) -> Response[dict[str, Any]]:
        return _json(HTTPStatus(error.status_code), str(error.msg))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[dict[str, Any]]:
        logger.exception("unexpected error")
        return _json(HTTPStatus.INTERNAL_SERVER_ERROR, "Something went wrong on our side.")

    return app


def page_resolver(logger: Logger) -> APIGatewayRestResolver:
    """HTML routes for customers: every error is a page, never a stack trace."""
    app = APIGatewayRestResolver()

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[str]:
        status, html = error_page(error)
        return html_response(status, html)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        status, html = error_page(None)
        return html_response(status, html)

    @app.not_found
    def _no_route(error: Exception) -> Response[str]:
        status, html = error_page(NotFound("This page does not exist."))
        return html_response(status, html)

    return app


def private_response(
    status: HTTPStatus, body: str, content_type: str, headers: dict[str, str] | None = None
) -> Response[str]:
    """Anything served under a customer's link: never cached, indexed or referred onwards."""
    return Response(
        status_code=status,
        content_type=content_type,
        body=body,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",  # the link is the credential: never leak it
            "X-Robots-Tag": "noindex, nofollow",
            "X-Content-Type-Options": "nosniff",
            **(headers or {}),
        },
    )


def html_response(
    status: HTTPStatus, html: str, headers: dict[str, str] | None = None
) -> Response[str]:
    return private_response(
        status,
        html,
        "text/html; charset=utf-8",
        {"Content-Security-Policy": CONTENT_SECURITY_POLICY, **(headers or {})},
    )


def _error(status: HTTPStatus, body: ErrorBody) -> Response[dict[str, Any]]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(mode="json", exclude_none=True),
    )


def _json(status: HTTPStatus, message: str) -> Response[dict[str, Any]]:
    return _error(status, ErrorBody(message=message))


@dataclass(frozen=True)
class Dispatcher:
    business_id: str
    email: str
    role: Role


def current_dispatcher(event: APIGatewayProxyEvent) -> Dispatcher:
    """The caller, from the Cognito authorizer's claims (the local gateway sets the same)."""
    claims = event.request_context.authorizer.claims or {}
    business_id = claims.get("custom:business_id")
    email = claims.get("email") or claims.get("cognito:username")
    if not business_id or not email:
        raise UnauthorizedError("Sign in as a dispatcher to use this API.")
    # An account made before roles existed has none: it may do what a dispatcher may.
    role: Role = "admin" if claims.get("custom:role") == "admin" else "dispatcher"
    return Dispatcher(business_id=str(business_id), email=str(email), role=role)


def public_base_url(event: APIGatewayProxyEvent, configured: str = "") -> str:
    """The origin customers and Twilio reach this API at, as they see it.

    A configured URL (custom domain) wins; otherwise the request's own host, plus the stage
    when the host is the default execute-api domain (where the stage is part of the path).
    """
    if configured:
        return configured.rstrip("/")
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    host = headers.get("host") or event.request_context.domain_name or "localhost"
    proto = headers.get("x-forwarded-proto", "https")
    stage = event.request_context.stage
    if ".execute-api." in host and stage:
        return f"{proto}://{host}/{stage}"
    return f"{proto}://{host}"
