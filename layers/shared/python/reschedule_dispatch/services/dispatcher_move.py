"""A dispatcher moves an appointment directly (the customer is on the phone).

The move is a session of kind `dispatcher_move`: no link, it starts confirming with its
chosen time and runs the same confirm workflow as a customer's pick (hold, re-check, If-Match
move, finalize or compensate); finalize then sends the customer an invitation. A time the
business's rules refuse is moved only with an explicit override, and the rules it broke are
recorded on the timeline.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.errors import (
    Conflict,
    RulesBroken,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.messages import format_time
from reschedule_dispatch.domain.openings import broken_rules
from reschedule_dispatch.domain.phones import country_code, region_of, to_e164
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    ConfirmWorkflow,
    Contacts,
    ExpiryScheduler,
    Replacing,
    ScheduledSends,
    SchedulingProvider,
    SessionRepository,
)
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import (
    CANCELABLE_STATUSES,
    Actor,
    Channel,
    Invitation,
    Opening,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.domain.travel import TravelTime, travel_from_settings
from reschedule_dispatch.services.closed_sessions import (
    CUSTOMER_CONFIRMING,
    drop_schedule,
    expire_if_overdue,
)
from reschedule_dispatch.services.invitation import text_held_back
from reschedule_dispatch.texts import Text, english

logger = logging.getLogger(__name__)

# The technician's day and the stops around it: the rules need the neighbours of the time.
SCHEDULE_MARGIN = timedelta(days=2)
# A move has no link to expire; its session is void once the workflow's own time limit is.
MOVE_TIME_LIMIT = timedelta(minutes=10)
FARTHEST_MOVE = timedelta(days=366)
MOVED_BY_DISPATCHER = english(Text.REASON_MOVED_BY_DISPATCHER)
NO_PHONE = "The customer has no phone number on file: type one, or turn the text off."
NO_EMAIL = "The customer has no email address on file: type one, or turn email off."
NO_EMAIL_SENDER = "Email is not set up for this business: turn email off."


@dataclass(frozen=True)
class MoveCheck:
    """A start and technician judged against the business's rules."""

    business: Business
    appointment: Appointment
    technician: Technician
    opening: Opening
    broken: list[str]
    overlapping: list[str]  # the appointments the time overlaps (ids)


class CheckMove:
    """Judges any start and technician for an appointment by the openings engine's rules."""

    def __init__(
        self,
        *,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        clock: Clock,
        travel_for: Callable[[BusinessSettings], TravelTime] = travel_from_settings,
    ) -> None:
        self._provider = provider
        self._businesses = businesses
        self._clock = clock
        self._travel_for = travel_for

    def __call__(
        self, business_id: str, appointment_id: str, start: datetime, technician_id: str
    ) -> MoveCheck:
        now = self._clock.now()
        # Not rules a dispatcher may override: a time gone by, or beyond any calendar in use.
        if start <= now:
            raise Unprocessable("That time has passed. Choose a time in the future.")
        if start > now + FARTHEST_MOVE:
            raise Unprocessable("Choose a time within a year.")
        business = self._businesses.get(business_id)
        appointment = self._provider.get_appointment(business_id, appointment_id)
        if appointment.status != "scheduled":
            raise Conflict(f"This appointment is {appointment.status}: it can't be moved.")
        technician = self._provider.get_technician(business_id, technician_id)
        opening = Opening(
            start=start,
            end=start + (appointment.end - appointment.start),
            technician_id=technician.id,
        )
        busy = self._provider.technician_schedule(
            business_id, technician.id, start - SCHEDULE_MARGIN, opening.end + SCHEDULE_MARGIN
        )
        broken = broken_rules(
            appointment,
            technician,
            start,
            busy,
            business.rules,
            business.zone,
            now,
            self._travel_for(business.rules),
        )
        # What the chosen time overlaps (appointments and blocked time): a dispatcher who
        # overrides accepts these, and the workflow's re-check lets exactly these be.
        overlapping = [
            b.id for b in busy if b.id != appointment.id and b.overlaps(opening.start, opening.end)
        ]
        return MoveCheck(business, appointment, technician, opening, broken, overlapping)


