"""Reads that the scheduling-provider adapters answer the same way (the demo provider and
the calendar-backed ones): whom a customer search finds, and a technician's appointments
as the appointments among their schedule.

Kept apart from calendar_fields so that the demo provider, on every handler's import path,
does not load the calendars' models.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from reschedule_dispatch.domain.scheduling import Appointment, Busy, matches

__all__ = ["AppointmentsFromSchedule", "matches"]


class AppointmentsFromSchedule(ABC):
    """For adapters whose schedule read finds appointments and blocked time alike."""

    @abstractmethod
    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]: ...

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        schedule = self.technician_schedule(business_id, technician_id, start, end)
        return [busy for busy in schedule if isinstance(busy, Appointment)]
