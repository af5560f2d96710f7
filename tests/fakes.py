"""In-memory fakes of the ports the services use (domain/ports.py), for unit tests that need
no build: no moto, no cdk.out.

Each fake keeps what its real adapter promises and the services rely on: a conditional write
refused with the same domain error (and nothing written), NotFound for what is missing or
another business's, listings in the same order, idempotent starts and deletes. The contract
tests (tests/contract) run the same assertions against a fake and its adapter, so the two
cannot drift apart.

What a test steers is a plain attribute (`fail_with`, `failures`), and what a test reads back
is a plain list or dict (`sent`, `posts`, `scheduled`); nothing else is public beyond the
port.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import itertools
import json
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.connections import (
    ConnectionRefused,
    OAuthClient,
    OAuthProvider,
    PendingConnection,
    Tokens,
    s256,
)
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    Conflict,
    MessagingUnavailable,
    NotFound,
    OpeningTaken,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.mirror import MirrorState, ScheduleSnapshot, weeks_between
from reschedule_dispatch.domain.ports import (
    EmailAttachment,
    Replacing,
    SessionOutcome,
    SessionPage,
    WorkflowState,
)
from reschedule_dispatch.domain.provider_events import Suggestion
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    BusyColumns,
    Customer,
    Technician,
    matches,
)
from reschedule_dispatch.domain.session import (
    FINAL_STATUSES,
    IN_PROGRESS_STATUSES,
    MAX_LINK_BROWSERS,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
    can_move,
)
from reschedule_dispatch.domain.team import TeamMember
from tests.builders import NOW

Found = TypeVar("Found")

# --- time ------------------------------------------------------------------------------


@dataclass
class FixedClock:
    """The Clock port, pinned; a test moves it."""

    at: datetime = NOW

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


# --- sessions --------------------------------------------------------------------------


def _changed(session: RescheduleSession, changes: Mapping[str, object]) -> RescheduleSession:
    """The session with `changes` written as the repository writes them (None removes a
    field), read back through the model as the repository reads it."""
    data = session.model_dump(mode="json")
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, BaseModel):
            data[name] = value.model_dump(mode="json")
        else:
            data[name] = value
    return RescheduleSession.model_validate(data)


def _allowed(
    expected: SessionStatus | frozenset[SessionStatus], new: SessionStatus
) -> frozenset[SessionStatus]:
    """The expected statuses the transition table lets become `new` (Conflict if none)."""
    statuses = frozenset({expected}) if isinstance(expected, SessionStatus) else expected
    allowed = frozenset(s for s in statuses if can_move(s, new))
    if not allowed:
        froms = ", ".join(sorted(s.value for s in statuses))
        raise Conflict(f"A session cannot become {new.value} from {froms}.")
    return allowed


def _tab(status: SessionStatus) -> str:
    return "IN_PROGRESS" if status in IN_PROGRESS_STATUSES else "HISTORY"


def _list_key(session: RescheduleSession) -> str:
    """A session's place in its business's lists: by creation, then id (newest first)."""
    return f"{session.created_at.astimezone(UTC).isoformat()}#{session.id}"


class FakeSessions:
    """The SessionRepository port (adapters/dynamodb_sessions.py), in memory.

    Every status change is checked against the transition table, then against the stored
    status, and writes nothing when refused. An appointment has one session in progress
    (its lock) until that session reaches a final status. The timeline is in event time,
    then in the order written.
    """

    def __init__(self) -> None:
        self._sessions: dict[str, RescheduleSession] = {}
        self._events: dict[str, list[tuple[datetime, int, TimelineEvent]]] = {}
        self._locks: dict[tuple[str, str], str] = {}  # (business, appointment) -> session
        self._history: dict[tuple[str, str], list[str]] = {}
        self._links: dict[str, str] = {}  # token hash -> session id
        self._invitations: dict[str, str] = {}
        self._messages: dict[str, str] = {}  # message sid -> session id
        self._written = itertools.count()

    # Writing ------------------------------------------------------------------------------

    def create(
        self,
        session: RescheduleSession,
        token_hash: str | None,
        first_event: TimelineEvent,
        *,
        replacing: Replacing | None = None,
    ) -> None:
        lock = (session.business_id, session.appointment_id)
        if replacing is not None:
            allowed = _allowed(replacing.expected, replacing.status)
        # One write: every condition holds, or nothing is written.
        fits = session.id not in self._sessions and (
            token_hash is None or token_hash not in self._links
        )
        if replacing is None:
            fits = fits and lock not in self._locks
        else:
            replaced = self._sessions.get(replacing.session.id)
            fits = (
                fits
                and self._locks.get(lock) == replacing.session.id
                and replaced is not None
                and replaced.status in allowed
            )
        if not fits:
            if replacing is not None:
                raise Conflict("The session it replaces changed meanwhile.")
            if lock in self._locks:
                raise SessionAlreadyOpen(self._locks[lock])
            raise Conflict("The session could not be created; try again.")
        self._sessions[session.id] = _changed(
            session, {"last_event_type": first_event.type, "last_event_at": first_event.at}
        )
        self._locks[lock] = session.id
        self._add_event(session.id, first_event)
        self._history.setdefault(lock, []).append(session.id)
        if token_hash is not None:
            self._links[token_hash] = session.id
        if replacing is not None:
            self._write_status(
                replacing.session.id,
                replacing.status,
                replacing.event,
                {"failure_reason": replacing.failure_reason},
            )

    def add_link(self, session_id: str, token_hash: str, *, at: datetime) -> None:
        if token_hash in self._links:
            raise Conflict("This link exists already.")
        self._links[token_hash] = session_id

    def transition(
        self,
        session_id: str,
        expected: SessionStatus | frozenset[SessionStatus],
        new: SessionStatus,
        event: TimelineEvent,
        **changes: object,
    ) -> RescheduleSession:
        current = self.get_by_id(session_id)
        allowed = _allowed(expected, new)
        lock = (current.business_id, current.appointment_id)
        frees_lock = new in FINAL_STATUSES
        if current.status not in allowed or (
            frees_lock and self._locks.get(lock, session_id) != session_id
        ):
            raise Conflict(f"The session is no longer in a state that allows {new.value}.")
        self._write_status(session_id, new, event, changes)
        if frees_lock:
            self._locks.pop(lock, None)
        return self.get_by_id(session_id)

    def record_message(
        self, session_id: str, message_sid: str, delivery_status: str, *, at: datetime
    ) -> None:
        session = self.get_by_id(session_id)
        self._sessions[session_id] = _changed(
            session, {"message_sid": message_sid, "delivery_status": delivery_status}
        )
        self._messages[message_sid] = session_id

    def record_delivery(
        self,
        session_id: str,
        message_sid: str,
        expected_status: str | None,
        delivery_status: str,
        event: TimelineEvent | None,
    ) -> None:
        session = self._sessions.get(session_id)
        if (
            session is None
            or session.message_sid != message_sid
            or session.delivery_status != expected_status
        ):
            raise Conflict("The delivery status changed meanwhile.")
        changes: dict[str, object] = {"delivery_status": delivery_status}
        if event is not None:
            changes |= {"last_event_type": event.type, "last_event_at": event.at}
            self._add_event(session_id, event)
        self._sessions[session_id] = _changed(session, changes)

    def append_event(self, session_id: str, event: TimelineEvent, **changes: object) -> None:
        session = self.get_by_id(session_id)
        self._sessions[session_id] = _changed(
            session, {**changes, "last_event_type": event.type, "last_event_at": event.at}
        )
        self._add_event(session_id, event)

    def add_browser(
        self, session_id: str, browser_hash: str, event: TimelineEvent, *, first: bool
    ) -> bool:
        session = self._sessions.get(session_id)
        if session is None:
            return False
        room = not session.browsers if first else len(session.browsers) < MAX_LINK_BROWSERS
        if not room:
            return False
        self._sessions[session_id] = _changed(
            session,
            {
                "browsers": [*session.browsers, browser_hash],
                "last_event_type": event.type,
                "last_event_at": event.at,
            },
        )
        self._add_event(session_id, event)
        return True

    def take_unlock_try(self, session_id: str, most: int) -> int | None:
        session = self._sessions.get(session_id)
        if session is None or session.unlock_tries >= most:
            return None
        tries = session.unlock_tries + 1
        self._sessions[session_id] = _changed(session, {"unlock_tries": tries})
        return tries

    def add_invitation(self, session_id: str, token_hash: str, *, at: datetime) -> None:
        if token_hash in self._invitations:
            raise Conflict("This invitation exists already.")
        self._invitations[token_hash] = session_id

    # Reading ------------------------------------------------------------------------------

    def get(self, business_id: str, session_id: str) -> RescheduleSession:
        session = self._sessions.get(session_id)
        if session is None or session.business_id != business_id:
            raise NotFound("Session not found.")
        return session

    def get_by_id(self, session_id: str) -> RescheduleSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise NotFound("Session not found.")
        return session

    def in_progress_by_appointment(
        self, business_id: str, appointment_ids: Sequence[str]
    ) -> dict[str, RescheduleSession]:
        found = {}
        for appointment_id in dict.fromkeys(appointment_ids):
            holder = self._locks.get((business_id, appointment_id))
            session = self._sessions.get(holder) if holder else None
            if session is not None and session.business_id == business_id and session.in_progress:
                found[session.appointment_id] = session
        return found

    def for_appointment(self, business_id: str, appointment_id: str) -> list[RescheduleSession]:
        ids = self._history.get((business_id, appointment_id), [])
        return [self._sessions[i] for i in ids if self._sessions[i].business_id == business_id]

    def find_by_token_hash(self, token_hash: str) -> RescheduleSession:
        return self._lookup(self._links, token_hash)

    def find_by_invitation_hash(self, token_hash: str) -> RescheduleSession:
        return self._lookup(self._invitations, token_hash)

    def find_by_message_sid(self, message_sid: str) -> RescheduleSession:
        return self._lookup(self._messages, message_sid)

    def timeline(self, session_id: str) -> list[TimelineEvent]:
        return [event for _, _, event in sorted(self._events.get(session_id, []))]

    def list_sessions(
        self, business_id: str, in_progress: bool, limit: int, cursor: str | None
    ) -> SessionPage:
        tab = "IN_PROGRESS" if in_progress else "HISTORY"
        listed = sorted(
            (
                s
                for s in self._sessions.values()
                if s.business_id == business_id and _tab(s.status) == tab
            ),
            key=_list_key,
            reverse=True,
        )
        if cursor:
            after = _read_cursor(cursor, f"{business_id}#{tab}")
            listed = [s for s in listed if _list_key(s) < after]
        page = listed[:limit]
        more = len(listed) > limit
        return SessionPage(
            sessions=page,
            cursor=_cursor(f"{business_id}#{tab}", _list_key(page[-1])) if more else None,
        )

    # Internals ----------------------------------------------------------------------------

    def _write_status(
        self,
        session_id: str,
        new: SessionStatus,
        event: TimelineEvent,
        changes: Mapping[str, object],
    ) -> None:
        self._sessions[session_id] = _changed(
            self._sessions[session_id],
            {
                **changes,
                "status": new.value,
                "last_event_type": event.type,
                "last_event_at": event.at,
            },
        )
        self._add_event(session_id, event)

    def _add_event(self, session_id: str, event: TimelineEvent) -> None:
        self._events.setdefault(session_id, []).append(
            (event.at.astimezone(UTC), next(self._written), event)
        )

    def _lookup(self, index: dict[str, str], key: str) -> RescheduleSession:
        if key not in index:
            raise NotFound("Session not found.")
        return self.get_by_id(index[key])


def _cursor(partition: str, after: str) -> str:
    raw = json.dumps({"list": partition, "after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, partition: str) -> str:
    """Where the page a cursor stands for starts; refused if forged or from another list."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise Unprocessable("The cursor is not valid.") from None
    if not isinstance(key, dict) or key.get("list") != partition:
        raise Unprocessable("The cursor is not valid.")
    after = key.get("after")
    if not isinstance(after, str):
        raise Unprocessable("The cursor is not valid.")
    return after


