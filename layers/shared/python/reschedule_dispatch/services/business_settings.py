"""The settings a dispatcher controls for their business."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from reschedule_dispatch.domain.business import Business, BusinessSettings
from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.domain.ports import BusinessDirectory


class GetBusiness:
    def __init__(self, businesses: BusinessDirectory) -> None:
        self._businesses = businesses

    def __call__(self, business_id: str) -> Business:
        # Fresh: a dispatcher who just saved must see what they saved, whichever container answers
        return self._businesses.get(business_id, fresh=True)


class UpdateSettings:
    """Changes the given settings, keeps the rest. Validation is the settings model's."""

    def __init__(self, businesses: BusinessDirectory) -> None:
        self._businesses = businesses

    def __call__(self, business_id: str, changes: dict[str, Any]) -> BusinessSettings:
        business = self._businesses.get(business_id, fresh=True)  # merge onto what is stored
        try:
            settings = BusinessSettings.model_validate(
                {**business.settings.model_dump(), **changes}
            )
        except ValidationError as error:
            problems = "; ".join(e["msg"] for e in error.errors(include_url=False))
            raise Unprocessable(f"These settings cannot be saved: {problems}.") from None
        self._businesses.put(business.model_copy(update={"settings": settings}))
        return settings
