"""Integration tests: the real adapters and services on moto, provisioned from the template."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.cloud import provision
from local.seed import Seed, load
from local.template import Template
from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_contacts import DynamoContacts
from reschedule_dispatch.adapters.dynamodb_holds import DynamoOpeningHolds
from reschedule_dispatch.adapters.dynamodb_sessions import DynamoSessionRepository
from reschedule_dispatch.adapters.eventbridge_scheduler import EventBridgeExpiryScheduler
from reschedule_dispatch.adapters.stepfunctions_workflow import StepFunctionsConfirmWorkflow
from reschedule_dispatch.domain.ports import EmailSender, ScheduledSends
from reschedule_dispatch.services.lifecycle import (
    CheckAppointment,
    FinalizeReschedule,
    HoldOpening,
    MoveAppointment,
)
from reschedule_dispatch.services.send_link import SendLink
from tests.builders import NOW

ROOT = Path(__file__).resolve().parents[2]
TWILIO = {"account_sid": "AC" + "0" * 32, "auth_token": "integration-token"}


@dataclass
class FixedClock:
    at: datetime = NOW

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class RecordingSms:
    """Stands in for Twilio where a test is about our side; e2e tests use the real client."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_with: Exception | None = None

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        if self.fail_with:
            raise self.fail_with
        self.sent.append({"to": to, "from": from_, "body": body, "callback": status_callback})
        return f"SM{len(self.sent):032d}"

    def sent_body(self, message_sid: str) -> str:
        return str(self.sent[int(message_sid[2:]) - 1]["body"])


@dataclass
class World:
    env: dict[str, str]
    clock: FixedClock
    sessions: DynamoSessionRepository
    provider: DemoProvider
    businesses: DynamoBusinessDirectory
    expiry: EventBridgeExpiryScheduler
    workflow: StepFunctionsConfirmWorkflow
    sms: RecordingSms
    holds: DynamoOpeningHolds
    contacts: DynamoContacts

    def send_link(
        self, email: EmailSender | None = None, sends: ScheduledSends | None = None
    ) -> SendLink:
        return SendLink(
            sessions=self.sessions,
            provider=self.provider,
            businesses=self.businesses,
            sms=self.sms,
            expiry=self.expiry,
            clock=self.clock,
            contacts=self.contacts,
            email=email,
            sends=sends,
        )

    def finalize(self, email: EmailSender | None = None) -> FinalizeReschedule:
        return FinalizeReschedule(
            sessions=self.sessions,
            businesses=self.businesses,
            expiry=self.expiry,
            sms=self.sms,
            clock=self.clock,
            contacts=self.contacts,
            holds=self.holds,
            email=email,
        )

    def run_steps(self, session_id: str) -> None:
        """The confirm workflow's hold, re-check and move, as its tasks run them."""
        HoldOpening(sessions=self.sessions, holds=self.holds, clock=self.clock)(session_id)
        CheckAppointment(sessions=self.sessions, provider=self.provider)(session_id)
        MoveAppointment(sessions=self.sessions, provider=self.provider)(session_id)

    def executions(self) -> list[Any]:
        """The confirm state machine's executions started so far."""
        return list(
            boto3.client("stepfunctions").list_executions(
                stateMachineArn=self.env["CONFIRM_STATE_MACHINE_ARN"]
            )["executions"]
        )


def _seed() -> dict[str, Any]:
    hours = [{"weekday": d, "start": "08:00:00", "end": "17:00:00"} for d in range(5)]
    return {
        "businesses": [
            {
                "id": business_id,
                "name": name,
                "phone": phone,
                "time_zone": "America/Chicago",
                "dispatchers": [{"email": f"d@{business_id}.example", "name": "D"}],
                "technicians": [
                    {
                        "id": "tech-1",
                        "name": "Alex Rivera",
                        "home_base": {"lat": 41.88, "lon": -87.63},
                        "working_hours": hours,
                    }
                ],
                "customers": [
                    {
                        "id": "cust-1",
                        "name": "Olivia Garcia",
                        "phone": "+13125550142",
                        "location": {"lat": 41.9, "lon": -87.6},
                    }
                ],
                "appointments": [
                    {
                        "id": "appt-1",
                        "customer_id": "cust-1",
                        "technician_id": "tech-1",
                        "service": "Drain cleaning",
                        # Wednesday 10:00 Chicago; NOW is Monday 9:00
                        "start": "2026-11-25T10:00:00-06:00",
                        "end": "2026-11-25T11:00:00-06:00",
                    },
                    {
                        "id": "appt-soon",
                        "customer_id": "cust-1",
                        "technician_id": "tech-1",
                        "service": "Leak repair",
                        "start": "2026-11-23T16:00:00-06:00",
                        "end": "2026-11-23T17:00:00-06:00",
                    },
                ],
            }
            for business_id, name, phone in (
                ("acme", "Acme Plumbing", "+13125550100"),
                ("other", "Other HVAC", "+14155550100"),
            )
        ]
    }


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    template_path = ROOT / "cdk.out"
    if not (template_path / "RescheduleDispatch.template.json").exists():
        pytest.fail("cdk.out is missing: run `make synth` (make test does it)")
    with mock_aws():
        template = Template.load(template_path)
        provision(template, {"TWILIO_SECRET_ARN": TWILIO})
        env: dict[str, str] = {}
        for spec in template.functions().values():
            env.update(
                {k: v for k, v in spec.environment.items() if k != "POWERTOOLS_SERVICE_NAME"}
            )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        dynamodb = boto3.resource("dynamodb")
        app_table = dynamodb.Table(env["APP_TABLE_NAME"])
        provider_table = dynamodb.Table(env["PROVIDER_TABLE_NAME"])
        load(Seed.model_validate(_seed()), app_table, provider_table)
        yield World(
            env=env,
            clock=FixedClock(),
            sessions=DynamoSessionRepository(app_table),
            provider=DemoProvider(provider_table),
            businesses=DynamoBusinessDirectory(app_table),
            expiry=EventBridgeExpiryScheduler(
                boto3.client("scheduler"),
                env["SCHEDULE_GROUP_NAME"],
                env["EXPIRE_FUNCTION_ARN"],
                env["SCHEDULER_ROLE_ARN"],
                env["EXPIRY_DEAD_LETTER_QUEUE_ARN"],
            ),
            workflow=StepFunctionsConfirmWorkflow(
                boto3.client("stepfunctions"), env["CONFIRM_STATE_MACHINE_ARN"]
            ),
            sms=RecordingSms(),
            holds=DynamoOpeningHolds(app_table),
            contacts=DynamoContacts(app_table),
        )