# --- businesses ------------------------------------------------------------------------


class FakeBusinesses:
    """The BusinessDirectory port (adapters/dynamodb_businesses.py), with the two scans the
    scheduled jobs use (`every`, `connected`). Always fresh: it has no cache to be stale."""

    def __init__(self, *businesses: Business) -> None:
        self._businesses: dict[str, Business] = {}
        self._phones: dict[str, str] = {}
        for business in businesses:
            self.put(business)

    def get(self, business_id: str, *, fresh: bool = False) -> Business:
        if business_id not in self._businesses:
            raise NotFound("Business not found.")
        return self._businesses[business_id]

    def by_phone(self, phone: str) -> Business:
        if phone not in self._phones:
            raise NotFound("No business uses this number.")
        return self.get(self._phones[phone])

    def put(self, business: Business) -> None:
        self._phones[business.phone] = business.id
        self._businesses[business.id] = business

    def update(self, business_id: str, change: Callable[[Business], Business]) -> Business:
        updated = change(self.get(business_id))  # what it raises, it raises before writing
        self._businesses[business_id] = updated
        return updated

    def every(self) -> list[Business]:
        return list(self._businesses.values())

    def connected(self) -> list[Business]:
        return [
            b
            for b in self._businesses.values()
            if b.provider.kind != "demo" and not b.provider.disconnected
        ]


