"""A business's team: who may use its console, and who may change how it works.

An admin starts the business (sign-up) and invites dispatchers; only admins change its
settings and its team. The people themselves are accounts in the identity provider (Cognito
in AWS), which carries each one's business and role into their sign-in token; the team is
the business's own record of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reschedule_dispatch.domain.errors import NotAllowed
from reschedule_dispatch.domain.phones import to_e164

Role = Literal["admin", "dispatcher"]
ROLES: tuple[Role, ...] = ("admin", "dispatcher")
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"


class TeamMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    role: Role
    added_at: datetime
    added_by: str  # who invited them ("sign-up" for the admin who started the business)

    @field_validator("email")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.strip().lower()


class NewBusiness(BaseModel):
    """What a person gives to start a business. Everything else starts at its defaults and
    is edited in Settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(description="The number customers see and text, E.164 (+13125550100).")
    time_zone: str = Field(description="Where the business works, e.g. America/Chicago.")
    messaging_service_sid: str | None = Field(
        default=None,
        pattern=r"^MG[0-9a-fA-F]{32}$",
        description="A Twilio Messaging Service to send through instead of the number.",
    )
    admin_email: str = Field(pattern=EMAIL_PATTERN, max_length=254)

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the business a name")
        return value.strip()

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not value.startswith("+") or to_e164(value, "US") != value:
            raise ValueError("the phone number must be in E.164 form, e.g. +13125550100")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone (use one like America/Chicago)"
            ) from None
        return value

    @field_validator("admin_email")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.strip().lower()


def may_change_the_business(role: Role) -> None:
    """Only an admin changes settings, connections and the team."""
    if role != "admin":
        raise NotAllowed("Only an admin of the business can change this. Ask one of them.")
