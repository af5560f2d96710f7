"""Microsoft Outlook calendars as a business's scheduling provider (Microsoft Graph v1.0).

Each technician is a user's (mailbox's) default calendar. Appointments are events whose
single-value extended properties carry the product's fields (see calendar_fields), each
named `String {PROPERTY_SET} Name <field>`, and the events people made that carry a
customer (an attendee, a phone number, a street address: domain/calendar_events.py);
other busy events are blocked time. An appointment's id is its event's immutable id (an
occurrence's own id, for a recurring meeting); its version is the event's @odata.etag,
sent as If-Match on the move.

Calls: calendarView (startDateTime/endDateTime, @odata.nextLink paging), GET and PATCH
/users/{user}/events/{id} (If-Match), /users/{user}/mailboxSettings (working hours when
the config gives none), POST /subscriptions; OAuth2 client credentials (an app with
Calendars.ReadWrite and MailboxSettings.Read application permissions).

Change notifications: a `validationToken` query is the subscription handshake (echoed as
text/plain); every notification must carry our clientState. `updated` → UPDATED, `deleted`
→ CANCELED, with resourceData.id as the appointment id; `created` and lifecycle
notifications change no appointment and are acknowledged.
"""

from __future__ import annotations

import hmac
import json
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from reschedule_dispatch.adapters.calendar_fields import (
    FIELD_NAMES,
    MOVE_KEY,
    AppointmentFields,
    Booking,
    CalendarTechnician,
    appointment_of,
    customers_on,
    expected_first,
    find_technician,
    latest_customer,
    ours,
    rfc3339,
    same_business,
    search,
    unique_technicians,
    upcoming,
)
from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.provider_http import OAuthTokens, ProviderHttp
from reschedule_dispatch.adapters.provider_reads import AppointmentsFromSchedule
from reschedule_dispatch.domain.calendar_events import (
    Attendee,
    CalendarEntry,
    EventAppointment,
    read_event,
)
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderError,
    Unprocessable,
    WebhookRejected,
)
from reschedule_dispatch.domain.ports import Clock, ProviderState
from reschedule_dispatch.domain.provider_events import (
    ProviderChange,
    ProviderEvent,
    WebhookOutcome,
    WebhookReply,
    WebhookRequest,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    Customer,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.session import Opening

PROVIDER = "Microsoft Outlook"
GRAPH_API = "https://graph.microsoft.com/v1.0"
LOGIN_BASE_URL = "https://login.microsoftonline.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# Our property set: the GUID that namespaces the product's extended properties.
PROPERTY_SET = "{5b9f7a52-3c1e-4d7b-9a61-2f0c8e4d3a17}"
# Times in UTC; ids that survive moving an event between folders.
PREFER = 'outlook.timezone="UTC", IdType="ImmutableId"'
CHANGES = {"updated": ProviderChange.UPDATED, "deleted": ProviderChange.CANCELED}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NOT_BLOCKING = frozenset({"free", "workingElsewhere"})
# Outlook's kinds of location that are a place to drive to (picked from its address
# suggestions), as opposed to text, a room or a meeting link.
STREET_LOCATIONS = frozenset(
    {"homeAddress", "businessAddress", "streetAddress", "postalAddress", "geoCoordinates"}
)
# Subscriptions to Outlook events: 4,230 minutes, the longest Graph has granted them (the
# current limit is longer); renewed when less than a day is left, by a job twice a day.
SUBSCRIPTION_LIFETIME = timedelta(minutes=4230)
RENEW_BEFORE = timedelta(days=1)

Event = dict[str, Any]


def property_id(name: str) -> str:
    return f"String {PROPERTY_SET} Name {name}"


EXPAND = "singleValueExtendedProperties($filter={})".format(
    " or ".join(f"id eq '{property_id(name)}'" for name in (*FIELD_NAMES, MOVE_KEY))
)


class GraphTechnician(CalendarTechnician):
    user_id: str = Field(min_length=1, description="the user's id or userPrincipalName")


class MicrosoftGraphConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    business_id: str = Field(min_length=1)
    tenant_id: str = Field(min_length=1, description="the business's Entra ID tenant")
    technicians: tuple[GraphTechnician, ...] = Field(min_length=1)
    # How far around today customer lookups look (a calendar has no customer list).
    search_days: int = Field(default=90, ge=1, le=366)
    # The region of numbers written without a country code in events people made; None:
    # the business number's.
    phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    api_base_url: str = GRAPH_API
    login_base_url: str = LOGIN_BASE_URL

    _unique = field_validator("technicians")(unique_technicians)


class MicrosoftGraphCredentials(BaseModel):
    """The app registration's client credentials, and the clientState our subscriptions
    carry (Graph allows up to 128 characters)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    client_state: SecretStr = Field(min_length=16, max_length=128)


class MicrosoftGraphProvider(AppointmentsFromSchedule):
    def __init__(
        self,
        config: MicrosoftGraphConfig,
        credentials: MicrosoftGraphCredentials,
        state: ProviderState | None = None,
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        business_phone: str | None = None,
    ) -> None:
        login = config.login_base_url.rstrip("/")
        tokens = OAuthTokens(
            f"{login}/{urllib.parse.quote(config.tenant_id, safe='')}/oauth2/v2.0/token",
            {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret.get_secret_value(),
                "scope": GRAPH_SCOPE,
            },
            timeout=timeout,
        )
        self._http = ProviderHttp(
            config.api_base_url,
            tokens,
            provider=PROVIDER,
            headers={"Prefer": PREFER},
            timeout=timeout,
        )
        self._config = config
        self._client_state = credentials.client_state.get_secret_value()
        self._state = state
        self._clock = clock or SystemClock()
        # Mailbox working hours, read once per technician for the life of this adapter.
        self._hours: dict[str, tuple[WorkingHours, ...]] = {}
        self._hours_lock = threading.Lock()
        self._ours = ours(
            config.technicians,
            [t.user_id for t in config.technicians],
            business_phone,
            config.phone_region,
        )

    # Technicians ---------------------------------------------------------------------------

    def technicians(self, business_id: str) -> Sequence[Technician]:
        same_business(self._config.business_id, business_id)
        return [self._with_hours(t) for t in self._config.technicians]

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        same_business(self._config.business_id, business_id)
        return self._with_hours(self._technician(technician_id))

    def _with_hours(self, technician: GraphTechnician) -> Technician:
        """The configured technician; working hours from the mailbox unless configured."""
        configured = technician.technician(self._config.business_id)
        if technician.working_hours:
            return configured
        return configured.model_copy(update={"working_hours": self._mailbox_hours(technician)})

    def _mailbox_hours(self, technician: GraphTechnician) -> tuple[WorkingHours, ...]:
        with self._hours_lock:
            if technician.id in self._hours:
                return self._hours[technician.id]
        settings = _object(self._http.request("GET", f"{_user(technician)}/mailboxSettings")[0])
        hours = _working_hours(settings.get("workingHours"))
        with self._hours_lock:
            self._hours[technician.id] = hours
        return hours

    # Customers -----------------------------------------------------------------------------

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        """Customers with an appointment in the next `search_days` whose name has every word
        of `query`, or whose phone has its digits."""
        same_business(self._config.business_id, business_id)
        if not query.strip():
            return []
        now = self._clock.now()
        return search(self._bookings(now, now + timedelta(days=self._config.search_days)), query)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        """The customer as their latest appointment within `search_days` of today says."""
        same_business(self._config.business_id, business_id)
        now, days = self._clock.now(), timedelta(days=self._config.search_days)
        return latest_customer(self._bookings(now - days, now + days), customer_id)

    # Appointments --------------------------------------------------------------------------

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        """The customer's appointments starting after `after`, within `search_days`."""
        same_business(self._config.business_id, business_id)
        until = after + timedelta(days=self._config.search_days)
        return upcoming(self._bookings(after, until), customer_id, after)

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        same_business(self._config.business_id, business_id)
        for technician in expected_first(self._config.technicians, expected_on):
            try:
                event = self._get(technician, appointment_id)
            except NotFound:
                continue
            appointment = self._appointment(event, technician, self._reading(event))
            if appointment is not None:
                return appointment
        raise NotFound("Appointment not found.")

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        same_business(self._config.business_id, business_id)
        return self.schedule_with_customers(business_id, technician_id, start, end)[0]

    def schedule_with_customers(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> tuple[list[Busy], list[Customer]]:
        """The technician's schedule and the customers its appointments name: one read."""
        same_business(self._config.business_id, business_id)
        technician = self._technician(technician_id)
        busy: list[Busy] = []
        booked: list[tuple[Appointment, EventAppointment]] = []
        for event in self._calendar_view(technician, start, end):
            reading = self._reading(event)  # once per event: the parsing is the cost
            item = self._busy(event, technician, reading)
            if item is None or not item.overlaps(start, end):
                continue
            busy.append(item)
            if isinstance(item, Appointment) and reading is not None:
                booked.append((item, reading))
        return busy, customers_on(booked, self._config.business_id)

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        """PATCHes the event's times with If-Match, recording the idempotency key on it.

        A 412 is our own earlier move when the event carries this key (that move is the
        answer). Graph cannot move an event into another user's calendar, so a change of
        technician is refused rather than faked with a copy under a new id.
        """
        same_business(self._config.business_id, appointment.business_id)
        technician = self._technician(appointment.technician_id)
        if opening.technician_id != appointment.technician_id:
            raise Unprocessable("Outlook appointments cannot move to another technician.")
        body = {
            "start": _graph_time(opening.start),
            "end": _graph_time(opening.end),
            "singleValueExtendedProperties": [
                {"id": property_id(MOVE_KEY), "value": idempotency_key}
            ],
        }
        try:
            event, _ = self._http.request(
                "PATCH",
                _event_path(technician, appointment.id),
                json_body=body,
                headers={"If-Match": str(appointment.version)},
            )
        except (AppointmentChanged, NotFound):
            return self._earlier_move(technician, appointment.id, idempotency_key)
        # PATCH answers the event without its extended properties: the rest is unchanged.
        return appointment.model_copy(
            update={"start": opening.start, "end": opening.end, "version": _etag(_object(event))}
        )

    def _earlier_move(
        self, technician: GraphTechnician, event_id: str, idempotency_key: str
    ) -> Appointment:
        try:
            event = self._get(technician, event_id)
        except NotFound:
            raise AppointmentChanged("The appointment is no longer in Outlook.") from None
        appointment = self._appointment(event, technician, self._reading(event))
        if appointment is None or _properties(event).get(MOVE_KEY) != idempotency_key:
            raise AppointmentChanged("The appointment changed elsewhere.")
        return appointment

    # Change notifications ------------------------------------------------------------------

    def subscribe(
        self, technician_id: str, notification_url: str, expiration: datetime
    ) -> dict[str, Any]:
        """Subscribes `notification_url` to changes of the technician's events (Graph first
        calls it with a validationToken); answers Graph's subscription."""
        technician = self._technician(technician_id)
        body = {
            "changeType": "updated,deleted",
            "notificationUrl": notification_url,
            "resource": f"{_user(technician).lstrip('/')}/events",
            "expirationDateTime": rfc3339(expiration),
            "clientState": self._client_state,
        }
        return _object(self._http.request("POST", "/subscriptions", json_body=body)[0])

    def keep_notified(self, address: str, now: datetime) -> int:
        """Each technician's events have a subscription to `address` that lasts at least
        RENEW_BEFORE more: one about to end is renewed (PATCH), one gone or to another
        address is replaced. Answers how many were created or renewed."""
        if self._state is None:
            raise ValueError("keeping subscriptions needs a ProviderState")
        changed = 0
        for technician in self._config.technicians:
            key = f"graph:subscription:{technician.id}"
            stored = self._state.get(key)
            current: dict[str, Any] = json.loads(stored) if stored else {}
            if (
                current.get("notificationUrl") == address
                and _subscription_end(current) - now > RENEW_BEFORE
            ):
                continue
            expiration = now + SUBSCRIPTION_LIFETIME
            subscription = None
            if current.get("notificationUrl") == address:
                subscription = self._renew(str(current.get("id", "")), expiration)
            if subscription is None:
                subscription = self.subscribe(technician.id, address, expiration)
            self._state.put(key, json.dumps(subscription))
            changed += 1
        return changed

    def _renew(self, subscription_id: str, expiration: datetime) -> dict[str, Any] | None:
        """The subscription with its new end, or None when Graph no longer has it."""
        try:
            answer, _ = self._http.request(
                "PATCH",
                f"/subscriptions/{urllib.parse.quote(subscription_id, safe='')}",
                json_body={"expirationDateTime": rfc3339(expiration)},
            )
        except NotFound:
            return None
        return _object(answer)

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        token = request.query.get("validationToken")
        if token is not None:  # the subscription handshake: echo it, exactly, as text
            return WebhookOutcome(reply=WebhookReply(200, "text/plain", token))
        notifications = _notifications(request.body)
        for notification in notifications:
            self._verify(notification.get("clientState"))
        events = [self._event(n) for n in notifications if n.get("changeType") in CHANGES]
        return WebhookOutcome(events=tuple(events))

    def _verify(self, client_state: object) -> None:
        if not isinstance(client_state, str) or not client_state:
            raise WebhookRejected("The notification has no clientState.", status=401)
        if not hmac.compare_digest(client_state.encode(), self._client_state.encode()):
            raise WebhookRejected("The notification's clientState is wrong.", status=403)

    def _event(self, notification: Mapping[str, Any]) -> ProviderEvent:
        data = notification.get("resourceData")
        data = data if isinstance(data, Mapping) else {}
        event_id = data.get("id")
        if not isinstance(event_id, str) or not event_id:
            raise ProviderError("A Graph change notification has no resourceData.id.")
        change_type = str(notification["changeType"])
        # Graph's notification id when it sends one; else what identifies this change.
        notification_id = notification.get("id") or ":".join(
            (
                str(notification.get("subscriptionId")),
                change_type,
                event_id,
                str(data.get("@odata.etag", "")),
            )
        )
        return ProviderEvent(
            business_id=self._config.business_id,
            appointment_id=event_id,
            change=CHANGES[change_type],
            event_id=f"graph:{notification_id}",
        )

    # Internals -----------------------------------------------------------------------------

    def _technician(self, technician_id: str) -> GraphTechnician:
        return find_technician(self._config.technicians, technician_id)

    def _bookings(self, start: datetime, end: datetime) -> list[Booking]:
        """The scheduled appointments in [start, end) in every technician's calendar."""
        bookings = []
        for technician in self._config.technicians:
            for event in self._calendar_view(technician, start, end):
                reading = self._reading(event)
                appointment = self._appointment(event, technician, reading)
                if appointment and reading and appointment.status == "scheduled":
                    bookings.append((appointment, reading.customer_in(self._config.business_id)))
        return bookings

    def _calendar_view(
        self, technician: GraphTechnician, start: datetime, end: datetime
    ) -> list[Event]:
        """Every event (occurrences of series included) overlapping [start, end)."""
        events: list[Event] = []
        page = _object(
            self._http.request(
                "GET",
                f"{_user(technician)}/calendar/calendarView",
                query={
                    "startDateTime": rfc3339(start),
                    "endDateTime": rfc3339(end),
                    "$top": 100,
                    "$expand": EXPAND,
                },
            )[0]
        )
        while True:
            events.extend(_object(item) for item in page.get("value", []))
            next_link = page.get("@odata.nextLink")
            if not isinstance(next_link, str) or not next_link:
                return events
            page = _object(self._http.request("GET", next_link)[0])

    def _get(self, technician: GraphTechnician, event_id: str) -> Event:
        path = _event_path(technician, event_id)
        return _object(self._http.request("GET", path, query={"$expand": EXPAND})[0])

    def _reading(self, event: Event) -> EventAppointment | None:
        """What the event says of an appointment: the product's fields when it has them (a
        malformed one is a ProviderError, not blocked time), else what people wrote in it."""
        fields = _fields(event)
        if fields is not None:
            return fields.reading(_address(event))
        return read_event(_entry(event), self._ours)

    def _appointment(
        self, event: Event, technician: GraphTechnician, reading: EventAppointment | None
    ) -> Appointment | None:
        """The event as an appointment (`reading`: what it says of one), or None when it is
        not one."""
        if reading is None:
            return None
        event_id = str(event.get("id"))
        try:
            return appointment_of(
                reading,
                event_id=event_id,
                business_id=self._config.business_id,
                technician_id=technician.id,
                start=_time(event["start"]),
                end=_time(event["end"]),
                canceled=bool(event.get("isCancelled")),
                version=_etag(event),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderError(f"Outlook event {event_id} cannot be read.") from error

    def _busy(
        self, event: Event, technician: GraphTechnician, reading: EventAppointment | None
    ) -> Busy | None:
        """An appointment, blocked time, or nothing (cancelled, or shown as free)."""
        if event.get("isCancelled") or event.get("showAs") in NOT_BLOCKING:
            return None
        appointment = self._appointment(event, technician, reading)
        if appointment is not None:
            return appointment
        event_id = str(event.get("id"))
        try:
            return BlockedTime(
                id=event_id,
                business_id=self._config.business_id,
                technician_id=technician.id,
                start=_time(event["start"]),
                end=_time(event["end"]),
                reason=str(event.get("subject") or ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderError(f"Outlook event {event_id} cannot be read.") from error


def _subscription_end(subscription: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(subscription["expirationDateTime"]))
    except (KeyError, ValueError):
        return datetime.min.replace(tzinfo=UTC)  # unknown: renew


def _user(technician: GraphTechnician) -> str:
    return f"/users/{urllib.parse.quote(technician.user_id, safe='@')}"


def _event_path(technician: GraphTechnician, event_id: str) -> str:
    return f"{_user(technician)}/events/{urllib.parse.quote(event_id, safe='')}"


def _properties(event: Event) -> dict[str, str]:
    """Our extended properties by field name (Graph answers only those we $expand)."""
    prefix = property_id("").lower()
    found = {}
    for item in event.get("singleValueExtendedProperties") or []:
        if isinstance(item, Mapping) and str(item.get("id", "")).lower().startswith(prefix):
            found[str(item["id"])[len(prefix) :]] = str(item.get("value", ""))
    return found


def _fields(event: Event) -> AppointmentFields | None:
    return AppointmentFields.read(_properties(event), f"Outlook event {event.get('id')}")


def _address(event: Event) -> str:
    """The location's text; for a place picked from Outlook's suggestions without one, its
    street address's parts."""
    location = event.get("location")
    if not isinstance(location, Mapping):
        return ""
    shown = location.get("displayName")
    if isinstance(shown, str) and shown.strip():
        return shown
    address = location.get("address")
    if not isinstance(address, Mapping):
        return ""
    parts = ("street", "city", "state", "postalCode", "countryOrRegion")
    return ", ".join(
        str(address[p]) for p in parts if isinstance(address.get(p), str) and address[p]
    )


def _entry(event: Event) -> CalendarEntry:
    """An event people made, as the reader of such events takes it (Graph v1.0's
    `attendees[].emailAddress`, `organizer`, `location`, `body` (HTML, or text), `isAllDay`;
    a series itself is `type: seriesMaster`, its occurrences carry `seriesMasterId`; a
    Teams or other online meeting, `isOnlineMeeting`)."""
    location = event.get("location")
    location = location if isinstance(location, Mapping) else {}
    body = event.get("body")
    content = body.get("content") if isinstance(body, Mapping) else None
    organizer = event.get("organizer")
    return CalendarEntry(
        summary=_string(event.get("subject")),
        location=_address(event),
        description=_string(content) or _string(event.get("bodyPreview")),
        attendees=tuple(
            _attendee(a) for a in event.get("attendees") or [] if isinstance(a, Mapping)
        ),
        organizer=_email_of(organizer.get("emailAddress"))
        if isinstance(organizer, Mapping)
        else "",
        all_day=event.get("isAllDay") is True,
        series=event.get("type") == "seriesMaster",
        coordinates=_coordinates(location.get("coordinates")),
        street_address=location.get("locationType") in STREET_LOCATIONS,
        online_meeting=event.get("isOnlineMeeting") is True or bool(event.get("onlineMeeting")),
    )


def _attendee(attendee: Mapping[str, Any]) -> Attendee:
    address = attendee.get("emailAddress")
    name = address.get("name") if isinstance(address, Mapping) else None
    return Attendee(
        email=_email_of(address),
        name=_string(name),
        resource=attendee.get("type") == "resource",
    )


def _email_of(address: object) -> str:
    return _string(address.get("address")) if isinstance(address, Mapping) else ""


def _coordinates(value: object) -> tuple[float, float] | None:
    """outlookGeoCoordinates' latitude and longitude, when both are numbers on Earth (0, 0
    is what a place never located carries)."""
    if not isinstance(value, Mapping):
        return None
    point = (value.get("latitude"), value.get("longitude"))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in point):
        return None
    lat, lon = float(point[0]), float(point[1])  # type: ignore[arg-type]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0.0, 0.0):
        return None
    return lat, lon


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Mapping[str, str]) -> datetime:
    """A dateTimeTimeZone in UTC (we ask for UTC with Prefer: outlook.timezone)."""
    if value.get("timeZone", "UTC") != "UTC":
        raise ValueError(f"expected UTC, got {value.get('timeZone')}")
    moment = datetime.fromisoformat(value["dateTime"])
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _graph_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _etag(event: Event) -> str:
    etag = event.get("@odata.etag")
    if not isinstance(etag, str) or not etag:
        raise ProviderError("Outlook sent an event without its @odata.etag.")
    return etag


def _working_hours(settings: object) -> tuple[WorkingHours, ...]:
    """mailboxSettings.workingHours as the product's hours, read as the business's local
    times (the mailbox's time zone is taken to be the business's)."""
    if not isinstance(settings, Mapping):
        return ()
    try:
        start = time.fromisoformat(str(settings["startTime"])[:8])
        end = time.fromisoformat(str(settings["endTime"])[:8])
        days = [WEEKDAYS.index(str(day).lower()) for day in settings.get("daysOfWeek", [])]
        return tuple(WorkingHours(weekday=day, start=start, end=end) for day in sorted(days))
    except (KeyError, ValueError) as error:
        raise ProviderError("Outlook sent working hours we cannot read.") from error


def _notifications(body: bytes) -> list[Mapping[str, Any]]:
    """The notifications of a POST; a body that is not Graph's shape carries no clientState
    and is refused as unauthenticated."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    value = parsed.get("value") if isinstance(parsed, dict) else None
    if not isinstance(value, list) or not value or not all(isinstance(n, dict) for n in value):
        raise WebhookRejected("Not a Graph change notification.", status=401)
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderError("Outlook answered with something that is not an object.")
    return value
