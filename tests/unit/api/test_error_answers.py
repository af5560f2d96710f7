"""Errors to HTTP in one table (api/http.py ANSWERS): every domain error answers the same
status as JSON and as a customer's page, and every route documents only statuses the table
(or the framework's own checks) can give."""

from __future__ import annotations

import inspect
import json
from datetime import UTC, datetime
from html import escape
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from local.openapi import openapi_document
from reschedule_dispatch.api.http import (
    ANSWERS,
    REFUSED,
    UNEXPECTED,
    answer_for,
    json_resolver,
    page_resolver,
)
from reschedule_dispatch.domain import errors
from reschedule_dispatch.domain.errors import DomainError, WebhookRejected
from reschedule_dispatch.texts import english

# One instance of each kind the domain defines (their constructors differ).
EXAMPLES: dict[type[DomainError], DomainError] = {
    errors.SessionAlreadyOpen: errors.SessionAlreadyOpen("s-1"),
    errors.RulesBroken: errors.RulesBroken(["drive 52 min > 30 max"]),
    errors.ProviderRateLimited: errors.ProviderRateLimited("Slow down.", 3),
    errors.QuietHours: errors.QuietHours("Quiet hours.", datetime(2026, 12, 8, 14, tzinfo=UTC)),
    errors.TooManyGuesses: errors.TooManyGuesses(60),
    errors.WebhookRejected: errors.WebhookRejected("Not signed.", 401),
}
DOMAIN_ERRORS = [
    kind
    for _, kind in inspect.getmembers(errors, inspect.isclass)
    if issubclass(kind, DomainError) and kind is not DomainError
]


def example(kind: type[DomainError]) -> DomainError:
    return EXAMPLES.get(kind) or kind(f"{kind.__name__}: a message a person can act on.")


raised: dict[str, DomainError] = {}
api = json_resolver(Logger(service="test"))
pages = page_resolver(Logger(service="test"))


@api.get("/json")
def json_route() -> dict[str, str]:
    raise raised["error"]


@pages.get("/page")
def page_route() -> str:
    raise raised["error"]


def call(app: Any, path: str) -> dict[str, Any]:
    event = {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "requestContext": {"resourcePath": path, "httpMethod": "GET", "stage": "prod"},
        "body": None,
        "isBase64Encoded": False,
    }
    answer: dict[str, Any] = app.resolve(event, None)
    return answer


@pytest.mark.parametrize("kind", DOMAIN_ERRORS, ids=lambda kind: kind.__name__)
def test_each_domain_error_answers_one_status_as_json_and_as_a_page(kind):
    error = raised["error"] = example(kind)
    answer = answer_for(error)

    as_json = call(api, "/json")
    as_page = call(pages, "/page")

    assert as_json["statusCode"] == answer.status
    assert json.loads(as_json["body"])["message"] == str(error)
    assert as_page["statusCode"] == answer.status
    assert as_page["multiValueHeaders"]["Content-Type"][0].startswith("text/html")
    assert escape(english(answer.title)) in as_page["body"]
    words = english(answer.words) if answer.words else str(error)
    assert escape(words) in as_page["body"]


@pytest.mark.parametrize("kind", DOMAIN_ERRORS, ids=lambda kind: kind.__name__)
def test_every_domain_error_has_a_row_so_none_falls_to_a_bare_400(kind):
    if kind is WebhookRejected:  # its status is its own (401 or 403)
        assert answer_for(example(kind)).status == 401
        return
    assert answer_for(example(kind)) is not REFUSED
    assert any(issubclass(kind, row) for row, _ in ANSWERS)


def test_a_subclass_row_comes_before_its_base_or_it_would_never_be_read():
    for i, (kind, _) in enumerate(ANSWERS):
        for earlier, _ in ANSWERS[:i]:
            assert not issubclass(kind, earlier), f"{kind.__name__} is shadowed by {earlier}"


def test_anything_else_is_a_plain_500_page():
    raised["error"] = RuntimeError("a bug with a secret in it")  # type: ignore[assignment]

    as_page = call(pages, "/page")

    assert as_page["statusCode"] == UNEXPECTED.status == 500
    assert "secret" not in as_page["body"]
    assert escape(english(UNEXPECTED.title)) in as_page["body"]


# What Powertools and our resolver answer before any domain error: a body that is not JSON
# (400), no or a wrong token or signature (401, 403), not JSON by Content-Type (415), a
# request that fails validation (422).
FRAMEWORK = {400, 401, 403, 415, 422}


def _documented_errors() -> list[tuple[str, int]]:
    return [
        (f"{method.upper()} {path}", int(status))
        for path, methods in openapi_document()["paths"].items()
        for method, operation in methods.items()
        for status in operation.get("responses", {})
        if int(status) >= 400
    ]


@pytest.mark.parametrize(("route", "status"), _documented_errors())
def test_each_route_documents_only_statuses_an_answer_gives(route, status):
    table = {answer.status.value for _, answer in ANSWERS} | {REFUSED.status.value}
    assert status in table | FRAMEWORK, f"{route} documents {status}, which nothing answers"
