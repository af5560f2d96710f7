"""The scheduling providers' side: their webhooks (functions/provider_webhooks), keeping
their notification channels alive (functions/provider_channels) and the schedule mirror's
reconcile (functions/schedule_sync)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from reschedule_dispatch.adapters.dynamodb_seen_events import DynamoSeenEvents
from reschedule_dispatch.composition import parts
from reschedule_dispatch.composition.family import FunctionServices
from reschedule_dispatch.composition.settings import (
    ProviderChannelsEnv,
    ProviderEnv,
    ProviderWebhooksEnv,
)

if TYPE_CHECKING:
    from reschedule_dispatch.adapters.provider_router import BusinessProviders
    from reschedule_dispatch.services.provider_events import (
        ApplyProviderEvent,
        KeepProvidersNotified,
        ReceiveProviderWebhook,
    )
    from reschedule_dispatch.services.schedule_mirror import ReconcileMirrors


class ProviderWebhooks(FunctionServices[ProviderWebhooksEnv]):
    environment = ProviderWebhooksEnv

    @property
    def business_providers(self) -> BusinessProviders:
        return self.deps.business_providers(self.env)

    def receive(self, public_base_url: str) -> ReceiveProviderWebhook:
        """`public_base_url`: where the links sent automatically point (this API's origin)."""
        from reschedule_dispatch.services.provider_events import ReceiveProviderWebhook

        return self._per(
            ("receive", public_base_url),
            lambda: ReceiveProviderWebhook(
                receivers=self.business_providers,
                apply=self.apply_event(public_base_url),
                seen=DynamoSeenEvents(self.deps.table(self.env.app_table_name)),
                clock=self.clock,
            ),
        )

    def apply_event(self, public_base_url: str) -> ApplyProviderEvent:
        """What a verified provider event does (also the local stack's /dev/provider-events)."""
        return self._per(("apply", public_base_url), lambda: self._apply_event(public_base_url))

    def _apply_event(self, public_base_url: str) -> ApplyProviderEvent:
        from reschedule_dispatch.adapters.lambda_suggested_sends import LambdaSuggestedSends
        from reschedule_dispatch.services.provider_events import ApplyProviderEvent

        env, deps = self.env, self.deps
        send_automatically = (
            LambdaSuggestedSends(
                deps.client("lambda"), env.send_link_function_name, public_base_url
            )
            if env.send_link_function_name
            else None
        )
        return ApplyProviderEvent(
            sessions=parts.sessions(deps, env),
            provider=deps.live_provider(env),
            businesses=deps.businesses(env.app_table_name),
            suggestions=parts.suggestions(deps, env),
            expiry=parts.expiry_deleter(deps, env.schedule_group_name),
            sends=parts.sends_deleter(deps, env.schedule_group_name),
            clock=self.clock,
            send_automatically=send_automatically,
            resync=parts.sync_schedule(deps, env).appointment,
        )


class ProviderChannels(FunctionServices[ProviderChannelsEnv]):
    environment = ProviderChannelsEnv

    @cached_property
    def keep_providers_notified(self) -> KeepProvidersNotified:
        from reschedule_dispatch.services.provider_events import KeepProvidersNotified

        return KeepProvidersNotified(
            businesses=self.deps.businesses(self.env.app_table_name),
            providers=self.deps.business_providers(self.env),
            public_base_url=self.env.webhook_base_url,
            clock=self.clock,
        )


class ScheduleSync(FunctionServices[ProviderEnv]):
    environment = ProviderEnv

    @cached_property
    def reconcile_mirrors(self) -> ReconcileMirrors:
        from reschedule_dispatch.services.schedule_mirror import ReconcileMirrors

        return ReconcileMirrors(
            businesses=self.deps.businesses(self.env.app_table_name),
            mirror=self.deps.schedule_mirror(self.env),
            sync=parts.sync_schedule(self.deps, self.env),
            clock=self.clock,
        )
