"""Send link: create a session for an appointment and text the customer a private link."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, DomainError, Unprocessable
from reschedule_dispatch.domain.links import link_url, new_token, redact, token_hash
from reschedule_dispatch.domain.messages import (
    check_quiet_hours,
    format_time,
    mask_phones,
    render_template,
    with_link,
)
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    Contacts,
    ExpiryScheduler,
    SchedulingProvider,
    SessionRepository,
    SmsSender,
)
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician
from reschedule_dispatch.domain.session import (
    Actor,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)

logger = logging.getLogger(__name__)

OPTED_OUT = (
    "The customer has opted out of texts from this business. They can reply START to opt back in."
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
    ) -> None:
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
        if self._contacts.is_opted_out(business_id, customer.phone):
            raise Conflict(OPTED_OUT)
        check_quiet_hours(business, now)
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
        )
        self._sessions.create(
            session,
            token_hash(token),
            TimelineEvent(type="created", at=now, actor=Actor.DISPATCHER, detail=dispatcher),
        )
        # Schedule expiry before texting: a link must never be out without its end date.
        try:
            self._expiry.schedule_expiry(session.id, expires_at)
            message_sid = self._sms.send(
                to=customer.phone,
                from_=business.sms_from,
                body=body,
                status_callback=f"{public_base_url.rstrip('/')}/webhooks/twilio/status",
            )
        except Exception as error:
            self._withdraw(
                session, str(error) if isinstance(error, DomainError) else "unexpected error"
            )
            raise
        self._sessions.record_message(session.id, message_sid, "queued")
        self._contacts.remember_session(business_id, customer.phone, session.id)
        self._sessions.append_event(
            session.id,
            TimelineEvent(
                type="sent", at=self._clock.now(), actor=Actor.SYSTEM, detail=session.message
            ),
        )
        return SentLink(session=session, link=link)

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
                detail=f"SMS not sent: {reason}",
            ),
            failure_reason=f"SMS not sent: {reason}",
        )
