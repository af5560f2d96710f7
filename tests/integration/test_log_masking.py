"""No phone number, link token or message body in any log line, through the real handlers.

Drives the functions in-process on moto through a reschedule (a send that fails with the
number in its error, a send, the page, viewed, confirm, a failed confirm's compensation) and
Twilio's webhooks (a reply with a body, STOP, texts from and to unknown numbers, delivery
callbacks), capturing every line the functions' logger writes and every record that reaches
the root logger. Without the masking in reschedule_dispatch/logs.py this fails.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from aws_lambda_powertools.logging.filters import SuppressFilter

from local.clock import LocalClock
from local.demo_data import demo_seed
from local.seed import Seed, load
from local.twilio_sandbox import twilio_signature
from reschedule_dispatch.composition import Dependencies
from reschedule_dispatch.composition.settings import EmailEnv, SlackEnv, TwilioEnv
from reschedule_dispatch.domain.links import new_token
from reschedule_dispatch.logs import MaskingFormatter
from tests.integration.conftest import TWILIO, RecordingSms

HOST = "abc123.execute-api.us-east-1.amazonaws.com"
HANDLERS = (
    "functions.send_link.handler",
    "functions.portal.handler",
    "functions.webhooks.handler",
    "functions.confirm.compensate",
)
REPLY = "See you Tuesday, the gate code is 4417"
UNKNOWN_PHONE = "+13125559876"
PINNED = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)  # a Tuesday, 10:30 in Chicago


class Context:
    function_name = "fn"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    aws_request_id = "req-1"


def _event(
    method: str,
    path: str,
    resource: str,
    *,
    body: str | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    headers = {
        "Host": HOST,
        "X-Forwarded-Proto": "https",
        "Content-Type": content_type,
        **(headers or {}),
    }
    context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/prod{path}",
        "stage": "prod",
        "domainName": HOST,
        "requestId": "r1",
        "identity": {"sourceIp": "198.51.100.20"},
    }
    if claims:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def _twilio(path: str, params: dict[str, str]) -> dict[str, Any]:
    url = f"https://{HOST}/prod{path}"
    signature = twilio_signature(TWILIO["auth_token"], url, params)
    return _event(
        "POST",
        path,
        path,
        body=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


class PinnedMorning(Dependencies):
    """This test's dependencies: a clock pinned to a working morning (PINNED), Twilio that
    fails the first send, no email or Slack (texts only)."""

    def __init__(self) -> None:
        super().__init__(clock=LocalClock(PINNED))
        self.sms = FailingOnceSms()

    def sms_sender(self, env: TwilioEnv) -> FailingOnceSms:
        return self.sms

    def email_sender(self, env: EmailEnv) -> None:
        return None

    def staff_notifier(self, env: SlackEnv) -> None:
        return None


@pytest.fixture
def deps() -> PinnedMorning:
    return PinnedMorning()


@pytest.fixture
def handlers(world, deps, monkeypatch) -> dict[str, ModuleType]:
    """The handler modules, their services built afresh on this test's moto from its own
    dependencies (nothing built on them outlives the test)."""
    modules = {name.rsplit(".", 2)[-2]: importlib.import_module(name) for name in HANDLERS}
    modules["compensate"] = modules.pop("confirm")
    for module in modules.values():
        monkeypatch.setattr(module, "services", type(module.services)(deps))
    return modules


@pytest.fixture
def log_lines(handlers) -> Iterator[io.StringIO]:
    """Everything the functions would write to CloudWatch: their logger's stream, and any
    record that reaches the root logger (a library's, say), formatted with its traceback."""
    written = io.StringIO()
    streams = {}
    for module in handlers.values():
        handler = module.logger.registered_handler
        assert isinstance(handler.formatter, MaskingFormatter)
        # Swapped, not setStream(): that flushes the old stream, which may be the capture of
        # a test that imported the handler before (pytest has closed it since).
        streams[handler], handler.stream = handler.stream, written
    root = logging.StreamHandler(written)
    root.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    for module in handlers.values():  # as Powertools does on Lambda's root handler
        root.addFilter(SuppressFilter(module.logger.service))
    logging.getLogger().addHandler(root)
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.INFO)  # what the functions log in AWS (LOG_LEVEL)
    try:
        yield written
    finally:
        logging.getLogger().removeHandler(root)
        logging.getLogger().setLevel(level)
        for handler, stream in streams.items():
            handler.stream = stream


