"""Ports: what the services need from the outside world, as typing.Protocols.

Adapters in `reschedule_dispatch.adapters` implement them for AWS, Twilio and providers;
tests implement them with in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.connections import (
    OAuthClient,
    OAuthProvider,
    PendingConnection,
    Tokens,
)
from reschedule_dispatch.domain.mirror import MirrorState, ScheduleSnapshot
from reschedule_dispatch.domain.provider_events import Suggestion, WebhookOutcome, WebhookRequest
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    Busy,
    BusyColumns,
    Customer,
    Technician,
)
from reschedule_dispatch.domain.session import (
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.domain.team import Role, TeamMember


class Clock(Protocol):
    def now(self) -> datetime: ...


class BusinessDirectory(Protocol):
    def get(self, business_id: str, *, fresh: bool = False) -> Business:
        """The business; `fresh` reads past any cache (settings pages and their updates)."""
        ...

    def by_phone(self, phone: str) -> Business:
        """The business whose number this is (inbound texts arrive addressed to it)."""
        ...

    def put(self, business: Business) -> None: ...

    def update(self, business_id: str, change: Callable[[Business], Business]) -> Business:
        """`change` applied to the stored business, written only if nobody wrote it meanwhile
        (else read again and reapplied); Conflict if that keeps happening."""
        ...


@dataclass(frozen=True)
class SessionPage:
    sessions: list[RescheduleSession]
    cursor: str | None  # pass back to get the next page; None on the last one


@dataclass(frozen=True)
class Replacing:
    """The session in progress that a new one takes the appointment from, in the same write
    (a dispatcher's move over the customer's open link): it becomes `status` with `event`
    only if it is still one of `expected`."""

    session: RescheduleSession
    expected: frozenset[SessionStatus]
    status: SessionStatus
    event: TimelineEvent
    failure_reason: str


class SessionRepository(Protocol):
    def create(
        self,
        session: RescheduleSession,
        token_hash: str | None,
        first_event: TimelineEvent,
        *,
        replacing: Replacing | None = None,
    ) -> None:
        """Stores a new session; SessionAlreadyOpen if its appointment has one in progress
        (other than `replacing`, which is closed in the same write, or Conflict if it moved
        on meanwhile: then nothing is written).

        A scheduled session has no link yet (`token_hash` None): `add_link` gives it one.
        """
        ...

    def add_link(self, session_id: str, token_hash: str, *, at: datetime) -> None: ...

    def list_sessions(
        self, business_id: str, in_progress: bool, limit: int, cursor: str | None
    ) -> SessionPage:
        """The business's sessions in progress (or history), newest first."""
        ...

    def get(self, business_id: str, session_id: str) -> RescheduleSession:
        """Raises NotFound when missing or owned by another business."""
        ...

    def get_by_id(self, session_id: str) -> RescheduleSession: ...

    def in_progress_by_appointment(
        self, business_id: str, appointment_ids: Sequence[str]
    ) -> dict[str, RescheduleSession]:
        """The session in progress on each of these appointments that has one."""
        ...

    def for_appointment(self, business_id: str, appointment_id: str) -> list[RescheduleSession]:
        """Every session of the appointment (links and dispatcher moves), oldest first."""
        ...

    def find_by_token_hash(self, token_hash: str) -> RescheduleSession: ...

    def add_invitation(self, session_id: str, token_hash: str, *, at: datetime) -> None:
        """Stores the hash of a move's invitation token (its .ics link)."""
        ...

    def find_by_invitation_hash(self, token_hash: str) -> RescheduleSession: ...

    def find_by_message_sid(self, message_sid: str) -> RescheduleSession: ...

    def timeline(self, session_id: str) -> list[TimelineEvent]: ...

    def transition(
        self,
        session_id: str,
        expected: SessionStatus | frozenset[SessionStatus],
        new: SessionStatus,
        event: TimelineEvent,
        **changes: object,
    ) -> RescheduleSession:
        """Moves the session only if its status is still `expected`; raises Conflict otherwise.

        `changes` set other fields in the same write (None removes one). Reaching a final
        status also frees the appointment for a new session.
        """
        ...

    def record_message(
        self, session_id: str, message_sid: str, delivery_status: str, *, at: datetime
    ) -> None: ...

    def record_delivery(
        self,
        session_id: str,
        message_sid: str,
        expected_status: str | None,
        delivery_status: str,
        event: TimelineEvent | None,
    ) -> None:
        """Records it only if `message_sid` is the session's current message and its status
        is still `expected_status`; Conflict otherwise."""
        ...

    def append_event(self, session_id: str, event: TimelineEvent, **changes: object) -> None: ...

    def add_browser(
        self, session_id: str, browser_hash: str, event: TimelineEvent, *, first: bool
    ) -> bool:
        """Binds the link to one more browser: the first (only while it has none), or
        another (while it has fewer than MAX_LINK_BROWSERS). False if that no longer holds."""
        ...

    def take_unlock_try(self, session_id: str, most: int) -> int | None:
        """One more try at the phone's digits, taken before they are compared (so tries at
        once cannot pass the limit): how many the link has had, this one included; None
        when it has had `most` already."""
        ...


