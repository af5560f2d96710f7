"""What the calendar-backed providers (Google Calendar, Microsoft Graph) share.

A calendar knows events, not customers or services, so the product's fields ride on each
appointment's event as string properties (Google: private extended properties; Graph:
single-value extended properties), under these names:

    customer_id, customer_name, customer_phone (E.164), customer_email (optional),
    service, lat, lon (optional, decimal degrees; both or neither)

An event with a customer_id and a service is an appointment. Any other event is read as
people wrote it (domain/calendar_events.py): an appointment when it carries a customer (an
attendee, a phone number, a street address), else blocked time; the product's fields, when
present, win. `move_key` holds the idempotency key of the last move we made, on either kind.
Technicians are configured (a calendar has no working hours, home base or skills).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reschedule_dispatch.adapters.provider_reads import matches
from reschedule_dispatch.domain.calendar_events import EventAppointment, EventCustomer, Ours
from reschedule_dispatch.domain.errors import NotFound, ProviderError
from reschedule_dispatch.domain.phones import region_of
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


def ours(
    technicians: Iterable[CalendarTechnician],
    own_emails: Iterable[str],
    business_phone: str | None,
    phone_region: str | None,
) -> Ours:
    """What an event's reader must never take for a customer's: the business's number, the
    technicians' calendars (and so their mail domain) and home bases. A number written
    without its country code is read in `phone_region`, else the business number's region."""
    region = phone_region or (region_of(business_phone) if business_phone else "US")
    return Ours.of(
        region=region,
        phones=[business_phone] if business_phone else [],
        emails=own_emails,
        addresses=[t.home_base.address for t in technicians if t.home_base],
    )


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

    def reading(self, address: str) -> EventAppointment:
        """The appointment these fields describe, the event's location text as its address."""
        return EventAppointment(
            customer=EventCustomer(
                id=self.customer_id,
                name=self.customer_name,
                phone=self.customer_phone,
                email=self.customer_email,
            ),
            service=self.service,
            address=address,
            coordinates=None if self.lat is None or self.lon is None else (self.lat, self.lon),
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
    booked: Iterable[tuple[Appointment, EventAppointment]], business_id: str
) -> list[Customer]:
    """The customers the events of a listing name (each appointment with what its event
    says), once each, as their latest appointment describes them."""
    found: dict[str, tuple[float, Customer]] = {}
    for appointment, reading in booked:
        at = appointment.start.timestamp()
        customer_id = reading.customer.id
        if customer_id not in found or found[customer_id][0] <= at:
            found[customer_id] = (at, reading.customer_in(business_id))
    return [customer for _, customer in found.values()]


def appointment_of(
    reading: EventAppointment,
    *,
    event_id: str,
    business_id: str,
    technician_id: str,
    start: datetime,
    end: datetime,
    canceled: bool,
    version: str,
) -> Appointment:
    """The appointment an event is, read either way (the product's fields, or as people
    wrote it: then `inferred_from` says why)."""
    return Appointment(
        id=event_id,
        business_id=business_id,
        customer_id=reading.customer.id,
        technician_id=technician_id,
        service=reading.service,
        start=start,
        end=end,
        location=reading.location(),
        status="canceled" if canceled else "scheduled",
        version=version,
        inferred_from=reading.reason,
    )


def rfc3339(moment: datetime) -> str:
    """UTC with a Z, as both APIs document their query times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
