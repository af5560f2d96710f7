"""Dispatcher read use cases: find customers with their upcoming appointments, read a session."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.domain.links import TOKEN_LENGTH, link_url
from reschedule_dispatch.domain.messages import count_segments, sms_encoding, with_link
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import RescheduleSession, TimelineEvent
from reschedule_dispatch.services.send_link import link_message

MIN_QUERY_LETTERS = 2
MIN_QUERY_DIGITS = 3


@dataclass(frozen=True)
class CustomerWithAppointments:
    customer: Customer
    appointments: list[tuple[Appointment, Technician]]
    # The session in progress on each appointment that has one, by appointment id.
    sessions: dict[str, RescheduleSession]


class SearchCustomers:
    def __init__(
        self, *, provider: SchedulingProvider, sessions: SessionRepository, clock: Clock
    ) -> None:
        self._provider = provider
        self._sessions = sessions
        self._clock = clock

    def __call__(self, business_id: str, query: str) -> list[CustomerWithAppointments]:
        query = query.strip()
        is_phone = not any(c.isalpha() for c in query)
        too_short = (
            len(re.sub(r"\D", "", query)) < MIN_QUERY_DIGITS
            if is_phone
            else len(query) < MIN_QUERY_LETTERS
        )
        if too_short:
            raise Unprocessable(
                f"Type at least {MIN_QUERY_LETTERS} letters of a name "
                f"or {MIN_QUERY_DIGITS} digits of a phone number."
            )
        now = self._clock.now()
        technicians: dict[str, Technician] = {}
        results = []
        for customer in self._provider.search_customers(business_id, query):
            appointments = []
            for appointment in self._provider.upcoming_appointments(business_id, customer.id, now):
                tech_id = appointment.technician_id
                if tech_id not in technicians:
                    technicians[tech_id] = self._provider.get_technician(business_id, tech_id)
                appointments.append((appointment, technicians[tech_id]))
            results.append(CustomerWithAppointments(customer, appointments, {}))
        ids = [a.id for found in results for a, _ in found.appointments]
        in_progress = self._sessions.in_progress_by_appointment(business_id, ids)
        for found in results:
            found.sessions.update(
                {a.id: in_progress[a.id] for a, _ in found.appointments if a.id in in_progress}
            )
        return results


@dataclass(frozen=True)
class MessagePreview:
    text: str  # the message before its link
    link_placeholder: str  # as long as a real link, so the counts are exact
    full_text: str
    characters: int
    segments: int
    encoding: str


class PreviewMessage:
    """What the customer will receive, before sending: text, length, SMS segments."""

    def __init__(self, *, provider: SchedulingProvider, businesses: BusinessDirectory) -> None:
        self._provider = provider
        self._businesses = businesses

    def __call__(
        self,
        business_id: str,
        appointment_id: str,
        message: str | None,
        language: str,
        public_base_url: str,
    ) -> MessagePreview:
        business = self._businesses.get(business_id)
        appointment = self._provider.get_appointment(business_id, appointment_id)
        customer = self._provider.get_customer(business_id, appointment.customer_id)
        technician = self._provider.get_technician(business_id, appointment.technician_id)
        text = link_message(business, customer, appointment, technician, message, language)
        placeholder = link_url(public_base_url, "x" * TOKEN_LENGTH)
        full = with_link(text, placeholder)
        return MessagePreview(
            text=text,
            link_placeholder=placeholder,
            full_text=full,
            characters=len(full),
            segments=count_segments(full),
            encoding=sms_encoding(full),
        )


class GetSession:
    def __init__(self, *, sessions: SessionRepository) -> None:
        self._sessions = sessions

    def __call__(
        self, business_id: str, session_id: str
    ) -> tuple[RescheduleSession, list[TimelineEvent]]:
        session = self._sessions.get(business_id, session_id)
        return session, self._sessions.timeline(session.id)


class AppointmentTimeline:
    """An appointment's history: its sessions (links and dispatcher moves), oldest first,
    each with its own timeline."""

    def __init__(self, *, sessions: SessionRepository, provider: SchedulingProvider) -> None:
        self._sessions = sessions
        self._provider = provider

    def __call__(
        self, business_id: str, appointment_id: str
    ) -> list[tuple[RescheduleSession, list[TimelineEvent]]]:
        # NotFound for another business's (or no) appointment, as every dispatcher route.
        self._provider.get_appointment(business_id, appointment_id)
        return [
            (session, self._sessions.timeline(session.id))
            for session in self._sessions.for_appointment(business_id, appointment_id)
        ]
