"""Connecting a business to its scheduling provider: which adapter, with what settings.

The business record names the provider, its non-secret options and the ARN of its
credentials; each adapter's own models validate both, so a connection that is missing a
field is refused by name (and answered as "reconnect it") instead of failing mid-request.
Which adapter is the provider registry's (reschedule_dispatch/providers): each provider's
`connect` imports its adapter only when a business uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from reschedule_dispatch import providers
from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.dynamodb_provider_state import DynamoProviderState
from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import ProviderUnauthorized
from reschedule_dispatch.domain.ports import Clock, SchedulingProvider

ReadSecret = Callable[[str], Any]
Options = TypeVar("Options", bound=BaseModel)
Credentials = TypeVar("Credentials", bound=BaseModel)


class ProviderConnections:
    """Builds the adapter a business's connection names, through the provider registry.

    Args:
        demo_table: the demo provider's table.
        app_table: where adapters keep their state (sync tokens, move records).
        read_secret: a secret's JSON by ARN (cached by the caller).
    """

    def __init__(
        self,
        demo_table: Any,
        app_table: Any,
        read_secret: ReadSecret,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._demo_table = demo_table
        self._clock = clock or SystemClock()
        self._app_table = app_table
        self._read_secret = read_secret
        # The adapter last built per business, with what it was built from: asked again with
        # the same connection and credentials (the router rechecks every few minutes, for
        # rotated secrets), it is kept, and with it its access token and caches.
        self._built: dict[str, tuple[ProviderConnection, Any, SchedulingProvider]] = {}

    def __call__(self, business: Business) -> SchedulingProvider:
        connection = business.provider
        if connection.disconnected:
            raise ProviderUnauthorized(
                f"{connection.name} was disconnected: an admin connects it again in Settings."
            )
        try:
            registered = providers.provider(connection.kind)
        except ValueError:
            raise ProviderUnauthorized(
                f"{connection.kind} cannot be connected: reconnect it."
            ) from None
        secret = (
            self._read_secret(connection.secret_arn)
            if registered.credentials and connection.secret_arn
            else None
        )
        built = self._built.get(business.id)
        if built is not None and built[:2] == (connection, secret):
            return built[2]
        adapter = registered.connect(
            providers.Connecting(
                business=business,
                options={**connection.options, "business_id": business.id},
                credentials=secret,
                state=DynamoProviderState(self._app_table, business.id),
                demo_table=self._demo_table,
                clock=self._clock,
            )
        )
        self._built[business.id] = (connection, secret, adapter)
        return adapter


def validated(
    provider_name: str,
    options: tuple[type[Options], Any],
    credentials: tuple[type[Credentials], Any],
) -> tuple[Options, Credentials]:
    """Both parts validated, or ProviderUnauthorized naming every missing or wrong field
    (never a value: a validation error's text quotes its input, the secret included)."""
    problems: list[str] = []
    built: list[Any] = []
    for where, (model, data) in (("options", options), ("credentials", credentials)):
        if not isinstance(data, Mapping):
            problems.append(f"{where}: not a JSON object")
            continue
        try:
            built.append(model.model_validate(dict(data)))
        except ValidationError as error:
            fields = sorted({".".join(map(str, e["loc"])) or "(all)" for e in error.errors()})
            problems.append(f"{where}: {', '.join(fields)}")
    if problems:
        raise ProviderUnauthorized(
            f"The {provider_name} connection is incomplete ({'; '.join(problems)}): reconnect it."
        )
    return built[0], built[1]
