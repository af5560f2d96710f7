"""The session's life after the link is out: the confirm workflow's steps, expiry, delivery."""

from __future__ import annotations

import logging

from reschedule_dispatch.domain.errors import AppointmentChanged, Conflict
from reschedule_dispatch.domain.messages import format_time
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    ExpiryScheduler,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment
from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    Actor,
    SessionStatus,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

# Why a confirm failed, in words a dispatcher can act on, by the workflow's error name.
FAILURE_REASONS = {
    "AppointmentChanged": "The appointment changed elsewhere before it could be moved.",
    "OpeningTaken": "The chosen time was taken before it could be booked.",
    "ProviderUnavailable": "The scheduling provider could not be reached.",
}
DEFAULT_FAILURE_REASON = "The appointment could not be moved."


class OpeningTaken(Conflict):
    """Somebody else booked the chosen time in the meantime."""


class MoveAppointment:
    """Workflow step: re-check the appointment and the opening, then move it in the provider."""

    def __init__(self, sessions: SessionRepository, provider: SchedulingProvider) -> None:
        self._sessions = sessions
        self._provider = provider

    def __call__(self, session_id: str) -> Appointment:
        session = self._sessions.get_by_id(session_id)
        opening = session.new_opening
        if session.status is not SessionStatus.CONFIRMING or opening is None:
            raise Conflict(f"session {session_id} is {session.status}, not confirming")
        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        if (
            appointment.start == opening.start
            and appointment.technician_id == opening.technician_id
        ):
            return appointment  # a retry after the move went through: nothing left to do
        if (
            appointment.start != session.original_start
            or appointment.technician_id != session.original_technician_id
        ):
            raise AppointmentChanged("The appointment changed elsewhere.")
        clashes = [
            other
            for other in self._provider.technician_appointments(
                session.business_id, opening.technician_id, opening.start, opening.end
            )
            if other.id != appointment.id and other.overlaps(opening.start, opening.end)
        ]
        if clashes:
            raise OpeningTaken("The chosen time is no longer free.")
        return self._provider.move_appointment(appointment, opening, idempotency_key=session.id)


class FinalizeReschedule:
    """Workflow step: the appointment moved, so the session is completed and its expiry dropped."""

    def __init__(
        self,
        sessions: SessionRepository,
        businesses: BusinessDirectory,
        expiry: ExpiryScheduler,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._businesses = businesses
        self._expiry = expiry
        self._clock = clock

    def __call__(self, session_id: str) -> SessionStatus:
        session = self._sessions.get_by_id(session_id)
        if session.status is SessionStatus.COMPLETED:
            return session.status  # a retried step
        assert session.new_opening is not None
        zone = self._businesses.get(session.business_id).zone
        self._sessions.transition(
            session.id,
            SessionStatus.CONFIRMING,
            SessionStatus.COMPLETED,
            TimelineEvent(
                type="completed",
                at=self._clock.now(),
                actor=Actor.SYSTEM,
                detail=f"Moved to {format_time(session.new_opening.start, zone)}",
            ),
        )
        self._expiry.cancel_expiry(session.id)
        return SessionStatus.COMPLETED


class RecordFailure:
    """Workflow step: the move did not happen; the session says why."""

    def __init__(self, sessions: SessionRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def __call__(self, session_id: str, error_name: str) -> SessionStatus:
        session = self._sessions.get_by_id(session_id)
        if session.status is not SessionStatus.CONFIRMING:
            return session.status  # already settled: a retried step changes nothing
        reason = FAILURE_REASONS.get(error_name, DEFAULT_FAILURE_REASON)
        self._sessions.transition(
            session.id,
            SessionStatus.CONFIRMING,
            SessionStatus.FAILED,
            TimelineEvent(type="failed", at=self._clock.now(), actor=Actor.SYSTEM, detail=reason),
            failure_reason=reason,
        )
        return SessionStatus.FAILED


class ExpireSession:
    """Target of the one-time expiry schedule. Idempotent: only an open, due session expires."""

    def __init__(self, sessions: SessionRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def __call__(self, session_id: str) -> SessionStatus:
        session = self._sessions.get_by_id(session_id)
        now = self._clock.now()
        if session.status not in OPEN_STATUSES:
            return session.status
        if not session.is_expired_at(now):
            logger.warning("expiry for session %s fired before %s", session_id, session.expires_at)
            return session.status
        try:
            self._sessions.transition(
                session.id,
                OPEN_STATUSES,
                SessionStatus.EXPIRED,
                TimelineEvent(type="expired", at=now, actor=Actor.SYSTEM),
            )
        except Conflict:
            # The customer confirmed (or a dispatcher canceled) in the same instant: they win.
            return self._sessions.get_by_id(session_id).status
        return SessionStatus.EXPIRED


# Delivery statuses in the order Twilio reports them; a callback never moves one backwards.
DELIVERY_ORDER = {
    "accepted": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}


class RecordDelivery:
    """A status callback for a message: record it on the session if it moves forward."""

    def __init__(self, sessions: SessionRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def __call__(self, message_sid: str, status: str, error_code: str | None) -> bool:
        try:
            return self._record(message_sid, status, error_code)
        except Conflict:
            # Another callback for the same message landed first: decide again on fresh state.
            return self._record(message_sid, status, error_code)

    def _record(self, message_sid: str, status: str, error_code: str | None) -> bool:
        session = self._sessions.find_by_message_sid(message_sid)
        current = DELIVERY_ORDER.get(session.delivery_status or "queued", 0)
        new = DELIVERY_ORDER.get(status)
        if new is None or new <= current:
            return False  # unknown, duplicate or late callback
        detail = f"error {error_code}" if error_code else ""
        event = None
        if status in ("delivered", "undelivered", "failed"):
            event = TimelineEvent(
                type=status, at=self._clock.now(), actor=Actor.SYSTEM, detail=detail
            )
        self._sessions.record_delivery(session.id, session.delivery_status, status, event)
        return True