@dataclass(frozen=True)
class MoveRequest:
    start: datetime
    technician_id: str
    override: bool = False
    sms: bool = True
    email: bool = False
    language: str = "en"
    phone: str | None = None  # for this message only, instead of the customer's
    email_address: str | None = None


@dataclass(frozen=True)
class MoveStarted:
    session: RescheduleSession
    rules_overridden: list[str]
    canceled_session_id: str | None  # the customer's link the move closed, if any
    # What the invitation will not do, known now (opt-out, quiet hours), in plain words.
    problems: list[str] = field(default_factory=list)


class MoveByDispatcher:
    def __init__(
        self,
        *,
        check: CheckMove,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        workflow: ConfirmWorkflow,
        expiry: ExpiryScheduler,
        sends: ScheduledSends,
        contacts: Contacts,
        clock: Clock,
    ) -> None:
        self._check = check
        self._sessions = sessions
        self._provider = provider
        self._workflow = workflow
        self._expiry = expiry
        self._sends = sends
        self._contacts = contacts
        self._clock = clock

    def __call__(
        self,
        business_id: str,
        dispatcher: str,
        appointment_id: str,
        request: MoveRequest,
        public_base_url: str,
    ) -> MoveStarted:
        checked = self._check(business_id, appointment_id, request.start, request.technician_id)
        business, appointment, opening = checked.business, checked.appointment, checked.opening
        if (
            opening.technician_id == appointment.technician_id
            and opening.start.timestamp() == appointment.start.timestamp()
        ):
            raise Unprocessable("The appointment is already at that time with that technician.")
        if checked.broken and not request.override:
            raise RulesBroken(checked.broken)
        # The rules were judged on the schedule mirror; the workflow's If-Match starts from
        # the version the provider itself has now.
        appointment = self._provider.get_appointment(
            business_id, appointment_id, expected_on=appointment.technician_id
        )
        customer = self._provider.get_customer(business_id, appointment.customer_id)
        invitation = _invitation(business, customer, checked, request, public_base_url)
        problems = self._foreseen_problems(business, invitation)

        open_link = self._open_link(business_id, appointment_id)
        now = self._clock.now()
        session = RescheduleSession(
            id=uuid.uuid4().hex,
            kind="dispatcher_move",
            business_id=business_id,
            appointment_id=appointment.id,
            customer_id=customer.id,
            customer_name=customer.name,
            customer_phone=customer.phone,
            customer_email=invitation.email_address,
            dispatcher=dispatcher,
            status=SessionStatus.CONFIRMING,
            created_at=now,
            expires_at=now + MOVE_TIME_LIMIT,
            original_start=appointment.start,
            original_end=appointment.end,
            original_technician_id=appointment.technician_id,
            original_version=appointment.version,
            language=invitation.language,
            channels=_channels(invitation),
            message="",
            new_opening=opening,
            confirm_attempt=1,
            rules_overridden=tuple(checked.broken),
            accepted_overlaps=tuple(checked.overlapping),
            invitation=invitation,
        )
        when = format_time(opening.start, business.zone)
        # The customer's open link is canceled in the same write that records the move:
        # never a canceled link and no move (a crash, a race in between).
        replacing = (
            Replacing(
                session=open_link,
                expected=CANCELABLE_STATUSES,
                status=SessionStatus.CANCELED,
                event=TimelineEvent(
                    type="canceled",
                    at=now,
                    actor=Actor.DISPATCHER,
                    detail=f"{MOVED_BY_DISPATCHER} ({dispatcher})",
                ),
                failure_reason=MOVED_BY_DISPATCHER,
            )
            if open_link is not None
            else None
        )
        try:
            self._sessions.create(
                session,
                None,
                TimelineEvent(
                    type="move_requested",
                    at=now,
                    actor=Actor.DISPATCHER,
                    detail=f"{dispatcher}: to {when} with {checked.technician.name}",
                ),
                replacing=replacing,
            )
        except Conflict as lost:
            if open_link is None or isinstance(lost, SessionAlreadyOpen):
                raise
            current = self._sessions.get(business_id, open_link.id)
            raise Conflict(
                f"The customer's link changed meanwhile: {current.status.label}."
            ) from None
        canceled = None
        if open_link is not None:
            drop_schedule(open_link, self._expiry, self._sends)
            canceled = open_link.id
        if checked.broken:
            self._sessions.append_event(
                session.id,
                TimelineEvent(
                    type="rules_overridden",
                    at=now,
                    actor=Actor.DISPATCHER,
                    detail="; ".join(checked.broken),
                ),
            )
        try:
            self._workflow.start(session, opening)
        except Exception:
            # Nothing will move the appointment: the move ends here, and says so.
            self._sessions.transition(
                session.id,
                SessionStatus.CONFIRMING,
                SessionStatus.FAILED,
                TimelineEvent(type="failed", at=self._clock.now(), actor=Actor.SYSTEM),
                failure_reason="The move could not be started.",
            )
            raise
        return MoveStarted(session, list(checked.broken), canceled, problems)

    def _foreseen_problems(self, business: Business, invitation: Invitation) -> list[str]:
        """The text the customer will not get, said now: finalize follows the same rules."""
        if not invitation.sms or invitation.phone is None:
            return []
        held = text_held_back(self._contacts, business, invitation.phone, self._clock.now())
        return [] if held is None else [held]

    def _open_link(self, business_id: str, appointment_id: str) -> RescheduleSession | None:
        """The customer's open link the move will cancel (in its own write), if any: the
        dispatcher's move wins over a link, not over a move or a customer confirming."""
        open_session = self._sessions.in_progress_by_appointment(business_id, [appointment_id])
        session = open_session.get(appointment_id)
        if session is not None:  # a link past its time whose expiry never ran: expired now
            session = expire_if_overdue(self._sessions, session, self._clock.now())
        if session is None or session.status is SessionStatus.EXPIRED:
            return None
        if session.is_move:
            raise SessionAlreadyOpen(session.id)
        if session.status is SessionStatus.CONFIRMING:
            raise Conflict(CUSTOMER_CONFIRMING)
        return session


