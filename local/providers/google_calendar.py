"""Google Calendar's local fake (local/fakes/google_calendar.py): a calendar per technician."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from local.fakes.google_calendar import GoogleCalendarFake
from local.providers import LocalFake, calendar_fields, configured, slug
from local.seed import ProviderData

PREFIX = "/fakes/google"


def make(base_url: str, clock: Callable[[], datetime]) -> GoogleCalendarFake:
    return GoogleCalendarFake(
        clock=clock,
        client_id=f"{secrets.randbelow(10**12)}-local.apps.googleusercontent.com",
        client_secret=secrets.token_urlsafe(18),
        refresh_token="1//" + secrets.token_urlsafe(30),
        prefix=PREFIX,
        push_changes=True,  # as Google does: a write notifies the calendar's channels
    )


def keep(
    fake: GoogleCalendarFake, data: ProviderData, base_url: str, today: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The business's schedule as calendars and events; its options and credentials."""
    zone = data.business.time_zone
    technicians = []
    for technician in data.technicians:
        calendar_id = f"{slug(technician.name)}@{data.business.id}.example"
        fake.add_calendar(calendar_id, zone)
        technicians.append({**configured(technician), "calendar_id": calendar_id})
    calendars = {t["id"]: t["calendar_id"] for t in technicians}
    customers = {c.id: c for c in data.customers}
    for appointment in data.appointments:
        customer = customers[appointment.customer_id]
        fake.add_event(
            calendars[appointment.technician_id],
            {
                "id": _google_id(appointment.id),
                "summary": f"{appointment.service}: {customer.name}",
                "location": customer.location.address if customer.location else "",
                "start": {"dateTime": appointment.start.isoformat(), "timeZone": zone},
                "end": {"dateTime": appointment.end.isoformat(), "timeZone": zone},
                "extendedProperties": {"private": calendar_fields(appointment, customer)},
            },
        )
    for blocked in data.blocked_times:
        fake.add_event(
            calendars[blocked.technician_id],
            {
                "id": _google_id(blocked.id),
                "summary": blocked.reason,
                "start": {"dateTime": blocked.start.isoformat(), "timeZone": zone},
                "end": {"dateTime": blocked.end.isoformat(), "timeZone": zone},
            },
        )
    options = {
        "technicians": technicians,
        "api_base_url": f"{base_url}{PREFIX}/calendar/v3",
        "token_url": f"{base_url}{PREFIX}/token",
    }
    credentials = {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token,
        "channel_token": secrets.token_urlsafe(24),
    }
    return options, credentials


def _google_id(seed_id: str) -> str:
    """Google event ids use base32hex characters only (a-v, 0-9)."""
    return re.sub(r"[^a-v0-9]", "", seed_id.lower())


FAKE = LocalFake(kind="google_calendar", prefix=PREFIX, make=make, keep=keep)
