"""What every way of closing an open session shares: a dispatcher's cancel, a dispatcher's
move over the customer's link, the provider reporting the appointment changed."""

from __future__ import annotations

from datetime import datetime

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, LinkGone, SessionAlreadyOpen
from reschedule_dispatch.domain.ports import ExpiryScheduler, ScheduledSends, SessionRepository
from reschedule_dispatch.domain.session import (
    OPEN_STATUSES,
    Actor,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.texts import Text, english

CUSTOMER_CONFIRMING = "The customer is confirming a new time right now."
NO_LONGER_SHOWN = english(Text.LINK_NO_LONGER_SHOWN)


class LinkClosed(LinkGone):
    """The link can't be used any more; carries the business so the page can show its phone."""

    def __init__(self, message: str, business: Business, language: str = "en") -> None:
        super().__init__(message)
        self.business = business
        self.language = language


def drop_schedule(
    session: RescheduleSession, expiry: ExpiryScheduler, sends: ScheduledSends
) -> None:
    """The schedule a session (as it was before it closed) no longer needs: a link not sent
    yet has its send waiting for quiet hours to end, an open one its expiry."""
    if session.status is SessionStatus.SCHEDULED:
        sends.cancel_send(session.id)
    else:
        expiry.cancel_expiry(session.id)


def expire_if_overdue(
    sessions: SessionRepository,
    session: RescheduleSession,
    now: datetime,
    detail: str = "found overdue",
) -> RescheduleSession:
    """An open link whose time has passed but whose expiry never ran (its schedule fired
    early, or was lost) is expired now, freeing its appointment, so that whatever a
    dispatcher or the provider does next can go on. Answers the session as it now is."""
    if session.status not in OPEN_STATUSES or not session.is_expired_at(now):
        return session
    try:
        return sessions.transition(
            session.id,
            OPEN_STATUSES,
            SessionStatus.EXPIRED,
            TimelineEvent(type="expired", at=now, actor=Actor.SYSTEM, detail=detail),
        )
    except Conflict:  # it moved on in the same instant (confirmed, canceled, expired)
        return sessions.get_by_id(session.id)


def create_unless_open(
    sessions: SessionRepository,
    session: RescheduleSession,
    token_hash: str | None,
    first_event: TimelineEvent,
    now: datetime,
) -> None:
    """Stores the new session; an overdue link holding its appointment is expired first
    (SessionAlreadyOpen only for one really in progress)."""
    try:
        sessions.create(session, token_hash, first_event)
    except SessionAlreadyOpen as held:
        holder = sessions.get_by_id(held.session_id)
        if expire_if_overdue(sessions, holder, now).status is not SessionStatus.EXPIRED:
            raise
        sessions.create(session, token_hash, first_event)
