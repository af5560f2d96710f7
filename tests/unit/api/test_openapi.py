"""The OpenAPI document: merged from the JSON functions' resolvers, and checked in current."""

from __future__ import annotations

from typing import Annotated

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, create_model

from local.openapi import (
    DOCUMENT,
    REGENERATE,
    ComponentClash,
    openapi_document,
    openapi_json,
    resolvers,
)
from reschedule_dispatch.api.http import DISPATCHER_SCHEME, json_resolver

ERROR_BODIES = {"ErrorBody", "ConflictBody", "InvalidRequestBody"}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document()


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_checked_in_document_is_the_generated_one():
    assert DOCUMENT.read_text() == openapi_json(), (
        f"docs/openapi.json is stale: run `{REGENERATE}` and commit it"
    )


def test_every_json_route_of_every_function_is_in_the_document(document):
    # Given each function's own routes
    expected = {
        f"{route.method.upper()} {route.openapi_path}"
        for app in resolvers().values()
        for route in app._static_routes + app._dynamic_routes
    }
    # Then the merged document has exactly those
    assert {label for label, _ in operations(document)} == expected
    assert "GET /api/sessions/{session_id}" in expected  # sanity: the set is not empty


def test_dispatcher_routes_need_the_bearer_token_and_answer_401_without_it(document):
    scheme = document["components"]["securitySchemes"][DISPATCHER_SCHEME]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    for label, operation in operations(document):
        # before any account, and the OAuth provider's redirect: open, by design (security.md)
        if label in ("POST /api/signup", "GET /api/connections/callback"):
            assert "security" not in operation
            continue
        if " /api/" in label:
            assert operation["security"] == [{DISPATCHER_SCHEME: []}], label
            assert "401" in operation["responses"], label


def test_webhooks_are_open_but_answer_403_unsigned(document):
    webhooks = [(label, op) for label, op in operations(document) if " /webhooks/" in label]
    assert len(webhooks) == 3  # Twilio's two, the scheduling providers' one
    for label, operation in webhooks:
        assert "security" not in operation, label
        assert "403" in operation["responses"], label
    providers = document["paths"]["/webhooks/providers/{provider}"]["post"]["responses"]
    assert {"200", "202", "403"} <= set(providers)
    # one answer for every unverified request: nothing tells which businesses exist (a 404
    # stays documented for a path the router cannot read at all)
    assert "401" not in providers
    assert list(providers["200"]["content"]) == ["text/plain"]  # Graph's handshake echo
    status = document["paths"]["/webhooks/twilio/status"]["post"]["responses"]
    assert status["204"]["content"] == {}  # no body, not the return annotation's string
    inbound = document["paths"]["/webhooks/twilio/inbound"]["post"]["responses"]
    assert list(inbound["200"]["content"]) == ["application/xml"]


def test_every_error_answer_has_the_body_the_handlers_send(document):
    for label, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400 and "text/html" not in answer.get("content", {}):
                # (the OAuth callback's refusals are a page for the admin's browser)
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[-1] in ERROR_BODIES, (label, status)


def test_a_conflict_documents_the_open_session_and_quiet_hours(document):
    create = document["paths"]["/api/sessions"]["post"]["responses"]
    assert set(create) >= {"201", "400", "401", "404", "409", "415", "422", "503"}
    assert create["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ConflictBody")
    conflict = document["components"]["schemas"]["ConflictBody"]
    assert conflict["required"] == ["message"]
    assert {"session_id", "next_allowed_at"} <= set(conflict["properties"])
    invalid = document["components"]["schemas"]["InvalidRequestBody"]
    assert "detail" in invalid["properties"]


def test_routes_with_a_body_answer_400_and_415_and_others_do_not(document):
    for label, operation in operations(document):
        reads_body = "requestBody" in operation
        assert ("400" in operation["responses"]) == reads_body, label
        assert ("415" in operation["responses"]) == reads_body, label


def test_only_schemas_the_document_uses_are_kept(document):
    # Powertools' own validation-error shapes are not what this API answers
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])


class Thing(BaseModel):
    name: str


OtherThing = create_model("Thing", name=(int, ...))  # the same name, another shape


def test_two_functions_with_different_shapes_under_one_name_are_refused():
    # Given two functions whose request models share a name but not a shape
    first, second = json_resolver(Logger()), json_resolver(Logger())

    @first.post("/a")
    def a(thing: Annotated[Thing, Body()]) -> None: ...

    @second.post("/b")
    def b(thing: Annotated[OtherThing, Body()]) -> None: ...

    # Then the merge says so instead of keeping one of them silently
    with pytest.raises(ComponentClash, match="Thing"):
        openapi_document({"first": first, "second": second})
