"""The invitation after a dispatcher's move: its .ics (attached to the email, and behind the
text's link at GET /r/invite/{token}.ics) and what holds its text back.

Kept apart from services/dispatcher_move.py: the confirm workflow's finalize and the portal
use these, and load none of the move's imports with them (the openings engine).
"""

from __future__ import annotations

from datetime import datetime

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.calendar import appointment_calendar
from reschedule_dispatch.domain.errors import NotFound
from reschedule_dispatch.domain.messages import format_time, next_allowed_time
from reschedule_dispatch.domain.ports import BusinessDirectory, Clock, Contacts, SessionRepository
from reschedule_dispatch.domain.session import RescheduleSession, SessionStatus
from reschedule_dispatch.services.closed_sessions import NO_LONGER_SHOWN, LinkClosed
from reschedule_dispatch.services.link_guessing import LinkGuessing, find_by_token

INVITATION_FILENAME = "invite.ics"
OPTED_OUT_TEXT = "Text not sent: the customer has opted out of texts."


def text_held_back(contacts: Contacts, business: Business, phone: str, now: datetime) -> str | None:
    """Why the invitation's text may not go out now (an opt-out, quiet hours), in plain words;
    None when it may. The move says it up front, and finalize holds the text back by it."""
    if contacts.is_opted_out(business.id, phone):
        return OPTED_OUT_TEXT
    allowed = next_allowed_time(business, now)
    if allowed is None:
        return None
    return (
        "Text not sent: it's quiet hours for the customer (texts can go out from "
        f"{format_time(allowed, business.zone)})."
    )


def move_calendar(session: RescheduleSession, business: Business) -> str:
    """The .ics of a completed move: the same file by email and behind the text's link."""
    opening, invitation = session.new_opening, session.invitation
    if opening is None or invitation is None:
        raise NotFound("This invitation does not exist.")
    return appointment_calendar(
        session.appointment_id,
        business,
        stamp=session.created_at,
        start=opening.start,
        end=opening.end,
        service=invitation.service,
        technician_name=invitation.technician_name,
        address=invitation.address,
    )


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/r/invite/{token}.ics"


class InvitationCalendars:
    """GET /r/invite/{token}.ics: the customer's calendar file for a dispatcher's move.

    Its tokens are guessed like links, so they count against the same limit (`guessing`)."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        businesses: BusinessDirectory,
        guessing: LinkGuessing | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self._businesses = businesses
        self._guessing = guessing
        self._clock = clock

    def __call__(self, token: str, client: str | None = None) -> str:
        try:
            session = find_by_token(
                token.removesuffix(".ics"),
                self._sessions.find_by_invitation_hash,
                self._guessing,
                client,
            )
        except NotFound:
            raise NotFound("This invitation does not exist.") from None
        if not session.is_move or session.status is not SessionStatus.COMPLETED:
            raise NotFound("This invitation does not exist.")
        business = self._businesses.get(session.business_id)
        if self._clock is not None and self._clock.now() >= session.shown_until:
            # the appointment is long over: its time and address are not shown any more
            raise LinkClosed(NO_LONGER_SHOWN, business, session.language)
        return move_calendar(session, business)
