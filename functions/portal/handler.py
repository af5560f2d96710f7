"""The customer's page: GET /r/{token} (and its confirm step), POST /r/{token}/viewed and
/confirm, GET /r/{token}/calendar.ics; POST /r/{token}/open and /unlock, which bind the link
to a browser (services/customer_links.py); and a dispatcher's move's GET /r/invite/{token}.ics."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.shared.cookies import Cookie, SameSite
from aws_lambda_powertools.utilities.typing import LambdaContext

from reschedule_dispatch.api.http import (
    error_page,
    html_response,
    page_resolver,
    private_response,
    public_base_url,
)
from reschedule_dispatch.composition.customer import CustomerPages
from reschedule_dispatch.domain import openings
from reschedule_dispatch.domain.errors import (
    TooManyGuesses,
    Unprocessable,
)
from reschedule_dispatch.logs import function_logger
from reschedule_dispatch.services.customer_links import (
    ANOTHER_BROWSER,
    NotThisBrowser,
    WrongDigits,
)
from reschedule_dispatch.services.invitation import INVITATION_FILENAME
from reschedule_dispatch.texts import Text, english
from reschedule_dispatch.tracing import function_tracer
from reschedule_dispatch.web.pages import (
    browser_page,
    calendar_event,
    customer_page,
)

logger = function_logger()
tracer = function_tracer()
metrics = Metrics()
services = CustomerPages()  # built on first use (composition/family.py)


app = page_resolver(logger)


@app.exception_handler(TooManyGuesses)
def too_many_guesses(error: TooManyGuesses) -> Response[str]:
    """429 for the rest of the client's window, whatever the token: no lookup, no stack trace."""
    metrics.add_metric(name="LinkGuessesRefused", unit=MetricUnit.Count, value=1)
    status, html = error_page(error)
    retry_after = {"Retry-After": str(error.retry_after_seconds)}
    return html_response(status, html, headers=retry_after)


# The browser a link is bound to keeps its secret in this cookie, scoped to the link's path.
BROWSER_COOKIE = "rd_browser"
BROWSER_COOKIE_SECONDS = 90 * 24 * 3600  # past any link's life and its retention


def for_this_browser(route: Callable[[str], Response[str]]) -> Callable[[str], Response[str]]:
    """A link route that answers a browser the link is not bound to with only the
    business's name: 200 for a link no one has opened (open it), else 403. (Caught here,
    where the token is known, not in an exception handler: the resolver's current event is
    one per process, which the local stack shares between functions.)"""

    @wraps(route)
    def answer(token: str) -> Response[str]:
        try:
            return route(token)
        except NotThisBrowser as refused:
            status = HTTPStatus.OK if refused.first else HTTPStatus.FORBIDDEN
            return html_response(status, browser_page(refused, _page_url(token)))

    return answer


def _browser() -> str | None:
    """The secret this browser keeps for the link, if any."""
    header = app.current_event.get_header_value("cookie") or ""
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(BROWSER_COOKIE)
    return morsel.value if morsel and morsel.value else None


def _bound(token: str, secret: str) -> Response[str]:
    """Back to the page (Post/Redirect/Get), the browser keeping its secret for this link."""
    url = _page_url(token)
    cookie = Cookie(
        name=BROWSER_COOKIE,
        value=secret,
        path=urlsplit(url).path,
        secure=url.startswith("https://"),
        http_only=True,
        max_age=BROWSER_COOKIE_SECONDS,
        same_site=SameSite.LAX_MODE,
    )
    response = html_response(HTTPStatus.SEE_OTHER, "", headers={"Location": url})
    response.cookies.append(cookie)
    return response


def _form_field(name: str) -> str:
    form = parse_qs(app.current_event.decoded_body or "", keep_blank_values=True)
    return (form.get(name) or [""])[0].strip()


def _client() -> str | None:
    """The caller's address as API Gateway saw the connection (REST API: identity.sourceIp)."""
    identity = app.current_event.request_context.get("identity") or {}
    source_ip = identity.get("sourceIp")
    return str(source_ip) if source_ip else None


def _page_url(token: str) -> str:
    return f"{public_base_url(app.current_event)}/r/{token}"


