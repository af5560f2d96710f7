"""ServiceTitan's local fake (local/fakes/servicetitan.py): CRM customers and locations,
jobs, appointments, assignments and shifts."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes.servicetitan import ServiceTitanFake
from local.providers import LocalFake
from local.seed import ProviderData
from reschedule_dispatch.domain.provider_events import webhook_address

PREFIX = "/fakes/servicetitan"
# ServiceTitan shifts are dated: published this many days ahead (past the seeded two weeks).
SHIFT_DAYS = 21


def make(base_url: str, clock: Callable[[], datetime]) -> ServiceTitanFake:
    return ServiceTitanFake(
        clock=clock,
        tenant_id=str(1000 + secrets.randbelow(9000)),
        client_id="cid." + secrets.token_hex(8),
        client_secret="cs1." + secrets.token_urlsafe(24),
        app_key="ak1." + secrets.token_hex(8),
        webhook_key=secrets.token_urlsafe(32),
        prefix=PREFIX,
        push_changes=True,  # reschedules made through its API send their webhook too
    )


def keep(
    fake: ServiceTitanFake, data: ProviderData, base_url: str, today: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The business as ServiceTitan holds it; its options and credentials."""
    zone = ZoneInfo(data.business.time_zone)
    technicians: dict[str, int] = {}
    for technician in data.technicians:
        home = technician.home_base
        technicians[technician.id] = fake.add_technician(
            technician.name, home=(home.lat, home.lon) if home else None
        )
        # From yesterday: the business's today may be the day before UTC's.
        for day in (today + timedelta(days=d) for d in range(-1, SHIFT_DAYS)):
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
    # ServiceTitan's webhooks are registered in its developer portal, per tenant
    fake.webhook_url = webhook_address(base_url, "servicetitan", data.business.id)
    options = {
        "api_base_url": f"{base_url}{PREFIX}",
        "auth_url": f"{base_url}{PREFIX}/connect/token",
    }
    credentials = {
        "tenant_id": fake.tenant_id,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "app_key": fake.app_key,
        "webhook_key": fake.webhook_key,
    }
    return options, credentials


def _national(phone: str) -> str:
    """How ServiceTitan users type a US number: (303) 555-0101 (the adapter makes it E.164)."""
    digits = phone.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else phone


FAKE = LocalFake(kind="servicetitan", prefix=PREFIX, make=make, keep=keep)
