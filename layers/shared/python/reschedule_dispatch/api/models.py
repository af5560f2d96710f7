"""Dispatcher API shapes (the wire), mapped explicitly from the domain models."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from reschedule_dispatch import providers
from reschedule_dispatch.domain.business import (
    Business,
    BusinessSettings,
    Language,
    SlackEvent,
    quiet_hours_problem,
)
from reschedule_dispatch.domain.provider_events import ProviderChange, Suggestion
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import (
    Channel,
    RescheduleSession,
    SessionKind,
    TimelineEvent,
)
from reschedule_dispatch.domain.team import EMAIL_PATTERN, Role, TeamMember

if TYPE_CHECKING:  # not loaded with the models: the openings engine is one route's (cold starts)
    from reschedule_dispatch.services.openings import AppointmentOpenings
    from reschedule_dispatch.services.queries import CustomerWithAppointments
    from reschedule_dispatch.services.schedule import Schedule


def _sms_only() -> list[Channel]:
    return ["sms"]


class CreateSessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appointment_id: str = Field(min_length=1, max_length=128)
    message: str | None = Field(
        default=None,
        max_length=1000,
        description="SMS text; the business's template when omitted. The link is always appended.",
    )
    language: Language = Field(
        default="en", description="The customer's language: the SMS, page and confirmation."
    )
    channels: list[Channel] = Field(
        default_factory=_sms_only,
        min_length=1,
        max_length=2,
        description="How the link reaches the customer: sms, email, or both.",
    )
    send_when_allowed: bool = Field(
        default=False,
        description="During the customer's quiet hours, schedule the link for when they end "
        "(status `scheduled`) instead of answering 409.",
    )


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify_customer: bool = Field(
        default=False, description="Also text the customer that the link no longer works."
    )


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appointment_id: str = Field(min_length=1, max_length=128)
    message: str | None = Field(default=None, max_length=1000)
    language: Language = "en"


class PreviewOut(BaseModel):
    text: str
    link_placeholder: str
    full_text: str
    characters: int
    segments: int
    encoding: str


class BusinessOut(BaseModel):
    id: str
    name: str
    phone: str
    time_zone: str


class MeOut(BaseModel):
    email: str
    role: Role = Field(
        default="dispatcher", description="Only an admin changes settings and the team."
    )
    business: BusinessOut


# A wall-clock time of day in the business's zone, as "HH:MM": JSON Schema's `time` format
# is RFC 3339's, which needs an offset a time of day in "the customer's zone" cannot have.
CLOCK_TIME = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _clock_text(value: object) -> object:
    """Only "HH:MM" (or with seconds): pydantic would also read a number of seconds or an
    offset, which a wall-clock time in the customer's zone has no use for."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if not isinstance(value, str) or not re.fullmatch(CLOCK_TIME, value):
        raise ValueError('a time of day as "HH:MM", e.g. "21:00"')
    return value


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_text),
    PlainSerializer(lambda moment: moment.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CLOCK_TIME,
            "examples": ["21:00"],
        }
    ),
]


