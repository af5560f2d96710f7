"""The watchdog: no session stays `confirming` once its confirm workflow has stopped.

A session is written `confirming`, then its workflow starts. A crash between the two, a
workflow that timed out (the state machine's 10 minutes) or one whose Finalize or Compensate
kept failing past their retries leaves the session confirming with nothing running for it,
and then cancel, move, a new link, expiry and provider events all refuse it. The watchdog
settles each such session the way the workflow would have: the provider is asked where the
appointment is (the provider, never the mirror); moved to the chosen time, Finalize runs
(completed, the customer told); not moved, Compensate fails it with its reason and frees the
time and the appointment's lock. A provider that cannot be reached leaves the session for the
next round (a failed session whose appointment did move would be worse than a late one), for
at most `GIVE_UP_AFTER`: then it fails, saying to check the appointment in the provider.

It runs on a schedule over every business's sessions in progress, and the state machine's
Catch on Finalize and Compensate calls `ResolveSession` for its own session at once.

A failed Move is settled here too (the state machine's Catch on Move, with its error): a move
is two provider calls when the technician changes (Google: the times, then `events.move`;
ServiceTitan: the times, then the assignment), and a Move that failed or timed out may have
made one, or both. Moved to the chosen time with the chosen technician: the move happened
(its answer was lost), Finalize runs. Half moved (the new time with the old technician): the
appointment is put back as it was, then the session fails. Never half moved and failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from reschedule_dispatch.domain.errors import AppointmentChanged, DomainError, NotFound
from reschedule_dispatch.domain.ports import (
    Clock,
    ConfirmWorkflow,
    ScheduleMirror,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment
from reschedule_dispatch.domain.session import Opening, RescheduleSession, SessionStatus
from reschedule_dispatch.services.lifecycle import Compensate, FinalizeReschedule
from reschedule_dispatch.services.schedule_mirror import EveryBusiness, note_in_mirror

logger = logging.getLogger(__name__)

# A session confirming for less than this may have its workflow starting right now (the
# portal writes `confirming`, then starts it): it is left alone. Starting takes well under a
# second; two minutes also covers a retried start after a throttled one.
STARTING_GRACE = timedelta(minutes=2)
# After this long unable to ask the provider, a session is failed with a reason that sends the
# dispatcher to look at the appointment there: confirming for ever would lock it for good.
GIVE_UP_AFTER = timedelta(hours=6)
# The error names Compensate records (services/lifecycle.py FAILURE_REASONS).
WORKFLOW_STOPPED = "WorkflowStopped"
UNCONFIRMED = "Unconfirmed"
MOVE_UNDONE = "MoveUndone"


class ProviderNotAsked(DomainError):
    """Where the appointment is could not be read: the session waits for the next round."""


class ResolveSession:
    """Settles one confirming session whose workflow is not running: finalized if the
    provider shows the move, else failed with its reason. Idempotent. A session Finalize
    left half done (completed, then a step after failed) is finalized again: its customer
    told, its expiry and holds wound down."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        finalize: FinalizeReschedule,
        compensate: Compensate,
        mirror: ScheduleMirror | None = None,
    ) -> None:
        self._sessions = sessions
        self._provider = provider
        self._finalize = finalize
        self._compensate = compensate
        self._mirror = mirror  # told where the appointment now is, as Move tells it

    def __call__(self, session_id: str, error_name: str = WORKFLOW_STOPPED) -> SessionStatus:
        """`error_name`: why the workflow did not finish (a failed Move's error), recorded
        if the session fails."""
        session = self._sessions.get_by_id(session_id)
        if session.status is SessionStatus.COMPLETED:
            return self._finalize(session_id)  # each of its steps runs once
        if session.status is not SessionStatus.CONFIRMING:
            return session.status
        try:
            found = self._where(session)
        except DomainError as error:
            raise ProviderNotAsked(str(error)) from error
        chosen = session.new_opening
        if found is not None and chosen is not None and _at(found, chosen.technician_id, chosen):
            self._note(found, session)  # Move's answer was lost before it told the mirror
            return self._finalize(session_id)
        # A Move refused as changed elsewhere made no call of ours that landed: what the
        # provider shows is someone else's, never put back.
        if found is not None and error_name != "AppointmentChanged" and _half_moved(session, found):
            return self._put_back(session, found, error_name)
        return self._compensate(session_id, error_name)

    def give_up(self, session_id: str) -> SessionStatus:
        """Fails it without asking the provider (which could not be reached for hours)."""
        return self._compensate(session_id, UNCONFIRMED)

    def _note(self, moved: Appointment, session: RescheduleSession) -> None:
        if self._mirror is None:
            return
        before = moved.model_copy(
            update={
                "start": session.original_start,
                "end": session.original_end,
                "technician_id": session.original_technician_id,
            }
        )
        note_in_mirror(self._mirror, moved, before)

    def _where(self, session: RescheduleSession) -> Appointment | None:
        """The appointment as the provider has it now (None: gone, nothing of ours)."""
        chosen = session.new_opening
        expected_on = chosen.technician_id if chosen else session.original_technician_id
        try:
            return self._provider.get_appointment(
                session.business_id, session.appointment_id, expected_on
            )
        except NotFound:
            return None

    def _put_back(
        self, session: RescheduleSession, found: Appointment, error_name: str
    ) -> SessionStatus:
        """The half-done move undone (its own idempotency key, so a retry does it once),
        then the session failed. If someone changed the appointment meanwhile, it is theirs
        now: nothing is put back."""
        original = Opening(
            start=session.original_start,
            end=session.original_end,
            technician_id=session.original_technician_id,
        )
        try:
            back = self._provider.move_appointment(
                found, original, idempotency_key=f"{session.id}.undo"
            )
        except AppointmentChanged:
            return self._compensate(session.id, "AppointmentChanged")
        except DomainError as error:
            raise ProviderNotAsked(f"A half-done move could not be put back: {error}") from error
        logger.warning(
            "A half-done move was put back", extra={"session_id": session.id, "error": error_name}
        )
        if self._mirror is not None:
            note_in_mirror(self._mirror, back, found)
        return self._compensate(
            session.id, MOVE_UNDONE if error_name == WORKFLOW_STOPPED else error_name
        )