# --- contacts, suggestions, provider events, guesses ----------------------------------------


class FakeContacts:
    """The Contacts port (adapters/dynamodb_contacts.py): opt-outs per business and number,
    and the latest session texted to a number."""

    def __init__(self) -> None:
        self.opted_out: dict[tuple[str, str], tuple[datetime, str]] = {}
        self._latest: dict[tuple[str, str], str] = {}

    def is_opted_out(self, business_id: str, phone: str) -> bool:
        return (business_id, phone) in self.opted_out

    def opt_out(self, business_id: str, phone: str, at: datetime, reason: str) -> None:
        self.opted_out[(business_id, phone)] = (at, reason)

    def opt_in(self, business_id: str, phone: str) -> None:
        self.opted_out.pop((business_id, phone), None)

    def remember_session(self, business_id: str, phone: str, session_id: str) -> None:
        self._latest[(business_id, phone)] = session_id

    def latest_session(self, business_id: str, phone: str) -> str | None:
        return self._latest.get((business_id, phone))


# The adapter lists this many at most (adapters/dynamodb_suggestions.MAX_SUGGESTIONS).
MAX_SUGGESTIONS = 200


class FakeSuggestions:
    """The Suggestions port: one per appointment (a later one replaces it), newest first."""

    def __init__(self) -> None:
        self._suggestions: dict[tuple[str, str], Suggestion] = {}

    def put(self, suggestion: Suggestion) -> None:
        self._suggestions[(suggestion.business_id, suggestion.appointment_id)] = suggestion

    def list(self, business_id: str) -> list[Suggestion]:
        theirs = [s for (b, _), s in self._suggestions.items() if b == business_id]
        return sorted(theirs, key=lambda s: s.at, reverse=True)[:MAX_SUGGESTIONS]

    def resolve(self, business_id: str, appointment_id: str) -> bool:
        return self._suggestions.pop((business_id, appointment_id), None) is not None