def _invitation(
    business: Business,
    customer: Customer,
    checked: MoveCheck,
    request: MoveRequest,
    public_base_url: str,
) -> Invitation:
    """Where the invitation goes; refuses, before anything is written, what cannot work."""
    phone = (
        invitation_number(business, request.phone) if request.phone else (customer.phone or None)
    )
    email_address = request.email_address or customer.email
    if request.sms and not phone:
        raise Unprocessable(NO_PHONE)
    if request.email:
        if not email_address:
            raise Unprocessable(NO_EMAIL)
        if not business.email_from:
            raise Unprocessable(NO_EMAIL_SENDER)
    appointment = checked.appointment
    return Invitation(
        sms=request.sms,
        email=request.email,
        language=request.language,
        phone=phone if request.sms else None,
        email_address=email_address if request.email else None,
        technician_name=checked.technician.name,
        service=appointment.service,
        address=appointment.location.address if appointment.location else "",
        base_url=public_base_url.rstrip("/"),
    )


def _channels(invitation: Invitation) -> tuple[Channel, ...]:
    chosen: list[Channel] = []
    if invitation.sms:
        chosen.append("sms")
    if invitation.email:
        chosen.append("email")
    return tuple(chosen)


def invitation_number(business: Business, typed: str) -> str:
    """A number the dispatcher typed, as E.164 (a national number is read in the business's
    own country), and in that country unless the business texts abroad."""
    number = to_e164(typed, region_of(business.phone))
    if number is None:
        raise Unprocessable("The phone number is not valid.")
    home = country_code(business.phone)
    if not business.settings.text_other_countries and country_code(number) != home:
        raise Unprocessable(
            f"Invitations are texted to numbers in the business's own country (+{home}) "
            "only. Type one of those, or turn the text off."
        )
    return number
