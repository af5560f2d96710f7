"""Send link: create a session for an appointment and text the customer a private link."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import (
    Conflict,
    DomainError,
    QuietHours,
    SessionAlreadyOpen,
    Unprocessable,
)
from reschedule_dispatch.domain.links import link_url, new_token, redact, token_hash
from reschedule_dispatch.domain.messages import (
    check_quiet_hours,
    format_time,
    link_email,
    mask_phones,
    render_template,
    with_link,
)
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    Contacts,
    EmailSender,
    ExpiryScheduler,
    ScheduledSends,
    SchedulingProvider,
    SessionRepository,
    SmsSender,
    Suggestions,
)
from reschedule_dispatch.domain.provider_events import Suggestion
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import (
    Actor,
    Channel,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.closed_sessions import create_unless_open

logger = logging.getLogger(__name__)

OPTED_OUT = (
    "The customer has opted out of texts from this business. They can reply START to opt back in."
)
NO_EMAIL_ADDRESS = "The customer has no email address. Text the link instead."
NO_EMAIL_SENDER = "Email is not set up for this business. Text the link instead."
# A customer read from a calendar event by an attendee or an address has no number.
NO_PHONE_NUMBER = (
    "The customer has no phone number to text. Email the link, or add their number in the "
    "scheduling provider."
)


def link_message(
    business: Business,
    customer: Customer,
    appointment: Appointment,
    technician: Technician,
    message: str | None,
    language: str,
) -> str:
    """The SMS text before its link: the dispatcher's words, or the business's template."""
    template = message if message and message.strip() else business.settings.template_for(language)
    if not customer.first_name:  # no name (read from a calendar event): "Hi," not "Hi ,"
        template = template.replace(" {customer_first_name}", "{customer_first_name}")
    return render_template(
        template,
        {  # what Text.LINK_SMS declares (texts/ids.py); tests/unit/texts holds them equal
            "customer_first_name": customer.first_name,
            "business_name": business.name,
            "appointment_time": format_time(appointment.start, business.zone, language),
            "technician_name": technician.name,
            "service": appointment.service,
        },
    )


@dataclass(frozen=True)
class SentLink:
    session: RescheduleSession
    link: str | None  # None while the link is scheduled: it is made when it is sent
    # Channels that could not carry the link while another did (e.g. the email bounced at
    # SendGrid but the text went out), in the dispatcher's words.
    problems: list[str] = field(default_factory=list)


class SendLink:
    """Sends a reschedule link now, or, when the dispatcher asks, when quiet hours end."""

    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        sms: SmsSender,
        expiry: ExpiryScheduler,
        clock: Clock,
        contacts: Contacts,
        email: EmailSender | None = None,
        sends: ScheduledSends | None = None,
        suggestions: Suggestions | None = None,
    ) -> None:
        self._suggestions = suggestions
        self._email = email
        self._sends = sends
        self._sessions = sessions
        self._provider = provider
        self._businesses = businesses
        self._sms = sms
        self._expiry = expiry
        self._clock = clock
        self._contacts = contacts

    def __call__(
        self,
        business_id: str,
        dispatcher: str,
        appointment_id: str,
        message: str | None,
        public_base_url: str,
        language: str = "en",
        channels: Sequence[Channel] = ("sms",),
        send_when_allowed: bool = False,
    ) -> SentLink:
        business = self._businesses.get(business_id)
        appointment = self._provider.get_appointment(business_id, appointment_id)
        now = self._clock.now()
        expires_at = _expiry(business, appointment, now)  # too soon: refused before all else
        customer = self._provider.get_customer(business_id, appointment.customer_id)
        channels = tuple(dict.fromkeys(channels))  # each once, in the order given
        scheduled_for: datetime | None = None
        try:
            self._check_channels(business, customer, channels, now)
        except QuietHours as quiet:
            if not (send_when_allowed and self._sends):
                raise
            scheduled_for = quiet.next_allowed_at
            expires_at = _expiry(business, appointment, scheduled_for)
        technician = self._provider.get_technician(business_id, appointment.technician_id)
        text = link_message(business, customer, appointment, technician, message, language)
        session = RescheduleSession(
            id=uuid.uuid4().hex,
            business_id=business_id,
            appointment_id=appointment.id,
            customer_id=customer.id,
            customer_name=customer.name,
            customer_phone=customer.phone,
            dispatcher=dispatcher,
            status=SessionStatus.SCHEDULED if scheduled_for else SessionStatus.LINK_SENT,
            created_at=now,
            expires_at=expires_at,
            original_start=appointment.start,
            original_end=appointment.end,
            original_technician_id=appointment.technician_id,
            original_version=appointment.version,
            language=language,
            message=text,
            channels=channels,
            customer_email=customer.email if "email" in channels else None,
            scheduled_for=scheduled_for,
        )
        created = TimelineEvent(type="created", at=now, actor=Actor.DISPATCHER, detail=dispatcher)
        if scheduled_for:
            sent = self._schedule(session, created, business, public_base_url)
        else:
            token = new_token()
            link = link_url(public_base_url, token)
            body = with_link(text, link)
            session = session.model_copy(update={"message": redact(body, token)})
            create_unless_open(self._sessions, session, token_hash(token), created, now)
            problems = self._send_now(session, business, appointment, body, link, public_base_url)
            sent = SentLink(session=session, link=link, problems=problems)
        if self._suggestions:  # whatever suggested this appointment is answered
            self._suggestions.resolve(business_id, appointment.id)
        return sent

    def send_suggested(self, suggestion: Suggestion, public_base_url: str) -> SentLink | None:
        """A reschedule the provider triggered, for a business that sends those itself: the
        link goes out (or is scheduled past quiet hours). When it cannot, a dispatcher gets
        the suggestion with the reason; when a link is already out, nothing changes."""
        try:
            return self(
                suggestion.business_id,
                f"Automatic: {suggestion.reason}",
                suggestion.appointment_id,
                None,
                public_base_url,
                send_when_allowed=True,
            )
        except SessionAlreadyOpen:
            return None
        except DomainError as error:
            if self._suggestions:
                self._suggestions.put(
                    replace(suggestion, detail=f"Not sent automatically: {error}")
                )
            return None

    def send_scheduled(self, session_id: str, public_base_url: str) -> SessionStatus:
        """Target of a scheduled send: the link goes out now, if it still can. Idempotent."""
        session = self._sessions.get_by_id(session_id)
        if session.status is not SessionStatus.SCHEDULED:
            return session.status  # sent already, or canceled meanwhile
        business = self._businesses.get(session.business_id)
        now = self._clock.now()
        try:
            appointment = self._provider.get_appointment(business.id, session.appointment_id)
            customer = self._provider.get_customer(business.id, session.customer_id)
            self._check_channels(business, customer, session.channels, now)
            expires_at = _expiry(business, appointment, now)
        except DomainError as error:
            # Nobody is waiting on this request: the timeline says why the link never went.
            self._sessions.transition(
                session.id,
                SessionStatus.SCHEDULED,
                SessionStatus.CANCELED,
                TimelineEvent(type="canceled", at=now, actor=Actor.SYSTEM, detail=str(error)),
                failure_reason=f"Link not sent: {error}",
            )
            return SessionStatus.CANCELED
        token = new_token()
        link = link_url(public_base_url, token)
        body = with_link(session.message, link)
        self._sessions.add_link(session.id, token_hash(token), at=self._clock.now())
        session = self._sessions.transition(
            session.id,
            SessionStatus.SCHEDULED,
            SessionStatus.LINK_SENT,
            TimelineEvent(type="sending", at=now, actor=Actor.SYSTEM, detail="Quiet hours ended"),
            expires_at=expires_at,
            message=redact(body, token),
        )
        self._send_now(session, business, appointment, body, link, public_base_url)
        return SessionStatus.LINK_SENT

    def _schedule(
        self,
        session: RescheduleSession,
        created: TimelineEvent,
        business: Business,
        public_base_url: str,
    ) -> SentLink:
        assert self._sends is not None
        assert session.scheduled_for is not None
        create_unless_open(self._sessions, session, None, created, self._clock.now())
        try:
            self._sends.schedule_send(session.id, session.scheduled_for, public_base_url)
        except Exception as error:
            self._withdraw(
                session, f"Link not scheduled: {_reason(error)}", SessionStatus.SCHEDULED
            )
            raise
        self._sessions.append_event(
            session.id,
            TimelineEvent(
                type="scheduled",
                at=self._clock.now(),
                actor=Actor.SYSTEM,
                detail=f"Sends {format_time(session.scheduled_for, business.zone)}, "
                "when the customer's quiet hours end",
            ),
        )
        return SentLink(session=session, link=None)

    def _send_now(
        self,
        session: RescheduleSession,
        business: Business,
        appointment: Appointment,
        body: str,
        link: str,
        public_base_url: str,
    ) -> list[str]:
        """Schedules the link's expiry, then sends it by each channel; returns the problems
        of channels that failed while another carried the link."""
        # Schedule expiry before sending: a link must never be out without its end date.
        try:
            self._expiry.schedule_expiry(session.id, session.expires_at)
        except Exception as error:
            self._withdraw(session, f"Link not sent: {_reason(error)}")
            raise
        sends = {
            "sms": lambda: self._text(session, business, body, public_base_url),
            "email": lambda: self._send_email(session, business, appointment, body, link),
        }
        problems: list[tuple[Channel, Exception]] = []
        for channel in session.channels:
            try:
                sends[channel]()
            except Exception as error:
                if not isinstance(error, DomainError):
                    logger.exception("sending the link by %s failed", channel)
                problems.append((channel, error))
        failures = [f"{_CHANNEL_NAMES[c]} not sent: {_reason(e)}" for c, e in problems]
        if len(problems) == len(session.channels):  # no channel carried the link
            self._expiry.cancel_expiry(session.id)
            self._withdraw(session, "; ".join(failures))
            raise problems[0][1]
        for (channel, _), failure in zip(problems, failures, strict=True):
            self._sessions.append_event(
                session.id,
                TimelineEvent(
                    type=f"{channel}_failed",
                    at=self._clock.now(),
                    actor=Actor.SYSTEM,
                    detail=failure,
                ),
            )
        return failures

    def _check_channels(
        self, business: Business, customer: Customer, channels: tuple[Channel, ...], now: datetime
    ) -> None:
        """Refuses, before anything is written, a channel that cannot carry the link.

        Quiet hours come last: the caller may schedule the send past them, and everything
        else must hold for that too.
        """
        if not channels:
            raise Unprocessable("Choose how to send the link: text, email, or both.")
        if "email" in channels:
            if not customer.email:
                raise Unprocessable(NO_EMAIL_ADDRESS)
            if self._email is None or not business.email_from:
                raise Unprocessable(NO_EMAIL_SENDER)
        if "sms" in channels:
            if not customer.phone:
                raise Unprocessable(NO_PHONE_NUMBER)
            if self._contacts.is_opted_out(business.id, customer.phone):
                raise Conflict(OPTED_OUT)
            check_quiet_hours(business, now)  # texts only: an email waits in the inbox

    def _text(
        self, session: RescheduleSession, business: Business, body: str, public_base_url: str
    ) -> None:
        message_sid = self._sms.send(
            to=session.customer_phone,
            from_=business.sms_from,
            body=body,
            status_callback=f"{public_base_url.rstrip('/')}/webhooks/twilio/status",
        )
        self._sessions.record_message(session.id, message_sid, "queued", at=self._clock.now())
        self._contacts.remember_session(business.id, session.customer_phone, session.id)
        self._sessions.append_event(
            session.id,
            TimelineEvent(
                type="sent", at=self._clock.now(), actor=Actor.SYSTEM, detail=session.message
            ),
        )

    def _send_email(
        self,
        session: RescheduleSession,
        business: Business,
        appointment: Appointment,
        body: str,
        link: str,
    ) -> None:
        # _check_channels made sure of these before anything was written
        assert self._email is not None
        assert business.email_from
        assert session.customer_email
        email = link_email(business.name, appointment.service, body, link, session.language)
        self._email.send(
            to=session.customer_email,
            from_email=business.email_from,
            from_name=business.name,
            subject=email.subject,
            text=email.text,
            html=email.html,
            categories=("reschedule-link",),
            custom_args={"session_id": session.id},
        )
        self._sessions.append_event(
            session.id,
            TimelineEvent(
                type="emailed",
                at=self._clock.now(),
                actor=Actor.SYSTEM,
                detail=f"To {session.customer_email}",
            ),
        )

    def _withdraw(
        self,
        session: RescheduleSession,
        reason: str,
        status: SessionStatus = SessionStatus.LINK_SENT,
    ) -> None:
        """The link never reached the customer: close the session and say why."""
        logger.warning("withdrawing session %s: %s", session.id, mask_phones(reason))
        self._sessions.transition(
            session.id,
            status,
            SessionStatus.CANCELED,
            TimelineEvent(type="canceled", at=self._clock.now(), actor=Actor.SYSTEM, detail=reason),
            failure_reason=reason,
        )


def _expiry(business: Business, appointment: Appointment, sent_at: datetime) -> datetime:
    """The link dies `link_ttl_hours` after it is sent, and always before the business's
    notice period starts; a link that would die at once is refused."""
    settings = business.settings
    expires_at = min(
        sent_at + timedelta(hours=settings.link_ttl_hours),
        appointment.start - timedelta(hours=settings.min_notice_hours),
    )
    if expires_at <= sent_at:
        raise Unprocessable(
            f"The appointment starts in less than {settings.min_notice_hours} hours, "
            "too soon to reschedule online. Call the customer instead."
        )
    return expires_at


_CHANNEL_NAMES: dict[Channel, str] = {"sms": "SMS", "email": "Email"}


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, DomainError) else "unexpected error"
