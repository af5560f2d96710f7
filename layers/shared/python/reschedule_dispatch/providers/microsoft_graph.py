"""Microsoft Outlook through Graph: a mailbox per technician (adapters/microsoft_graph.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reschedule_dispatch.providers import Connecting, Provider

if TYPE_CHECKING:  # the registry is read while the domain's models are being defined
    from reschedule_dispatch.domain.ports import SchedulingProvider


def connect(connecting: Connecting) -> SchedulingProvider:
    from reschedule_dispatch.adapters import microsoft_graph as graph
    from reschedule_dispatch.adapters.provider_connections import validated

    config, credentials = validated(
        PROVIDER.name,
        (graph.MicrosoftGraphConfig, connecting.options),
        (graph.MicrosoftGraphCredentials, connecting.credentials),
    )
    return graph.MicrosoftGraphProvider(
        config,
        credentials,
        connecting.state,
        clock=connecting.clock,
        # Its number is never a customer's, and its region reads numbers people typed.
        business_phone=connecting.business.phone,
    )


PROVIDER = Provider(
    kind="microsoft_graph",
    name="Microsoft Outlook",
    connect=connect,
    moves_between_technicians=False,  # an event lives in one mailbox; there is no events.move
)
