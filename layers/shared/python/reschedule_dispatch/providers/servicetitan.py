"""ServiceTitan: jobs, appointments, assignments and shifts (adapters/servicetitan/)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reschedule_dispatch.providers import Connecting, Provider

if TYPE_CHECKING:  # the registry is read while the domain's models are being defined
    from reschedule_dispatch.domain.ports import SchedulingProvider


def connect(connecting: Connecting) -> SchedulingProvider:
    from reschedule_dispatch.adapters import servicetitan
    from reschedule_dispatch.adapters.provider_connections import validated

    config, credentials = validated(
        PROVIDER.name,
        (servicetitan.ServiceTitanConfig, connecting.options),
        (servicetitan.ServiceTitanCredentials, connecting.credentials),
    )
    business = connecting.business
    return servicetitan.ServiceTitanProvider.connect(
        business.id,
        config.applied_to(credentials),
        connecting.state,
        time_zone=business.zone,
        phone_region=config.phone_region,
        clock=connecting.clock,
    )


PROVIDER = Provider(kind="servicetitan", name="ServiceTitan", connect=connect)
