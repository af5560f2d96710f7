"""A business using Reschedule Dispatch, and the settings its dispatchers control."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_SMS_TEMPLATE = (
    "Hi {customer_first_name}, {business_name} here. Need a different time for your "
    "{service} on {appointment_time}? Pick a new time:"
)


DRIVE_LIMIT_CHOICES = (15, 30, 45, 60)


class BusinessSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

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
    sms_template: str = Field(default=DEFAULT_SMS_TEMPLATE, min_length=1, max_length=1000)


class Business(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    phone: str = Field(min_length=1, description="The business number customers see, E.164.")
    time_zone: str
    settings: BusinessSettings = BusinessSettings()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