def _movable(seed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A business, a customer and their appointment at least two days away."""
    soon = PINNED + timedelta(days=2)
    business = seed["businesses"][0]
    customers = {c["id"]: c for c in business["customers"]}
    appointment = next(
        a for a in business["appointments"] if datetime.fromisoformat(a["start"]) > soon
    )
    return business, customers[appointment["customer_id"]], appointment


class FailingOnceSms(RecordingSms):
    """Twilio, failing the first send with the number in the error, as carriers' errors do."""

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        if not self.sent and not getattr(self, "failed", False):
            self.failed = True
            raise RuntimeError(f"Unable to create record: The 'To' number {to} is not valid.")
        return super().send(to, from_, body, status_callback)


def test_no_phone_token_or_body_in_any_log_line(world, deps, handlers, log_lines):
    # Given today's demo data on the demo provider (quiet hours off) and Twilio that fails
    # the first send
    seed = demo_seed(PINNED.date())
    seed["businesses"] = [b for b in seed["businesses"] if b.get("provider", "demo") == "demo"]
    for item in seed["businesses"]:
        item["settings"] = {
            **item.get("settings", {}),
            "quiet_hours_start": None,
            "quiet_hours_end": None,
        }
    dynamodb = boto3.resource("dynamodb")
    load(
        Seed.model_validate(seed),
        dynamodb.Table(world.env["APP_TABLE_NAME"]),
        dynamodb.Table(world.env["PROVIDER_TABLE_NAME"]),
    )
    business, customer, appointment = _movable(seed)
    sms = deps.sms
    claims = {"custom:business_id": business["id"], "email": business["dispatchers"][0]["email"]}
    send = handlers["send_link"].lambda_handler
    portal = handlers["portal"].lambda_handler
    webhooks = handlers["webhooks"].lambda_handler
    request = json.dumps({"appointment_id": appointment["id"]})

    # When a send fails (logged with its traceback), then succeeds
    failed = send(
        _event("POST", "/api/sessions", "/api/sessions", body=request, claims=claims), Context()
    )
    assert failed["statusCode"] == 500
    sent = send(
        _event("POST", "/api/sessions", "/api/sessions", body=request, claims=claims), Context()
    )
    assert sent["statusCode"] == 201, sent["body"]
    created = json.loads(sent["body"])
    token = created["link"].rsplit("/", 1)[1]
    [text] = sms.sent

    # And the customer opens the page (bound to their browser first), is seen, and confirms
    browser: dict[str, str] = {}

    def link_event(method: str, suffix: str = "", **kwargs: Any) -> dict[str, Any]:
        resource = "/r/{token}" + suffix
        return _event(
            method,
            f"/r/{token}{suffix}",
            resource,
            path_parameters={"token": token},
            headers=browser,
            **kwargs,
        )

    opened = portal(link_event("POST", "/open"), Context())
    assert opened["statusCode"] == 303
    [cookie] = opened["multiValueHeaders"]["Set-Cookie"]
    browser["Cookie"] = cookie.split(";", 1)[0]
    page = portal(link_event("GET"), Context())
    assert page["statusCode"] == 200
    assert portal(link_event("POST", "/viewed"), Context())["statusCode"] == 204
    slot = page["body"].split("?slot=", 1)[1].split('"', 1)[0].split("'", 1)[0]
    confirm = link_event(
        "POST", "/confirm", body=f"slot={slot}", content_type="application/x-www-form-urlencoded"
    )
    assert portal(confirm, Context())["statusCode"] == 303
    unknown = new_token()
    missing = _event("GET", f"/r/{unknown}", "/r/{token}", path_parameters={"token": unknown})
    assert portal(missing, Context())["statusCode"] == 404

    # And the move fails, with the number and the link in the error Step Functions passes on
    cause = json.dumps({"errorMessage": f"could not text {customer['phone']} at {created['link']}"})
    compensated = handlers["compensate"].lambda_handler(
        {"session_id": created["id"], "error": {"Error": "ProviderUnavailable", "Cause": cause}},
        Context(),
    )
    assert compensated["status"] == "failed"

    # And Twilio reports deliveries and the customer's texts, and strangers text in
    sid = f"SM{len(sms.sent):032d}"  # the fake's id for the text that went out
    for status in ("delivered", "undelivered"):
        params = {"MessageSid": sid, "MessageStatus": status, "To": customer["phone"]}
        assert webhooks(_twilio("/webhooks/twilio/status", params), Context())["statusCode"] == 204
    for sender, to, body in (
        (customer["phone"], business["phone"], REPLY),
        (customer["phone"], business["phone"], "STOP"),
        (UNKNOWN_PHONE, business["phone"], REPLY),
        (customer["phone"], "+19995550000", REPLY),
    ):
        params = {"From": sender, "To": to, "Body": body}
        assert webhooks(_twilio("/webhooks/twilio/inbound", params), Context())["statusCode"] == 200

    # Then the functions did log, and no line carries a number, the token or a body
    lines = log_lines.getvalue()
    assert "Unable to create record" in lines  # the failed send, with its traceback
    assert "Traceback" in lines
    assert "confirm failed" in lines  # compensate's warning, with the cause
    assert "inbound text to an unknown number" in lines
    private = {
        customer["phone"],
        customer["phone"].removeprefix("+"),
        business["phone"],
        UNKNOWN_PHONE,
        "+19995550000",
        token,
        unknown,
        REPLY,
        "gate code",
        text["body"].split("http", 1)[0].strip(),  # the SMS text before its link
    }
    leaked = {value for value in private if value in lines}
    assert not leaked, lines
