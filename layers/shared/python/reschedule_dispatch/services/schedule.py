"""The console's schedule view: the business's technicians and their appointments, by day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import NotFound, Unprocessable
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    MirrorFreshness,
    SchedulesAtOnce,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment, Busy, Customer, Technician
from reschedule_dispatch.domain.session import RescheduleSession

MAX_DAYS = 7
# How far from today the schedule may be asked for: a dispatcher's working range.
MAX_DAYS_AWAY = 366


@dataclass(frozen=True)
class ScheduledAppointment:
    appointment: Appointment
    customer: Customer | None  # None when the provider no longer knows the customer
    session: RescheduleSession | None  # the session in progress on it, if any


@dataclass(frozen=True)
class Schedule:
    business: Business
    first_day: date
    days: int
    # When the schedule mirror was last in step with the provider; None: read from it now.
    updated_at: datetime | None
    technicians: list[Technician]
    appointments: list[ScheduledAppointment]  # by start, then technician


class ScheduleQuery:
    def __init__(
        self,
        *,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        sessions: SessionRepository,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._provider = provider
        self._businesses = businesses
        self._sessions = sessions

    def __call__(
        self, business_id: str, first_day: date, days: int, technician_id: str | None = None
    ) -> Schedule:
        business = self._businesses.get(business_id)
        today = self._clock.now().astimezone(business.zone).date()
        if abs((first_day - today).days) > MAX_DAYS_AWAY:
            raise Unprocessable("Choose a day within a year of today.")
        technicians = sorted(self._provider.technicians(business_id), key=lambda t: t.name)
        if technician_id is not None:
            technicians = [t for t in technicians if t.id == technician_id]
            if not technicians:
                raise NotFound("Technician not found.")
        days = max(1, min(days, MAX_DAYS))
        # The business's calendar days, whatever the server's zone (and DST) says.
        start = datetime.combine(first_day, time(0), tzinfo=business.zone)
        end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=business.zone)
        ids = [t.id for t in technicians]
        if isinstance(self._provider, SchedulesAtOnce):  # the mirror: one read for the crew
            busy = self._provider.schedules(business_id, ids, start, end).values()
            theirs: list[Sequence[Busy]] = list(busy)
        else:
            theirs = [
                self._provider.technician_appointments(business_id, t, start, end) for t in ids
            ]
        found = [
            a
            for schedule in theirs
            for a in schedule
            if isinstance(a, Appointment) and a.status == "scheduled"
        ]
        found.sort(key=lambda a: (a.start.timestamp(), a.technician_id))
        customers: dict[str, Customer | None] = {}
        for appointment in found:
            if appointment.customer_id not in customers:
                try:
                    customers[appointment.customer_id] = self._provider.get_customer(
                        business_id, appointment.customer_id
                    )
                except NotFound:
                    customers[appointment.customer_id] = None
        in_progress = self._sessions.in_progress_by_appointment(business_id, [a.id for a in found])
        return Schedule(
            business=business,
            first_day=first_day,
            days=days,
            updated_at=(
                self._provider.in_step_at(business_id)
                if isinstance(self._provider, MirrorFreshness)
                else None
            ),
            technicians=technicians,
            appointments=[
                ScheduledAppointment(a, customers[a.customer_id], in_progress.get(a.id))
                for a in found
            ],
        )
