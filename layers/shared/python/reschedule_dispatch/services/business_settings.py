"""The settings a dispatcher controls for their business."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import ValidationError

from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.errors import ProviderError, ProviderUnauthorized, Unprocessable
from reschedule_dispatch.domain.ports import BusinessDirectory, SchedulingProvider


class GetBusiness:
    def __init__(self, *, businesses: BusinessDirectory) -> None:
        self._businesses = businesses

    def __call__(self, business_id: str) -> Business:
        # Fresh: a dispatcher who just saved must see what they saved, whichever container answers
        return self._businesses.get(business_id, fresh=True)


class UpdateSettings:
    """Changes the given settings, keeps the rest. Validation is the settings model's."""

    def __init__(self, *, businesses: BusinessDirectory) -> None:
        self._businesses = businesses

    def __call__(self, business_id: str, changes: dict[str, Any]) -> BusinessSettings:
        def apply(business: Business) -> Business:  # onto what is stored, however fresh
            try:
                settings = BusinessSettings.model_validate(
                    {**business.settings.model_dump(), **changes}
                )
            except ValidationError as error:
                problems = "; ".join(e["msg"] for e in error.errors(include_url=False))
                raise Unprocessable(f"These settings cannot be saved: {problems}.") from None
            updated = business.model_copy(update={"settings": settings})
            turned_on = settings.allow_technician_change and not (
                business.settings.allow_technician_change
            )
            if turned_on and not updated.rules.allow_technician_change:
                raise Unprocessable(
                    f"These settings cannot be saved: {business.provider.name} cannot move "
                    "an appointment to another technician, so customers cannot be offered one."
                )
            return updated

        return self._businesses.update(business_id, apply).settings


@dataclass(frozen=True)
class ProviderStatus:
    kind: str
    name: str
    state: Literal["connected", "unauthorized", "unavailable"]
    technicians: int = 0
    detail: str = ""
    account: str | None = None  # who connected it from Settings


class CheckProviderConnection:
    """The settings page's "Scheduling provider" card: which provider, and whether it
    answers with the business's credentials right now (a technicians read)."""

    def __init__(self, *, businesses: BusinessDirectory, provider: SchedulingProvider) -> None:
        self._businesses = businesses
        self._provider = provider

    def __call__(self, business_id: str) -> ProviderStatus:
        connection = self._businesses.get(business_id, fresh=True).provider
        found = ProviderStatus(
            connection.kind, connection.name, "connected", account=connection.account
        )
        try:
            technicians = self._provider.technicians(business_id)
        except ProviderUnauthorized as error:
            return replace(found, state="unauthorized", detail=str(error))
        except ProviderError as error:
            return replace(found, state="unavailable", detail=str(error))
        return replace(found, technicians=len(technicians))
