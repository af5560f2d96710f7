"""What the scheduling provider tells us on its own, and what the product does about it.

- The appointment moved, was reassigned or canceled elsewhere: an open link for it ends at
  once (failed: "changed elsewhere", or canceled), so the customer cannot pick a time for an
  appointment that is no longer what the link showed.
- A reason to reschedule (customer canceled, no-show, no access, manual override): a
  "Suggested" entry for a dispatcher, or, when the business chose it, the link is sent.

Redeliveries are harmless: every step is a conditional write or a replace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import Conflict, DomainError, NotFound, WebhookRejected
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    ExpiryScheduler,
    ProviderChannels,
    ProviderWebhooks,
    ScheduledSends,
    SchedulingProvider,
    SeenEvents,
    SessionRepository,
    Suggestions,
)
from reschedule_dispatch.domain.provider_events import (
    CHANGE_LABELS,
    TRIGGERS,
    ProviderChange,
    ProviderEvent,
    Suggestion,
    WebhookReply,
    WebhookRequest,
    webhook_address,
)
from reschedule_dispatch.domain.scheduling import Appointment
from reschedule_dispatch.domain.session import (
    Actor,
    RescheduleSession,
    SessionStatus,
    TimelineEvent,
)
from reschedule_dispatch.services.closed_sessions import drop_schedule, expire_if_overdue
from reschedule_dispatch.texts import Text, english

logger = logging.getLogger(__name__)

CHANGED_ELSEWHERE = english(Text.REASON_CHANGED_ELSEWHERE)
APPOINTMENT_CANCELED = english(Text.REASON_APPOINTMENT_CANCELED)


class WebhookReceivers(Protocol):
    def webhooks(self, business_id: str, kind: str) -> ProviderWebhooks:
        """The business's provider if it is `kind` and takes webhooks; NotFound if not."""
        ...


class ApplyProviderEvent:
    def __init__(
        self,
        *,
        sessions: SessionRepository,
        provider: SchedulingProvider,
        businesses: BusinessDirectory,
        suggestions: Suggestions,
        expiry: ExpiryScheduler,
        sends: ScheduledSends,
        clock: Clock,
        send_automatically: Callable[[Suggestion], None] | None = None,
        resync: Callable[[str, str], object] | None = None,
    ) -> None:
        self._resync = resync  # brings the mirror's copy of a changed appointment in step
        self._sessions = sessions
        self._provider = provider
        self._businesses = businesses
        self._suggestions = suggestions
        self._expiry = expiry
        self._sends = sends
        self._clock = clock
        self._send_automatically = send_automatically

    def __call__(self, event: ProviderEvent) -> None:
        if event.change in TRIGGERS:
            self._suggest(event)
        else:
            self._mend_mirror(event)
            self._end_open_link(event)

    def _mend_mirror(self, event: ProviderEvent) -> None:
        if self._resync is None:
            return
        try:
            self._resync(event.business_id, event.appointment_id)
        except DomainError as error:  # the reconcile job heals what this misses
            logger.warning("The schedule mirror was not brought in step: %s", error)

    def _end_open_link(self, event: ProviderEvent) -> None:
        found = self._sessions.in_progress_by_appointment(event.business_id, [event.appointment_id])
        session = found.get(event.appointment_id)
        # Confirming: our own move is under way, and its If-Match finds any real change.
        if session is None or session.status is SessionStatus.CONFIRMING:
            return
        change = event.change
        if change in (ProviderChange.CANCELED, ProviderChange.UPDATED):
            # Said by the provider's own API, not only by the notification (a replayed or
            # forged one): one read, on the technician the link was sent for.
            try:
                current: Appointment | None = self._provider.get_appointment(
                    event.business_id, event.appointment_id, session.original_technician_id
                )
            except NotFound:
                current = None
            if current is None:
                change = ProviderChange.CANCELED
            elif change is ProviderChange.CANCELED and current.status != "scheduled":
                pass  # canceled indeed
            elif (current.start, current.end, current.technician_id) == (
                session.original_start,
                session.original_end,
                session.original_technician_id,
            ):
                return  # still where the link was sent for: touched, not moved or canceled
            else:
                change = ProviderChange.UPDATED  # moved
        self._end(session, change)

    def _end(self, session: RescheduleSession, change: ProviderChange) -> None:
        canceled = change is ProviderChange.CANCELED
        # A link not sent yet cannot fail; it is withdrawn.
        new = (
            SessionStatus.CANCELED
            if canceled or session.status is SessionStatus.SCHEDULED
            else SessionStatus.FAILED
        )
        event = TimelineEvent(
            type="appointment_canceled" if canceled else "changed_elsewhere",
            at=self._clock.now(),
            actor=Actor.PROVIDER,
            detail=CHANGE_LABELS[change],
        )
        reason = APPOINTMENT_CANCELED if canceled else CHANGED_ELSEWHERE
        try:
            self._sessions.transition(session.id, session.status, new, event, failure_reason=reason)
        except Conflict:
            return  # it moved on meanwhile (confirmed, expired, canceled): that state stands
        drop_schedule(session, self._expiry, self._sends)

    def _suggest(self, event: ProviderEvent) -> None:
        found = self._sessions.in_progress_by_appointment(event.business_id, [event.appointment_id])
        now = self._clock.now()
        still_open = [
            s for s in found.values() if expire_if_overdue(self._sessions, s, now).in_progress
        ]
        if still_open:
            return  # a link for it is already out
        try:
            appointment = self._provider.get_appointment(event.business_id, event.appointment_id)
            customer = self._provider.get_customer(event.business_id, appointment.customer_id)
        except NotFound:
            logger.info("Provider trigger for an appointment that is gone: nothing to suggest")
            return
        suggestion = Suggestion(
            business_id=event.business_id,
            appointment_id=appointment.id,
            customer_id=customer.id,
            customer_name=customer.name,
            change=event.change,
            at=self._clock.now(),
        )
        business = self._businesses.get(event.business_id)
        if business.settings.provider_triggers == "send" and self._send_automatically:
            self._send_automatically(suggestion)
        else:
            self._suggestions.put(suggestion)