@app.get("/r/<token>")
@for_this_browser
def show(token: str) -> Response[str]:
    slot = app.current_event.get_query_string_value("slot")
    page = services.links.page(token, slot, client=_client(), browser=_browser())
    notice = ""
    if slot and page.chosen is None:
        notice = english(Text.NOTICE_TIME_GONE)
    html = customer_page(page, _page_url(token), notice=notice)
    return html_response(HTTPStatus.OK, html)


@app.get("/r/<token>/calendar.ics")
@for_this_browser
def calendar(token: str) -> Response[str]:
    page = services.links.page(token, client=_client(), browser=_browser())
    return private_response(
        HTTPStatus.OK,
        calendar_event(page),
        "text/calendar; charset=utf-8",
        {"Content-Disposition": 'attachment; filename="appointment.ics"'},
    )


@app.get("/r/invite/<token>")
def invitation(token: str) -> Response[str]:
    # The path ends in .ics, so a phone opens it as a calendar file; the token is the rest.
    return private_response(
        HTTPStatus.OK,
        services.invitations(token, client=_client()),
        "text/calendar; charset=utf-8",
        {"Content-Disposition": f'attachment; filename="{INVITATION_FILENAME}"'},
    )


@app.post("/r/<token>/viewed")
@for_this_browser
def viewed(token: str) -> Response[str]:
    if services.links.mark_viewed(
        token, client=_client(), browser=_browser()
    ):  # a link's first view, not every reload
        metrics.add_metric(name="LinksViewed", unit=MetricUnit.Count, value=1)
    return Response(status_code=HTTPStatus.NO_CONTENT, body="")


@app.post("/r/<token>/open")
@for_this_browser
def open_link(token: str) -> Response[str]:
    secret = services.links.open(token, client=_client(), browser=_browser())
    return _bound(token, secret)


@app.post("/r/<token>/unlock")
@for_this_browser
def unlock(token: str) -> Response[str]:
    try:
        secret = services.links.unlock(
            token, _form_field("digits"), client=_client(), browser=_browser()
        )
    except WrongDigits as wrong:
        refused = NotThisBrowser(ANOTHER_BROWSER, wrong.business, wrong.language)
        html = browser_page(refused, _page_url(token), notice=str(wrong))
        return html_response(HTTPStatus.UNPROCESSABLE_ENTITY, html)
    return _bound(token, secret)


@app.post("/r/<token>/confirm")
@for_this_browser
def confirm(token: str) -> Response[str]:
    slot = _form_field("slot")
    browser = _browser()
    try:
        if not slot:
            raise Unprocessable(english(Text.NOTICE_PICK_ONE))
        services.links.confirm(token, slot, client=_client(), browser=browser)
    except Unprocessable as problem:
        # Show the openings again, fresh, with what went wrong.
        page = services.links.page(token, client=_client(), browser=browser)
        html = customer_page(page, _page_url(token), notice=str(problem))
        return html_response(HTTPStatus.UNPROCESSABLE_ENTITY, html)
    metrics.add_metric(name="ConfirmsStarted", unit=MetricUnit.Count, value=1)
    # Post/Redirect/Get: a reload never submits twice, and the page shows the progress.
    return html_response(HTTPStatus.SEE_OTHER, "", headers={"Location": _page_url(token)})


def prepare_snapshot() -> None:
    """What Lambda SnapStart snapshots, so the customer's first tap finds it done: the page's
    services and their AWS clients built (boto3 opens no connection before a call) and the
    openings engine's first-use checks run. No secret is read and no connection opened:
    provider credentials are read when a business's provider is first called."""
    services.build_now("links", "invitations")
    openings.warm_up()
    after_restore(reseed_random)


def reseed_random() -> None:
    """Every environment restored from one snapshot would share `random`'s state (botocore's
    retry jitter draws from it): each reseeds from the OS. Tokens never come from `random`
    (`secrets` and `uuid` read the OS themselves)."""
    random.seed(os.urandom(32))


def after_restore(hook: Callable[[], None]) -> None:
    try:  # Lambda's Python runtimes ship it for SnapStart; elsewhere nothing is restored
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return
    register_after_restore(hook)


if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
    prepare_snapshot()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
