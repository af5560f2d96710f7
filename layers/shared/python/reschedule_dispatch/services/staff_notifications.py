"""Telling the business's staff how a session ended, in their Slack channel."""

from __future__ import annotations

import logging

from reschedule_dispatch.domain.errors import DomainError
from reschedule_dispatch.domain.messages import format_time
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    SessionOutcome,
    SessionRepository,
    StaffNotifier,
)
from reschedule_dispatch.domain.session import (
    Actor,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

_EVENTS = {SessionStatus.COMPLETED: "completed", SessionStatus.FAILED: "failed"}


class TellStaff:
    """Posts a completed or failed session to the business's channel, once, if it asked to."""

    def __init__(
        self,
        *,
        notifier: StaffNotifier | None,
        businesses: BusinessDirectory,
        sessions: SessionRepository,
        clock: Clock,
        console_url: str,
    ) -> None:
        self._notifier = notifier
        self._businesses = businesses
        self._sessions = sessions
        self._clock = clock
        self._console_url = console_url

    def __call__(self, session: RescheduleSession) -> None:
        if self._notifier is None or session.staff_notified:  # off, or a retried step
            return
        business = self._businesses.get(session.business_id)
        channel = business.settings.slack_channel
        if not channel or _EVENTS.get(session.status) not in business.settings.slack_events:
            return
        # Completed: the time it moved to; otherwise the one it kept (a failed session's
        # chosen time was never booked).
        start = session.original_start
        if session.status is SessionStatus.COMPLETED and session.new_opening:
            start = session.new_opening.start
        outcome = SessionOutcome(
            business_name=business.name,
            customer_name=session.customer_name,
            status_label=session.status.label,
            when_text=format_time(start, business.zone),
            reason=session.failure_reason,
            console_url=f"{self._console_url.rstrip('/')}/#/history" if self._console_url else "",
        )
        changes: dict[str, object] = {}
        try:
            self._notifier.session_ended(channel, outcome)
        except DomainError as error:
            # The outcome stands; the dispatcher sees on the timeline that staff weren't told.
            logger.warning("staff not notified of session %s: %s", session.id, error)
            kind, detail = "staff_not_notified", f"Slack {channel}: {error}"
        else:
            kind, detail, changes = "staff_notified", f"Slack {channel}", {"staff_notified": True}
        self._sessions.append_event(
            session.id,
            TimelineEvent(type=kind, at=self._clock.now(), actor=Actor.SYSTEM, detail=detail),
            **changes,
        )
