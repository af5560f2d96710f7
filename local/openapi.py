"""The API's one OpenAPI document: each JSON function's resolver schema, merged.

Every JSON route is its own Lambda function's Powertools resolver, which generates the schema
of its routes from their type hints and `responses=`. This merges them (paths, components)
under one title with the dispatcher's bearer-token security scheme.

It lives in local/, not in the shared layer: it imports every handler module, which no
deployed function should do (and the layer must not import functions/). Only `make openapi`,
the local gateway's /openapi.json and the tests use it.

    python -m local.openapi    # (make openapi) rewrites docs/openapi.json
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, SecurityScheme

from reschedule_dispatch.api.http import DISPATCHER_SCHEME, ERROR_ANSWERS

# The functions behind the JSON API (the customer pages, functions/portal, are HTML).
JSON_FUNCTIONS = (
    "functions.dispatcher_api.handler",
    "functions.dispatcher_move.handler",
    "functions.send_link.handler",
    "functions.session_actions.handler",
    "functions.settings.handler",
    "functions.team.handler",
    "functions.connections.handler",
    "functions.webhooks.handler",
    "functions.provider_webhooks.handler",
)
DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
REGENERATE = "make openapi"
SCHEMA_REF = "#/components/schemas/"

TITLE = "Reschedule Dispatch API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The dispatcher console's JSON API, the Twilio webhooks and the scheduling providers' "
    "webhooks. Dispatcher routes need a "
    "bearer token: a Cognito ID token in AWS; locally, `GET /dev/token?dispatcher=<email>`. "
    'Errors answer `{"message": ...}`. The customer pages (`/r/{token}`) are HTML and not '
    "described here; see docs/api.md."
)
SECURITY_SCHEMES: dict[str, SecurityScheme] = {
    DISPATCHER_SCHEME: HTTPBearer(
        bearerFormat="JWT",
        description=(
            "A dispatcher's Cognito ID token; its `custom:business_id` claim says which "
            "business they dispatch for."
        ),
    )
}


class ComponentClash(Exception):
    """Two functions define one component name differently: the merge would hide one."""


def resolvers() -> dict[str, APIGatewayRestResolver]:
    """Each JSON function's resolver (importing a handler builds no clients: see composition/family.py)."""
    return {name: importlib.import_module(name).app for name in JSON_FUNCTIONS}


def openapi_document(apps: Mapping[str, APIGatewayRestResolver] | None = None) -> dict[str, Any]:
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes=SECURITY_SCHEMES,
        on_conflict="error",  # one route, one function
    )
    components: dict[tuple[str, str], tuple[str, Any]] = {}
    for name, app in (apps or resolvers()).items():
        # Passing the schemes lets Powertools check every route's `security=` names one.
        schema = app.get_openapi_schema(
            title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES
        ).model_dump(by_alias=True, exclude_none=True, mode="json")
        for kind, named in schema.get("components", {}).items():
            for component, definition in named.items():
                seen = components.setdefault((kind, component), (name, definition))
                if seen[1] != definition:
                    raise ComponentClash(f"{kind} {component!r}: {seen[0]} and {name} differ")
        merge.add_schema(schema)
    # Through Powertools' OpenAPI model: the merged document is checked against OpenAPI 3.1.
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("summary") == f"{method.upper()} {path}":
                del operation["summary"]  # Powertools' default says nothing the path does not
            if "requestBody" in operation:
                _answers_unreadable_bodies(operation)
            operation["responses"] = dict(sorted(operation["responses"].items()))
    _drop_unused_schemas(document)
    return document


def _answers_unreadable_bodies(operation: dict[str, Any]) -> None:
    """Powertools reads a route's body before the route runs: not JSON, 400; not sent as
    JSON, 415 (api/http.py). So every route that takes a body answers both."""
    for status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE):
        description, body = ERROR_ANSWERS[status]
        operation["responses"][str(status.value)] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": SCHEMA_REF + body.__name__}}},
        }


def _drop_unused_schemas(document: dict[str, Any]) -> None:
    """Powertools adds its own validation-error schemas to every resolver; ours replace them."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = list(_schema_refs(document["paths"]))
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending.extend(_schema_refs(schemas[name]))
    for name in set(schemas) - used:
        del schemas[name]


def _schema_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
            yield ref.removeprefix(SCHEMA_REF)
        for value in node.values():
            yield from _schema_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_refs(value)


def openapi_json() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    DOCUMENT.write_text(openapi_json())
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
