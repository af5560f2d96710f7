"""The session's life after the link is out: the confirm workflow's steps, expiry, delivery.

The confirm workflow (Step Functions) runs HoldOpening → CheckAppointment → MoveAppointment
→ FinalizeReschedule, and Compensate on any error. Each step is safe to run again: Step
Functions retries them, and a retried step must not do its work twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    DomainError,
    OpeningTaken,
)
from reschedule_dispatch.domain.links import new_token, redact, token_hash
from reschedule_dispatch.domain.messages import (
    confirmation_text,
    format_time,
    invitation_email,
    invitation_text,
)
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    Contacts,
    EmailAttachment,
    EmailSender,
    ExpiryScheduler,
    OpeningHolds,
    ScheduleMirror,
    SchedulingProvider,
    SessionRepository,
    SmsSender,
)
from reschedule_dispatch.domain.scheduling import Appointment
from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    Actor,
    Channel,
    Invitation,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.closed_sessions import expire_if_overdue
from reschedule_dispatch.services.invitation import (
    INVITATION_FILENAME,
    invitation_link,
    move_calendar,
    text_held_back,
)
from reschedule_dispatch.services.schedule_mirror import note_in_mirror
from reschedule_dispatch.services.staff_notifications import TellStaff
from reschedule_dispatch.texts import Text, english

logger = logging.getLogger(__name__)

# Long enough for the whole workflow with its retries; a crashed one frees the time after it.
HOLD_LEASE = timedelta(minutes=10)
# After the move, the hold covers only the moment the provider's schedule (an eventually
# consistent index) takes to show it; longer would block the time if the appointment moves
# again.
HOLD_AFTER_MOVE = timedelta(seconds=30)

# Why a confirm failed, in words a dispatcher can act on, by the workflow's error name.
# (Stored in English on the session; the customer's page says them in the customer's language.)
FAILURE_REASONS = {
    "AppointmentChanged": english(Text.REASON_CHANGED_ELSEWHERE),
    "OpeningTaken": english(Text.REASON_TIME_TAKEN),
    "ProviderUnavailable": english(Text.REASON_PROVIDER_UNAVAILABLE),
    "ProviderRateLimited": english(Text.REASON_PROVIDER_UNAVAILABLE),
    "ProviderUnauthorized": english(Text.REASON_PROVIDER_REFUSED),
    "States.Timeout": english(Text.REASON_PROVIDER_UNAVAILABLE),
    # The watchdog (services/watchdog.py): the workflow stopped and the provider shows no move.
    "WorkflowStopped": english(Text.REASON_DID_NOT_FINISH),
    # ...or only part of a move to another technician happened, and it was put back.
    "MoveUndone": english(Text.REASON_MOVE_UNDONE),
    # ...and the provider could not be asked for hours: the dispatcher must look there.
    "Unconfirmed": english(Text.REASON_UNCONFIRMED),
}
DEFAULT_FAILURE_REASON = english(Text.REASON_NOT_MOVED)
TAKEN_NOTICE = english(Text.NOTICE_TAKEN)


class NotConfirming(Conflict):
    """A workflow step ran for a session that is not confirming (nothing to do)."""


def _confirming(sessions: SessionRepository, session_id: str) -> tuple[RescheduleSession, Opening]:
    session = sessions.get_by_id(session_id)
    if session.status is not SessionStatus.CONFIRMING or session.new_opening is None:
        raise NotConfirming(f"session {session_id} is {session.status.value}, not confirming")
    return session, session.new_opening


class HoldOpening:
    """Step 1: reserve the technician's time, so no other session can take it meanwhile."""

    def __init__(self, *, sessions: SessionRepository, holds: OpeningHolds, clock: Clock) -> None:
        self._sessions = sessions
        self._holds = holds
        self._clock = clock

    def __call__(self, session_id: str) -> None:
        session, opening = _confirming(self._sessions, session_id)
        now = self._clock.now()
        self._holds.hold(
            session.business_id, opening, session.id, session.appointment_id, now, now + HOLD_LEASE
        )