class FakeSeenEvents:
    """The SeenEvents port: the first record of an event id wins, per business."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], int] = {}  # -> forget_after

    def first_time(self, business_id: str, event_id: str, forget_after: int) -> bool:
        if (business_id, event_id) in self.seen:
            return False
        self.seen[(business_id, event_id)] = forget_after
        return True

    def forget(self, business_id: str, event_id: str) -> None:
        self.seen.pop((business_id, event_id), None)


class FakeGuessThrottle:
    """The GuessThrottle port: counts by (client, window)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.expiries: dict[tuple[str, int], int] = {}

    def unknown_links(self, client: str, window: int) -> int:
        return self.counts.get((client, window), 0)

    def add_unknown_link(self, client: str, window: int, expires_at: int) -> int:
        self.counts[(client, window)] = self.counts.get((client, window), 0) + 1
        self.expiries[(client, window)] = expires_at
        return self.counts[(client, window)]


# --- holds -----------------------------------------------------------------------------

HOLD_CELL = timedelta(minutes=15)


def hold_cells(start: datetime, end: datetime) -> list[datetime]:
    """The 15-minute UTC cells [start, end) touches: two holds clash when they share one
    (adapters/dynamodb_holds.py), so times that only touch the same cell clash too."""
    start = start.astimezone(UTC)
    cell = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    found = []
    while cell < end:
        found.append(cell)
        cell += HOLD_CELL
    return found


@dataclass(frozen=True)
class Hold:
    session_id: str
    appointment_id: str
    lease_until: datetime


