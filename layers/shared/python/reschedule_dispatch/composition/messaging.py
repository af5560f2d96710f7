"""Texts and emails: sending a link (functions/send_link) and Twilio's webhooks
(functions/webhooks: delivery reports and customers' replies)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeExpiryScheduler,
    EventBridgeScheduledSends,
)
from reschedule_dispatch.composition import parts
from reschedule_dispatch.composition.family import FunctionServices
from reschedule_dispatch.composition.settings import SendLinkEnv, WebhooksEnv

if TYPE_CHECKING:
    from reschedule_dispatch.services.messaging import InboundMessage, RecordDelivery
    from reschedule_dispatch.services.send_link import SendLink


class LinkSending(FunctionServices[SendLinkEnv]):
    environment = SendLinkEnv

    def send_link(self, own_arn: str | None) -> SendLink:
        """`own_arn`: this function's ARN, the target of the sends it schedules past quiet
        hours (none: no scheduled sends)."""
        return self._per(("send_link", own_arn), lambda: self._send_link(own_arn))

    def _send_link(self, own_arn: str | None) -> SendLink:
        from reschedule_dispatch.services.send_link import SendLink

        env, deps = self.env, self.deps
        scheduler = deps.client("scheduler")
        return SendLink(
            sessions=parts.sessions(deps, env),
            provider=deps.live_provider(env),  # the version the confirm's If-Match starts from
            businesses=deps.businesses(env.app_table_name),
            sms=deps.sms_sender(env),
            email=deps.email_sender(env),
            sends=EventBridgeScheduledSends(
                scheduler,
                env.schedule_group_name,
                own_arn,
                env.scheduler_role_arn,
                env.expiry_dead_letter_queue_arn,
            )
            if own_arn
            else None,
            contacts=parts.contacts(deps, env),
            suggestions=parts.suggestions(deps, env),
            expiry=EventBridgeExpiryScheduler(
                scheduler,
                env.schedule_group_name,
                env.expire_function_arn,
                env.scheduler_role_arn,
                env.expiry_dead_letter_queue_arn,
            ),
            clock=self.clock,
        )


class TwilioWebhooks(FunctionServices[WebhooksEnv]):
    environment = WebhooksEnv

    @property
    def auth_token(self) -> str:
        """Read each time: the secret's cache sees a rotation within five minutes."""
        return self.deps.twilio_credentials(self.env)["auth_token"]

    @cached_property
    def record_delivery(self) -> RecordDelivery:
        from reschedule_dispatch.services.messaging import RecordDelivery

        return RecordDelivery(
            sessions=parts.sessions(self.deps, self.env),
            clock=self.clock,
            contacts=parts.contacts(self.deps, self.env),
        )

    @cached_property
    def inbound_message(self) -> InboundMessage:
        from reschedule_dispatch.services.messaging import InboundMessage

        return InboundMessage(
            contacts=parts.contacts(self.deps, self.env),
            sessions=parts.sessions(self.deps, self.env),
            businesses=self.deps.businesses(self.env.app_table_name),
            clock=self.clock,
        )