class CheckAppointment:
    """Step 2: the appointment is as it was when the link went out, and the time is free."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        resync: Callable[[str, Collection[str]], object] | None = None,
    ) -> None:
        self._sessions = sessions
        self._provider = provider  # the provider itself, never the mirror
        self._resync = resync

    def __call__(self, session_id: str) -> None:
        session, opening = _confirming(self._sessions, session_id)
        appointment = self._provider.get_appointment(
            session.business_id, session.appointment_id, session.original_technician_id
        )
        if appointment.version != session.original_version or appointment.status != "scheduled":
            self._mend_mirror(session.business_id, appointment.technician_id, opening)
            raise AppointmentChanged("The appointment changed elsewhere.")
        # Appointments and blocked time alike: a block added in the provider since the page
        # was shown (the mirror had not seen it yet) must refuse the time too.
        overlapping = self._provider.technician_schedule(
            session.business_id, opening.technician_id, opening.start, opening.end
        )
        # A dispatcher's override may overlap what it named; anything else is a clash.
        allowed = {appointment.id, *session.accepted_overlaps}
        if any(other.id not in allowed for other in overlapping):
            # The mirror offered a time the provider has taken: mend it before the customer
            # picks again, so the next page does not offer it twice.
            self._mend_mirror(session.business_id, appointment.technician_id, opening)
            raise OpeningTaken("The chosen time is no longer free.")

    def _mend_mirror(self, business_id: str, technician_id: str, opening: Opening) -> None:
        if self._resync is None:
            return
        try:
            self._resync(business_id, {technician_id, opening.technician_id})
        except DomainError as error:
            logger.warning("The schedule mirror was not mended after a check: %s", error)


class MoveAppointment:
    """Step 3: move it in the provider, only if it is still the version we checked."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        mirror: ScheduleMirror | None = None,
    ) -> None:
        self._sessions = sessions
        self._provider = provider  # the provider itself, never the mirror
        self._mirror = mirror

    def __call__(self, session_id: str) -> Appointment:
        session, opening = _confirming(self._sessions, session_id)
        # Where the check found it; after a move that went through (a retry), with the
        # chosen technician, found next.
        current = self._provider.get_appointment(
            session.business_id, session.appointment_id, session.original_technician_id
        )
        # If-Match on the version the session started from; the session id is the idempotency
        # key, so a retry after a move that went through returns that move.
        expected = current.model_copy(update={"version": session.original_version})
        moved = self._provider.move_appointment(expected, opening, idempotency_key=session.id)
        if self._mirror is not None:
            note_in_mirror(self._mirror, moved, current)
        return moved


_Invite = Callable[[RescheduleSession, Business, Invitation], TimelineEvent]


def _not_invited(at: datetime, reason: str) -> TimelineEvent:
    return TimelineEvent(type="invitation_not_sent", at=at, actor=Actor.SYSTEM, detail=reason)