class FakeOpeningHolds:
    """The OpeningHolds port: one hold per technician cell, each with a lease."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str, datetime], Hold] = {}

    def hold(
        self,
        business_id: str,
        opening: Opening,
        session_id: str,
        appointment_id: str,
        now: datetime,
        lease_until: datetime,
    ) -> None:
        keys = self._keys(business_id, opening)
        for key in keys:
            held = self.cells.get(key)
            if held is None or held.lease_until < now:
                continue
            if held.session_id != session_id and held.appointment_id != appointment_id:
                raise OpeningTaken("Someone else is booking that time.")
        for key in keys:
            self.cells[key] = Hold(session_id, appointment_id, lease_until)

    def release(self, business_id: str, opening: Opening, session_id: str) -> None:
        for key in self._keys(business_id, opening):
            if (held := self.cells.get(key)) and held.session_id == session_id:
                del self.cells[key]

    def release_at(
        self, business_id: str, opening: Opening, session_id: str, until: datetime
    ) -> None:
        for key in self._keys(business_id, opening):
            held = self.cells.get(key)
            if held and held.session_id == session_id and held.lease_until > until:
                self.cells[key] = Hold(held.session_id, held.appointment_id, until)

    def release_left_behind(
        self, business_id: str, opening: Opening, appointment_id: str, session_id: str
    ) -> None:
        for key in self._keys(business_id, opening):
            held = self.cells.get(key)
            if held and held.appointment_id == appointment_id and held.session_id != session_id:
                del self.cells[key]

    def holders(self, business_id: str, opening: Opening) -> set[str]:
        """The sessions holding any cell of the opening, leases run out or not."""
        return {
            held.session_id
            for key in self._keys(business_id, opening)
            if (held := self.cells.get(key)) is not None
        }

    @staticmethod
    def _keys(business_id: str, opening: Opening) -> list[tuple[str, str, datetime]]:
        return [
            (business_id, opening.technician_id, cell)
            for cell in hold_cells(opening.start, opening.end)
        ]


# --- schedules: expiry and quiet-hours sends ---------------------------------------------


class FakeExpiryScheduler:
    """The ExpiryScheduler port (EventBridge one-time schedules): one schedule per session;
    scheduling it twice is refused as the Scheduler refuses a name in use; canceling one
    that is gone (fired, or never made) is fine."""

    def __init__(self) -> None:
        self.scheduled: dict[str, datetime] = {}
        self.fail_with: Exception | None = None

    def schedule_expiry(self, session_id: str, at: datetime) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if session_id in self.scheduled:
            raise MessagingUnavailable(
                "The link could not be scheduled to expire, so it was not sent. Try again."
            )
        self.scheduled[session_id] = at

    def cancel_expiry(self, session_id: str) -> None:
        self.scheduled.pop(session_id, None)


class FakeScheduledSends:
    """The ScheduledSends port, as FakeExpiryScheduler."""

    def __init__(self) -> None:
        self.scheduled: dict[str, tuple[datetime, str]] = {}
        self.fail_with: Exception | None = None

    def schedule_send(self, session_id: str, at: datetime, public_base_url: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if session_id in self.scheduled:
            raise MessagingUnavailable("The link could not be scheduled. Try again.")
        self.scheduled[session_id] = (at, public_base_url)

    def cancel_send(self, session_id: str) -> None:
        self.scheduled.pop(session_id, None)


# --- the confirm workflow ----------------------------------------------------------------


@dataclass
class Execution:
    session_id: str
    opening: Opening
    running: bool = True


class FakeConfirmWorkflow:
    """The ConfirmWorkflow port (Step Functions): one execution per session and confirm
    attempt, so starting an attempt again starts nothing; `stop` ends one as a timeout
    would. An execution never started has ended."""

    def __init__(self) -> None:
        self.executions: dict[str, Execution] = {}
        self.fail_with: Exception | None = None

    @staticmethod
    def name(session: RescheduleSession) -> str:
        return f"session-{session.id}-{session.confirm_attempt}"

    def start(self, session: RescheduleSession, opening: Opening) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.executions.setdefault(self.name(session), Execution(session.id, opening))

    def state(self, session: RescheduleSession) -> WorkflowState:
        execution = self.executions.get(self.name(session))
        return "running" if execution is not None and execution.running else "ended"

    def stop(self, session: RescheduleSession) -> None:
        self.executions[self.name(session)].running = False


# --- messages out -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sms:
    to: str
    from_: str
    body: str
    status_callback: str | None


class FakeSms:
    """The SmsSender port (Twilio): each message gets a new sid, and its body can be read
    back by it; an unknown sid is a Conflict (Twilio's 404, as the adapter says it)."""

    def __init__(self) -> None:
        self.sent: list[Sms] = []
        self.fail_with: Exception | None = None

    def send(self, to: str, from_: str, body: str, status_callback: str | None) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(Sms(to, from_, body, status_callback))
        return f"SM{len(self.sent):032d}"

    def sent_body(self, message_sid: str) -> str:
        number = int(message_sid[2:]) if message_sid[2:].isdigit() else 0
        if not message_sid.startswith("SM") or not 0 < number <= len(self.sent):
            raise Conflict("The first message is no longer available at Twilio.")
        return self.sent[number - 1].body

    def to(self, phone: str) -> list[str]:
        """The bodies texted to `phone`, oldest first."""
        return [m.body for m in self.sent if m.to == phone]


@dataclass(frozen=True)
class Email:
    to: str
    from_email: str
    from_name: str
    subject: str
    text: str
    html: str | None
    categories: tuple[str, ...]
    custom_args: dict[str, str]
    attachments: tuple[EmailAttachment, ...]


class FakeEmail:
    """The EmailSender port (SendGrid): each email gets an id."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_with: Exception | None = None

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
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(
            Email(
                to,
                from_email,
                from_name,
                subject,
                text,
                html,
                tuple(categories),
                dict(custom_args or {}),
                tuple(attachments),
            )
        )
        return f"email-{len(self.sent)}"


class FakeStaffNotifier:
    """The StaffNotifier port (Slack): each post gets an id."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, SessionOutcome]] = []
        self.fail_with: Exception | None = None

    def session_ended(self, channel: str, outcome: SessionOutcome) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((channel, outcome))
        return f"{len(self.posts)}.000100"


# --- the scheduling provider -----------------------------------------------------------


def _by_start(busy: Busy) -> tuple[str, str]:
    # The demo provider's index order: the start in UTC, then the id.
    return (busy.start.astimezone(UTC).isoformat(), busy.id)


class FakeProvider:
    """The SchedulingProvider port, as the built-in demo provider answers it
    (adapters/demo_provider.py), with the same seeding methods (`put_*`).

    `failures` makes a port method raise (e.g. {"get_appointment": ProviderUnavailable(...)});
    `calls` counts the port calls.
    """

    def __init__(self) -> None:
        self._customers: dict[tuple[str, str], Customer] = {}
        self._technicians: dict[tuple[str, str], Technician] = {}
        self._appointments: dict[tuple[str, str], Appointment] = {}
        self._move_keys: dict[tuple[str, str], str] = {}
        self._blocked: dict[tuple[str, str], BlockedTime] = {}
        self.failures: dict[str, Exception] = {}
        self.calls: Counter[str] = Counter()

    # Seeding ------------------------------------------------------------------------------

    def put_customer(self, customer: Customer) -> None:
        self._customers[(customer.business_id, customer.id)] = customer

    def put_technician(self, technician: Technician) -> None:
        self._technicians[(technician.business_id, technician.id)] = technician

    def put_appointment(self, appointment: Appointment) -> None:
        self._appointments[(appointment.business_id, appointment.id)] = appointment

    def put_blocked_time(self, blocked: BlockedTime) -> None:
        self._blocked[(blocked.business_id, blocked.id)] = blocked

    # The port -----------------------------------------------------------------------------

    def technicians(self, business_id: str) -> Sequence[Technician]:
        self._call("technicians")
        return [t for (b, _), t in sorted(self._technicians.items()) if b == business_id]

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        self._call("search_customers")
        found = [
            c for (b, _), c in self._customers.items() if b == business_id and matches(c, query)
        ]
        return sorted(found, key=lambda c: c.name)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        self._call("get_customer")
        return self._get(self._customers, business_id, customer_id, "Customer")

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        self._call("upcoming_appointments")
        found = [
            a
            for (b, _), a in self._appointments.items()
            if b == business_id
            and a.customer_id == customer_id
            and a.start >= after
            and a.status == "scheduled"
        ]
        return sorted(found, key=_by_start)

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        self._call("get_appointment")
        return self._get(self._appointments, business_id, appointment_id, "Appointment")

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        self._call("get_technician")
        return self._get(self._technicians, business_id, technician_id, "Technician")

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        self._call("technician_appointments")
        return [
            b
            for b in self._schedule(business_id, technician_id, start, end)
            if isinstance(b, Appointment)
        ]

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        self._call("technician_schedule")
        return self._schedule(business_id, technician_id, start, end)

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        self._call("move_appointment")
        key = (appointment.business_id, appointment.id)
        stored = self._get(self._appointments, *key, "Appointment")
        if stored.version != appointment.version:
            if self._move_keys.get(key) == idempotency_key:
                return stored  # our own earlier move
            raise AppointmentChanged("The appointment changed elsewhere.")
        moved = appointment.model_copy(
            update={
                "start": opening.start,
                "end": opening.end,
                "technician_id": opening.technician_id,
                "version": int(appointment.version) + 1,
            }
        )
        self._appointments[key] = moved
        self._move_keys[key] = idempotency_key
        return moved

    # Internals ----------------------------------------------------------------------------

    def _schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> list[Busy]:
        busy: list[Busy] = [
            a
            for (b, _), a in self._appointments.items()
            if b == business_id and a.technician_id == technician_id and a.status == "scheduled"
        ]
        busy += [
            t
            for (b, _), t in self._blocked.items()
            if b == business_id and t.technician_id == technician_id
        ]
        return sorted((b for b in busy if b.overlaps(start, end)), key=_by_start)

    def _call(self, method: str) -> None:
        self.calls[method] += 1
        if method in self.failures:
            raise self.failures[method]

    @staticmethod
    def _get(
        store: Mapping[tuple[str, str], Found], business_id: str, id_: str, kind: str
    ) -> Found:
        if (business_id, id_) not in store:
            raise NotFound(f"{kind} not found.")
        return store[(business_id, id_)]


# --- the schedule mirror ---------------------------------------------------------------


@dataclass
class _Mirrored:
    state: MirrorState
    busy: dict[str, dict[str, Busy]] = field(default_factory=dict)  # technician -> id -> item
    appointments: dict[str, Appointment] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)


