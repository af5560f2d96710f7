"""What every way of closing an open session shares: a dispatcher's cancel, a dispatcher's
move over the customer's link, the provider reporting the appointment changed."""

from __future__ import annotations

from reschedule_dispatch.domain.ports import ExpiryScheduler, ScheduledSends
from reschedule_dispatch.domain.session import RescheduleSession, SessionStatus

CUSTOMER_CONFIRMING = "The customer is confirming a new time right now."


def drop_schedule(
    session: RescheduleSession, expiry: ExpiryScheduler, sends: ScheduledSends
) -> None:
    """The schedule a session (as it was before it closed) no longer needs: a link not sent
    yet has its send waiting for quiet hours to end, an open one its expiry."""
    if session.status is SessionStatus.SCHEDULED:
        sends.cancel_send(session.id)
    else:
        expiry.cancel_expiry(session.id)
