"""Connecting a business to its scheduling provider: which adapter, with what settings.

The business record names the provider, its non-secret options and the ARN of its
credentials; each adapter's own models validate both, so a connection that is missing a
field is refused by name (and answered as "reconnect it") instead of failing mid-request.
Each adapter module is imported only when a business uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.adapters.dynamodb_provider_state import DynamoProviderState
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import ProviderUnauthorized
from reschedule_dispatch.domain.ports import SchedulingProvider

ReadSecret = Callable[[str], dict[str, Any]]


class ProviderConnections:
    """Builds the adapter a business's connection names.

    Args:
        demo_table: the demo provider's table.
        app_table: where adapters keep their state (sync tokens, move records).
        read_secret: a secret's JSON by ARN (cached by the caller).
    """

    def __init__(self, demo_table: Any, app_table: Any, read_secret: ReadSecret) -> None:
        self._demo = DemoProvider(demo_table)
        self._app_table = app_table
        self._read_secret = read_secret

    def __call__(self, business: Business) -> SchedulingProvider:
        connection = business.provider
        if connection.kind == "demo" or connection.secret_arn is None:
            return self._demo
        credentials = self._read_secret(connection.secret_arn)
        state = DynamoProviderState(self._app_table, business.id)
        options = {**connection.options, "business_id": business.id}
        try:
            if connection.kind == "google_calendar":
                from reschedule_dispatch.adapters import google_calendar as google

                return google.GoogleCalendarProvider(
                    google.GoogleCalendarConfig.model_validate(options),
                    google.GoogleCalendarCredentials.model_validate(credentials),
                    state,
                )
            if connection.kind == "microsoft_graph":
                from reschedule_dispatch.adapters import microsoft_graph as graph

                return graph.MicrosoftGraphProvider(
                    graph.MicrosoftGraphConfig.model_validate(options),
                    graph.MicrosoftGraphCredentials.model_validate(credentials),
                    state,
                )
            from reschedule_dispatch.adapters import servicetitan

            return servicetitan.ServiceTitanProvider.connect(
                business.id,
                servicetitan.ServiceTitanCredentials.model_validate(credentials),
                state,
                time_zone=business.zone,
            )
        except ValidationError as error:
            fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in error.errors()}))
            raise ProviderUnauthorized(
                f"The {connection.name} connection is incomplete ({fields}): reconnect it."
            ) from None
