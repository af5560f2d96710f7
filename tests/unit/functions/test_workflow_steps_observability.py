"""The confirm workflow's steps and the expiry: metrics, and the session id as correlation id.

The services are replaced by stand-ins (each handler's `services`), so what is checked is
what the handlers themselves write: Powertools' EMF metrics and JSON log lines on stdout.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from reschedule_dispatch.domain.scheduling import Appointment
from reschedule_dispatch.domain.session import SessionStatus

SESSION = "s-0042"
MOVED = Appointment.model_validate(
    {
        "id": "a-1",
        "business_id": "b-1",
        "customer_id": "c-1",
        "technician_id": "t-1",
        "start": datetime(2026, 12, 1, 15, tzinfo=UTC),
        "end": datetime(2026, 12, 1, 16, tzinfo=UTC),
        "service": "Tune-up",
        "version": 2,
    }
)


class Context:
    function_name = "step"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:step"
    aws_request_id = "req-1"


@pytest.fixture(autouse=True)
def metrics_on(monkeypatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # the tests' default is off


def _handler(name: str, service_name: str, service: Any, monkeypatch) -> ModuleType:
    """The handler module, its service a stand-in, its log lines written to stdout now."""
    module = importlib.import_module(f"functions.{name}")
    monkeypatch.setattr(module, "services", SimpleNamespace(**{service_name: service}))
    handler = module.logger.registered_handler
    monkeypatch.setattr(handler, "stream", sys.stdout)  # capsys's, not the one at import
    return module


def _written(capsys) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(metrics, log lines) the handler printed: EMF documents have an _aws key."""
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return [p for p in printed if "_aws" in p], [p for p in printed if "_aws" not in p]


def _metric_names(documents: list[dict[str, Any]]) -> set[str]:
    return {
        metric["Name"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }


@pytest.mark.parametrize(
    ("name", "service_name", "result", "metric"),
    [
        ("confirm.hold", "hold_opening", None, "OpeningsHeld"),
        ("confirm.check", "check_appointment", None, "AppointmentsRechecked"),
        ("confirm.move", "move_appointment", MOVED, "AppointmentsMoved"),
        (
            "confirm.finalize",
            "finalize_reschedule",
            SessionStatus.COMPLETED,
            "ReschedulesCompleted",
        ),
        ("expire.handler", "expire_session", SessionStatus.EXPIRED, "LinksExpired"),
    ],
)
def test_each_step_counts_what_it_did_and_logs_under_the_session_id(
    name, service_name, result, metric, monkeypatch, capsys
):
    module = _handler(name, service_name, lambda session_id: result, monkeypatch)
    # its own session: the functions' loggers share one handler in this process, so an id
    # an earlier case set would otherwise still be there
    session_id = f"s-{name}"

    module.lambda_handler({"session_id": session_id}, Context())

    metrics, _ = _written(capsys)
    assert metric in _metric_names(metrics)
    module.logger.info("step done")
    _, lines = _written(capsys)
    assert lines[-1]["correlation_id"] == session_id


def test_a_refused_confirm_is_counted_by_its_reason_apart_from_the_failures(monkeypatch, capsys):
    # Given a confirm whose hold found the time taken (the customer picks again), in the
    # function whose service name the deployment gives it
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "confirm_compensate")
    module = _handler(
        "confirm.compensate",
        "compensate",
        lambda session_id, error: SessionStatus.VIEWED,
        monkeypatch,
    )

    module.lambda_handler(
        {"session_id": SESSION, "error": {"Error": "OpeningTaken", "Cause": "{}"}}, Context()
    )

    # Then the refusal is counted with its reason, and it is not a failed reschedule
    metrics, lines = _written(capsys)
    [refused] = [m for m in metrics if "ConfirmsCompensatedByReason" in _metric_names([m])]
    assert refused["reason"] == "OpeningTaken"
    [directive] = refused["_aws"]["CloudWatchMetrics"]
    # exactly the dimensions the dashboard's SEARCH asks for: {reason, service}
    assert directive["Dimensions"] == [["reason", "service"]]
    assert refused["service"] == "confirm_compensate"
    assert "ConfirmsCompensated" in _metric_names(metrics)
    assert "ReschedulesFailed" not in _metric_names(metrics)
    assert any(
        line["message"] == "confirm failed" and line["correlation_id"] == SESSION for line in lines
    )