def _at(found: Appointment, technician_id: str, opening: Opening) -> bool:
    return found.technician_id == technician_id and found.start == opening.start


def _half_moved(session: RescheduleSession, found: Appointment) -> bool:
    """The first of our move's two calls to another technician happened: the chosen time,
    still with the original technician (the adapters change the time first, then the
    technician: Google's PATCH then events.move, ServiceTitan's reschedule then assignment),
    and it changed since the link went out, so it is not merely where it was. Someone moving
    it by hand to exactly the chosen time on the old technician is the one case this cannot
    tell from ours."""
    chosen = session.new_opening
    if chosen is None or chosen.technician_id == session.original_technician_id:
        return False  # a move on one technician is one call: it happened or it did not
    if found.version == session.original_version:
        return False
    return _at(found, session.original_technician_id, chosen)


@dataclass
class WatchReport:
    checked: int = 0  # confirming sessions past the grace
    running: int = 0  # ...whose workflow still runs (the state machine's timeout ends it)
    settled: dict[str, str] = field(default_factory=dict)  # session id -> its final status
    unresolved: list[str] = field(default_factory=list)  # the provider could not be asked


class WatchStuckSessions:
    """The scheduled round: every business's confirming sessions with no workflow running."""

    def __init__(
        self,
        *,
        businesses: EveryBusiness,
        sessions: SessionRepository,
        workflows: ConfirmWorkflow,
        resolve: ResolveSession,
        clock: Clock,
    ) -> None:
        self._businesses = businesses
        self._sessions = sessions
        self._workflows = workflows
        self._resolve = resolve
        self._clock = clock

    def __call__(self) -> WatchReport:
        report = WatchReport()
        now = self._clock.now()
        for business in self._businesses.every():
            for session in self._confirming(business.id):
                since = session.last_event_at or session.created_at
                if now - since < STARTING_GRACE:
                    continue
                report.checked += 1
                try:
                    if self._workflows.state(session) != "ended":
                        report.running += 1  # the state machine's own timeout ends it
                        continue
                    report.settled[session.id] = self._resolve(session.id).value
                except ProviderNotAsked as error:
                    if now - since >= GIVE_UP_AFTER:
                        report.settled[session.id] = self._resolve.give_up(session.id).value
                        continue
                    logger.warning(
                        "A stuck session is left for the next round",
                        extra={"session_id": session.id, "error": str(error)},
                    )
                    report.unresolved.append(session.id)
                except Exception:
                    # One session's failure (a throttle, a conflict) must not stop the round:
                    # the others are settled, this one is tried again next time.
                    logger.exception(
                        "A stuck session could not be settled", extra={"session_id": session.id}
                    )
                    report.unresolved.append(session.id)
        return report

    def _confirming(self, business_id: str) -> list[RescheduleSession]:
        found: list[RescheduleSession] = []
        cursor: str | None = None
        while True:
            page = self._sessions.list_sessions(business_id, True, 100, cursor)
            found.extend(s for s in page.sessions if s.status is SessionStatus.CONFIRMING)
            cursor = page.cursor
            if cursor is None:
                return found