class FakeScheduleMirror:
    """The ScheduleMirror port (adapters/dynamodb_schedule_mirror.py), without its packing:
    nothing until the first whole read, then busy items by technician, appointments by id
    and the customer directory. What it answers `replace` and `replace_technician` counts
    items changed, not DynamoDB items written."""

    def __init__(self) -> None:
        self._businesses: dict[str, _Mirrored] = {}

    def state(self, business_id: str) -> MirrorState | None:
        mirrored = self._businesses.get(business_id)
        return mirrored.state if mirrored else None

    def busy(
        self,
        business_id: str,
        technician_ids: Collection[str] | None,
        start: datetime,
        end: datetime,
    ) -> dict[str, list[Busy]]:
        mirrored = self._businesses.get(business_id)
        held = mirrored.busy if mirrored else {}
        wanted = [t for t in held if held[t]] if technician_ids is None else technician_ids
        return {
            t: sorted(
                (b for b in held.get(t, {}).values() if b.overlaps(start, end)),
                key=lambda b: b.start.timestamp(),
            )
            for t in wanted
        }

    def busy_columns(
        self, business_id: str, technician_ids: Collection[str], start: datetime, end: datetime
    ) -> dict[str, BusyColumns]:
        from reschedule_dispatch.domain.openings import columns_of  # with the engine

        weeks = weeks_between(start, end)
        first = datetime.combine(weeks[0], datetime.min.time(), UTC)
        last = datetime.combine(weeks[-1] + timedelta(days=7), datetime.min.time(), UTC)
        # Whole weeks, as the adapter reads them: the engine trims what it does not search.
        busy = self.busy(business_id, technician_ids, first, last)
        return {t: columns_of(items) for t, items in busy.items()}

    def appointment(self, business_id: str, appointment_id: str) -> Appointment | None:
        mirrored = self._businesses.get(business_id)
        return mirrored.appointments.get(appointment_id) if mirrored else None

    def customers(self, business_id: str) -> list[Customer]:
        mirrored = self._businesses.get(business_id)
        return list(mirrored.customers.values()) if mirrored else []

    def customer(self, business_id: str, customer_id: str) -> Customer | None:
        mirrored = self._businesses.get(business_id)
        return mirrored.customers.get(customer_id) if mirrored else None

    def replace(self, business_id: str, snapshot: ScheduleSnapshot, synced_at: datetime) -> int:
        state = MirrorState(
            business_id=business_id,
            technicians=tuple(snapshot.technicians),
            window_start=snapshot.window_start,
            window_end=snapshot.window_end,
            synced_at=synced_at,
        )
        mirrored = _Mirrored(state)
        for technician_id, busy in snapshot.busy.items():
            mirrored.busy[technician_id] = {b.id: b for b in busy}
            mirrored.appointments.update((a.id, a) for a in busy if isinstance(a, Appointment))
        mirrored.customers = {c.id: c for c in snapshot.customers}
        self._businesses[business_id] = mirrored
        items = sum(len(b) for b in snapshot.busy.values()) + len(snapshot.customers)
        return items + 1  # and the state

    def replace_technician(
        self,
        business_id: str,
        technician_id: str,
        start: datetime,
        end: datetime,
        busy: Sequence[Busy],
        customers: Sequence[Customer],
    ) -> int:
        mirrored = self._businesses[business_id]
        theirs = mirrored.busy.setdefault(technician_id, {})
        before = {i for i, b in theirs.items() if b.overlaps(start, end)}
        for item_id in before:
            del theirs[item_id]
        theirs.update((b.id, b) for b in busy)
        now = {b.id for b in busy if isinstance(b, Appointment)}
        for gone in before - now:
            # Only while it still names this technician: another's read may have it now.
            held = mirrored.appointments.get(gone)
            if held is not None and held.technician_id == technician_id:
                del mirrored.appointments[gone]
        mirrored.appointments.update((a.id, a) for a in busy if isinstance(a, Appointment))
        mirrored.customers.update((c.id, c) for c in customers)
        return len(before | {b.id for b in busy}) + len(customers)

    def record(self, appointment: Appointment, before: Appointment | None) -> None:
        mirrored = self._businesses[appointment.business_id]
        places = {appointment.technician_id} | ({before.technician_id} if before else set())
        for technician_id in places:
            mirrored.busy.get(technician_id, {}).pop(appointment.id, None)
        if appointment.status == "scheduled":
            mirrored.busy.setdefault(appointment.technician_id, {})[appointment.id] = appointment
        mirrored.appointments[appointment.id] = appointment


