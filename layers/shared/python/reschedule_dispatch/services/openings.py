"""Openings for an appointment: gathers the engine's inputs from the provider and settings.

The single source of openings: the customer page and the dispatcher API both ask here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.openings import (
    OpeningsResult,
    Schedule,
    feasible_openings,
    find_openings,
    search_window,
    travel_legs,
)
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    SchedulesAtOnce,
    SchedulingProvider,
)
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import Opening, opening_key
from reschedule_dispatch.domain.travel import Coordinates, TravelTime, travel_from_settings


@runtime_checkable
class BatchTravelTime(TravelTime, Protocol):
    """A travel model that answers best when told every drive up front (one matrix call)."""

    def prefetch(
        self, origins: Iterable[Coordinates], destinations: Iterable[Coordinates]
    ) -> None: ...

    def prefetch_pairs(self, pairs: Iterable[tuple[Coordinates, Coordinates]]) -> None: ...


@dataclass(frozen=True)
class AppointmentOpenings:
    appointment: Appointment
    technicians: dict[str, Technician]  # every technician an opening or the appointment names
    result: OpeningsResult
    chosen: Opening | None = None  # the opening a `slot` key names, if the rules allow it


class OpeningsForAppointment:
    def __init__(
        self,
        *,
        provider: SchedulingProvider,
        clock: Clock,
        travel_for: Callable[[BusinessSettings], TravelTime] = travel_from_settings,
    ) -> None:
        self._provider = provider
        self._clock = clock
        self._travel_for = travel_for

    def __call__(
        self,
        business: Business,
        appointment: Appointment,
        *,
        explain: bool = False,
        slot: str | None = None,
    ) -> AppointmentOpenings:
        """The openings to show, best first; with `slot`, also the opening it names."""
        inputs = self._inputs(business, appointment)
        result = find_openings(
            appointment,
            inputs.candidates,
            inputs.busy,
            business.rules,
            business.zone,
            inputs.now,
            inputs.travel,
            explain=explain,
        )
        chosen = None
        if slot:
            shown = next((o for o in result.openings if o.key == slot), None)
            chosen = shown or self._named(business, appointment, inputs, slot)
        return AppointmentOpenings(
            appointment=appointment,
            technicians={t.id: t for t in inputs.candidates},
            result=result,
            chosen=chosen,
        )

    def feasible(self, business: Business, appointment: Appointment, key: str) -> Opening | None:
        """The opening `key` names, if the rules still allow it.

        Whether a time may be booked is a matter of the rules, not of its rank: a time the
        customer tapped stays bookable even if, a moment later, others would be shown first.
        """
        return self._named(business, appointment, self._inputs(business, appointment), key)

    @staticmethod
    def _named(
        business: Business, appointment: Appointment, inputs: _Inputs, key: str
    ) -> Opening | None:
        # Only the key's technician can offer it: search their day alone.
        technician_id = key.partition(".")[2]
        candidates = [t for t in inputs.candidates if t.id == technician_id]
        found = next(
            (
                f
                for f in feasible_openings(
                    appointment,
                    candidates,
                    inputs.busy,
                    business.rules,
                    business.zone,
                    inputs.now,
                    inputs.travel,
                )
                if opening_key(f.start, f.technician_id) == key
            ),
            None,
        )
        return (
            Opening(start=found.start, end=found.end, technician_id=found.technician_id)
            if found
            else None
        )

    def _inputs(self, business: Business, appointment: Appointment) -> _Inputs:
        settings = business.rules
        current = self._provider.get_technician(business.id, appointment.technician_id)
        candidates = (
            list(self._provider.technicians(business.id))
            if settings.allow_technician_change
            else [current]
        )
        if all(t.id != current.id for t in candidates):
            candidates.append(current)
        now = self._clock.now()
        start, end = search_window(now, settings)
        busy: Mapping[str, Schedule]
        if isinstance(self._provider, SchedulesAtOnce):  # the mirror: one read for the crew
            busy = self._provider.busy_columns(business.id, [t.id for t in candidates], start, end)
        else:
            busy = {
                t.id: self._provider.technician_schedule(business.id, t.id, start, end)
                for t in candidates
            }
        travel = self._travel_for(settings)
        if isinstance(travel, BatchTravelTime) and appointment.location is not None:
            legs = travel_legs(appointment, candidates, busy, settings, business.zone, now)
            travel.prefetch(legs.to_customer, [appointment.location])
            travel.prefetch([appointment.location], legs.from_customer)
            travel.prefetch_pairs(legs.between)
        return _Inputs(candidates, busy, now, travel)


@dataclass(frozen=True)
class _Inputs:
    candidates: list[Technician]
    busy: Mapping[str, Schedule]
    now: datetime
    travel: TravelTime


class DispatcherOpenings:
    """The dispatcher's view: the same openings the customer would see, for any appointment."""

    def __init__(
        self,
        *,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        find: OpeningsForAppointment,
    ) -> None:
        self._provider = provider
        self._businesses = businesses
        self._find = find

    def __call__(
        self, business_id: str, appointment_id: str, *, explain: bool = False
    ) -> tuple[Business, AppointmentOpenings]:
        business = self._businesses.get(business_id)
        appointment = self._provider.get_appointment(business_id, appointment_id)
        return business, self._find(business, appointment, explain=explain)
