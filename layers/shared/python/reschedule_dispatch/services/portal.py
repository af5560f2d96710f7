"""The customer's side: open the link, see the openings, confirm one."""

from __future__ import annotations

from dataclasses import dataclass

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import (
    Conflict,
    NotFound,
    Unprocessable,
)
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
from reschedule_dispatch.services.closed_sessions import NO_LONGER_SHOWN, LinkClosed
from reschedule_dispatch.services.link_guessing import LinkGuessing, find_by_token
from reschedule_dispatch.services.openings import FindOpenings

RETRY_NOTICE = "We couldn't confirm that time just now. Please try again."

# A finished link shows its appointment until shown_until, then only says it is over.
FINISHED = frozenset({SessionStatus.COMPLETED, SessionStatus.FAILED})

GONE_REASONS = {
    SessionStatus.EXPIRED: "This link has expired.",
    SessionStatus.CANCELED: "This link was canceled.",
}


@dataclass(frozen=True)
class CustomerPage:
    business: Business
    session: RescheduleSession
    appointment: Appointment
    technicians: dict[str, Technician]
    openings: list[Opening]
    chosen: Opening | None = None  # the opening the customer tapped, if still possible


class CustomerLinks:
    """Resolves a token to its session and builds what the customer sees.

    `client` (each method): the caller's source address, for `guessing`; None only where no
    customer is calling.
    """

    def __init__(
        self,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        workflow: ConfirmWorkflow,
        clock: Clock,
        openings: FindOpenings | None = None,
        guessing: LinkGuessing | None = None,
    ) -> None:
        self._sessions = sessions
        self._provider = provider
        self._businesses = businesses
        self._workflow = workflow
        self._clock = clock
        self._find_openings = openings or FindOpenings(provider, clock)
        self._guessing = guessing

    def page(
        self, token: str, slot: str | None = None, *, client: str | None = None
    ) -> CustomerPage:
        """What GET /r/{token} shows (with `slot`, its confirm step). Never changes state:
        link-preview bots fetch links too."""
        session, business = self._usable_session(token, client)
        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        if session.status not in OPEN_STATUSES:
            technician = self._provider.get_technician(
                session.business_id, appointment.technician_id
            )
            return CustomerPage(business, session, appointment, {technician.id: technician}, [])
        found = self._find_openings(business, appointment, slot=slot)
        # Ranked best first to choose which to show; shown in time order, grouped by day.
        openings: list[Opening] = sorted(found.result.openings, key=lambda o: o.start)
        return CustomerPage(
            business, session, appointment, found.technicians, openings, found.chosen
        )

    def mark_viewed(self, token: str, *, client: str | None = None) -> bool:
        """The page was really shown to a person (a POST the page makes, which bots don't).

        True when this call recorded the link's first view (what the LinksViewed metric counts).
        """
        session, _ = self._usable_session(token, client)
        if session.status is not SessionStatus.LINK_SENT:
            return False
        try:
            self._sessions.transition(
                session.id,
                SessionStatus.LINK_SENT,
                SessionStatus.VIEWED,
                TimelineEvent(type="viewed", at=self._clock.now(), actor=Actor.CUSTOMER),
            )
        except Conflict:  # already viewed, or confirmed in the same instant
            return False
        return True

    def confirm(
        self, token: str, slot: str, *, client: str | None = None, retry_race: bool = True
    ) -> RescheduleSession:
        session, business = self._usable_session(token, client)
        if session.status in (SessionStatus.CONFIRMING, SessionStatus.COMPLETED):
            if session.new_opening is not None and session.new_opening.key == slot:
                if session.status is SessionStatus.CONFIRMING:
                    # A double submit: (re)starting the same execution is a no-op, and it
                    # recovers a confirm whose first start was lost.
                    self._workflow.start(session, session.new_opening)
                return session
            raise Conflict("A new time was already chosen with this link.")
        if session.status not in OPEN_STATUSES:
            raise LinkClosed("This link can no longer be used.", business, session.language)

        appointment = self._provider.get_appointment(session.business_id, session.appointment_id)
        chosen = self._find_openings.feasible(business, appointment, slot)
        if chosen is None:
            raise Unprocessable("That time is no longer available. Please pick another one.")
        try:
            confirming = self._confirming(session, chosen)
        except Conflict:
            if not retry_race:
                raise
            # Something else changed the session between our read and our write (a cancel,
            # expiry, or the same customer's other tap): answer from the state that won.
            return self.confirm(token, slot, client=client, retry_race=False)
        try:
            self._workflow.start(confirming, chosen)
        except Exception:
            # Nothing will move the appointment: give the link back to the customer.
            self._sessions.transition(
                session.id,
                SessionStatus.CONFIRMING,
                SessionStatus.VIEWED,
                TimelineEvent(type="confirm_not_started", at=self._clock.now(), actor=Actor.SYSTEM),
                new_opening=None,
                notice=RETRY_NOTICE,
            )
            raise
        return confirming

    def _confirming(self, session: RescheduleSession, chosen: Opening) -> RescheduleSession:
        return self._sessions.transition(
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
            notice=None,
            confirm_attempt=session.confirm_attempt + 1,
        )

    def _usable_session(self, token: str, client: str | None) -> tuple[RescheduleSession, Business]:
        try:
            session = find_by_token(
                token, self._sessions.find_by_token_hash, self._guessing, client
            )
        except NotFound:
            raise NotFound("This link is not valid.") from None
        business = self._businesses.get(session.business_id)
        # Expiry is enforced here too, so a late schedule changes nothing for the customer.
        if session.status in OPEN_STATUSES and session.is_expired_at(self._clock.now()):
            raise LinkClosed(GONE_REASONS[SessionStatus.EXPIRED], business, session.language)
        if session.status in GONE_REASONS:
            # A canceled link may say why (e.g. the appointment itself was canceled).
            reason = session.failure_reason or GONE_REASONS[session.status]
            raise LinkClosed(reason, business, session.language)
        if session.status in FINISHED and self._clock.now() >= session.shown_until:
            raise LinkClosed(NO_LONGER_SHOWN, business, session.language)
        return session, business
