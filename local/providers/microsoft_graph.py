"""Microsoft Graph's local fake (local/fakes/microsoft_graph.py): a mailbox per technician,
its working hours in mailboxSettings."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from local.fakes.microsoft_graph import MicrosoftGraphFake, graph_time
from local.providers import WEEKDAYS, LocalFake, calendar_fields, configured, slug
from local.seed import ProviderData
from reschedule_dispatch.adapters.microsoft_graph import property_id
from reschedule_dispatch.domain.scheduling import WorkingHours

PREFIX = "/fakes/graph"


def make(base_url: str, clock: Callable[[], datetime]) -> MicrosoftGraphFake:
    return MicrosoftGraphFake(
        clock=clock,
        tenant_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        client_secret=secrets.token_urlsafe(24),
        prefix=PREFIX,
        page_size=50,
        push_changes=True,  # as Graph does: a change notifies the mailbox's subscriptions
    )


def keep(
    fake: MicrosoftGraphFake, data: ProviderData, base_url: str, today: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The business's schedule as mailboxes and events; its options and credentials."""
    technicians = []
    for technician in data.technicians:
        user_id = f"{slug(technician.name)}@{data.business.id}.example"
        fake.add_user(
            user_id,
            working_hours=_mailbox_hours(technician.working_hours, data.business.time_zone),
            time_zone=data.business.time_zone,
        )
        # Hours are left to the mailbox: the adapter reads mailboxSettings.
        hourless = {k: v for k, v in configured(technician).items() if k != "working_hours"}
        technicians.append({**hourless, "user_id": user_id})
    users = {t["id"]: t["user_id"] for t in technicians}
    customers = {c.id: c for c in data.customers}
    for appointment in data.appointments:
        customer = customers[appointment.customer_id]
        fields = calendar_fields(appointment, customer)
        fake.add_event(
            users[appointment.technician_id],
            {
                "id": _graph_id(data.business.id, appointment.id),
                "subject": f"{appointment.service}: {customer.name}",
                "location": {"displayName": customer.location.address if customer.location else ""},
                "start": graph_time(appointment.start),
                "end": graph_time(appointment.end),
                "singleValueExtendedProperties": [
                    {"id": property_id(name), "value": value} for name, value in fields.items()
                ],
            },
        )
    for blocked in data.blocked_times:
        fake.add_event(
            users[blocked.technician_id],
            {
                "id": _graph_id(data.business.id, blocked.id),
                "subject": blocked.reason,
                "start": graph_time(blocked.start),
                "end": graph_time(blocked.end),
            },
        )
    options = {
        "tenant_id": fake.tenant_id,
        "technicians": technicians,
        "api_base_url": f"{base_url}{PREFIX}/v1.0",
        "login_base_url": f"{base_url}{PREFIX}",
    }
    credentials = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "client_state": secrets.token_urlsafe(24),
    }
    return options, credentials


def _mailbox_hours(hours: Sequence[WorkingHours], zone: str) -> dict[str, Any]:
    """mailboxSettings.workingHours: one start and end for its days (Outlook has no
    per-day hours), so the weekdays' hours stand for all of them."""
    weekdays = [h for h in hours if h.weekday < 5] or list(hours)
    first = weekdays[0]
    return {
        "daysOfWeek": [WEEKDAYS[h.weekday] for h in weekdays],
        "startTime": f"{first.start:%H:%M:%S}.0000000",
        "endTime": f"{first.end:%H:%M:%S}.0000000",
        "timeZone": {"name": zone},
    }


def _graph_id(business_id: str, seed_id: str) -> str:
    """Deterministic ids shaped like Graph's (it makes them up; we keep them stable)."""
    return "AAMkAG" + re.sub(r"[^A-Za-z0-9]", "", f"{business_id[:8]}{seed_id}")


FAKE = LocalFake(kind="microsoft_graph", prefix=PREFIX, make=make, keep=keep)
