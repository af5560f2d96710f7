"""Twilio's two webhooks' use cases: a text a customer sent (replies, keywords, opt-outs) and
a delivery report on one we sent (recorded if it moves forward; its error explained)."""

from __future__ import annotations

import logging

from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.messages import mask_phones
from reschedule_dispatch.domain.ports import BusinessDirectory, Clock, Contacts, SessionRepository
from reschedule_dispatch.domain.session import Actor, TimelineEvent
from reschedule_dispatch.texts import Text, text

logger = logging.getLogger(__name__)

# Carrier and CTIA keyword families; matched on the whole reply, any case, trimmed.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "UNSTOP", "YES"})
HELP = frozenset({"HELP", "INFO"})
MAX_REPLY_STORED = 500

# Twilio error codes on a delivery report, in words a dispatcher can act on.
DELIVERY_ERRORS = {
    "30003": "Unreachable: the phone is off or out of coverage. Try Resend later.",
    "30004": "Blocked by the recipient or their carrier.",
    "30005": "Unknown number: it may no longer be in service.",
    "30006": "Landline or unreachable carrier: this number cannot receive texts.",
    "30007": "Filtered by the carrier as possible spam.",
    "30008": "Unknown delivery error.",
    "21610": "The customer has unsubscribed (replied STOP).",
}
UNSUBSCRIBED = "21610"


def explain_delivery_error(code: str | None) -> str:
    if not code:
        return ""
    return DELIVERY_ERRORS.get(code, f"Error {code}.") + f" (Twilio {code})"


class InboundMessage:
    """A text a customer sent to the business number: a keyword, or a reply to show."""

    def __init__(
        self,
        *,
        contacts: Contacts,
        sessions: SessionRepository,
        businesses: BusinessDirectory,
        clock: Clock,
    ) -> None:
        self._contacts = contacts
        self._sessions = sessions
        self._businesses = businesses
        self._clock = clock

    def __call__(self, from_: str, to: str, body: str) -> str | None:
        """Returns the reply to send back (as TwiML), or None for no reply."""
        try:
            business = self._businesses.by_phone(to)
        except NotFound:
            logger.warning("inbound text to an unknown number %s", mask_phones(to))
            return None
        keyword = body.strip().upper()
        now = self._clock.now()
        session_id = self._contacts.latest_session(business.id, from_)
        if keyword in OPT_OUT:
            self._contacts.opt_out(business.id, from_, now, f"replied {keyword}")
            self._note(session_id, "opted_out", f"Customer replied {keyword}: no more texts.")
            return None  # the carrier-mandated confirmation is Twilio's own
        if keyword in OPT_IN:
            self._contacts.opt_in(business.id, from_)
            self._note(session_id, "opted_in", f"Customer replied {keyword}.")
            language = self._language(session_id)
            return text(Text.REPLY_SUBSCRIBED, language, business=business.name)
        if keyword in HELP:
            language = self._language(session_id)
            return text(Text.REPLY_HELP, language, business=business.name, phone=business.phone)
        reply = body.strip()[:MAX_REPLY_STORED]
        if session_id is None:
            logger.info("reply from %s with no session", mask_phones(from_))
            return None
        self._note(session_id, "customer_replied", f"Customer replied: {reply}")
        return None

    def _language(self, session_id: str | None) -> str:
        """The customer's language: their latest link's; English when there is none."""
        if session_id is None:
            return "en"
        try:
            return self._sessions.get_by_id(session_id).language
        except NotFound:  # gone with its retention
            return "en"

    def _note(self, session_id: str | None, kind: str, detail: str) -> None:
        if session_id is None:
            return
        try:
            self._sessions.append_event(
                session_id,
                TimelineEvent(type=kind, at=self._clock.now(), actor=Actor.CUSTOMER, detail=detail),
            )
        except NotFound:  # the phone's latest link is gone with its retention: nothing to note
            logger.info("text about session %s, which no longer exists", session_id)


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

    def __init__(self, *, sessions: SessionRepository, clock: Clock, contacts: Contacts) -> None:
        self._sessions = sessions
        self._clock = clock
        self._contacts = contacts

    def __call__(self, message_sid: str, status: str, error_code: str | None) -> bool:
        try:
            return self._record(message_sid, status, error_code)
        except Conflict:
            # Another callback for the same message landed first: decide again on fresh state.
            return self._record(message_sid, status, error_code)

    def _record(self, message_sid: str, status: str, error_code: str | None) -> bool:
        session = self._sessions.find_by_message_sid(message_sid)
        if session.message_sid != message_sid:
            return False  # a report on an earlier send of a resent link
        current = DELIVERY_ORDER.get(session.delivery_status or "queued", 0)
        new = DELIVERY_ORDER.get(status)
        if new is None or new <= current:
            return False  # unknown, duplicate or late callback
        detail = explain_delivery_error(error_code)
        if error_code == UNSUBSCRIBED:
            self._contacts.opt_out(
                session.business_id, session.customer_phone, self._clock.now(), "Twilio 21610"
            )
        event = None
        if status in ("delivered", "undelivered", "failed"):
            event = TimelineEvent(
                type=status, at=self._clock.now(), actor=Actor.SYSTEM, detail=detail
            )
        self._sessions.record_delivery(
            session.id, message_sid, session.delivery_status, status, event
        )
        return True