class SettingsBody(BaseModel):
    """Every rule a business sets. On PUT, a field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    max_drive_minutes: Literal[15, 30, 45, 60]
    allow_technician_change: bool
    link_ttl_hours: int = Field(ge=1, le=72)
    min_notice_hours: int = Field(ge=0, le=168)
    templates: dict[Language, Annotated[str, Field(min_length=1, max_length=1000)]]
    provider_triggers: Literal["suggest", "send"] = Field(
        default="suggest",
        description="When the scheduling provider reports a reason to reschedule: suggest it "
        "to a dispatcher, or send the link automatically. Left out: unchanged.",
    )
    slot_minutes: int = Field(
        default=30, ge=5, le=240, multiple_of=5, description="Openings start on this grid."
    )
    buffer_minutes: int = Field(
        default=0, ge=0, le=120, description="Free time kept next to other jobs."
    )
    horizon_days: int = Field(default=14, ge=1, le=60, description="How far ahead openings go.")
    max_openings: int = Field(default=12, ge=1, le=50, description="Openings a customer sees.")
    drive_speed_kmh: float = Field(
        default=40.0, ge=5, le=150, description="Average driving speed, for drive times."
    )
    drive_detour_factor: float = Field(
        default=1.3, ge=1.0, le=3.0, description="Road distance ÷ straight-line distance."
    )
    quiet_hours_start: ClockTime | None = Field(
        default=time(21, 0),
        description="No texts from this time (the customer's zone); null with the end: off.",
    )
    quiet_hours_end: ClockTime | None = Field(
        default=time(8, 0), description="…until this time the next morning."
    )
    slack_channel: str | None = Field(
        default=None,
        pattern=r"^#?[A-Za-z0-9._-]{1,80}$",
        description="Where staff hear of outcomes (a channel id or #name); null: off.",
    )
    slack_events: tuple[SlackEvent, ...] = Field(
        default=("completed", "failed"), max_length=2, description="What staff hear about."
    )
    text_other_countries: bool = Field(
        default=False,
        description="A number typed for an invitation may be in another country.",
    )

    @field_validator("templates")
    @classmethod
    def _english_required(cls, value: dict[Language, str]) -> dict[Language, str]:
        if "en" not in value:
            raise ValueError("an English template is required")
        return value

    @field_validator("quiet_hours_end")
    @classmethod
    def _lawful_quiet_hours(cls, end: time | None, info: ValidationInfo) -> time | None:
        start = info.data.get("quiet_hours_start")
        if "quiet_hours_start" in info.data and (problem := quiet_hours_problem(start, end)):
            raise ValueError(problem)
        return end

    @model_validator(mode="after")
    def _both_quiet_hours_or_neither(self) -> SettingsBody:
        # One alone could not be checked against the law's floor: they change together.
        sent = {"quiet_hours_start", "quiet_hours_end"} & self.model_fields_set
        if len(sent) == 1:
            raise ValueError("send quiet_hours_start and quiet_hours_end together")
        return self

    @classmethod
    def of(cls, settings: BusinessSettings) -> SettingsBody:
        # Stored settings are valid already: shown as they are, even from before a rule here.
        return cls.model_construct(**settings.model_dump(include=set(cls.model_fields)))


class SessionCreated(BaseModel):
    id: str
    status: str
    link: str | None = Field(description="None while the link is scheduled.")
    expires_at: AwareDatetime
    scheduled_for: AwareDatetime | None = None
    channels: list[Channel]
    problems: list[str] = Field(
        default_factory=list,
        description="Channels that failed while another carried the link, e.g. a bounced email.",
    )


class TechnicianOut(BaseModel):
    id: str
    name: str


class SessionChip(BaseModel):
    id: str
    status: str
    status_label: str

    @classmethod
    def of(cls, session: RescheduleSession | None) -> SessionChip | None:
        if session is None:
            return None
        return cls(id=session.id, status=session.status.value, status_label=session.status.label)


class AppointmentOut(BaseModel):
    id: str
    service: str
    start: AwareDatetime
    end: AwareDatetime
    technician: TechnicianOut
    session: SessionChip | None = Field(description="The session in progress on it, if any.")

    @classmethod
    def of(
        cls,
        appointment: Appointment,
        technician: Technician,
        session: RescheduleSession | None = None,
    ) -> AppointmentOut:
        return cls(
            id=appointment.id,
            service=appointment.service,
            start=appointment.start,
            end=appointment.end,
            technician=TechnicianOut(id=technician.id, name=technician.name),
            session=SessionChip.of(session),
        )


class CustomerOut(BaseModel):
    id: str
    name: str
    phone: str
    email: str | None = None
    appointments: list[AppointmentOut]

    @classmethod
    def of(cls, found: CustomerWithAppointments) -> CustomerOut:
        return cls(
            id=found.customer.id,
            name=found.customer.name,
            phone=found.customer.phone,
            email=found.customer.email,
            appointments=[
                AppointmentOut.of(a, t, found.sessions.get(a.id)) for a, t in found.appointments
            ],
        )


class TimelineEventOut(BaseModel):
    type: str
    at: AwareDatetime
    actor: str
    detail: str


class SessionOut(BaseModel):
    id: str
    kind: SessionKind = Field(
        default="link", description="A customer's link, or a dispatcher's direct move."
    )
    status: str
    status_label: str
    appointment_id: str
    customer_id: str
    customer_name: str
    customer_phone: str
    customer_email: str | None = None
    channels: list[Channel] = Field(default_factory=_sms_only)
    dispatcher: str
    created_at: AwareDatetime
    expires_at: AwareDatetime
    scheduled_for: AwareDatetime | None = None
    original_start: AwareDatetime
    new_start: AwareDatetime | None
    message: str
    delivery_status: str | None
    failure_reason: str | None
    rules_overridden: list[str] = Field(
        default_factory=list, description="A move's broken rules, allowed by override."
    )
    timeline: list[TimelineEventOut]

    @classmethod
    def of(cls, session: RescheduleSession, timeline: list[TimelineEvent]) -> SessionOut:
        return cls(
            **_session_fields(cls, session),
            timeline=[
                TimelineEventOut(type=e.type, at=e.at, actor=e.actor.value, detail=e.detail)
                for e in timeline
            ],
        )


class SessionSummary(BaseModel):
    """One row of the console's In progress / History tabs."""

    id: str
    kind: SessionKind = "link"
    status: str
    status_label: str
    appointment_id: str
    customer_name: str
    customer_phone: str
    created_at: AwareDatetime
    expires_at: AwareDatetime
    scheduled_for: AwareDatetime | None = None
    original_start: AwareDatetime
    new_start: AwareDatetime | None
    delivery_status: str | None
    last_event_type: str | None
    last_event_at: AwareDatetime | None

    @classmethod
    def of(cls, session: RescheduleSession) -> SessionSummary:
        return cls(**_session_fields(cls, session))


