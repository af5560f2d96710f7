"""The provider registry: every scheduling provider the product can connect, one module each.

A module in this package registers one provider: `PROVIDER = Provider(...)`, with its kind,
the name people read, what it needs and how to connect it. Everything that lists provider
kinds (the business record's validation, the webhook route, the local stack's fakes and
seeds, the API's descriptions) asks `registered()`, so adding a provider is adding its
module here, its adapter and its local fake (docs/providers.md, "Adding a provider").

The modules hold data and a `connect` function that imports its adapter only when it is
called, so listing the providers loads no adapter (cold starts: docs/performance.md). The
domain may read the data; only the adapters' ring calls `connect`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reschedule_dispatch.domain.business import Business
    from reschedule_dispatch.domain.ports import Clock, ProviderState, SchedulingProvider


@dataclass(frozen=True)
class Connecting:
    """What an adapter is built from: the business, its connection's non-secret options and
    its credentials (the secret's JSON; None for a provider without credentials)."""

    business: Business
    options: Mapping[str, Any]
    credentials: Any
    state: ProviderState  # where the adapter keeps sync tokens, channels, move records
    demo_table: Any  # the built-in demo provider's table
    clock: Clock  # what "now" is to the adapter (the local stack's may be set: /dev/clock)


@dataclass(frozen=True)
class Provider:
    kind: str  # as stored on a business's connection and in webhook addresses
    name: str  # as people read it
    connect: Callable[[Connecting], SchedulingProvider]
    # A Secrets Manager secret with its credentials (every provider but the built-in one).
    credentials: bool = True
    # It notifies POST /webhooks/providers/{kind} of changes.
    webhooks: bool = True
    # It can move an appointment to another technician (Outlook cannot: an event lives in
    # one mailbox's calendar), so a business on it may offer a technician change.
    moves_between_technicians: bool = True


@cache
def registered() -> dict[str, Provider]:
    """Every registered provider by kind, the built-in demo provider first."""
    found: dict[str, Provider] = {}
    for module in pkgutil.iter_modules(__path__):
        provider = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PROVIDER", None)
        if not isinstance(provider, Provider):
            raise TypeError(f"{__name__}.{module.name} registers no PROVIDER")
        if provider.kind != module.name:
            raise ValueError(f"{module.name}: its PROVIDER's kind must be its module's name")
        found[provider.kind] = provider
    return dict(sorted(found.items(), key=lambda item: (item[0] != "demo", item[0])))


def provider(kind: str) -> Provider:
    """The registered provider of `kind`; ValueError naming the known ones if there is none."""
    known = registered()
    if kind not in known:
        raise ValueError(f"unknown scheduling provider {kind!r}; known: {', '.join(known)}")
    return known[kind]


def kinds(*, webhooks: bool | None = None) -> tuple[str, ...]:
    """The registered kinds (only those that do, or do not, take webhooks)."""
    return tuple(
        kind for kind, p in registered().items() if webhooks is None or p.webhooks == webhooks
    )