class FakeTeam:
    """The Team port in memory: one team per email, a business's number its own, and a
    start that writes all of it or nothing."""

    def __init__(self, businesses: FakeBusinesses | None = None) -> None:
        self.businesses = businesses or FakeBusinesses()
        self.teams: dict[str, dict[str, TeamMember]] = {}
        self.team_of: dict[str, str] = {}  # email -> business id

    def start_business(self, business: Business, admin: TeamMember) -> None:
        if business.phone in self.businesses._phones:
            raise Conflict(f"{business.phone} is another business's number already.")
        if admin.email in self.team_of:
            raise Conflict(f"{admin.email} is on a business's team already.")
        if business.id in self.businesses._businesses:
            raise Conflict("Try again: that business id was just taken.")
        self.businesses.put(business)
        self.teams.setdefault(business.id, {})[admin.email] = admin
        self.team_of[admin.email] = business.id

    def undo_start(self, business: Business, admin: TeamMember) -> None:
        self.businesses._businesses.pop(business.id, None)
        self.businesses._phones.pop(business.phone, None)
        self.teams.pop(business.id, None)
        self.team_of.pop(admin.email, None)

    def add(self, business_id: str, member: TeamMember) -> None:
        if member.email in self.team_of:
            raise Conflict(f"{member.email} is on a business's team already.")
        self.teams.setdefault(business_id, {})[member.email] = member
        self.team_of[member.email] = business_id

    def remove(self, business_id: str, email: str) -> TeamMember:
        email = email.strip().lower()
        member = self.teams.get(business_id, {}).pop(email, None)
        if member is None:
            raise NotFound(f"{email} is not on this business's team.")
        self.team_of.pop(email, None)
        return member

    def members(self, business_id: str) -> list[TeamMember]:
        return sorted(self.teams.get(business_id, {}).values(), key=lambda m: m.email)