class FinalizeReschedule:
    """Step 4: the session is completed, its expiry dropped, the hold wound down (the
    provider's schedule now has the booking), and the customer told."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        businesses: BusinessDirectory,
        expiry: ExpiryScheduler,
        sms: SmsSender,
        clock: Clock,
        contacts: Contacts,
        holds: OpeningHolds,
        tell_staff: TellStaff | None = None,
        email: EmailSender | None = None,
    ) -> None:
        self._tell_staff = tell_staff
        self._email = email
        self._sessions = sessions
        self._businesses = businesses
        self._expiry = expiry
        self._sms = sms
        self._clock = clock
        self._contacts = contacts
        self._holds = holds

    def __call__(self, session_id: str) -> SessionStatus:
        session = self._sessions.get_by_id(session_id)
        business = self._businesses.get(session.business_id)
        if session.status is SessionStatus.CONFIRMING:
            assert session.new_opening is not None
            session = self._sessions.transition(
                session.id,
                SessionStatus.CONFIRMING,
                SessionStatus.COMPLETED,
                TimelineEvent(
                    type="completed",
                    at=self._clock.now(),
                    actor=Actor.SYSTEM,
                    detail=f"Moved to {format_time(session.new_opening.start, business.zone)}",
                ),
            )
        if session.status is not SessionStatus.COMPLETED:
            raise NotConfirming(f"session {session_id} is {session.status.value}")
        self._expiry.cancel_expiry(session.id)
        if session.new_opening is not None:  # the hold only needs to outlast the index lag
            self._holds.release_at(
                session.business_id,
                session.new_opening,
                session.id,
                self._clock.now() + HOLD_AFTER_MOVE,
            )
        # The time it left may still be held by the session that booked it there: free it now,
        # not when that hold runs out, so it isn't offered and then refused as taken.
        self._holds.release_left_behind(
            session.business_id,
            Opening(
                start=session.original_start,
                end=session.original_end,
                technician_id=session.original_technician_id,
            ),
            session.appointment_id,
            session.id,
        )
        if session.is_move:
            self._invite(session, business)
        elif session.confirmation_sid is None and session.new_opening is not None:
            self._confirm_to_customer(session, business, session.new_opening)
        if self._tell_staff:
            self._tell_staff(session)
        return SessionStatus.COMPLETED

    def _confirm_to_customer(
        self, session: RescheduleSession, business: Business, opening: Opening
    ) -> None:
        body = confirmation_text(session.customer_name, business, opening.start, session.language)
        now = self._clock.now()
        if self._contacts.is_opted_out(session.business_id, session.customer_phone):
            self._sessions.append_event(
                session.id,
                TimelineEvent(
                    type="confirmation_not_sent",
                    at=now,
                    actor=Actor.SYSTEM,
                    detail="The customer has opted out of texts.",
                ),
                confirmation_sid="opted-out",
            )
            return
        try:
            sid = self._sms.send(session.customer_phone, business.sms_from, body, None)
        except DomainError as error:
            # The booking stands; the dispatcher sees that the customer was not told.
            self._sessions.append_event(
                session.id,
                TimelineEvent(
                    type="confirmation_not_sent", at=now, actor=Actor.SYSTEM, detail=str(error)
                ),
            )
            return
        self._sessions.append_event(
            session.id,
            TimelineEvent(type="confirmation_sent", at=now, actor=Actor.SYSTEM, detail=body),
            confirmation_sid=sid,
        )

    def _invite(self, session: RescheduleSession, business: Business) -> None:
        """A dispatcher's move: the invitation, by each channel chosen, each once (a retried
        finalize skips what was handled). Opt-outs and quiet hours hold back the text, and
        the timeline says so; the move stands either way."""
        invitation = session.invitation
        if invitation is None:
            return
        handled: list[Channel] = list(session.invited)
        senders: list[tuple[Channel, bool, _Invite]] = [
            ("sms", invitation.sms, self._invite_by_text),
            ("email", invitation.email, self._invite_by_email),
        ]
        for channel, chosen, send in senders:
            if not chosen or channel in handled:
                continue
            event = send(session, business, invitation)
            handled.append(channel)
            self._sessions.append_event(session.id, event, invited=handled)

    def _invite_by_text(
        self, session: RescheduleSession, business: Business, invitation: Invitation
    ) -> TimelineEvent:
        now = self._clock.now()
        assert session.new_opening is not None
        assert invitation.phone is not None
        held = text_held_back(self._contacts, business, invitation.phone, now)
        if held is not None:
            return _not_invited(now, held)
        token = new_token()
        self._sessions.add_invitation(session.id, token_hash(token), at=now)
        body = invitation_text(
            session.customer_name,
            business,
            invitation.service,
            session.new_opening.start,
            invitation.technician_name,
            invitation_link(invitation.base_url, token),
            invitation.language,
        )
        try:
            self._sms.send(invitation.phone, business.sms_from, body, None)
        except DomainError as error:
            return _not_invited(now, f"Text not sent: {error}")
        return TimelineEvent(
            type="invitation_sent", at=now, actor=Actor.SYSTEM, detail=redact(body, token)
        )

    def _invite_by_email(
        self, session: RescheduleSession, business: Business, invitation: Invitation
    ) -> TimelineEvent:
        now = self._clock.now()
        assert session.new_opening is not None
        assert invitation.email_address is not None
        if self._email is None or not business.email_from:
            return _not_invited(now, "Email not sent: email is not set up for this business.")
        email = invitation_email(
            session.customer_name,
            business,
            invitation.service,
            session.new_opening.start,
            invitation.technician_name,
            invitation.address,
            invitation.language,
        )
        try:
            self._email.send(
                to=invitation.email_address,
                from_email=business.email_from,
                from_name=business.name,
                subject=email.subject,
                text=email.text,
                html=email.html,
                categories=("move-invitation",),
                custom_args={"session_id": session.id},
                attachments=(
                    EmailAttachment(
                        INVITATION_FILENAME,
                        "text/calendar",
                        move_calendar(session, business).encode("utf-8"),
                    ),
                ),
            )
        except DomainError as error:
            return _not_invited(now, f"Email not sent: {error}")
        return TimelineEvent(
            type="invitation_emailed",
            at=now,
            actor=Actor.SYSTEM,
            detail=f"To {invitation.email_address}: {email.subject}",
        )


class Compensate:
    """On any error: give the time back, and either let the customer pick again or fail."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        holds: OpeningHolds,
        clock: Clock,
        tell_staff: TellStaff | None = None,
    ) -> None:
        self._sessions = sessions
        self._holds = holds
        self._clock = clock
        self._tell_staff = tell_staff

    def __call__(self, session_id: str, error_name: str) -> SessionStatus:
        session = self._sessions.get_by_id(session_id)
        if session.status is not SessionStatus.CONFIRMING:
            return session.status  # already settled: a retried step changes nothing
        if session.new_opening is not None:
            self._holds.release(session.business_id, session.new_opening, session.id)
        now = self._clock.now()
        if error_name == "OpeningTaken" and not session.is_move and not session.is_expired_at(now):
            # Only the chosen time is gone: the link stays usable for another one. (A
            # dispatcher's move has no link: it fails, and the dispatcher picks again.)
            self._sessions.transition(
                session.id,
                SessionStatus.CONFIRMING,
                SessionStatus.VIEWED,
                TimelineEvent(
                    type="opening_taken", at=now, actor=Actor.SYSTEM, detail=TAKEN_NOTICE
                ),
                notice=TAKEN_NOTICE,
                new_opening=None,
            )
            return SessionStatus.VIEWED
        reason = FAILURE_REASONS.get(error_name, DEFAULT_FAILURE_REASON)
        failed = self._sessions.transition(
            session.id,
            SessionStatus.CONFIRMING,
            SessionStatus.FAILED,
            TimelineEvent(type="failed", at=now, actor=Actor.SYSTEM, detail=reason),
            failure_reason=reason,
        )
        if self._tell_staff:
            self._tell_staff(failed)
        return SessionStatus.FAILED


class ExpireSession:
    """Target of the one-time expiry schedule. Idempotent: only an open, due session expires."""

    def __init__(self, *, sessions: SessionRepository, clock: Clock) -> None:
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
        # The customer confirmed (or a dispatcher canceled) in the same instant: they win.
        return expire_if_overdue(self._sessions, session, now, detail="").status
