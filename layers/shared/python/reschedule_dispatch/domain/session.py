"""A reschedule session: one link sent for one appointment, and everything that happens to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# How the link reaches the customer: a text, an email, or both.
Channel = Literal["sms", "email"]
# A customer's link, or a dispatcher moving the appointment directly (no link: it starts
# confirming, runs the same confirm workflow, and ends with an invitation, not a confirmation).
SessionKind = Literal["link", "dispatcher_move"]


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"  # held back by quiet hours: the link goes out when they end
    LINK_SENT = "link_sent"
    VIEWED = "viewed"
    CONFIRMING = "confirming"  # internal: the confirm workflow is running
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[SessionStatus, str] = {
    SessionStatus.SCHEDULED: "Scheduled to send",
    SessionStatus.LINK_SENT: "Link sent",
    SessionStatus.VIEWED: "Viewed by client",
    SessionStatus.CONFIRMING: "Confirming",
    SessionStatus.COMPLETED: "Reschedule completed",
    SessionStatus.FAILED: "Reschedule failed",
    SessionStatus.EXPIRED: "Link expired",
    SessionStatus.CANCELED: "Canceled",
}

# Open: the customer can still pick a time with the link.
OPEN_STATUSES = frozenset({SessionStatus.LINK_SENT, SessionStatus.VIEWED})
# How long after its appointment a finished link still shows it (the customer may look the
# new time up on the day; after that the page says only that the link is no longer in use).
LINK_RETENTION = timedelta(days=3)
# A link is bound to the browser that first opens it; another one proves it is the
# customer's with the last four digits of their phone. At most this many browsers in all
# (a phone and a laptop, and a spare), and this many tries at the digits on one link.
MAX_LINK_BROWSERS = 3
# A session, its timeline and what points at it (its link, its messages, its invitation)
# are kept as the business's history this long after each was written, then the app
# table's TTL removes them (a link is 404 after that, as one that never existed).
SESSION_RETENTION = timedelta(days=400)
MAX_UNLOCK_TRIES = 5
# In progress (the console's tab): open, or a time is being confirmed. The rest is history.
IN_PROGRESS_STATUSES = OPEN_STATUSES | {SessionStatus.CONFIRMING, SessionStatus.SCHEDULED}
# A dispatcher may cancel these: the link is out and unused, or not out yet.
CANCELABLE_STATUSES = OPEN_STATUSES | {SessionStatus.SCHEDULED}
FINAL_STATUSES = frozenset(SessionStatus) - IN_PROGRESS_STATUSES

# The one place that says which status may follow which. Every write checks it and the
# repository makes the same check atomically (a conditional write on the current status).
TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    # Sent when quiet hours end; canceled by a dispatcher, or when it can no longer be sent.
    SessionStatus.SCHEDULED: frozenset({SessionStatus.LINK_SENT, SessionStatus.CANCELED}),
    # Failed also when the appointment changes elsewhere while the link is open.
    SessionStatus.LINK_SENT: frozenset(
        {
            SessionStatus.VIEWED,
            SessionStatus.CONFIRMING,
            SessionStatus.EXPIRED,
            SessionStatus.CANCELED,
            SessionStatus.FAILED,
        }
    ),
    SessionStatus.VIEWED: frozenset(
        {
            SessionStatus.CONFIRMING,
            SessionStatus.EXPIRED,
            SessionStatus.CANCELED,
            SessionStatus.FAILED,
        }
    ),
    # Back to viewed when the chosen time was taken meanwhile: the customer picks again.
    SessionStatus.CONFIRMING: frozenset(
        {SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.VIEWED}
    ),
    SessionStatus.COMPLETED: frozenset(),
    SessionStatus.FAILED: frozenset(),
    SessionStatus.EXPIRED: frozenset(),
    SessionStatus.CANCELED: frozenset(),
}


def can_move(current: SessionStatus, new: SessionStatus) -> bool:
    return new in TRANSITIONS[current]


class Actor(StrEnum):
    DISPATCHER = "dispatcher"
    CUSTOMER = "customer"
    SYSTEM = "system"
    PROVIDER = "provider"


class TimelineEvent(BaseModel):
    """One line on the session's timeline, as the dispatcher sees it."""

    model_config = ConfigDict(frozen=True)

    type: str = Field(description="sent, delivered, viewed, confirming, completed, ...")
    at: AwareDatetime
    actor: Actor
    detail: str = ""


