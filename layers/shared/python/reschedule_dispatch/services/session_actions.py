"""What a dispatcher does with a session once it exists: list, resend, cancel."""

from __future__ import annotations

from reschedule_dispatch.domain.errors import Conflict, DomainError
from reschedule_dispatch.domain.messages import cancel_notice_text, check_quiet_hours
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    Contacts,
    ExpiryScheduler,
    ScheduledSends,
    SessionPage,
    SessionRepository,
    SmsSender,
)
from reschedule_dispatch.domain.session import (
    CANCELABLE_STATUSES,
    OPEN_STATUSES,
    Actor,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.closed_sessions import (
    CUSTOMER_CONFIRMING,
    drop_schedule,
    expire_if_overdue,
)
from reschedule_dispatch.services.send_link import OPTED_OUT

MAX_PAGE = 100


class ListSessions:
    def __init__(self, *, sessions: SessionRepository) -> None:
        self._sessions = sessions

    def __call__(
        self, business_id: str, in_progress: bool, limit: int, cursor: str | None
    ) -> SessionPage:
        return self._sessions.list_sessions(business_id, in_progress, min(limit, MAX_PAGE), cursor)


def _open_or_conflict(
    sessions: SessionRepository, session: RescheduleSession, clock: Clock
) -> None:
    # An overdue link is expired now (its expiry never ran), so the console shows it so and
    # the appointment is free for a new link.
    session = expire_if_overdue(sessions, session, clock.now())
    if session.status is SessionStatus.EXPIRED:
        raise Conflict("This link has expired.")
    if session.status is SessionStatus.SCHEDULED:
        raise Conflict("This link hasn't been sent yet: it goes out when quiet hours end.")
    if session.status is SessionStatus.CONFIRMING:
        raise Conflict(CUSTOMER_CONFIRMING)
    if session.status not in OPEN_STATUSES:
        raise Conflict(f"This session is closed ({session.status.label}).")


# A link texted again at most this often: enough for a lost or deleted text, not a way to
# flood a number.
MAX_RESENDS = 3


class ResendLink:
    """Texts the same link again: the body is read back from the SMS provider, because
    we never store the token."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        businesses: BusinessDirectory,
        sms: SmsSender,
        clock: Clock,
        contacts: Contacts,
    ) -> None:
        self._sessions = sessions
        self._businesses = businesses
        self._sms = sms
        self._clock = clock
        self._contacts = contacts

    def __call__(
        self, business_id: str, dispatcher: str, session_id: str, public_base_url: str
    ) -> tuple[RescheduleSession, list[TimelineEvent]]:
        session = self._sessions.get(business_id, session_id)
        _open_or_conflict(self._sessions, session, self._clock)
        if "sms" not in session.channels:
            raise Conflict("This link was emailed, and emails can't be resent. Send a new link.")
        if session.message_sid is None:
            raise Conflict("The first message was never sent; cancel and send a new link.")
        timeline = self._sessions.timeline(session.id)
        resent = sum(e.type == "resent" for e in timeline)
        if resent >= MAX_RESENDS:
            raise Conflict(
                f"This link was already resent {MAX_RESENDS} times. If the customer still "
                "has not got it, check the number, or call them."
            )
        business = self._businesses.get(business_id)
        if self._contacts.is_opted_out(business_id, session.customer_phone):
            raise Conflict(OPTED_OUT)
        check_quiet_hours(business, self._clock.now())
        body = self._sms.sent_body(session.message_sid)
        sid = self._sms.send(
            session.customer_phone,
            business.sms_from,
            body,
            f"{public_base_url.rstrip('/')}/webhooks/twilio/status",
        )
        self._sessions.record_message(session.id, sid, "queued", at=self._clock.now())
        event = TimelineEvent(
            type="resent", at=self._clock.now(), actor=Actor.DISPATCHER, detail=dispatcher
        )
        self._sessions.append_event(session.id, event)
        # The timeline read for the cap, and the event just added: not read again.
        return self._sessions.get(business_id, session.id), [*timeline, event]


class CancelSession:
    """Revokes the link at once; its page then says so and shows the business phone.

    On request the customer is texted that the link no longer works; that notice is
    best-effort (opt-outs and quiet hours are respected) and the timeline says what happened.
    """

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        expiry: ExpiryScheduler,
        clock: Clock,
        businesses: BusinessDirectory,
        sms: SmsSender,
        contacts: Contacts,
        sends: ScheduledSends,
    ) -> None:
        self._sends = sends
        self._sessions = sessions
        self._expiry = expiry
        self._clock = clock
        self._businesses = businesses
        self._sms = sms
        self._contacts = contacts

    def __call__(
        self, business_id: str, dispatcher: str, session_id: str, notify_customer: bool = False
    ) -> tuple[RescheduleSession, list[TimelineEvent]]:
        session = self._sessions.get(business_id, session_id)
        if session.status is not SessionStatus.SCHEDULED:
            _open_or_conflict(self._sessions, session, self._clock)
        try:
            canceled = self._sessions.transition(
                session.id,
                CANCELABLE_STATUSES,
                SessionStatus.CANCELED,
                TimelineEvent(
                    type="canceled", at=self._clock.now(), actor=Actor.DISPATCHER, detail=dispatcher
                ),
            )
        except Conflict:
            # The customer confirmed in the same instant: tell the dispatcher what won.
            current = self._sessions.get(business_id, session.id)
            raise Conflict(f"The session changed meanwhile: {current.status.label}.") from None
        drop_schedule(session, self._expiry, self._sends)
        if notify_customer and session.status is not SessionStatus.SCHEDULED:  # a link went out
            self._notify(canceled)
        return canceled, self._sessions.timeline(session.id)

    def _notify(self, session: RescheduleSession) -> None:
        business = self._businesses.get(session.business_id)
        try:
            if self._contacts.is_opted_out(business.id, session.customer_phone):
                raise Conflict("The customer has opted out of texts.")
            check_quiet_hours(business, self._clock.now())
            body = cancel_notice_text(
                session.customer_name, business, session.original_start, session.language
            )
            self._sms.send(session.customer_phone, business.sms_from, body, None)
        except DomainError as error:
            event = TimelineEvent(
                type="notice_not_sent", at=self._clock.now(), actor=Actor.SYSTEM, detail=str(error)
            )
        else:
            event = TimelineEvent(
                type="notice_sent", at=self._clock.now(), actor=Actor.SYSTEM, detail=body
            )
        self._sessions.append_event(session.id, event)
