"""What the product knows of a business's schedule, as read from its scheduling provider."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    # Instants, not wall clocks: two times in one ZoneInfo compare by wall clock and ignore
    # `fold`, which gets the repeated hour of a fall-back day wrong.
    return a_start.timestamp() < b_end.timestamp() and b_start.timestamp() < a_end.timestamp()


def first_name(full_name: str) -> str:
    """What a text greets the customer by: the first word of their name."""
    words = full_name.split()
    return words[0] if words else ""


class Location(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str = ""
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    business_id: str
    name: str
    phone: str = Field(description="E.164")
    email: str | None = None
    location: Location | None = None

    @property
    def first_name(self) -> str:
        return first_name(self.name)


class WorkingHours(BaseModel):
    """Hours on one weekday (0 = Monday), in the business's time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekday: int = Field(ge=0, le=6)
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("working hours must end after they start")
        return self


class Technician(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    business_id: str
    name: str
    home_base: Location | None = None
    working_hours: tuple[WorkingHours, ...] = ()
    # The services this technician can do, when the provider says; None means any.
    services: tuple[str, ...] | None = None

    def can_do(self, service: str) -> bool:
        return self.services is None or service in self.services

    def hours_on(self, weekday: int) -> list[WorkingHours]:
        return [h for h in self.working_hours if h.weekday == weekday]


class Appointment(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    business_id: str
    customer_id: str
    technician_id: str
    service: str
    start: AwareDatetime
    end: AwareDatetime
    location: Location | None = None
    status: str = "scheduled"
    # The provider's concurrency token: a counter (demo provider) or an ETag (calendars),
    # sent back as the If-Match of a move.
    version: int | str = Field(default=1, description="Optimistic concurrency version or ETag.")
    # Why a calendar event the product did not create was read as this appointment
    # ("attendee jane@example.com; phone in description": domain/calendar_events.py), for a
    # dispatcher to see; None when the provider itself says it is an appointment.
    inferred_from: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Appointment:
        if self.end.timestamp() <= self.start.timestamp():
            raise ValueError("an appointment must end after it starts")
        return self

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return _overlap(self.start, self.end, start, end)


class BlockedTime(BaseModel):
    """Time a technician is not bookable (lunch, training, vehicle service...)."""

    model_config = ConfigDict(frozen=True)

    id: str
    business_id: str
    technician_id: str
    start: AwareDatetime
    end: AwareDatetime
    reason: str = ""
    location: Location | None = None

    @model_validator(mode="after")
    def _ordered(self) -> BlockedTime:
        if self.end.timestamp() <= self.start.timestamp():
            raise ValueError("blocked time must end after it starts")
        return self

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return _overlap(self.start, self.end, start, end)


# What occupies a technician's day: a job, or time they are not bookable.
Busy = Appointment | BlockedTime


# (lat, lon): a busy item's place as the openings engine reads it, since a page reads
# thousands (a `Location` model each cost more than the search).
Point = tuple[float, float]
# A drive from one point to another: (lat, lon, lat, lon).
Leg = tuple[float, float, float, float]


class Place(NamedTuple):
    """A `Point` with names, as the travel-time port reads it."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class BusyColumns:
    """One technician's busy items as parallel columns: how the openings engine reads a
    schedule, with no model per item (building thousands of models cost several times the
    search itself). Item i is blocked time when `blocked[i]`, else an appointment; it runs
    from `starts[i]` to `ends[i]` (epoch seconds) at `places[i]` ((lat, lon); None: not
    known);
    `reasons[i]` is a blocked time's reason. `drives` are minutes already known between
    two of the technician's own stops (or their home base), keyed (lat, lon, lat, lon):
    they do not depend on the customer, so the mirror keeps them and a page need not ask
    a billed route service for them again."""

    ids: Sequence[str]
    blocked: Sequence[bool]
    starts: Sequence[float]
    ends: Sequence[float]
    places: Sequence[Point | None]
    reasons: Sequence[str]
    drives: Mapping[Leg, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def label(self, i: int) -> str:
        """Item i in a dispatcher's words: `appointment a-17`, `blocked time b-3 (Lunch)`."""
        return busy_label(self.ids[i], self.blocked[i], self.reasons[i])

    def select(self, indices: Sequence[int]) -> BusyColumns:
        """The items at `indices`, in that order."""
        return BusyColumns(
            ids=[self.ids[i] for i in indices],
            blocked=[self.blocked[i] for i in indices],
            starts=[self.starts[i] for i in indices],
            ends=[self.ends[i] for i in indices],
            places=[self.places[i] for i in indices],
            reasons=[self.reasons[i] for i in indices],
            drives=self.drives,
        )


NO_BUSY = BusyColumns(ids=(), blocked=(), starts=(), ends=(), places=(), reasons=())


def busy_label(item_id: str, blocked: bool, reason: str) -> str:
    if blocked:
        return f"blocked time {item_id}" + (f" ({reason})" if reason else "")
    return f"appointment {item_id}"


def matches(customer: Customer, query: str) -> bool:
    """The port's customer search: every word of `query` in the name, or its digits in the
    phone."""
    if any(c.isalpha() for c in query):
        name = customer.name.lower()
        return all(word in name for word in query.lower().split())
    digits = _digits(query)
    return bool(digits) and digits in _digits(customer.phone)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)
