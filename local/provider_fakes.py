"""The scheduling-provider fakes of the local stack, and seeded businesses kept in them.

`make dev` runs the Google Calendar, Microsoft Graph and ServiceTitan fakes (local/fakes)
beside the Twilio, SendGrid and Slack sandboxes, each under its own prefix on the local
gateway with its own token endpoint. A seeded business whose `provider` is one of them has
its technicians, customers, appointments and blocked times written into that fake, in the
provider's own shapes, instead of into the demo provider's table; its credentials become a
Secrets Manager secret (in moto) and its record's connection points at the fake.

Credentials are fresh at every start. `GET /dev/providers` shows each connected business's
options and credentials, so a developer (or the e2e tests) can call a fake's API as the
business's own staff would, e.g. to change an appointment "elsewhere".
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from werkzeug.wrappers import Request, Response

from local.fakes.google_calendar import GoogleCalendarFake
from local.fakes.microsoft_graph import MicrosoftGraphFake, graph_time
from local.fakes.servicetitan import ServiceTitanFake
from local.sandbox_base import Sandbox, json_response
from local.seed import ProviderData
from reschedule_dispatch.adapters.calendar_fields import (
    CUSTOMER_EMAIL,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    LAT,
    LON,
    SERVICE,
)
from reschedule_dispatch.adapters.microsoft_graph import property_id
from reschedule_dispatch.domain.business import ProviderConnection, ProviderKind
from reschedule_dispatch.domain.provider_events import webhook_address
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Customer,
    Technician,
    WorkingHours,
)

GOOGLE_PREFIX = "/fakes/google"
GRAPH_PREFIX = "/fakes/graph"
SERVICETITAN_PREFIX = "/fakes/servicetitan"
# ServiceTitan shifts are dated: published this many days ahead (past the seeded two weeks).
SHIFT_DAYS = 21
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Connected:
    """What `GET /dev/providers` shows of one business kept in a fake."""

    business_id: str
    business_name: str
    connection: ProviderConnection
    credentials: dict[str, Any]

    def shown(self) -> dict[str, Any]:
        return {
            "business_id": self.business_id,
            "business_name": self.business_name,
            "provider": self.connection.name,
            **self.connection.model_dump(mode="json"),
            "credentials": self.credentials,
        }


class ProviderFakes(Sandbox):
    """The three fakes with fresh credentials, and `GET /dev/providers` (JSON) about them.

    Args:
        base_url: the local gateway's URL, which the connections' options point at.
        today: the first day of the seeded schedules (ServiceTitan's shifts start there).
    """

    def __init__(self, base_url: str, today: date) -> None:
        super().__init__("/dev/providers", "/dev")
        self.base_url = base_url.rstrip("/")
        self.today = today
        self.google = GoogleCalendarFake(
            client_id=f"{secrets.randbelow(10**12)}-local.apps.googleusercontent.com",
            client_secret=secrets.token_urlsafe(18),
            refresh_token="1//" + secrets.token_urlsafe(30),
            prefix=GOOGLE_PREFIX,
            push_changes=True,  # as Google does: a write notifies the calendar's channels
        )
        self.graph = MicrosoftGraphFake(
            tenant_id=str(uuid.uuid4()),
            client_id=str(uuid.uuid4()),
            client_secret=secrets.token_urlsafe(24),
            prefix=GRAPH_PREFIX,
            page_size=50,
            push_changes=True,  # as Graph does: a change notifies the mailbox's subscriptions
        )
        self.servicetitan = ServiceTitanFake(
            tenant_id=str(1000 + secrets.randbelow(9000)),
            client_id="cid." + secrets.token_hex(8),
            client_secret="cs1." + secrets.token_urlsafe(24),
            app_key="ak1." + secrets.token_hex(8),
            webhook_key=secrets.token_urlsafe(32),
            prefix=SERVICETITAN_PREFIX,
            push_changes=True,  # reschedules made through its API send their webhook too
        )
        self._secrets = boto3.client("secretsmanager")
        self._lock = threading.Lock()
        self.connected: list[Connected] = []

    def fakes(self) -> list[Sandbox]:
        return [self.google, self.graph, self.servicetitan]

    def keep(self, kind: ProviderKind, data: ProviderData) -> ProviderConnection:
        """Writes the business's schedule into the fake of `kind`; answers its connection
        (the secret with its credentials is created in Secrets Manager)."""
        if kind == "google_calendar":
            options, credentials = self._google(data)
        elif kind == "microsoft_graph":
            options, credentials = self._graph(data)
        elif kind == "servicetitan":
            options, credentials = self._servicetitan(data)
            # ServiceTitan's webhooks are registered in its developer portal, per tenant
            self.servicetitan.webhook_url = webhook_address(
                self.base_url, "servicetitan", data.business.id
            )
        else:
            raise ValueError(f"no local fake for the {kind} provider")
        created = self._secrets.create_secret(
            # Under the prefix the functions may read in AWS (infra/capabilities/providers.py).
            Name=f"reschedule-dispatch/providers/{data.business.id}",
            SecretString=json.dumps(credentials),
        )
        connection = ProviderConnection(kind=kind, secret_arn=created["ARN"], options=options)
        with self._lock:
            self.connected.append(
                Connected(data.business.id, data.business.name, connection, credentials)
            )
        return connection

    # -- Google Calendar: a calendar per technician, appointments as events ----------------

    def _google(self, data: ProviderData) -> tuple[dict[str, Any], dict[str, Any]]:
        fake, zone = self.google, data.business.time_zone
        technicians = []
        for technician in data.technicians:
            calendar_id = f"{_slug(technician.name)}@{data.business.id}.example"
            fake.add_calendar(calendar_id, zone)
            technicians.append({**_configured(technician), "calendar_id": calendar_id})
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
                    "extendedProperties": {"private": _fields(appointment, customer)},
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
            "api_base_url": f"{self.base_url}{GOOGLE_PREFIX}/calendar/v3",
            "token_url": f"{self.base_url}{GOOGLE_PREFIX}/token",
        }
        credentials = {
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "refresh_token": fake.refresh_token,
            "channel_token": secrets.token_urlsafe(24),
        }
        return options, credentials

    # -- Microsoft Graph: a mailbox per technician, its working hours in mailboxSettings ----

    def _graph(self, data: ProviderData) -> tuple[dict[str, Any], dict[str, Any]]:
        fake = self.graph
        technicians = []
        for technician in data.technicians:
            user_id = f"{_slug(technician.name)}@{data.business.id}.example"
            fake.add_user(
                user_id,
                working_hours=_mailbox_hours(technician.working_hours, data.business.time_zone),
                time_zone=data.business.time_zone,
            )
            # Hours are left to the mailbox: the adapter reads mailboxSettings.
            configured = {k: v for k, v in _configured(technician).items() if k != "working_hours"}
            technicians.append({**configured, "user_id": user_id})
        users = {t["id"]: t["user_id"] for t in technicians}
        customers = {c.id: c for c in data.customers}
        for appointment in data.appointments:
            customer = customers[appointment.customer_id]
            fields = _fields(appointment, customer)
            fake.add_event(
                users[appointment.technician_id],
                {
                    "id": _graph_id(data.business.id, appointment.id),
                    "subject": f"{appointment.service}: {customer.name}",
                    "location": {
                        "displayName": customer.location.address if customer.location else ""
                    },
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
            "api_base_url": f"{self.base_url}{GRAPH_PREFIX}/v1.0",
            "login_base_url": f"{self.base_url}{GRAPH_PREFIX}",
        }
        credentials = {
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "client_state": secrets.token_urlsafe(24),
        }
        return options, credentials

    # -- ServiceTitan: CRM customers and locations, jobs, appointments, assignments, shifts -

    def _servicetitan(self, data: ProviderData) -> tuple[dict[str, Any], dict[str, Any]]:
        fake, zone = self.servicetitan, ZoneInfo(data.business.time_zone)
        technicians: dict[str, int] = {}
        for technician in data.technicians:
            home = technician.home_base
            technicians[technician.id] = fake.add_technician(
                technician.name, home=(home.lat, home.lon) if home else None
            )
            # From yesterday: the business's today may be the day before UTC's.
            for day in (self.today + timedelta(days=d) for d in range(-1, SHIFT_DAYS)):
                for hours in technician.working_hours:
                    if hours.weekday == day.weekday():
                        fake.add_shift(
                            technicians[technician.id],
                            datetime.combine(day, hours.start, zone),
                            datetime.combine(day, hours.end, zone),
                        )
        customers: dict[str, tuple[int, int]] = {}  # seed id -> (customer id, location id)
        for customer in data.customers:
            where = customer.location
            street = where.address if where else ""
            lat, lon = (where.lat, where.lon) if where else (None, None)
            customer_id = fake.add_customer(
                customer.name, _national(customer.phone), street=street, lat=lat, lon=lon
            )
            if customer.email:
                fake.add_contact(customer_id, "Email", customer.email)
            customers[customer.id] = (customer_id, fake.add_location(customer_id, street, lat, lon))
        job_types = {
            service: fake.add_job_type(service)
            for service in sorted({a.service for a in data.appointments})
        }
        for appointment in data.appointments:
            customer_id, location_id = customers[appointment.customer_id]
            fake.book_job(
                customer_id,
                location_id,
                job_types[appointment.service],
                appointment.start,
                appointment.end,
                [technicians[appointment.technician_id]],
            )
        for blocked in data.blocked_times:
            fake.add_non_job_appointment(
                technicians[blocked.technician_id],
                blocked.start,
                blocked.end - blocked.start,
                blocked.reason,
            )
        # The hold reasons the adapter's rules read as trigger conditions.
        for reason in ("Customer not home", "No access to property", "Waiting for parts"):
            fake.add_hold_reason(reason)
        options = {
            "api_base_url": f"{self.base_url}{SERVICETITAN_PREFIX}",
            "auth_url": f"{self.base_url}{SERVICETITAN_PREFIX}/connect/token",
        }
        credentials = {
            "tenant_id": fake.tenant_id,
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "app_key": fake.app_key,
            "webhook_key": fake.webhook_key,
        }
        return options, credentials

    # -- GET /dev/providers ------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path != self.prefix or request.method != "GET":
            return json_response({"message": "GET /dev/providers only."}, 404)
        with self._lock:
            shown = [c.shown() for c in self.connected]
        # What each fake's API has answered since the stack started (token requests
        # included): the e2e tests read it before and after a page view.
        requests = {
            "google_calendar": self.google.api_requests,
            "microsoft_graph": self.graph.api_requests,
            "servicetitan": self.servicetitan.api_requests,
        }
        return json_response(
            {"businesses": shown, "api_requests": requests}, 200, {"Cache-Control": "no-store"}
        )


def _configured(technician: Technician) -> dict[str, Any]:
    """The technician as a calendar provider's options configure one."""
    return technician.model_dump(
        mode="json", include={"id", "name", "working_hours", "home_base", "services"}
    )


def _fields(appointment: Appointment, customer: Customer) -> dict[str, str]:
    """The product's private fields on an appointment's event (adapters/calendar_fields)."""
    fields = {
        CUSTOMER_ID: customer.id,
        CUSTOMER_NAME: customer.name,
        CUSTOMER_PHONE: customer.phone,
        SERVICE: appointment.service,
    }
    if customer.email:
        fields[CUSTOMER_EMAIL] = customer.email
    if customer.location:
        fields[LAT], fields[LON] = str(customer.location.lat), str(customer.location.lon)
    return fields


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


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")


def _google_id(seed_id: str) -> str:
    """Google event ids use base32hex characters only (a-v, 0-9)."""
    return re.sub(r"[^a-v0-9]", "", seed_id.lower())


def _graph_id(business_id: str, seed_id: str) -> str:
    """Deterministic ids shaped like Graph's (it makes them up; we keep them stable)."""
    return "AAMkAG" + re.sub(r"[^A-Za-z0-9]", "", f"{business_id[:8]}{seed_id}")


def _national(phone: str) -> str:
    """How ServiceTitan users type a US number: (303) 555-0101 (the adapter makes it E.164)."""
    digits = phone.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else phone
