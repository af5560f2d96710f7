"""The built-in demo provider: schedules kept in the product's own DynamoDB table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reschedule_dispatch.providers import Connecting, Provider

if TYPE_CHECKING:  # the registry is read while the domain's models are being defined
    from reschedule_dispatch.domain.ports import SchedulingProvider


def connect(connecting: Connecting) -> SchedulingProvider:
    from reschedule_dispatch.adapters.demo_provider import DemoProvider

    return DemoProvider(connecting.demo_table)


PROVIDER = Provider(
    kind="demo",
    name="Demo scheduling (built in)",
    connect=connect,
    credentials=False,
    webhooks=False,
)
