"""Reading the schedule from the mirror, and keeping the mirror in step with the provider.

`MirroredSchedule` answers the scheduling-provider port from the mirror for every read a
person waits on; a business not mirrored yet, or a read outside the mirror's window, is
answered by the provider itself (and counted, so a lagging mirror shows). Moves always go to
the provider, then into the mirror.

`SyncSchedule` fills the mirror: a whole read of the provider (the reconcile job, and a
business's first read), one technician (a pushed change, a disagreement the confirm
workflow found), or the technician an appointment belongs to (a provider's webhook).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import DomainError, NotFound
from reschedule_dispatch.domain.mirror import (
    MirrorState,
    ScheduleSnapshot,
    appointments_of,
    mirror_window,
)
from reschedule_dispatch.domain.ports import (
    Clock,
    ScheduleMirror,
    ScheduleWithCustomers,
    SchedulingProvider,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Busy,
    BusyColumns,
    Customer,
    Technician,
    matches,
)
from reschedule_dispatch.domain.session import Opening

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Told each time a read had to go to the provider, with the port method's name.
MissReporter = Callable[[str], None]


class MirroredSchedule:
    """The scheduling-provider port, read from the mirror; `live` for what it lacks."""

    def __init__(
        self,
        *,
        mirror: ScheduleMirror,
        live: SchedulingProvider,
        on_miss: MissReporter | None = None,
    ) -> None:
        self._mirror = mirror
        self.live = live
        self._on_miss = on_miss

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        if self._state(business_id, "search_customers") is None:
            return self.live.search_customers(business_id, query)
        if not query.strip():
            return []
        found = [c for c in self._mirror.customers(business_id) if matches(c, query)]
        return sorted(found, key=lambda c: c.name)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        if self._state(business_id, "get_customer") is not None:
            customer = self._mirror.customer(business_id, customer_id)
            if customer is not None:
                return customer
            self._missed("get_customer")
        return self.live.get_customer(business_id, customer_id)

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        state = self._state(business_id, "upcoming_appointments")
        if state is None or not state.covers(after, state.window_end):
            if state is not None:
                self._missed("upcoming_appointments")
            return self.live.upcoming_appointments(business_id, customer_id, after)
        busy = self._mirror.busy(business_id, None, after, state.window_end)
        found = [
            a
            for theirs in busy.values()
            for a in appointments_of(theirs)
            if a.customer_id == customer_id and a.start > after and a.status == "scheduled"
        ]
        return sorted(found, key=lambda a: a.start.timestamp())

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        if self._state(business_id, "get_appointment") is not None:
            appointment = self._mirror.appointment(business_id, appointment_id)
            if appointment is not None:
                return appointment
            self._missed("get_appointment")
        return self.live.get_appointment(business_id, appointment_id, expected_on)

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        state = self._state(business_id, "get_technician")
        technician = state.technician(technician_id) if state else None
        if technician is not None:
            return technician
        if state is not None:
            self._missed("get_technician")  # new since the last sync, or not there at all
        return self.live.get_technician(business_id, technician_id)

    def technicians(self, business_id: str) -> Sequence[Technician]:
        state = self._state(business_id, "technicians")
        return list(state.technicians) if state else self.live.technicians(business_id)

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        return appointments_of(self.technician_schedule(business_id, technician_id, start, end))

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        return self.schedules(business_id, [technician_id], start, end)[technician_id]

    def schedules(
        self,
        business_id: str,
        technician_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> dict[str, Sequence[Busy]]:
        """Every named technician's busy items over [start, end): one read of the mirror."""
        return self._schedules(
            business_id, technician_ids, start, end, self._mirror.busy, lambda busy: busy
        )

    def busy_columns(
        self,
        business_id: str,
        technician_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> dict[str, BusyColumns]:
        """The same as the openings engine reads it: columns, no model per item."""
        from reschedule_dispatch.domain.openings import columns_of  # with the engine

        return self._schedules(
            business_id, technician_ids, start, end, self._mirror.busy_columns, columns_of
        )

    def _schedules(
        self,
        business_id: str,
        technician_ids: Collection[str],
        start: datetime,
        end: datetime,
        read: Callable[[str, list[str], datetime, datetime], Mapping[str, T]],
        from_live: Callable[[Sequence[Busy]], T],
    ) -> dict[str, T]:
        state = self._state(business_id, "technician_schedule")
        if state is None or not state.covers(start, end):
            if state is not None:
                self._missed("technician_schedule")
            return {
                t: from_live(self.live.technician_schedule(business_id, t, start, end))
                for t in technician_ids
            }
        # A technician the mirror has not read yet (new since the last whole read) would look
        # free: theirs come from the provider.
        unread = [t for t in technician_ids if state.technician(t) is None]
        found = dict(read(business_id, [t for t in technician_ids if t not in unread], start, end))
        for technician_id in unread:
            self._missed("technician_schedule")
            found[technician_id] = from_live(
                self.live.technician_schedule(business_id, technician_id, start, end)
            )
        return {t: found.get(t, from_live([])) for t in technician_ids}

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        moved = self.live.move_appointment(appointment, opening, idempotency_key)
        note_in_mirror(self._mirror, moved, appointment)
        return moved

    def in_step_at(self, business_id: str) -> datetime | None:
        state = self._mirror.state(business_id)
        return state.synced_at if state else None

    def _state(self, business_id: str, operation: str) -> MirrorState | None:
        state = self._mirror.state(business_id)
        if state is None:
            self._missed(operation)
        return state

    def _missed(self, operation: str) -> None:
        if self._on_miss:
            self._on_miss(operation)


def note_in_mirror(mirror: ScheduleMirror, now: Appointment, before: Appointment | None) -> None:
    """The provider has moved the appointment: the mirror says so at once. Best effort: the
    move stands whatever the mirror does, and the next sync mends a miss."""
    if mirror.state(now.business_id) is None:
        return
    try:
        mirror.record(now, before)
    except Exception:
        logger.exception("The schedule mirror could not record a move; the next sync will")


@dataclass
class SyncReport:
    business_id: str
    technicians: int = 0
    busy_items: int = 0
    customers_read: int = 0
    items_written: int = 0
    refreshed: list[str] = field(default_factory=list)  # technician ids


class SyncSchedule:
    """Brings the mirror in step with the provider."""

    def __init__(self, *, mirror: ScheduleMirror, live: SchedulingProvider, clock: Clock) -> None:
        self._mirror = mirror
        self._live = live
        self._clock = clock

    def full(self, business_id: str, *, reread_customers: bool = False) -> SyncReport:
        """A whole read over the mirror's window. Customers already mirrored are kept unless
        `reread_customers` (the nightly read) or their appointment's read named them."""
        report = SyncReport(business_id)
        now = self._clock.now()
        start, end = mirror_window(now)
        technicians = list(self._live.technicians(business_id))
        known = {} if reread_customers else {c.id: c for c in self._mirror.customers(business_id)}
        busy: dict[str, Sequence[Busy]] = {}
        customers: dict[str, Customer] = {}
        for technician in technicians:
            theirs, named = self._read(business_id, technician.id, start, end, known, report)
            busy[technician.id] = theirs
            customers.update((c.id, c) for c in named)
        report.technicians = len(technicians)
        report.busy_items = sum(len(b) for b in busy.values())
        snapshot = ScheduleSnapshot(
            technicians=technicians,
            busy=busy,
            customers=list({**known, **customers}.values()),
            window_start=start,
            window_end=end,
        )
        report.items_written = self._mirror.replace(business_id, snapshot, synced_at=now)
        report.refreshed = [t.id for t in technicians]
        return report

    def technicians(self, business_id: str, technician_ids: Collection[str]) -> SyncReport:
        """Re-reads these technicians' windows; a business not mirrored yet gets a full read."""
        state = self._mirror.state(business_id)
        if state is None:
            return self.full(business_id)
        report = SyncReport(business_id)
        known = {c.id: c for c in self._mirror.customers(business_id)}
        for technician_id in sorted(set(technician_ids)):
            if state.technician(technician_id) is None:
                continue
            busy, customers = self._read(
                business_id, technician_id, state.window_start, state.window_end, known, report
            )
            report.busy_items += len(busy)
            report.items_written += self._mirror.replace_technician(
                business_id, technician_id, state.window_start, state.window_end, busy, customers
            )
            report.refreshed.append(technician_id)
        report.technicians = len(report.refreshed)
        return report

    def appointment(self, business_id: str, appointment_id: str) -> SyncReport:
        """The provider says this appointment changed: re-read the technician the mirror has
        it on; if it is no longer there (reassigned, canceled), find where it went."""
        if self._mirror.state(business_id) is None:
            return SyncReport(business_id)
        known = self._mirror.appointment(business_id, appointment_id)
        report = SyncReport(business_id)
        if known is not None:
            report = self.technicians(business_id, [known.technician_id])
            mirrored = self._mirror.appointment(business_id, appointment_id)
            if mirrored is not None and mirrored.technician_id == known.technician_id:
                return report
        try:
            current = self._live.get_appointment(business_id, appointment_id)
        except NotFound:
            return report  # gone from the provider: the re-read above dropped it
        if known is None or current.technician_id != known.technician_id:
            more = self.technicians(business_id, [current.technician_id])
            report.refreshed += more.refreshed
            report.items_written += more.items_written
        return report

    def _read(
        self,
        business_id: str,
        technician_id: str,
        start: datetime,
        end: datetime,
        known: dict[str, Customer],
        report: SyncReport,
    ) -> tuple[Sequence[Busy], list[Customer]]:
        """A technician's busy items and the customers they name that the mirror lacks."""
        if isinstance(self._live, ScheduleWithCustomers):
            read = self._live.schedule_with_customers(business_id, technician_id, start, end)
            if read is not None:
                return read[0], list(read[1])
        busy = self._live.technician_schedule(business_id, technician_id, start, end)
        customers: list[Customer] = []
        for customer_id in sorted({a.customer_id for a in appointments_of(busy)} - known.keys()):
            try:
                customer = self._live.get_customer(business_id, customer_id)
            except NotFound:
                continue
            report.customers_read += 1
            known[customer.id] = customer
            customers.append(customer)
        return busy, customers


class EveryBusiness(Protocol):
    def every(self) -> list[Business]: ...


@dataclass
class MirrorsReconciled:
    synced: dict[str, SyncReport] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # business id: why
    # How far behind each business's mirror was when this run found it (None: never read).
    lag_seconds: dict[str, float | None] = field(default_factory=dict)

    @property
    def worst_lag_seconds(self) -> float:
        known = [lag for lag in self.lag_seconds.values() if lag is not None]
        return max(known, default=0.0)


class ReconcileMirrors:
    """The reconcile job: a whole read of every business's provider, which heals any push
    that was missed. One business's failure (credentials refused, provider down) leaves its
    mirror as it was, lagging, and does not stop the others."""

    def __init__(
        self,
        *,
        businesses: EveryBusiness,
        mirror: ScheduleMirror,
        sync: SyncSchedule,
        clock: Clock,
    ) -> None:
        self._businesses = businesses
        self._mirror = mirror
        self._sync = sync
        self._clock = clock

    def __call__(self, *, reread_customers: bool = False) -> MirrorsReconciled:
        done = MirrorsReconciled()
        for business in self._businesses.every():
            state = self._mirror.state(business.id)
            done.lag_seconds[business.id] = (
                state.lag(self._clock.now()).total_seconds() if state else None
            )
            try:
                done.synced[business.id] = self._sync.full(
                    business.id, reread_customers=reread_customers
                )
            except DomainError as error:
                logger.warning("The mirror of business %s was not synced: %s", business.id, error)
                done.failed[business.id] = str(error)
            except Exception:  # one business's surprise must not keep the others stale
                logger.exception("The mirror of business %s was not synced", business.id)
                done.failed[business.id] = "unexpected error (see the logs)"
        return done