class SchedulingProvider(Protocol):
    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]: ...

    def get_customer(self, business_id: str, customer_id: str) -> Customer: ...

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]: ...

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        """`expected_on`: the technician it is expected to be with, looked at first (a
        calendar provider then reads one calendar, not every one)."""
        ...

    def get_technician(self, business_id: str, technician_id: str) -> Technician: ...

    def technicians(self, business_id: str) -> Sequence[Technician]: ...

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        """Scheduled appointments overlapping [start, end)."""
        ...

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        """Appointments and blocked times overlapping [start, end)."""
        ...

    def move_appointment(
        self,
        appointment: Appointment,
        opening: Opening,
        idempotency_key: str,
    ) -> Appointment:
        """Moves it if its version is still `appointment.version`; AppointmentChanged if not.

        Repeating a call with the same idempotency key returns the first result.
        """
        ...


@runtime_checkable
class SchedulesAtOnce(Protocol):
    """A provider that answers many technicians' schedules in one read (the mirror)."""

    def schedules(
        self,
        business_id: str,
        technician_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> dict[str, Sequence[Busy]]: ...

    def busy_columns(
        self,
        business_id: str,
        technician_ids: Collection[str],
        start: datetime,
        end: datetime,
    ) -> dict[str, BusyColumns]:
        """The same, as the openings engine reads it: columns, no model per item (it may
        also hold items of the days around [start, end))."""
        ...


@runtime_checkable
class MirrorFreshness(Protocol):
    def in_step_at(self, business_id: str) -> datetime | None:
        """When the business's schedule mirror was last in step with its provider (None:
        never; its reads go to the provider)."""
        ...


@runtime_checkable
class ScheduleWithCustomers(Protocol):
    """A provider whose schedule read also names the customers of its appointments (the
    calendars carry them on each event), so a sync needs no read per customer."""

    def schedule_with_customers(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> tuple[Sequence[Busy], Sequence[Customer]] | None:
        """None when this provider cannot (the caller reads customers one by one)."""
        ...


class ScheduleMirror(Protocol):
    """The product's own copy of each business's schedule (domain/mirror.py)."""

    def state(self, business_id: str) -> MirrorState | None:
        """None until the business's first full read."""
        ...

    def busy(
        self,
        business_id: str,
        technician_ids: Collection[str] | None,
        start: datetime,
        end: datetime,
    ) -> dict[str, list[Busy]]:
        """Busy items overlapping [start, end), by technician (None: every technician)."""
        ...

    def busy_columns(
        self, business_id: str, technician_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, BusyColumns]:
        """The named technicians' busy items over the weeks [start, end) touches, as the
        openings engine's columns, by start."""
        ...

    def appointment(self, business_id: str, appointment_id: str) -> Appointment | None: ...

    def customers(self, business_id: str) -> list[Customer]: ...

    def customer(self, business_id: str, customer_id: str) -> Customer | None: ...

    def replace(self, business_id: str, snapshot: ScheduleSnapshot, synced_at: datetime) -> int:
        """The whole mirror becomes the snapshot; answers how many items were written."""
        ...

    def replace_technician(
        self,
        business_id: str,
        technician_id: str,
        start: datetime,
        end: datetime,
        busy: Sequence[Busy],
        customers: Sequence[Customer],
    ) -> int:
        """One technician's busy items over [start, end) become `busy`; the customers are
        added to (or replace their entries in) the directory."""
        ...

    def record(self, appointment: Appointment, before: Appointment | None) -> None:
        """An appointment as the provider now has it (after our move, or a re-read)."""
        ...


@runtime_checkable
class ProviderWebhooks(Protocol):
    """A provider adapter's inbound side."""

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        """Verifies the request and normalizes it; WebhookRejected if it cannot be verified.

        A handshake (e.g. Graph's validationToken) answers with its reply and no events.
        """
        ...


@runtime_checkable
class ProviderChannels(Protocol):
    """A provider that pushes changes only through channels (subscriptions) we open and
    renew: Google Calendar's watch channels, Graph's subscriptions."""

    def keep_notified(self, address: str, now: datetime) -> int:
        """Opens or renews what is missing or about to end; answers how many."""
        ...


class ProviderState(Protocol):
    """Small durable values an adapter keeps between calls (sync tokens, channel ids)."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class SeenEvents(Protocol):
    """Provider events already applied (a redelivery, or a captured one replayed)."""

    def first_time(self, business_id: str, event_id: str, forget_after: int) -> bool:
        """Records the event; False if it was recorded before. `forget_after`: epoch
        seconds after which the record may go."""
        ...

    def forget(self, business_id: str, event_id: str) -> None:
        """The event could not be applied: a redelivery is to be applied."""
        ...


class Suggestions(Protocol):
    """Reschedules the provider suggested, waiting for a dispatcher."""

    def put(self, suggestion: Suggestion) -> None: ...

    def list(self, business_id: str) -> list[Suggestion]:
        """Newest first."""
        ...

    def resolve(self, business_id: str, appointment_id: str) -> bool:
        """Removes it (a link was sent, or a dispatcher dismissed it); False if there was none."""
        ...


class Contacts(Protocol):
    """Opt-outs per business and number, and the latest session texted to a number."""

    def is_opted_out(self, business_id: str, phone: str) -> bool: ...

    def opt_out(self, business_id: str, phone: str, at: datetime, reason: str) -> None: ...

    def opt_in(self, business_id: str, phone: str) -> None: ...

    def remember_session(self, business_id: str, phone: str, session_id: str) -> None: ...

    def latest_session(self, business_id: str, phone: str) -> str | None: ...


class SmsSender(Protocol):
    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        """Sends one SMS and returns the provider's message id."""
        ...

    def sent_body(self, message_sid: str) -> str:
        """The text of a message sent earlier (resend sends the same link, which we never store)."""
        ...


@dataclass(frozen=True)
class EmailAttachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=PUBLISH"
    content: bytes


class EmailSender(Protocol):
    def send(
        self,
        to: str,
        from_email: str,
        from_name: str,
        subject: str,
        text: str,
        html: str | None = None,
        *,
        categories: Sequence[str] = (),
        custom_args: Mapping[str, str] | None = None,
        attachments: Sequence[EmailAttachment] = (),
    ) -> str:
        """Sends one email and returns the provider's message id."""
        ...


@dataclass(frozen=True)
class SessionOutcome:
    """How a session ended, as staff are told it."""

    business_name: str
    customer_name: str
    status_label: str
    when_text: str  # the new time when completed, the current one otherwise
    reason: str | None
    console_url: str  # "" when unknown: the post has no link


class StaffNotifier(Protocol):
    def session_ended(self, channel: str, outcome: SessionOutcome) -> str:
        """Posts the outcome to a staff channel and returns the message's id."""
        ...


class OpeningHolds(Protocol):
    def hold(
        self,
        business_id: str,
        opening: Opening,
        session_id: str,
        appointment_id: str,
        now: datetime,
        lease_until: datetime,
    ) -> None:
        """Reserves the technician's time for the session's appointment; OpeningTaken if
        another appointment's session holds it."""
        ...

    def release(self, business_id: str, opening: Opening, session_id: str) -> None:
        """Gives the time back, if this session still holds it."""
        ...

    def release_at(
        self, business_id: str, opening: Opening, session_id: str, until: datetime
    ) -> None:
        """Keeps the hold until `until` only (if this session still holds it)."""
        ...

    def release_left_behind(
        self, business_id: str, opening: Opening, appointment_id: str, session_id: str
    ) -> None:
        """The appointment has moved off `opening`: drops what its earlier sessions still
        hold there (kept for the index lag), never this session's own cells."""
        ...


class ExpiryScheduler(Protocol):
    def schedule_expiry(self, session_id: str, at: datetime) -> None: ...

    def cancel_expiry(self, session_id: str) -> None: ...


class ScheduledSends(Protocol):
    """Sends a scheduled session's link at a later time (when quiet hours end)."""

    def schedule_send(self, session_id: str, at: datetime, public_base_url: str) -> None: ...

    def cancel_send(self, session_id: str) -> None: ...


class GuessThrottle(Protocol):
    """Counts each client's unknown link tokens per fixed window (see domain/guessing.py).

    `client` is a hash of the address, never the address; `window` is the window's start in
    epoch seconds. Counters may be swept once `expires_at` (epoch seconds) has passed.
    """

    def unknown_links(self, client: str, window: int) -> int:
        """How many unknown tokens the client tried in the window so far (0 when none)."""
        ...

    def add_unknown_link(self, client: str, window: int, expires_at: int) -> int:
        """Counts one more, atomically; returns the new count."""
        ...


# Whether a session's current confirm attempt has its workflow running (the watchdog asks).
# "ended" only once no step of it can still be running (a timed-out execution's Lambda may
# finish its call after the execution stopped): until then it is "running".
WorkflowState = Literal["running", "ended"]


class ConfirmWorkflow(Protocol):
    def start(self, session: RescheduleSession, opening: Opening) -> None:
        """Starts the confirm workflow; starting it twice for a session starts one."""
        ...

    def state(self, session: RescheduleSession) -> WorkflowState:
        """The current confirm attempt's workflow: running, or ended (however: finished,
        failed, timed out, aborted, or never started)."""
        ...


class Team(Protocol):
    """The business's own record of its team; an email is on one business's team at most."""

    def start_business(self, business: Business, admin: TeamMember) -> None:
        """The business, its number and its first admin, all or nothing. Conflict naming what
        is taken: the phone number (another business's) or the email (on another team)."""
        ...

    def undo_start(self, business: Business, admin: TeamMember) -> None:
        """Takes back what `start_business` wrote (the identity provider refused the admin)."""
        ...

    def add(self, business_id: str, member: TeamMember) -> None:
        """Conflict when the email is on a team already (this one or another)."""
        ...

    def remove(self, business_id: str, email: str) -> TeamMember:
        """NotFound when the email is not on this business's team."""
        ...

    def members(self, business_id: str) -> list[TeamMember]:
        """By email."""
        ...


class Identities(Protocol):
    """The people's accounts (Cognito in AWS): whose sign-in token names which business and
    role."""

    def invite(self, email: str, business_id: str, role: Role) -> None:
        """An account for `email` on the business; the provider emails them how to sign in.
        Conflict when an account with that email exists already."""
        ...

    def remove(self, email: str) -> None:
        """The account gone (signed-in tokens stop at their expiry); nothing if none."""
        ...


class PendingConnections(Protocol):
    """Started OAuth connections by `state` (domain/connections.py)."""

    def put(self, pending: PendingConnection) -> None: ...

    def take(self, state: str) -> PendingConnection | None:
        """The pending connection, marked used in the same write: None when the state is
        unknown; `used=True` on what it answers when it had been taken before (a replay)."""
        ...


class ProviderSecrets(Protocol):
    """Each business's provider credentials (Secrets Manager in AWS)."""

    def save(self, business_id: str, kind: str, value: dict[str, str]) -> str:
        """Created, or replaced when it exists; its ARN."""
        ...

    def read(self, arn: str) -> dict[str, str] | None:
        """Its JSON; None when it is gone."""
        ...

    def delete(self, arn: str) -> None:
        """Scheduled for deletion (recoverable for the recovery window)."""
        ...


class TokenExchange(Protocol):
    """A provider's token endpoint: an authorization code and its PKCE verifier for tokens;
    ConnectionRefused when the provider refuses the code (expired, used, wrong verifier)."""

    def exchange(
        self, provider: OAuthProvider, client: OAuthClient, code: str, pending: PendingConnection
    ) -> Tokens: ...
