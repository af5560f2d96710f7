"""Send link: create a session for an appointment and text the customer a private link."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, DomainError, Unprocessable
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
    SchedulingProvider,
    SessionRepository,
    SmsSender,
)
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import (
    Actor,
    Channel,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

OPTED_OUT = (
    "The customer has opted out of texts from this business. They can reply START to opt back in."
)
NO_EMAIL_ADDRESS = "The customer has no email address. Text the link instead."
NO_EMAIL_SENDER = "Email is not set up for this business. Text the link instead."


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
    return render_template(
        template,
        {
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
    link: str
    # Channels that could not carry the link while another did (e.g. the email bounced at
    # SendGrid but the text went out), in the dispatcher's words.
    problems: list[str] = field(default_factory=list)


class SendLink:
    def __init__(
        self,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        sms: SmsSender,
        expiry: ExpiryScheduler,
        clock: Clock,
        contacts: Contacts,
        email: EmailSender | None = None,
    ) -> None:
        self._email = email
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
    ) -> SentLink:
        business = self._businesses.get(business_id)
        settings = business.settings
        appointment = self._provider.get_appointment(business_id, appointment_id)
        now = self._clock.now()

        # The link must die before the business's notice period starts, whatever the TTL.
        expires_at = min(
            now + timedelta(hours=settings.link_ttl_hours),
            appointment.start - timedelta(hours=settings.min_notice_hours),
        )
        if expires_at <= now:
            raise Unprocessable(
                f"The appointment starts in less than {settings.min_notice_hours} hours, "
                "too soon to reschedule online. Call the customer instead."
            )

        customer = self._provider.get_customer(business_id, appointment.customer_id)
        channels = tuple(dict.fromkeys(channels))  # each once, in the order given
        self._check_channels(business, customer, channels, now)
        technician = self._provider.get_technician(business_id, appointment.technician_id)
        token = new_token()
        link = link_url(public_base_url, token)
        body = with_link(
            link_message(business, customer, appointment, technician, message, language), link
        )
        session = RescheduleSession(
            id=uuid.uuid4().hex,
            business_id=business_id,
            appointment_id=appointment.id,
            customer_id=customer.id,
            customer_name=customer.name,
            customer_phone=customer.phone,
            dispatcher=dispatcher,
            status=SessionStatus.LINK_SENT,
            created_at=now,
            expires_at=expires_at,
            original_start=appointment.start,
            original_end=appointment.end,
            original_technician_id=appointment.technician_id,
            original_version=appointment.version,
            language=language,
            message=redact(body, token),
            channels=channels,
            customer_email=customer.email if "email" in channels else None,
        )
        self._sessions.create(
            session,
            token_hash(token),
            TimelineEvent(type="created", at=now, actor=Actor.DISPATCHER, detail=dispatcher),
        )
        # Schedule expiry before sending: a link must never be out without its end date.
        try:
            self._expiry.schedule_expiry(session.id, expires_at)
        except Exception as error:
            self._withdraw(session, f"Link not sent: {_reason(error)}")
            raise
        sends = {
            "sms": lambda: self._text(session, business, body, public_base_url),
            "email": lambda: self._send_email(session, business, appointment, body, link),
        }
        problems: list[tuple[Channel, Exception]] = []
        for channel in channels:
            try:
                sends[channel]()
            except Exception as error:
                if not isinstance(error, DomainError):
                    logger.exception("sending the link by %s failed", channel)
                problems.append((channel, error))
        failures = [f"{_CHANNEL_NAMES[c]} not sent: {_reason(e)}" for c, e in problems]
        if len(problems) == len(channels):  # the link reached the customer by no channel
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
        return SentLink(session=session, link=link, problems=failures)

    def _check_channels(
        self, business: Business, customer: Customer, channels: tuple[Channel, ...], now: datetime
    ) -> None:
        """Refuses, before anything is written, a channel that cannot carry the link."""
        if not channels:
            raise Unprocessable("Choose how to send the link: text, email, or both.")
        if "sms" in channels:
            if self._contacts.is_opted_out(business.id, customer.phone):
                raise Conflict(OPTED_OUT)
            check_quiet_hours(business, now)  # texts only: an email waits in the inbox
        if "email" in channels:
            if not customer.email:
                raise Unprocessable(NO_EMAIL_ADDRESS)
            if self._email is None or not business.email_from:
                raise Unprocessable(NO_EMAIL_SENDER)

    def _text(
        self, session: RescheduleSession, business: Business, body: str, public_base_url: str
    ) -> None:
        message_sid = self._sms.send(
            to=session.customer_phone,
            from_=business.sms_from,
            body=body,
            status_callback=f"{public_base_url.rstrip('/')}/webhooks/twilio/status",
        )
        self._sessions.record_message(session.id, message_sid, "queued")
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

    def _withdraw(self, session: RescheduleSession, reason: str) -> None:
        """The link never reached the customer: close the session and say why."""
        logger.warning("withdrawing session %s: %s", session.id, mask_phones(reason))
        self._expiry.cancel_expiry(session.id)
        self._sessions.transition(
            session.id,
            SessionStatus.LINK_SENT,
            SessionStatus.CANCELED,
            TimelineEvent(
                type="canceled",
                at=self._clock.now(),
                actor=Actor.SYSTEM,
                detail=reason,
            ),
            failure_reason=reason,
        )


_CHANNEL_NAMES: dict[Channel, str] = {"sms": "SMS", "email": "Email"}


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, DomainError) else "unexpected error"