class Opening(BaseModel):
    """A start time and technician the appointment could move to."""

    model_config = ConfigDict(frozen=True)

    start: AwareDatetime
    end: AwareDatetime
    technician_id: str

    @property
    def key(self) -> str:
        """A stable, form-safe identifier of the opening (the page's `slot` value)."""
        return opening_key(self.start, self.technician_id)


def opening_key(start: datetime, technician_id: str) -> str:
    return f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}.{technician_id}"


class Invitation(BaseModel):
    """What a dispatcher's move tells the customer once it is done, and where."""

    model_config = ConfigDict(frozen=True)

    sms: bool
    email: bool
    language: str = "en"
    phone: str | None = None  # E.164: the customer's, or one the dispatcher typed for this
    email_address: str | None = None
    technician_name: str
    service: str
    address: str = ""
    # Where the .ics the text links to is served (the API's public origin).
    base_url: str


class RescheduleSession(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: SessionKind = "link"  # sessions stored before moves existed are links
    business_id: str
    appointment_id: str
    customer_id: str
    customer_name: str
    customer_phone: str
    dispatcher: str
    status: SessionStatus
    created_at: AwareDatetime
    expires_at: AwareDatetime
    original_start: AwareDatetime
    original_end: AwareDatetime
    original_technician_id: str
    original_version: int | str = 1
    language: str = "en"  # the customer's: the SMS, the page and the confirmation use it
    channels: tuple[Channel, ...] = ("sms",)
    customer_email: str | None = None  # where the link was emailed, when it was
    message: str
    message_sid: str | None = None
    delivery_status: str | None = None
    new_opening: Opening | None = None
    failure_reason: str | None = None
    # What the customer's page should say once (e.g. "that time was just taken").
    notice: str | None = None
    confirmation_sid: str | None = None
    staff_notified: bool = False  # the business's Slack channel was told of the outcome
    scheduled_for: AwareDatetime | None = None  # when a scheduled link goes out
    # Incremented by each confirm, so every attempt has its own workflow execution name.
    confirm_attempt: int = 0
    last_event_type: str | None = None
    last_event_at: AwareDatetime | None = None
    # A dispatcher's move: the rules it broke (allowed by override), the appointments it
    # knowingly overlaps (the workflow's re-check lets those be), and its invitation.
    rules_overridden: tuple[str, ...] = ()
    accepted_overlaps: tuple[str, ...] = ()
    invitation: Invitation | None = None
    invited: tuple[Channel, ...] = ()  # invitation channels already handled (sent or not)
    # The hashes of the browsers this link is bound to (the first to open it, then those
    # unlocked with the phone's last four digits), and the tries at those digits.
    browsers: tuple[str, ...] = ()
    unlock_tries: int = 0

    def opened_in(self, browser_hash: str | None) -> bool:
        """Whether this browser may see the link's appointment."""
        return browser_hash is not None and browser_hash in self.browsers

    @property
    def is_move(self) -> bool:
        return self.kind == "dispatcher_move"

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES

    def is_expired_at(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def shown_until(self) -> datetime:
        """When a finished session's page (and a move's calendar file) stops showing the
        appointment: LINK_RETENTION after the appointment it is about has ended. A text sits
        on a phone for ever; the time, technician and address need not."""
        moved = self.status is SessionStatus.COMPLETED and self.new_opening is not None
        end = self.new_opening.end if moved and self.new_opening else self.original_end
        return end + LINK_RETENTION
