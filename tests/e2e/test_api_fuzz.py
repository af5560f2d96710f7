"""Schemathesis against the running local stack, from the OpenAPI document the stack serves.

Every route of /openapi.json gets generated requests three ways: valid inputs, invalid
inputs, and valid inputs around ids that exist (so the success answers are checked too, not
only the 404s). Each answer must be no 5xx, a documented status, the documented content type
and a body that matches its schema. Hypothesis is derandomized: CI replays the same run.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.template import Template
from tests.e2e.client import NORTHSIDE, TIMEOUT, Console, inbox, report_provider_event
from tests.e2e.conftest import ROOT, wait_for

pytestmark = pytest.mark.e2e

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 45  # per route and way: about 1,130 requests, 20-60 s on two cores
# A resend of the run's own session texts the customer each time: a few check its answer, and
# the SMS sandbox's delivery callbacks do not pile up behind the run for the next tests.
RESENDS = 6
DELIVERED = {"delivered", "undelivered", "failed"}
MIN_REQUESTS = 1000
# Unsigned, the webhooks can only answer 403 (their signed answers are tested in test_messaging).
# Generated requests are never signed (nor carry a provider's channel token), so no 2xx.
WEBHOOKS = {
    "POST /webhooks/twilio/status",
    "POST /webhooks/twilio/inbound",
    "POST /webhooks/providers/{provider}",
}
# Routes whose success needs what generated data cannot make: a sign-up a new number, a real
# zone and an unused email at once; a removal an email on the team (tests/e2e/test_team.py);
# a connection a provider's consent and its state, a disconnection a connected provider
# (tests/e2e/test_connections.py). Those walk them to 2xx; here they must still answer as
# documented.
SUCCESS_ELSEWHERE = {
    "POST /api/signup",
    "DELETE /api/team/{email}",
    "POST /api/connections/{kind}/start",
    "GET /api/connections/callback",
    "DELETE /api/connections",
}


@dataclass
class Run:
    """What one fuzzing run sent and saw."""

    token: str
    appointment_id: str  # free for a new link: the known-id cases may create a session on it
    session_id: str  # the run's own session: resent and canceled by the known-id cases
    suggested_id: str  # an appointment the provider suggested: dismissed by the known-id cases
    technician_id: str = ""
    move_start: str = ""  # ISO 8601, days ahead: what a dispatcher's move may choose
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    created: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _with_known_ids(
    operation: APIOperation, document: dict[str, Any], run: Run
) -> SearchStrategy[Case] | None:
    """Valid cases about this run's appointment or session, where the route takes one."""
    raw = operation.definition.raw
    path = {p["name"] for p in raw.get("parameters", []) if p.get("in") == "path"}
    if operation.path.endswith(("/move", "/move/check")):
        # A dispatcher's move: the appointment's technician, at a time days ahead.
        def a_sane_time(case: Case) -> Case:
            if isinstance(case.body, dict):
                case.body = {**case.body, "start": run.move_start,
                             "technician_id": run.technician_id}  # fmt: skip
            return case

        return operation.as_strategy(path_parameters={"appointment_id": run.appointment_id}).map(
            a_sane_time
        )
    if "appointment_id" in path:
        known = run.suggested_id if "/suggestions/" in operation.path else run.appointment_id
        return operation.as_strategy(path_parameters={"appointment_id": known})
    if operation.path == "/api/schedule":
        return operation.as_strategy(query={"start": run.move_start[:10]})
    if "session_id" in path:
        return operation.as_strategy(path_parameters={"session_id": run.session_id})
    body = raw.get("requestBody", {}).get("content", {}).get("application/json", {})
    name = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    if "appointment_id" in document["components"]["schemas"].get(name, {}).get("properties", {}):

        def about_the_appointment(case: Case) -> Case:
            if isinstance(case.body, dict):
                case.body = {**case.body, "appointment_id": run.appointment_id}
            return case

        return operation.as_strategy().map(about_the_appointment)
    return None


