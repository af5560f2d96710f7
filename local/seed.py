"""The seed data format (documented in docs/seed-data.md) and loading it into the local stack."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from reschedule_dispatch import providers
from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_team import DynamoTeam
from reschedule_dispatch.domain.business import (
    Business,
    BusinessSettings,
    ProviderConnection,
    ProviderKind,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Customer,
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.team import TeamMember


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"{value!r} is not a phone number in E.164 (+15551234567)") from error
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"{value!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedDispatcher(_Strict):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str


class SeedTechnician(_Strict):
    id: str
    name: str
    home_base: Location
    working_hours: list[WorkingHours]
    services: list[str] | None = None  # None: can do any service


class SeedBlockedTime(_Strict):
    id: str
    technician_id: str
    start: AwareDatetime
    end: AwareDatetime
    reason: str = ""


class SeedCustomer(_Strict):
    id: str
    name: str
    phone: str
    email: str | None = None
    location: Location

    _phone = field_validator("phone")(_e164)


class SeedAppointment(_Strict):
    id: str
    customer_id: str
    technician_id: str
    service: str
    start: AwareDatetime
    end: AwareDatetime


class SeedBusiness(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    name: str
    phone: str
    time_zone: str
    settings: BusinessSettings = BusinessSettings()
    messaging_service_sid: str | None = None
    email_from: str | None = None
    # Where its schedule is kept: the demo provider's table, or (in the local stack) the
    # fake of a real provider, which the business's connection then points at.
    provider: ProviderKind = "demo"
    dispatchers: list[SeedDispatcher]
    technicians: list[SeedTechnician]
    customers: list[SeedCustomer]
    appointments: list[SeedAppointment]
    blocked_times: list[SeedBlockedTime] = []

    _phone = field_validator("phone")(_e164)

    @field_validator("provider")
    @classmethod
    def _registered(cls, kind: str) -> str:
        providers.provider(kind)  # ValueError naming the registered kinds
        return kind

    @model_validator(mode="after")
    def _references_resolve(self) -> SeedBusiness:
        technicians = {t.id for t in self.technicians}
        customers = {c.id for c in self.customers}
        for blocked in self.blocked_times:
            if blocked.technician_id not in technicians:
                raise ValueError(f"blocked time {blocked.id}: unknown technician")
        for appointment in self.appointments:
            if appointment.technician_id not in technicians:
                raise ValueError(f"appointment {appointment.id}: unknown technician")
            if appointment.customer_id not in customers:
                raise ValueError(f"appointment {appointment.id}: unknown customer")
        _domain_objects(self)  # each object checks itself (e.g. an end after its start)
        return self


class Seed(_Strict):
    businesses: list[SeedBusiness] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_dispatchers(self) -> Seed:
        emails = [d.email.lower() for b in self.businesses for d in b.dispatchers]
        if len(emails) != len(set(emails)):
            raise ValueError("a dispatcher email belongs to more than one business")
        return self

    @classmethod
    def from_file(cls, path: Path) -> Seed:
        return cls.model_validate(json.loads(path.read_text()))

    def dispatchers_of(self, business_id: str) -> list[str]:
        return [d.email for b in self.businesses if b.id == business_id for d in b.dispatchers]

    def dispatchers(self) -> dict[str, dict[str, Any]]:
        """Dispatcher email → the claims a Cognito ID token would carry for them."""
        return {
            d.email.lower(): {"email": d.email.lower(), "name": d.name, "custom:business_id": b.id}
            for b in self.businesses
            for d in b.dispatchers
        }


@dataclass(frozen=True)
class ProviderData:
    """One seeded business's schedule, as domain objects, to be kept in a provider."""

    business: Business
    technicians: Sequence[Technician]
    blocked_times: Sequence[BlockedTime]
    customers: Sequence[Customer]
    appointments: Sequence[Appointment]


# Keeps a business's schedule in the provider of `kind`; answers the business's connection.
KeepInProvider = Callable[[ProviderKind, ProviderData], ProviderConnection]


# When the seeded teams were "invited": the seed has no clock, and nothing reads it but the
# Team tab.
SEEDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def load(
    seed: Seed, app_table: Any, provider_table: Any, keep: KeepInProvider | None = None
) -> None:
    """Builds every domain object first (each validates itself), then writes them all, so a
    bad file writes nothing. Businesses on another provider than the demo one go to `keep`
    (the local stack's provider fakes)."""
    elsewhere = [b.id for b in seed.businesses if b.provider != "demo"]
    if elsewhere and keep is None:
        raise ValueError(f"{', '.join(elsewhere)}: a provider other than demo needs its fake")
    directory = DynamoBusinessDirectory(app_table)
    provider = DemoProvider(provider_table)
    built = [(b.provider, _domain_objects(b)) for b in seed.businesses]
    # Each business's dispatchers are its team (its admins: they run it); their accounts
    # are the local user pool's (local/identities.py).
    members = [
        (b.id, TeamMember(email=d.email, role="admin", added_at=SEEDED_AT, added_by="seed"))
        for b in seed.businesses
        for d in b.dispatchers
    ]
    team = DynamoTeam(app_table)
    for business_id, member in members:
        team.add(business_id, member)
    for kind, (business, technicians, blocked_times, customers, appointments) in built:
        if kind != "demo" and keep is not None:
            data = ProviderData(business, technicians, blocked_times, customers, appointments)
            directory.put(business.model_copy(update={"provider": keep(kind, data)}))
            continue
        directory.put(business)
        for technician in technicians:
            provider.put_technician(technician)
        for blocked in blocked_times:
            provider.put_blocked_time(blocked)
        for customer in customers:
            provider.put_customer(customer)
        for appointment in appointments:
            provider.put_appointment(appointment)


def business_of(seeded: SeedBusiness) -> Business:
    """The seeded business's record (its zone and settings), without its schedule."""
    return _domain_objects(seeded)[0]


def _domain_objects(
    b: SeedBusiness,
) -> tuple[Business, list[Technician], list[BlockedTime], list[Customer], list[Appointment]]:
    locations = {c.id: c.location for c in b.customers}
    return (
        Business(
            id=b.id,
            name=b.name,
            phone=b.phone,
            time_zone=b.time_zone,
            settings=b.settings,
            messaging_service_sid=b.messaging_service_sid,
            email_from=b.email_from,
        ),
        [
            Technician(
                business_id=b.id,
                **t.model_dump(exclude={"working_hours", "services"}),
                working_hours=tuple(t.working_hours),
                services=tuple(t.services) if t.services is not None else None,
            )
            for t in b.technicians
        ],
        [BlockedTime(business_id=b.id, **x.model_dump()) for x in b.blocked_times],
        [Customer(business_id=b.id, **c.model_dump()) for c in b.customers],
        [
            Appointment(business_id=b.id, location=locations[a.customer_id], **a.model_dump())
            for a in b.appointments
        ],
    )