class FakeIdentities:
    """The Identities port in memory: accounts by email, with their business and role."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[str, str]] = {}
        self.refuse_next: Exception | None = None

    def invite(self, email: str, business_id: str, role: str) -> None:
        if self.refuse_next is not None:
            error, self.refuse_next = self.refuse_next, None
            raise error
        if email in self.accounts:
            raise Conflict(f"{email} has an account already.")
        self.accounts[email] = (business_id, role)

    def remove(self, email: str) -> None:
        self.accounts.pop(email, None)


# --- connecting from Settings (services/connections.py) -----------------------------------


class FakePendingConnections:
    """The PendingConnections port (adapters/oauth_connections.DynamoPendingConnections)."""

    def __init__(self) -> None:
        self.items: dict[str, PendingConnection] = {}

    def put(self, pending: PendingConnection) -> None:
        assert pending.state not in self.items
        self.items[pending.state] = pending

    def take(self, state: str) -> PendingConnection | None:
        found = self.items.get(state)
        if found is None:
            return None
        self.items[state] = dataclasses.replace(found, used=True)
        return found


class FakeProviderSecrets:
    """The ProviderSecrets port (adapters/oauth_connections.SecretsManagerProviderSecrets):
    live secrets by ARN, and those scheduled for deletion."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, str]] = {}
        self.deleted: set[str] = set()

    def save(self, business_id: str, kind: str, value: dict[str, str]) -> str:
        arn = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:reschedule-dispatch/providers/{business_id}/{kind}"
        self.deleted.discard(arn)
        self.values[arn] = dict(value)
        return arn

    def read(self, arn: str) -> dict[str, str] | None:
        return None if arn in self.deleted else self.values.get(arn)

    def delete(self, arn: str) -> None:
        if arn in self.values:
            self.deleted.add(arn)


class FakeTokenExchange:
    """The TokenExchange port: codes it was told about, each single use, checked against
    the verifier's S256 challenge as a provider does."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, str | None]] = {}  # code: (challenge, account)
        self.exchanged: list[str] = []

    def issue(self, challenge: str, account: str | None = "owner@calendar.example") -> str:
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = (challenge, account)
        return code

    def exchange(
        self, provider: OAuthProvider, client: OAuthClient, code: str, pending: PendingConnection
    ) -> Tokens:
        issued = self.codes.pop(code, None)
        if issued is None or s256(pending.code_verifier) != issued[0]:
            raise ConnectionRefused(
                "code_refused", "The provider refused the sign-in: start again from Settings."
            )
        self.exchanged.append(code)
        return Tokens(refresh_token=f"refresh-{code}", account=issued[1])
