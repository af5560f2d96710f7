"""The local stack's fakes, one module per registered provider that needs credentials.

`local/providers/<kind>.py` registers `FAKE = LocalFake(...)`: where the fake is mounted,
how to make one with fresh credentials, and how to keep a seeded business in it in the
provider's own shapes (answering the connection's options and credentials). ProviderFakes
finds one for every provider the registry (reschedule_dispatch/providers) lists, so a
provider without a fake is a start-up error, not a silent gap.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from reschedule_dispatch import providers
from reschedule_dispatch.adapters.calendar_fields import (
    CUSTOMER_EMAIL,
    CUSTOMER_ID,
    CUSTOMER_NAME,
    CUSTOMER_PHONE,
    LAT,
    LON,
    SERVICE,
)
from reschedule_dispatch.domain.scheduling import Appointment, Customer, Technician

if TYPE_CHECKING:
    from local.sandbox_base import Sandbox
    from local.seed import ProviderData

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Keep = Callable[[Any, "ProviderData", str, date], tuple[dict[str, Any], dict[str, Any]]]


@dataclass(frozen=True)
class LocalFake:
    kind: str
    prefix: str  # where the gateway mounts it
    # (gateway URL, the stack's clock) -> a fresh fake that reads its "now" from that clock
    make: Callable[[str, Callable[[], datetime]], Sandbox]
    keep: Keep  # (fake, the business's data, gateway URL, first seeded day) -> options, credentials


def local_fakes() -> dict[str, LocalFake]:
    """A fake for every registered provider that needs credentials (the demo needs none)."""
    found: dict[str, LocalFake] = {}
    for kind, registered in providers.registered().items():
        if not registered.credentials:
            continue
        try:
            module = importlib.import_module(f"{__name__}.{kind}")
        except ModuleNotFoundError as error:
            raise LookupError(
                f"no local fake for {registered.name}: add local/providers/{kind}.py"
            ) from error
        fake = getattr(module, "FAKE", None)
        if not isinstance(fake, LocalFake) or fake.kind != kind:
            raise TypeError(f"local/providers/{kind}.py registers no LocalFake of kind {kind!r}")
        found[kind] = fake
    return found


# Helpers the calendar fakes share ---------------------------------------------------------


def configured(technician: Technician) -> dict[str, Any]:
    """The technician as a calendar provider's options configure one."""
    return technician.model_dump(
        mode="json", include={"id", "name", "working_hours", "home_base", "services"}
    )


def calendar_fields(appointment: Appointment, customer: Customer) -> dict[str, str]:
    """The product's private fields on an appointment's event (adapters/calendar_fields)."""
    fields = {
        CUSTOMER_ID: customer.id,
        CUSTOMER_NAME: customer.name,
        CUSTOMER_PHONE: customer.phone,
        SERVICE: appointment.service,
    }
    if customer.email:
        fields[CUSTOMER_EMAIL] = customer.email
    if customer.location:
        fields[LAT], fields[LON] = str(customer.location.lat), str(customer.location.lon)
    return fields


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
