"""A business using Reschedule Dispatch, and the settings its dispatchers control."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reschedule_dispatch import providers, texts

# A customer's language: one with a catalogue in reschedule_dispatch/texts, so adding its
# module is enough for the API and the settings to accept it (and document it as an enum).
if TYPE_CHECKING:
    Language = str
else:
    Language = Literal[texts.languages()]

# A new business's link SMS per language; from then on its templates are its own data (its
# settings, edited in the console), which later changes to the catalogue leave as they are.
DEFAULT_TEMPLATES: dict[Language, str] = {
    language: texts.template(texts.Text.LINK_SMS, language) for language in texts.languages()
}


MAX_TEMPLATE_LENGTH = 1000

# What staff hear about in Slack, when the business has a channel for it.
SlackEvent = Literal["completed", "failed"]


# The hours US law lets calls and texts reach a consumer (the TCPA's 8 am to 9 pm, their
# local time): quiet hours a dispatcher sets must cover at least the rest of the day.
LAWFUL_FROM, LAWFUL_UNTIL = time(8, 0), time(21, 0)


def quiet_hours_problem(start: time | None, end: time | None) -> str | None:
    """Why these quiet hours cannot be set (None: they can). Off is both None; on, they
    must run overnight and cover 9 pm to 8 am at least (they may be longer)."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        return "set both the start and the end of quiet hours, or turn them off"
    if not (start > end and start <= LAWFUL_UNTIL and end >= LAWFUL_FROM):
        return (
            "quiet hours must cover at least 9:00 pm to 8:00 am in the customer's time zone "
            "(US law allows texts to consumers only from 8 am to 9 pm their time); they may "
            "be longer"
        )
    return None


class BusinessSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    link_ttl_hours: int = Field(default=12, ge=1, le=72)
    min_notice_hours: int = Field(default=24, ge=0, le=168)
    horizon_days: int = Field(default=14, ge=1, le=60)
    slot_minutes: int = Field(default=30, ge=5, le=240)
    max_openings: int = Field(default=12, ge=1, le=50)
    max_drive_minutes: int = Field(default=30, ge=1, le=240)
    allow_technician_change: bool = False
    buffer_minutes: int = Field(default=0, ge=0, le=120)
    # The offline travel-time model: great-circle km x detour factor, at this average speed.
    drive_detour_factor: float = Field(default=1.3, ge=1.0, le=3.0)
    drive_speed_kmh: float = Field(default=40.0, gt=0, le=150)
    # No texts between these wall-clock times in the customer's (the business's) zone;
    # both None turns quiet hours off.
    quiet_hours_start: time | None = time(21, 0)
    quiet_hours_end: time | None = time(8, 0)
    # The link SMS per language; the link is appended to whatever the template says.
    templates: dict[Language, str] = Field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    # Staff notifications: a Slack channel (id or #name) told of these outcomes; None: off.
    slack_channel: str | None = Field(default=None, pattern=r"^#?[A-Za-z0-9._-]{1,80}$")
    slack_events: tuple[SlackEvent, ...] = ("completed", "failed")
    # When the scheduling provider reports a reason to reschedule (customer canceled,
    # no-show, no access, manual override): suggest it to a dispatcher, or send the link.
    provider_triggers: Literal["suggest", "send"] = "suggest"
    # A number a dispatcher types for an invitation may be in another country than the
    # business's own (off: texts go only to the business's country, no surprise bills).
    text_other_countries: bool = False

    @field_validator("templates")
    @classmethod
    def _usable_templates(cls, value: dict[Language, str]) -> dict[Language, str]:
        if "en" not in value:
            raise ValueError("an English template is required")
        for language, text in value.items():
            if not text.strip() or len(text) > MAX_TEMPLATE_LENGTH:
                raise ValueError(f"the {language} template must have 1 to 1000 characters")
        return value

    def template_for(self, language: str) -> str:
        """The template in `language`, or the English one when there is none."""
        return next((t for k, t in self.templates.items() if k == language), self.templates["en"])


# A provider's kind: one of the provider registry's (reschedule_dispatch/providers).
ProviderKind = str


class ProviderConnection(BaseModel):
    """Which scheduling provider holds the business's appointments, and how to reach it.

    `options` is the provider's own, non-secret configuration (its adapter validates it:
    technicians' calendars, a tenant id...); the credentials are a Secrets Manager secret.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ProviderKind = Field(default="demo", description="A registered provider's kind.")
    secret_arn: str | None = Field(default=None, pattern=r"^arn:aws[\w-]*:secretsmanager:")
    options: dict[str, Any] = Field(default_factory=dict)
    # Who consented when it was connected from Settings (OAuth): "connected as ...".
    account: str | None = Field(default=None, max_length=320)
    # An admin disconnected it: the kind and options stay (reconnecting keeps the crew), the
    # credentials are gone, and every call answers "connect it again" (never another
    # provider's data).
    disconnected: bool = False

    @property
    def name(self) -> str:
        return providers.provider(self.kind).name

    @field_validator("kind")
    @classmethod
    def _registered(cls, value: str) -> str:
        providers.provider(value)  # ValueError naming the known kinds
        return value

    @model_validator(mode="after")
    def _credentials_when_needed(self) -> ProviderConnection:
        if self.disconnected:
            if self.secret_arn:
                raise ValueError("a disconnected connection keeps no credentials")
            return self
        if providers.provider(self.kind).credentials and not self.secret_arn:
            raise ValueError(f"{self.name} needs the ARN of its credentials secret")
        return self


class Business(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1, description="The business number customers see, E.164.")
    time_zone: str
    settings: BusinessSettings = BusinessSettings()
    # Twilio sends through the business's Messaging Service when it has one (sender pools,
    # compliance), else from its number.
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    # The business's verified SendGrid sender; None: customers get no email from it.
    email_from: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # Where its appointments live; the built-in demo provider unless connected to another.
    provider: ProviderConnection = ProviderConnection()

    @property
    def rules(self) -> BusinessSettings:
        """The settings as its scheduling provider can honour them: one that cannot move an
        appointment to another technician offers no technician change, whatever was set."""
        can_move = providers.provider(self.provider.kind).moves_between_technicians
        if self.settings.allow_technician_change and not can_move:
            return self.settings.model_copy(update={"allow_technician_change": False})
        return self.settings

    @property
    def sms_from(self) -> str:
        """What the SMS provider sends from: the Messaging Service, else the number."""
        return self.messaging_service_sid or self.phone

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
