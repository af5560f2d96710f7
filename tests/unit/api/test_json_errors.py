"""json_resolver's answers to bad requests and errors: the statuses and bodies the document
promises (the ones Schemathesis found answering 500 are here as regressions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel

from reschedule_dispatch.api.http import (
    ConflictBody,
    ErrorBody,
    InvalidRequestBody,
    json_resolver,
    status_for,
)
from reschedule_dispatch.domain.errors import (
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    QuietHours,
    SessionAlreadyOpen,
    Unprocessable,
)


class Note(BaseModel):
    text: str


app = json_resolver(Logger(service="test"))


@app.post("/notes/<note_id>")
def save_note(note_id: Annotated[str, Path(max_length=8)], note: Annotated[Note, Body()]) -> Note:
    if note_id == "missing":
        raise NotFound("Note not found.")
    if note_id == "open":
        raise SessionAlreadyOpen("s-1")
    if note_id == "quiet":
        raise QuietHours("Quiet hours.", datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    if note_id == "broken":
        raise RuntimeError("a bug")
    return note


def post(path: str, body: str | None, content_type: str = "application/json") -> dict[str, Any]:
    event = {
        "resource": "/notes/{note_id}",
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": content_type},
        "multiValueHeaders": {"Content-Type": [content_type]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"note_id": path.rsplit("/", 1)[-1]},
        "requestContext": {"stage": "test", "requestId": "r-1", "path": path},
        "body": body,
        "isBase64Encoded": False,
    }
    no_context: Any = None  # the resolver does not read it
    return app.resolve(event, no_context)


def answer(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return int(result["statusCode"]), json.loads(result["body"])


def test_a_valid_request_gets_its_answer():
    assert answer(post("/notes/n1", '{"text": "hi"}')) == (200, {"text": "hi"})


def test_a_path_the_router_cannot_match_is_404_not_500():
    # A path parameter with characters Powertools' router does not match (found by fuzzing)
    status, body = answer(post("/notes/\U0001ea79]", '{"text": "hi"}'))
    assert status == 404
    ErrorBody.model_validate(body)


def test_a_body_that_is_not_json_is_400():
    status, body = answer(post("/notes/n1", "{not json"))
    assert status == 400
    assert body == {"message": "The request body is not valid JSON."}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        # Powertools parses these itself: a multipart type without its boundary raised a
        # bare ValueError (500), and a form was validated as if it were the JSON body
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded",
        "application/xml",
    ],
)
def test_a_body_of_another_content_type_is_415_not_500(content_type):
    status, body = answer(post("/notes/n1", '{"text": "hi"}', content_type=content_type))
    assert status == 415
    assert body == {"message": "Send the body as application/json."}


@pytest.mark.parametrize(
    "content_type", ["", "application/json", "application/json; charset=utf-8"]
)
def test_json_or_no_declared_type_is_read_as_json(content_type):
    assert answer(post("/notes/n1", '{"text": "hi"}', content_type=content_type)) == (
        200,
        {"text": "hi"},
    )


def test_an_invalid_body_is_422_with_each_problem():
    status, body = answer(post("/notes/n1", '{"text": 5}'))
    assert status == 422
    problems = InvalidRequestBody.model_validate(body).detail
    assert problems is not None
    assert [p.loc for p in problems] == [["body", "text"]]


@pytest.mark.parametrize(
    ("note_id", "status", "extra"),
    [
        ("missing", 404, {}),
        ("open", 409, {"session_id": "s-1"}),
        ("quiet", 409, {"next_allowed_at": "2026-11-23T14:00:00Z"}),
    ],
)
def test_domain_errors_answer_their_status_and_documented_body(note_id, status, extra):
    got_status, body = answer(post(f"/notes/{note_id}", '{"text": "hi"}'))
    assert got_status == status
    assert body == {"message": body["message"], **extra}
    ConflictBody.model_validate(body)


def test_a_bug_is_a_plain_500_without_details():
    assert answer(post("/notes/broken", '{"text": "hi"}')) == (
        500,
        {"message": "Something went wrong on our side."},
    )


def test_every_provider_failure_is_the_providers_never_the_callers():
    assert (
        status_for(ProviderError("Google Calendar answered with a body that is not JSON.")) == 502
    )
    assert status_for(ProviderUnauthorized("refused")) == 502
    assert status_for(ProviderUnavailable("down")) == 503
    assert status_for(ProviderRateLimited("slow down", 3)) == 503
    assert status_for(Unprocessable("bad input")) == 422
