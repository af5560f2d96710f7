"""The services on in-memory fakes (tests/fakes.py): the rules, fast, with no build.

`world` is the integration tests' world (tests/integration/conftest.py) with every port a
fake: the same two businesses, technician, customer and appointments, at the same NOW.
Services are built with keyword arguments, as the composition root builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.ports import EmailSender, ScheduleMirror
from reschedule_dispatch.domain.scheduling import Location
from reschedule_dispatch.domain.session import (
    Actor,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.customer_links import CustomerLinks
from reschedule_dispatch.services.lifecycle import (
    CheckAppointment,
    Compensate,
    FinalizeReschedule,
    HoldOpening,
    MoveAppointment,
)
from reschedule_dispatch.services.send_link import SendLink
from reschedule_dispatch.services.staff_notifications import TellStaff
from tests.builders import appointment, business, customer, technician
from tests.fakes import (
    FakeBusinesses,
    FakeConfirmWorkflow,
    FakeContacts,
    FakeEmail,
    FakeExpiryScheduler,
    FakeOpeningHolds,
    FakeProvider,
    FakeScheduledSends,
    FakeSessions,
    FakeSms,
    FakeSuggestions,
    FixedClock,
)

BASE = "https://api.example"
DISPATCHER = "d@acme.example"
OLIVIA = "+13125550142"
ACME_NUMBER = "+13125550100"
# appt-1: Wednesday 10:00-11:00 in Chicago; NOW is Monday 9:00 there.
WEDNESDAY_10AM = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
# Monday 22:00 in Chicago: quiet hours (21:00-08:00) until Tuesday 08:00.
LATE_EVENING = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
QUIET_HOURS_END = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def _seeded() -> FakeProvider:
    provider = FakeProvider()
    for business_id in ("acme", "other"):
        provider.put_technician(technician(business_id=business_id))
        provider.put_customer(
            customer(business_id=business_id, location=Location(lat=41.9, lon=-87.6))
        )
        provider.put_appointment(appointment(WEDNESDAY_10AM, business_id=business_id))
        # Monday 16:00 in Chicago: inside the 24 hours' notice
        provider.put_appointment(
            appointment(
                datetime(2026, 11, 23, 22, 0, tzinfo=UTC),
                id="appt-soon",
                business_id=business_id,
                service="Leak repair",
            )
        )
    return provider


@dataclass
class World:
    clock: FixedClock = field(default_factory=FixedClock)
    sessions: FakeSessions = field(default_factory=FakeSessions)
    provider: FakeProvider = field(default_factory=_seeded)
    businesses: FakeBusinesses = field(
        default_factory=lambda: FakeBusinesses(
            business(),
            business(id="other", name="Other HVAC", phone="+14155550100"),
        )
    )
    contacts: FakeContacts = field(default_factory=FakeContacts)
    holds: FakeOpeningHolds = field(default_factory=FakeOpeningHolds)
    expiry: FakeExpiryScheduler = field(default_factory=FakeExpiryScheduler)
    sends: FakeScheduledSends = field(default_factory=FakeScheduledSends)
    workflow: FakeConfirmWorkflow = field(default_factory=FakeConfirmWorkflow)
    suggestions: FakeSuggestions = field(default_factory=FakeSuggestions)
    sms: FakeSms = field(default_factory=FakeSms)
    email: FakeEmail = field(default_factory=FakeEmail)

    # Changing the seed ---------------------------------------------------------------------

    def change_business(self, business_id: str = "acme", **changes: Any) -> Business:
        """The business with these settings changed, and its own fields named `business_*`
        (e.g. business_email_from="..."), validated as stored ones are."""
        stored = self.businesses.get(business_id).model_dump()
        for name, value in changes.items():
            if name.startswith("business_"):
                stored[name.removeprefix("business_")] = value
            else:
                stored["settings"][name] = value
        changed = Business.model_validate(stored)
        self.businesses.put(changed)
        return changed

    # Services ------------------------------------------------------------------------------

    def send_link(self, *, email: EmailSender | None = None, with_sends: bool = True) -> SendLink:
        return SendLink(
            sessions=self.sessions,
            provider=self.provider,
            businesses=self.businesses,
            sms=self.sms,
            expiry=self.expiry,
            clock=self.clock,
            contacts=self.contacts,
            email=email,
            sends=self.sends if with_sends else None,
            suggestions=self.suggestions,
        )

    def links(self, **options: Any) -> CustomerLinks:
        return CustomerLinks(
            sessions=self.sessions,
            provider=self.provider,
            businesses=self.businesses,
            workflow=self.workflow,
            clock=self.clock,
            **options,
        )

    def finalize(
        self, *, email: EmailSender | None = None, tell_staff: TellStaff | None = None
    ) -> FinalizeReschedule:
        return FinalizeReschedule(
            sessions=self.sessions,
            businesses=self.businesses,
            expiry=self.expiry,
            sms=self.sms,
            clock=self.clock,
            contacts=self.contacts,
            holds=self.holds,
            tell_staff=tell_staff,
            email=email,
        )

    def compensate(self, *, tell_staff: TellStaff | None = None) -> Compensate:
        return Compensate(
            sessions=self.sessions, holds=self.holds, clock=self.clock, tell_staff=tell_staff
        )

    def run_steps(self, session_id: str, *, mirror: ScheduleMirror | None = None) -> None:
        """The confirm workflow's hold, re-check and move, as its tasks run them."""
        HoldOpening(sessions=self.sessions, holds=self.holds, clock=self.clock)(session_id)
        CheckAppointment(sessions=self.sessions, provider=self.provider)(session_id)
        MoveAppointment(sessions=self.sessions, provider=self.provider, mirror=mirror)(session_id)

    # Sessions in a given state -------------------------------------------------------------

    def sent(self, appointment_id: str = "appt-1", **options: Any) -> tuple[RescheduleSession, str]:
        """A link sent now: the session and its token."""
        sent = self.send_link()("acme", DISPATCHER, appointment_id, None, BASE, **options)
        assert sent.link is not None
        return sent.session, sent.link.rsplit("/", 1)[1]

    def confirming(self, **options: Any) -> tuple[RescheduleSession, Opening, str]:
        """A link whose customer picked the first time shown: the session, the time, the
        token."""
        session, token = self.sent(**options)
        opening = self.links().page(token).openings[0]
        self.links().confirm(token, opening.key)
        return self.sessions.get_by_id(session.id), opening, token

    def close(self, session_id: str, status: SessionStatus, **changes: Any) -> None:
        """The session ends as something else ended it (a dispatcher, the provider)."""
        current = self.sessions.get_by_id(session_id).status
        event = TimelineEvent(type=status.value, at=self.clock.now(), actor=Actor.SYSTEM)
        self.sessions.transition(session_id, current, status, event, **changes)

    def timeline(self, session_id: str) -> list[str]:
        return [e.type for e in self.sessions.timeline(session_id)]

    def status(self, session_id: str) -> Any:
        return self.sessions.get_by_id(session_id).status


@pytest.fixture
def world() -> World:
    return World()
