"""Connecting a business to its scheduling provider: which adapter, with what settings.

The business record names the provider, its non-secret options and the ARN of its
credentials; each adapter's own models validate both, so a connection that is missing a
field is refused by name (and answered as "reconnect it") instead of failing mid-request.
Each adapter module is imported only when a business uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reschedule_dispatch.adapters.demo_provider import DemoProvider
from reschedule_dispatch.adapters.dynamodb_provider_state import DynamoProviderState
from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import ProviderUnauthorized
from reschedule_dispatch.domain.ports import SchedulingProvider

ReadSecret = Callable[[str], Any]
Options = TypeVar("Options", bound=BaseModel)
Credentials = TypeVar("Credentials", bound=BaseModel)


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
        # The adapter last built per business, with what it was built from: asked again with
        # the same connection and credentials (the router rechecks every few minutes, for
        # rotated secrets), it is kept, and with it its access token and caches.
        self._built: dict[str, tuple[ProviderConnection, Any, SchedulingProvider]] = {}

    def __call__(self, business: Business) -> SchedulingProvider:
        connection = business.provider
        if connection.kind == "demo" or connection.secret_arn is None:
            return self._demo  # the demo provider has no credentials: none are read
        secret = self._read_secret(connection.secret_arn)
        built = self._built.get(business.id)
        if built is not None and built[:2] == (connection, secret):
            return built[2]
        provider = self._build(business, connection, secret)
        self._built[business.id] = (connection, secret, provider)
        return provider

    def _build(
        self, business: Business, connection: ProviderConnection, secret: Any
    ) -> SchedulingProvider:
        state = DynamoProviderState(self._app_table, business.id)
        options = {**connection.options, "business_id": business.id}
        if connection.kind == "google_calendar":
            from reschedule_dispatch.adapters import google_calendar as google

            config, credentials = _validated(
                connection,
                (google.GoogleCalendarConfig, options),
                (google.GoogleCalendarCredentials, secret),
            )
            return google.GoogleCalendarProvider(config, credentials, state)
        if connection.kind == "microsoft_graph":
            from reschedule_dispatch.adapters import microsoft_graph as graph

            graph_config, graph_credentials = _validated(
                connection,
                (graph.MicrosoftGraphConfig, options),
                (graph.MicrosoftGraphCredentials, secret),
            )
            return graph.MicrosoftGraphProvider(graph_config, graph_credentials, state)
        if connection.kind == "servicetitan":
            from reschedule_dispatch.adapters import servicetitan

            st_config, st_credentials = _validated(
                connection,
                (servicetitan.ServiceTitanConfig, options),
                (servicetitan.ServiceTitanCredentials, secret),
            )
            return servicetitan.ServiceTitanProvider.connect(
                business.id,
                st_config.applied_to(st_credentials),
                state,
                time_zone=business.zone,
                phone_region=st_config.phone_region,
            )
        raise ProviderUnauthorized(f"{connection.name} cannot be connected: reconnect it.")


def _validated(
    connection: ProviderConnection,
    options: tuple[type[Options], Any],
    credentials: tuple[type[Credentials], Any],
) -> tuple[Options, Credentials]:
    """Both parts validated, or ProviderUnauthorized naming every missing or wrong field
    (never a value: a validation error's text quotes its input, the secret included)."""
    problems: list[str] = []
    built: list[Any] = []
    for where, (model, data) in (("options", options), ("credentials", credentials)):
        if not isinstance(data, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        try:
            built.append(model.model_validate(data))
        except ValidationError as error:
            fields = sorted({".".join(map(str, e["loc"])) or "(all)" for e in error.errors()})
            problems.append(f"{where}: {', '.join(fields)}")
    if problems:
        raise ProviderUnauthorized(
            f"The {connection.name} connection is incomplete ({'; '.join(problems)}): reconnect it."
        )
    return built[0], built[1]