def _session_fields(model: type[BaseModel], session: RescheduleSession) -> dict[str, Any]:
    """What a wire model takes from the session: its fields of the same name, and the
    derived ones (so a new session field reaches every model that names it)."""
    return {
        **session.model_dump(include=set(model.model_fields)),
        "status": session.status.value,
        "status_label": session.status.label,
        "new_start": session.new_opening.start if session.new_opening else None,
    }


class SessionList(BaseModel):
    sessions: list[SessionSummary]
    cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last.")


class OpeningOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    technician_id: str
    technician_name: str
    drive_minutes_before: int
    drive_minutes_after: int
    score: float


class RejectedOut(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    technician_id: str
    technician_name: str
    reason: str


class OpeningsOut(BaseModel):
    """Best first; times in the business's time zone. `rejected` only with ?explain=true."""

    openings: list[OpeningOut]
    rejected: list[RejectedOut] | None = None

    @classmethod
    def of(cls, business: Business, found: AppointmentOpenings, explain: bool) -> OpeningsOut:
        zone = business.zone

        def name(technician_id: str) -> str:
            technician = found.technicians.get(technician_id)
            return technician.name if technician else technician_id

        return cls(
            openings=[
                OpeningOut(
                    start=o.start.astimezone(zone),
                    end=o.end.astimezone(zone),
                    technician_id=o.technician_id,
                    technician_name=name(o.technician_id),
                    drive_minutes_before=o.drive_minutes_before,
                    drive_minutes_after=o.drive_minutes_after,
                    score=o.score,
                )
                for o in found.result.openings
            ],
            rejected=[
                RejectedOut(
                    start=r.start.astimezone(zone),
                    end=r.end.astimezone(zone),
                    technician_id=r.technician_id,
                    technician_name=name(r.technician_id),
                    reason=r.reason,
                )
                for r in found.result.rejected
            ]
            if explain
            else None,
        )


class SuggestionOut(BaseModel):
    """An appointment the scheduling provider says needs a new time (the console's
    Suggested list): review and send a link, or dismiss it."""

    appointment_id: str
    customer_id: str
    customer_name: str
    change: ProviderChange
    reason: str = Field(description="The change in words, e.g. 'Customer canceled'.")
    at: AwareDatetime
    detail: str = Field(description="Why it was not sent automatically, when it was not.")

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionOut:
        return cls(
            appointment_id=suggestion.appointment_id,
            customer_id=suggestion.customer_id,
            customer_name=suggestion.customer_name,
            change=suggestion.change,
            reason=suggestion.reason,
            at=suggestion.at,
            detail=suggestion.detail,
        )


class SuggestionList(BaseModel):
    suggestions: list[SuggestionOut]


class ProviderStatusOut(BaseModel):
    """The settings page's scheduling-provider card."""

    kind: str = Field(description=f"A registered provider's kind: {', '.join(providers.kinds())}.")
    name: str
    state: Literal["connected", "unauthorized", "unavailable"]
    technicians: int = Field(description="Technicians the provider answered with.")
    detail: str = Field(description="What went wrong, when it is not connected.")
    account: str | None = Field(
        default=None, description="Who connected it from Settings (their email), if known."
    )


# --- A dispatcher's direct move (issue 9) ------------------------------------------------

_EMAIL_ADDRESS = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class MoveNotify(BaseModel):
    """How the customer hears of the move: the invitation, with its .ics."""

    model_config = ConfigDict(extra="forbid")

    sms: bool = Field(default=True, description="Text the invitation (with a link to the .ics).")
    email: bool = Field(default=False, description="Email the invitation (the .ics attached).")
    language: Language = "en"
    phone: str | None = Field(
        default=None,
        min_length=7,
        max_length=20,
        description="Text this number instead of the customer's, for this message only.",
    )
    email_address: str | None = Field(
        default=None,
        max_length=254,
        pattern=_EMAIL_ADDRESS,
        description="Email this address instead of the customer's, for this message only.",
    )


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime = Field(description="The new start, with its UTC offset.")
    technician_id: str = Field(min_length=1, max_length=128)
    override: bool = Field(
        default=False,
        description="Move it even if the time breaks the business's rules (they are recorded).",
    )
    notify: MoveNotify = Field(default_factory=MoveNotify)


class MoveCheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime
    technician_id: str = Field(min_length=1, max_length=128)


class MoveCheckOut(BaseModel):
    """A start and technician judged by the rules that decide the customer's openings."""

    start: AwareDatetime
    end: AwareDatetime
    technician: TechnicianOut
    allowed: bool = Field(description="True when no rule is broken: no override needed.")
    broken_rules: list[str] = Field(description='e.g. "drive 52 min > 30 max (from home base)".')


class MoveAccepted(BaseModel):
    session_id: str = Field(description="The move: follow it at GET /api/sessions/{id}.")
    status: str
    start: AwareDatetime
    technician: TechnicianOut
    rules_overridden: list[str]
    canceled_session_id: str | None = Field(
        default=None, description="The customer's open link the move canceled."
    )
    problems: list[str] = Field(
        default_factory=list,
        description="What the invitation will not do (opt-out, quiet hours), said up front.",
    )


class AppointmentTimelineOut(BaseModel):
    appointment_id: str
    sessions: list[SessionOut] = Field(
        description="Every reschedule of the appointment, links and moves, oldest first."
    )


class ScheduleCustomerOut(BaseModel):
    id: str
    name: str
    phone: str
    email: str | None = None


class ScheduleAppointmentOut(BaseModel):
    id: str
    service: str
    start: AwareDatetime
    end: AwareDatetime
    technician_id: str
    address: str = ""
    customer: ScheduleCustomerOut | None
    session: SessionChip | None = Field(description="The session in progress on it, if any.")


class ScheduleOut(BaseModel):
    """Times in the business's time zone; `days` calendar days from `start`."""

    start: date
    days: int
    time_zone: str
    updated_at: AwareDatetime | None = Field(
        description="When the schedule mirror was last in step with the scheduling provider "
        "(null: read from the provider just now)."
    )
    technicians: list[TechnicianOut]
    appointments: list[ScheduleAppointmentOut]

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleOut:
        zone = schedule.business.zone
        return cls(
            start=schedule.first_day,
            days=schedule.days,
            time_zone=schedule.business.time_zone,
            updated_at=schedule.updated_at,
            technicians=[TechnicianOut(id=t.id, name=t.name) for t in schedule.technicians],
            appointments=[
                ScheduleAppointmentOut(
                    id=s.appointment.id,
                    service=s.appointment.service,
                    start=s.appointment.start.astimezone(zone),
                    end=s.appointment.end.astimezone(zone),
                    technician_id=s.appointment.technician_id,
                    address=s.appointment.location.address if s.appointment.location else "",
                    customer=ScheduleCustomerOut(
                        id=s.customer.id,
                        name=s.customer.name,
                        phone=s.customer.phone,
                        email=s.customer.email,
                    )
                    if s.customer
                    else None,
                    session=SessionChip.of(s.session),
                )
                for s in schedule.appointments
            ],
        )


class TeamMemberOut(BaseModel):
    email: str
    role: Role
    added_at: AwareDatetime
    added_by: str = Field(description='Who invited them; "sign-up" for the business\'s founder.')

    @classmethod
    def of(cls, member: TeamMember) -> TeamMemberOut:
        return cls.model_validate(member.model_dump())


class InviteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    role: Role = "dispatcher"


class SignedUp(BaseModel):
    business: BusinessOut
    admin_email: str = Field(description="Where the sign-in instructions were sent.")


# --- Connecting a calendar from Settings (issue 18) ---------------------------------------


class ConnectionStartOut(BaseModel):
    authorization_url: str = Field(
        description="The provider's consent page: send the admin's browser there. Its state "
        "is single use and lasts 10 minutes."
    )


class DisconnectedOut(BaseModel):
    kind: str
    disconnected: bool = Field(description="Always true: every read asks to connect again.")
