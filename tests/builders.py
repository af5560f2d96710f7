"""Small builders for domain objects, so each test states only what matters to it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Customer,
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.session import RescheduleSession, SessionStatus

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 9:00 AM in Chicago
ZONE = "America/Chicago"


def business(**changes: Any) -> Business:
    settings = changes.pop("settings", BusinessSettings())
    return Business(
        id=changes.pop("id", "acme"),
        name=changes.pop("name", "Acme Plumbing"),
        phone=changes.pop("phone", "+13125550100"),
        time_zone=changes.pop("time_zone", ZONE),
        settings=settings,
        **changes,
    )


def technician(**changes: Any) -> Technician:
    hours = tuple(WorkingHours(weekday=d, start=time(8), end=time(17)) for d in range(5))
    return Technician(
        id=changes.pop("id", "tech-1"),
        business_id=changes.pop("business_id", "acme"),
        name=changes.pop("name", "Alex Rivera"),
        home_base=Location(lat=41.88, lon=-87.63),
        working_hours=changes.pop("working_hours", hours),
        **changes,
    )


def customer(**changes: Any) -> Customer:
    return Customer(
        id=changes.pop("id", "cust-1"),
        business_id=changes.pop("business_id", "acme"),
        name=changes.pop("name", "Olivia Garcia"),
        phone=changes.pop("phone", "+13125550142"),
        **changes,
    )


def appointment(start: datetime, minutes: int = 60, **changes: Any) -> Appointment:
    return Appointment(
        id=changes.pop("id", "appt-1"),
        business_id=changes.pop("business_id", "acme"),
        customer_id=changes.pop("customer_id", "cust-1"),
        technician_id=changes.pop("technician_id", "tech-1"),
        service=changes.pop("service", "Drain cleaning"),
        start=start,
        end=start + timedelta(minutes=minutes),
        **changes,
    )


def reschedule_session(moving: Appointment, **changes: Any) -> RescheduleSession:
    """A session about moving appointment `moving`, its link sent at NOW for 12 hours."""
    return RescheduleSession(
        id=changes.pop("id", "s1"),
        business_id=moving.business_id,
        appointment_id=moving.id,
        customer_id=moving.customer_id,
        customer_name=changes.pop("customer_name", "Olivia Garcia"),
        customer_phone=changes.pop("customer_phone", "+13125550142"),
        dispatcher=changes.pop("dispatcher", "d@acme.example"),
        status=changes.pop("status", SessionStatus.LINK_SENT),
        created_at=changes.pop("created_at", NOW),
        expires_at=changes.pop("expires_at", NOW + timedelta(hours=12)),
        original_start=moving.start,
        original_end=moving.end,
        original_technician_id=moving.technician_id,
        message=changes.pop("message", ""),
        **changes,
    )