def _fuzz(
    operation: APIOperation,
    way: str,
    cases: SearchStrategy[Case],
    run: Run,
    examples: int = EXAMPLES,
) -> None:
    @settings(
        max_examples=examples,
        derandomize=True,  # the same requests on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {run.token}"}, timeout=TIMEOUT)
        run.sent[operation.label] += 1
        run.statuses[(operation.label, response.status_code)] += 1
        if operation.label == "POST /api/sessions" and response.status_code == 201:
            run.created.append(response.json()["id"])
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (AssertionError, BaseExceptionGroup) as failure:
        run.failures.append(f"{operation.label} ({way}): {failure}")


def _fuzz_every_route(stack_url: str, run: Run) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{stack_url}/openapi.json")
    labels = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # the document itself is wrong
        operation = result.ok()
        labels.append(operation.label)
        raw = operation.definition.raw
        _fuzz(operation, "valid", operation.as_strategy(), run)
        if "parameters" in raw or "requestBody" in raw:  # else nothing can be invalid
            _fuzz(operation, "invalid", operation.as_strategy(GenerationMode.NEGATIVE), run)
        known = _with_known_ids(operation, schema.raw_schema, run)
        if known is not None:
            resend = operation.path.endswith("/resend")
            _fuzz(operation, "known ids", known, run, RESENDS if resend else EXAMPLES)
    return labels


def test_every_route_answers_generated_requests_as_documented(stack_url: str) -> None:
    # Given a dispatcher with a session of their own and another appointment free for a link
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, _, session = console.send_any()
    free_ones = [(c, a) for c, a in console.movable_appointments() if a["session"] is None]
    (other, free), (_, suggested) = free_ones[0], free_ones[1]
    # and a reschedule the provider suggested (applied as a verified webhook's would be)
    report_provider_event(stack_url, "northside-plumbing", suggested["id"], "customer_canceled")
    run = Run(
        console.token,
        appointment_id=free["id"],
        session_id=session["id"],
        suggested_id=suggested["id"],
        technician_id=free["technician"]["id"],
        move_start=(console.now() + timedelta(days=3))
        .replace(minute=0, second=0, microsecond=0)
        .isoformat(),
    )
    settings_before = console.get("/api/settings").json()
    try:
        # When Schemathesis fuzzes every route of the document
        labels = _fuzz_every_route(stack_url, run)
    finally:
        # (what the run changed goes back, for the other e2e tests on this stack)
        console.put("/api/settings", json=settings_before).raise_for_status()
        for session_id in [session["id"], *run.created]:
            console.post(f"/api/sessions/{session_id}/cancel")
        for phone in {customer["phone"], other["phone"]}:  # every text sent has been delivered
            wait_for(lambda p=phone: all(m["status"] in DELIVERED for m in inbox(stack_url, p)))

    # Then nothing failed, every route was called, and the run was big enough to mean it
    report = "\n".join(
        f"  {label}: {status} x{n}" for (label, status), n in sorted(run.statuses.items())
    )
    assert not run.failures, "\n\n".join(run.failures) + "\n\nAnswers:\n" + report
    assert sorted(run.sent) == sorted(labels), report
    assert sum(run.sent.values()) >= MIN_REQUESTS, report
    answered_2xx = {label for (label, status), _ in run.statuses.items() if status < 300}
    assert answered_2xx == set(labels) - WEBHOOKS - SUCCESS_ELSEWHERE, report


def test_the_coverage_phase_finds_nothing_on_any_route(stack_url: str, tmp_path: Path) -> None:
    # Schemathesis's coverage phase, as its CLI runs it: boundary and malformed values,
    # wrong media types and missing headers on every route, every check (two decisions in
    # tests/e2e/schemathesis.toml, each with its reason)
    console = Console.sign_in(stack_url, NORTHSIDE)
    settings_before = console.get("/api/settings").json()
    try:
        run = _coverage_phase(stack_url, console.token, tmp_path)
    finally:  # it saved valid settings: the next tests get the business's own back
        console.put("/api/settings", json=settings_before).raise_for_status()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated, run.stdout[-2000:]
    assert int(generated.group(1)) >= 500  # every route, many ways
    assert generated.group(1) == generated.group(2)


def _coverage_phase(stack_url: str, token: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{stack_url}/openapi.json",
            "--phases",
            "coverage",
            "--checks",
            "all",
            "--exclude-checks",
            "unsupported_method",
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        cwd=folder,  # where the CLI keeps its cache: not the repository
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_document_covers_every_json_route_the_gateway_serves(stack_url: str) -> None:
    # Given the routes API Gateway has (the synthesized template), less the HTML pages and the
    # mock /health
    template = Template.load(ROOT / "cdk.out")
    served = {
        (route.method, re.sub(r"\{[^}]+\}", "{}", route.path))
        for route in template.routes()
        if route.function is not None and not route.path.startswith("/r/")
    }
    # Then the document describes each of them, and nothing else
    document = requests.get(f"{stack_url}/openapi.json", timeout=TIMEOUT).json()
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert documented == served


def test_swagger_ui_is_served_by_the_stack_itself(stack_url: str) -> None:
    page = requests.get(f"{stack_url}/docs", timeout=TIMEOUT)
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    # Every file the page loads comes from this origin, and is there
    assets = re.findall(r"(?:src|href)=([^\s>]+)", page.text)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/docs/"), asset
        response = requests.get(f"{stack_url}{asset}", timeout=TIMEOUT)
        assert response.status_code == 200, asset
        assert response.content, asset
    start = requests.get(f"{stack_url}/docs/start.js", timeout=TIMEOUT).text
    assert '"/openapi.json"' in start
    assert "validatorUrl: null" in start  # no badge fetched from a third-party validator
    assert requests.get(f"{stack_url}/docs/package.json", timeout=TIMEOUT).status_code == 404


def test_a_body_that_is_not_utf8_is_400_not_a_gateway_crash(stack_url: str) -> None:
    # Found by the fuzzing above: the local gateway failed to decode it and answered 500
    console = Console.sign_in(stack_url, NORTHSIDE)
    response = requests.post(
        f"{stack_url}/api/sessions",
        data=b"\xff\xfe{",
        headers={"Authorization": f"Bearer {console.token}", "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 400
    assert response.json() == {"message": "The request body is not valid JSON."}