# One answer for every webhook that is not verified: an unknown business, one on another
# provider, a missing or a wrong signature alike, so the route tells a stranger nothing
# about which businesses exist or which provider they use.
NOT_VERIFIED = "This webhook could not be verified."
# How long an applied event's id is remembered: providers redeliver for hours, not weeks.
REMEMBER_EVENTS = timedelta(days=7)


class ReceiveProviderWebhook:
    """Verifies a webhook with the business's own provider, then applies each of its events
    once (by the provider's event id)."""

    def __init__(
        self,
        *,
        receivers: WebhookReceivers,
        apply: ApplyProviderEvent,
        seen: SeenEvents | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._receivers = receivers
        self._apply = apply
        self._seen = seen
        self._clock = clock

    def __call__(self, business_id: str, kind: str, request: WebhookRequest) -> WebhookReply:
        try:
            outcome = self._receivers.webhooks(business_id, kind).parse_webhook(request)
        except (NotFound, WebhookRejected):
            raise WebhookRejected(NOT_VERIFIED, status=403) from None
        for event in outcome.events:
            if event.business_id != business_id:  # an adapter's bug must not cross businesses
                logger.error("Provider event for another business dropped")
                continue
            if not self._first_time(event):
                logger.info("Provider event seen before: not applied again")
                continue
            try:
                self._apply(event)
            except Exception:
                # Not applied: the provider's redelivery must find it new, not seen.
                if self._seen is not None:
                    self._seen.forget(event.business_id, event.event_id)
                raise
        return outcome.reply

    def _first_time(self, event: ProviderEvent) -> bool:
        if self._seen is None or self._clock is None:
            return True
        forget_after = int((self._clock.now() + REMEMBER_EVENTS).timestamp())
        return self._seen.first_time(event.business_id, event.event_id, forget_after)


class ListSuggestions:
    def __init__(self, *, suggestions: Suggestions) -> None:
        self._suggestions = suggestions

    def __call__(self, business_id: str) -> list[Suggestion]:
        return self._suggestions.list(business_id)


class DismissSuggestion:
    def __init__(self, *, suggestions: Suggestions) -> None:
        self._suggestions = suggestions

    def __call__(self, business_id: str, appointment_id: str) -> None:
        """NotFound when the business has no such suggestion (gone already, or another
        business's: never say which)."""
        if not self._suggestions.resolve(business_id, appointment_id):
            raise NotFound("No such suggestion: it was dismissed or answered already.")


class ConnectedBusinesses(Protocol):
    def connected(self) -> list[Business]:
        """Businesses connected to a provider other than the demo one."""
        ...


class ProviderSource(Protocol):
    def of(self, business_id: str) -> SchedulingProvider: ...


@dataclass(frozen=True)
class ChannelsKept:
    opened: dict[str, int] = field(default_factory=dict)  # business id: channels opened/renewed
    failed: dict[str, str] = field(default_factory=dict)  # business id: why


class KeepProvidersNotified:
    """Twice a day: every business on a provider that pushes through channels we open
    (Google's watch channels, Graph's subscriptions) has them, and none is about to end.
    One business's failure (credentials refused, provider down) does not stop the others;
    the next run tries again well before a channel ends."""

    def __init__(
        self,
        *,
        businesses: ConnectedBusinesses,
        providers: ProviderSource,
        public_base_url: str,
        clock: Clock,
    ) -> None:
        self._businesses = businesses
        self._providers = providers
        self._public_base_url = public_base_url
        self._clock = clock

    def __call__(self) -> ChannelsKept:
        kept = ChannelsKept()
        for business in self._businesses.connected():
            try:
                provider = self._providers.of(business.id)
                if not isinstance(provider, ProviderChannels):
                    continue  # e.g. ServiceTitan: its webhooks are registered in its portal
                address = webhook_address(
                    self._public_base_url, business.provider.kind, business.id
                )
                kept.opened[business.id] = provider.keep_notified(address, self._clock.now())
            except DomainError as error:
                logger.warning("Provider channels of business %s not kept: %s", business.id, error)
                kept.failed[business.id] = str(error)
        return kept
