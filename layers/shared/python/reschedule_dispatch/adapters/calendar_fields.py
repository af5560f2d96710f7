"""What the calendar-backed providers (Google Calendar, Microsoft Graph) share.

A calendar knows events, not customers or services, so the product's fields ride on each
appointment's event as string properties (Google: private extended properties; Graph:
single-value extended properties), under these names:

    customer_id, customer_name, customer_phone (E.164), customer_email (optional),
    service, lat, lon (optional, decimal degrees; both or neither)

An event with a customer_id and a service is an appointment; any other busy event is
blocked time. `move_key` holds the idempotency key of the last move we made.
Technicians are configured (a calendar has no working hours, home base or skills).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reschedule_dispatch.adapters.provider_reads import matches
from reschedule_dispatch.domain.errors import NotFound, ProviderError
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Customer,
    Location,
    Technician,
    WorkingHours,
)

CUSTOMER_ID = "customer_id"
CUSTOMER_NAME = "customer_name"
CUSTOMER_PHONE = "customer_phone"
CUSTOMER_EMAIL = "customer_email"
SERVICE = "service"
LAT = "lat"
LON = "lon"
MOVE_KEY = "move_key"
FIELD_NAMES = (CUSTOMER_ID, CUSTOMER_NAME, CUSTOMER_PHONE, CUSTOMER_EMAIL, SERVICE, LAT, LON)


class CalendarTechnician(BaseModel):
    """A technician as configured for a calendar provider (the calendar says only when
    they are busy)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    working_hours: tuple[WorkingHours, ...] = ()
    home_base: Location | None = None
    services: tuple[str, ...] | None = None

    def technician(self, business_id: str) -> Technician:
        return Technician(
            id=self.id,
            business_id=business_id,
            name=self.name,
            home_base=self.home_base,
            working_hours=self.working_hours,
            services=self.services,
        )


T = TypeVar("T", bound=CalendarTechnician)
E = TypeVar("E", bound=Mapping[str, Any])  # an event as the provider's JSON has it


def unique_technicians(technicians: Sequence[T]) -> Sequence[T]:
    """For the config models' validators: one entry per technician id."""
    ids = [t.id for t in technicians]
    if len(set(ids)) != len(ids):
        raise ValueError("technician ids must be unique")
    return technicians


def expected_first(technicians: Sequence[T], technician_id: str | None) -> list[T]:
    """The technicians, the one an appointment is expected with first (one read, not a scan,
    when it is still there)."""
    return sorted(technicians, key=lambda t: t.id != technician_id)


def find_technician(technicians: Iterable[T], technician_id: str) -> T:
    for candidate in technicians:
        if candidate.id == technician_id:
            return candidate
    raise NotFound("Technician not found.")


def same_business(configured: str, asked: str) -> None:
    """An adapter serves one business; any other is answered like a missing thing."""
    if asked != configured:
        raise NotFound("Not found.")


class AppointmentFields(BaseModel):
    """The product's fields on one appointment's event."""

    model_config = ConfigDict(frozen=True)

    customer_id: str = Field(min_length=1)
    customer_name: str
    customer_phone: str
    customer_email: str | None = None
    service: str = Field(min_length=1)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @classmethod
    def read(cls, properties: Mapping[str, str], where: str) -> AppointmentFields | None:
        """The fields, or None for an event that is not an appointment (no customer_id or
        service). Present but malformed fields are an error naming `where`, not blocked time.
        """
        if not properties.get(CUSTOMER_ID) or not properties.get(SERVICE):
            return None
        values = {name: properties[name] for name in FIELD_NAMES if properties.get(name)}
        try:
            fields = cls.model_validate(values)
        except ValidationError as error:
            names = ", ".join(str(e["loc"][0]) for e in error.errors() if e["loc"])
            raise ProviderError(f"{where} has malformed appointment fields: {names}.") from None
        if (fields.lat is None) != (fields.lon is None):
            raise ProviderError(f"{where} has a lat without a lon (or the other way round).")
        return fields

    def location(self, address: str) -> Location | None:
        if self.lat is None or self.lon is None:
            return None
        return Location(address=address, lat=self.lat, lon=self.lon)

    def customer(self, business_id: str, address: str) -> Customer:
        return Customer(
            id=self.customer_id,
            business_id=business_id,
            name=self.customer_name,
            phone=self.customer_phone,
            email=self.customer_email,
            location=self.location(address),
        )


# A scheduled appointment and its customer, as one event describes them.
Booking = tuple[Appointment, Customer]


def search(bookings: Iterable[Booking], query: str) -> list[Customer]:
    """The customers who match `query`, once each (as their first booking has them), by name."""
    found: dict[str, Customer] = {}
    for _, customer in bookings:
        if matches(customer, query):
            found.setdefault(customer.id, customer)
    return sorted(found.values(), key=lambda c: c.name)


def latest_customer(bookings: Iterable[Booking], customer_id: str) -> Customer:
    """The customer as their latest appointment describes them; NotFound without one."""
    theirs = [b for b in bookings if b[1].id == customer_id]
    if not theirs:
        raise NotFound("Customer not found.")
    return max(theirs, key=lambda b: b[0].start.timestamp())[1]


def upcoming(bookings: Iterable[Booking], customer_id: str, after: datetime) -> list[Appointment]:
    """The customer's appointments that start after `after`, soonest first."""
    found = [a for a, c in bookings if c.id == customer_id and a.start > after]
    return sorted(found, key=lambda a: a.start.timestamp())


def customers_on(
    events: Sequence[E],
    busy: Sequence[Appointment | object],
    business_id: str,
    fields_of: Callable[[E], AppointmentFields | None],
    address_of: Callable[[E], str],
) -> list[Customer]:
    """The customers named by the events that became appointments in `busy`, once each, as
    their latest appointment describes them."""
    booked = {a.id: a for a in busy if isinstance(a, Appointment)}
    found: dict[str, tuple[float, Customer]] = {}
    for event in events:
        appointment = booked.get(str(event.get("id")))
        fields = fields_of(event) if appointment else None
        if appointment is None or fields is None:
            continue
        at = appointment.start.timestamp()
        if fields.customer_id not in found or found[fields.customer_id][0] <= at:
            found[fields.customer_id] = (at, fields.customer(business_id, address_of(event)))
    return [customer for _, customer in found.values()]


def rfc3339(moment: datetime) -> str:
    """UTC with a Z, as both APIs document their query times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
