"""Connecting a business's calendar from Settings, and disconnecting it (domain/connections.py).

Start keeps a pending connection and answers the provider's consent URL; finish takes the
pending connection (single use), exchanges the code, writes the tokens to the business's
secret and only then points the business at it. A refusal at any step writes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reschedule_dispatch import providers
from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.connections import (
    ConnectionRefused,
    OAuthClient,
    OAuthProvider,
    PendingConnection,
    Tokens,
    oauth_provider,
)
from reschedule_dispatch.domain.errors import Conflict, NotFound
from reschedule_dispatch.domain.ports import (
    BusinessDirectory,
    Clock,
    PendingConnections,
    ProviderSecrets,
    TokenExchange,
)
from reschedule_dispatch.domain.team import Role, may_change_the_business

# The kinds whose tokens the product can turn into its adapter's credentials (Microsoft's
# adapter reads an app-only client today: docs/providers.md).
CONNECTABLE = ("google_calendar",)


@dataclass(frozen=True)
class OAuthApps:
    """The product's registrations, by kind, and where each provider's endpoints are (the
    real ones in AWS; the local fakes' locally), and adapter options a fresh connection
    starts with (locally: the fake's API)."""

    clients: Callable[[str], OAuthClient]
    endpoints: Mapping[str, tuple[str, str]]  # kind: (authorize URL, token URL) overrides
    fresh_options: Mapping[str, Mapping[str, Any]]

    def provider(self, kind: str) -> OAuthProvider:
        if kind not in CONNECTABLE:
            raise NotFound(f"{kind} cannot be connected from Settings (yet).")
        found = oauth_provider(kind)
        if kind in self.endpoints:
            authorize_url, token_url = self.endpoints[kind]
            found = replace(found, authorize_url=authorize_url, token_url=token_url)
        return found


@dataclass(frozen=True)
class Connected:
    business_id: str
    kind: str
    account: str | None


class StartConnection:
    """An admin asks to connect `kind`: the provider's consent URL."""

    def __init__(self, *, pending: PendingConnections, apps: OAuthApps, clock: Clock) -> None:
        self._pending, self._apps, self._clock = pending, apps, clock

    def __call__(
        self, business_id: str, admin_email: str, role: Role, kind: str, redirect_uri: str
    ) -> str:
        may_change_the_business(role)
        provider = self._apps.provider(kind)
        client = self._apps.clients(kind)
        started = PendingConnection.start(
            kind, business_id, admin_email, redirect_uri, self._clock.now()
        )
        self._pending.put(started)
        return started.authorization_url(provider, client.client_id)


class FinishConnection:
    """The browser is back from the consent page: the business connected, or a refusal
    (ConnectionRefused) with nothing written."""

    def __init__(
        self,
        *,
        pending: PendingConnections,
        apps: OAuthApps,
        exchange: TokenExchange,
        secrets: ProviderSecrets,
        businesses: BusinessDirectory,
        clock: Clock,
    ) -> None:
        self._pending, self._apps, self._exchange = pending, apps, exchange
        self._secrets, self._businesses, self._clock = secrets, businesses, clock

    def __call__(self, state: str | None, code: str | None, error: str | None) -> Connected:
        if not state:
            raise ConnectionRefused(
                "missing_state", "This address lacks its state: start again from Settings."
            )
        pending = self._pending.take(state)
        if pending is None:
            raise ConnectionRefused(
                "unknown_state", "This connection was not started here: start again from Settings."
            )
        if pending.used:
            raise ConnectionRefused(
                "used_state", "This connection was already finished: start again from Settings."
            )
        if self._clock.now() >= pending.expires_at:
            raise ConnectionRefused(
                "expired_state",
                "This connection took more than 10 minutes: start again from Settings.",
            )
        if error:
            reason = "denied" if error == "access_denied" else "provider_error"
            raise ConnectionRefused(
                reason,
                "Access was not granted, so nothing was connected. To connect, start again "
                "from Settings and allow access.",
            )
        if not code:
            raise ConnectionRefused("missing_code", "The provider sent no code: start again.")
        provider = self._apps.provider(pending.kind)
        client = self._apps.clients(pending.kind)
        tokens = self._exchange.exchange(provider, client, code, pending)
        business = self._businesses.get(pending.business_id, fresh=True)
        previous = business.provider
        same = previous.kind == pending.kind
        kept = self._secrets.read(previous.secret_arn) if same and previous.secret_arn else None
        arn = self._secrets.save(
            business.id, pending.kind, _credentials(pending.kind, client, tokens, kept)
        )
        options = (
            dict(previous.options) if same else dict(self._apps.fresh_options.get(pending.kind, {}))
        )
        if not same:
            options.setdefault("technicians", [_first_technician(tokens)])

        def connect(stored: Business) -> Business:
            connection = ProviderConnection(
                kind=pending.kind, secret_arn=arn, options=options, account=tokens.account
            )
            return stored.model_copy(update={"provider": connection})

        try:
            self._businesses.update(business.id, connect)
        except BaseException:
            if arn != previous.secret_arn:  # a secret made for this connection: not left behind
                self._secrets.delete(arn)
            raise
        if previous.secret_arn and previous.secret_arn != arn:  # one secret per business
            self._secrets.delete(previous.secret_arn)
        return Connected(business.id, pending.kind, tokens.account)


class Disconnect:
    """An admin disconnects the business's provider: the business says so (every read
    answers "connect it again"), then its secret is scheduled for deletion."""

    def __init__(self, *, secrets: ProviderSecrets, businesses: BusinessDirectory) -> None:
        self._secrets, self._businesses = secrets, businesses

    def __call__(self, business_id: str, role: Role) -> ProviderConnection:
        may_change_the_business(role)
        connection = self._businesses.get(business_id, fresh=True).provider
        # The built-in demo schedule has no credentials: nothing to disconnect
        if not providers.provider(connection.kind).credentials or connection.disconnected:
            raise Conflict("No calendar is connected.")

        def disconnect(stored: Business) -> Business:
            now = stored.provider
            gone = ProviderConnection(kind=now.kind, options=now.options, disconnected=True)
            return stored.model_copy(update={"provider": gone})

        updated = self._businesses.update(business_id, disconnect)
        if connection.secret_arn:
            self._secrets.delete(connection.secret_arn)
        return updated.provider


def _credentials(
    kind: str, client: OAuthClient, tokens: Tokens, kept: Mapping[str, Any] | None
) -> dict[str, str]:
    """The adapter's credentials (adapters/google_calendar.GoogleCalendarCredentials): the
    product's client and the business's refresh token; a reconnect keeps the token its push
    channels carry, so channels already open stay verified."""
    channel_token = str((kept or {}).get("channel_token") or secrets.token_urlsafe(24))
    return {
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "refresh_token": tokens.refresh_token,
        "channel_token": channel_token,
    }


def _first_technician(tokens: Tokens) -> dict[str, str]:
    """A fresh connection's crew: the consenting account's own calendar, until the admin
    picks the technicians' calendars."""
    return {"id": "primary", "name": tokens.account or "Primary calendar", "calendar_id": "primary"}
