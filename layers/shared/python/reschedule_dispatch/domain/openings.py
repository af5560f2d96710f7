"""Openings for an appointment: a simple, pure rule until the full engine lands.

Same technician, whole service inside their working hours, no overlap with their other
appointments (the one being moved blocks nothing), at least `min_notice_hours` from now and
within `horizon_days`, on the business's slot grid, never the current time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import Opening


def find_openings(
    appointment: Appointment,
    technician: Technician,
    technician_appointments: Iterable[Appointment],
    settings: BusinessSettings,
    zone: ZoneInfo,
    now: datetime,
) -> list[Opening]:
    duration = appointment.end - appointment.start
    earliest = now + timedelta(hours=settings.min_notice_hours)
    latest = now + timedelta(days=settings.horizon_days)
    busy = [a for a in technician_appointments if a.id != appointment.id]
    step = timedelta(minutes=settings.slot_minutes)

    openings: list[Opening] = []
    for day in _days(earliest.astimezone(zone).date(), latest.astimezone(zone).date()):
        for hours in technician.hours_on(day.weekday()):
            # Wall-clock times on the grid; zoneinfo resolves each to its real UTC instant,
            # so DST days simply have a shorter or longer list.
            start = datetime.combine(day, hours.start, tzinfo=zone)
            day_end = datetime.combine(day, hours.end, tzinfo=zone)
            while start + duration <= day_end:
                end = start + duration
                if (
                    earliest <= start <= latest
                    and start != appointment.start
                    and not any(b.overlaps(start, end) for b in busy)
                ):
                    openings.append(
                        Opening(
                            start=start.astimezone(ZoneInfo("UTC")),
                            end=end.astimezone(ZoneInfo("UTC")),
                            technician_id=technician.id,
                        )
                    )
                    if len(openings) >= settings.max_openings:
                        return openings
                start += step
    return openings


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
