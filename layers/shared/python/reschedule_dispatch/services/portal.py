"""The customer's side: open the link, see the openings, confirm one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, LinkGone, NotFound, Unprocessable
from reschedule_dispatch.domain.links import is_well_formed, token_hash
from reschedule_dispatch.domain.openings import find_openings
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    ConfirmWorkflow,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    Actor,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)

GONE_REASONS = {
    SessionStatus.EXPIRED: "This link has expired.",
    SessionStatus.CANCELED: "This link was canceled.",
}


class LinkClosed(LinkGone):
    """The link can't be used any more; carries the business so the page can show its phone."""

    def __init__(self, message: str, business: Business) -> None:
        super().__init__(message)
        self.business = business


@dataclass(frozen=True)
class CustomerPage:
    business: Business
    session: RescheduleSession
    appointment: Appointment
    technicians: dict[str, Technician]
    openings: list[Opening]


class CustomerLinks:
    """Resolves a token to its session and builds what the customer sees."""

    def __init__(
        self,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        workflow: ConfirmWorkflow,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._provider = provider
        self._businesses = businesses
        self._workflow = workflow
        self._clock = clock

    def page(self, token: str) -> CustomerPage:
        """What GET /r/{token} shows. Never changes state: link-preview bots fetch links too."""
        session, business = self._usable_session(token)
        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        technician = self._provider.get_technician(session.business_id, appointment.technician_id)
        openings: list[Opening] = []
        if session.status in OPEN_STATUSES:
            openings = self._openings(business, appointment, technician)
        return CustomerPage(
            business=business,
            session=session,
            appointment=appointment,
            technicians={technician.id: technician},
            openings=openings,
        )

    def confirm(self, token: str, slot: str) -> RescheduleSession:
        session, business = self._usable_session(token)
        if session.status is SessionStatus.CONFIRMING or (
            session.status is SessionStatus.COMPLETED
        ):
            if session.new_opening is not None and session.new_opening.key == slot:
                return session  # a double submit of the same choice: already under way
            raise Conflict("A new time was already chosen with this link.")
        if session.status not in OPEN_STATUSES:
            raise LinkClosed("This link can no longer be used.", business)

        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        technician = self._provider.get_technician(session.business_id, appointment.technician_id)
        chosen = next(
            (o for o in self._openings(business, appointment, technician) if o.key == slot),
            None,
        )
        if chosen is None:
            raise Unprocessable("That time is no longer available. Please pick another one.")
        confirming = self._sessions.transition(
            session.id,
            OPEN_STATUSES,
            SessionStatus.CONFIRMING,
            TimelineEvent(
                type="confirming",
                at=self._clock.now(),
                actor=Actor.CUSTOMER,
                detail=chosen.start.isoformat(),
            ),
            new_opening=chosen,
        )
        self._workflow.start(confirming, chosen)
        return confirming

    def _usable_session(self, token: str) -> tuple[RescheduleSession, Business]:
        if not is_well_formed(token):
            raise NotFound("This link is not valid.")
        try:
            session = self._sessions.find_by_token_hash(token_hash(token))
        except NotFound:
            raise NotFound("This link is not valid.") from None
        business = self._businesses.get(session.business_id)
        # Expiry is enforced here too, so a late schedule changes nothing for the customer.
        if session.status in OPEN_STATUSES and session.is_expired_at(self._clock.now()):
            raise LinkClosed(GONE_REASONS[SessionStatus.EXPIRED], business)
        if session.status in GONE_REASONS:
            raise LinkClosed(GONE_REASONS[session.status], business)
        return session, business

    def _openings(
        self, business: Business, appointment: Appointment, technician: Technician
    ) -> list[Opening]:
        now = self._clock.now()
        settings = business.settings
        busy = self._provider.technician_appointments(
            business.id, technician.id, now, now + timedelta(days=settings.horizon_days + 1)
        )
        return find_openings(appointment, technician, busy, settings, business.zone, now)
