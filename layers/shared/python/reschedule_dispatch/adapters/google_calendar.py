"""Google Calendar as a business's scheduling provider (Calendar API v3, one business).

Each technician is a calendar (configured with the hours, home base and services Google
does not know). Appointments are events whose private extended properties carry the
product's fields (see calendar_fields), and the events people made that carry a customer
(an attendee, a phone number, a street address: domain/calendar_events.py); other busy
events are blocked time. An appointment's id is its event id (a recurring event's
instance id), which events.move keeps, and its version is the event's ETag, sent as
If-Match on the move.

Calls: events.list (timeMin/timeMax, singleEvents, orderBy=startTime, pageToken,
privateExtendedProperty, q, syncToken), events.get, events.patch (If-Match), events.move
(another technician's calendar), events.watch; OAuth2 refresh-token grant for access.

Push notifications carry no data: a verified `exists` notification runs an incremental
sync of that channel's calendar from its stored sync token. A stale token (410 Gone)
forces a full sync of upcoming events, and then every appointment in it is reported as
UPDATED (we cannot tell what changed; the product compares versions).
"""

from __future__ import annotations

import hmac
import json
import logging
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from reschedule_dispatch.adapters.calendar_fields import (
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
    is_derived,
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
    WebhookRequest,
)
from reschedule_dispatch.domain.scheduling import (
    Appointment,
    BlockedTime,
    Busy,
    Customer,
    Technician,
)
from reschedule_dispatch.domain.session import Opening

logger = logging.getLogger(__name__)

PROVIDER = "Google Calendar"
GOOGLE_CALENDAR_API = "https://www.googleapis.com/calendar/v3"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105  # a URL, not a secret

Event = dict[str, Any]

# Push channels: asked for a week (Google may grant less: the answer's expiration counts),
# replaced when less than two days are left; the renewal job runs twice a day.
CHANNEL_LIFETIME = timedelta(days=7)
RENEW_BEFORE = timedelta(days=2)
# Event types people make that may be a job; the others (out of office, focus time, working
# location, birthdays, events Gmail made from mail) are never read as appointments.
JOB_EVENT_TYPES = frozenset({"default"})


class GoogleTechnician(CalendarTechnician):
    calendar_id: str = Field(min_length=1, description="e.g. the calendar's address")


class GoogleCalendarConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    business_id: str = Field(min_length=1)
    technicians: tuple[GoogleTechnician, ...] = Field(min_length=1)
    # How far ahead customer search looks (a calendar has no customer list); a customer
    # read from events people made is looked up this far either side of today.
    search_days: int = Field(default=90, ge=1, le=366)
    # The region of numbers written without a country code in events people made; None:
    # the business number's.
    phone_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    api_base_url: str = GOOGLE_CALENDAR_API
    token_url: str = GOOGLE_TOKEN_URL

    _unique = field_validator("technicians")(unique_technicians)


class GoogleCalendarCredentials(BaseModel):
    """The OAuth client and the user's refresh token (calendar scope), and the secret
    our watch channels carry as their token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    channel_token: SecretStr = Field(min_length=16)


class GoogleCalendarProvider(AppointmentsFromSchedule):
    def __init__(
        self,
        config: GoogleCalendarConfig,
        credentials: GoogleCalendarCredentials,
        state: ProviderState,
        *,
        clock: Clock | None = None,
        timeout: float = 10.0,
        business_phone: str | None = None,
    ) -> None:
        tokens = OAuthTokens(
            config.token_url,
            {
                "grant_type": "refresh_token",
                "refresh_token": credentials.refresh_token.get_secret_value(),
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret.get_secret_value(),
            },
            timeout=timeout,
        )
        self._http = ProviderHttp(config.api_base_url, tokens, provider=PROVIDER, timeout=timeout)
        self._config = config
        self._channel_token = credentials.channel_token.get_secret_value()
        self._state = state
        self._clock = clock or SystemClock()
        self._ours = ours(
            config.technicians,
            [t.calendar_id for t in config.technicians],
            business_phone,
            config.phone_region,
        )

    # Technicians ---------------------------------------------------------------------------

    def technicians(self, business_id: str) -> Sequence[Technician]:
        same_business(self._config.business_id, business_id)
        return [t.technician(business_id) for t in self._config.technicians]

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        same_business(self._config.business_id, business_id)
        return self._technician(technician_id).technician(business_id)

    # Customers -----------------------------------------------------------------------------

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        """Customers with an appointment in the next `search_days` whose name has every word
        of `query`, or whose phone has its digits.

        Matched here, not with Google's q: q searches titles, descriptions and attendees,
        never extended properties, so it would miss customers an event's title leaves out.
        """
        same_business(self._config.business_id, business_id)
        if not query.strip():
            return []
        now = self._clock.now()
        window = {
            "timeMin": rfc3339(now),
            "timeMax": rfc3339(now + timedelta(days=self._config.search_days)),
        }
        return search(self._bookings(window), query)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        same_business(self._config.business_id, business_id)
        return latest_customer(self._bookings(self._customer_query(customer_id)), customer_id)

    # Appointments --------------------------------------------------------------------------

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        same_business(self._config.business_id, business_id)
        query = {**self._customer_query(customer_id, after), "timeMin": rfc3339(after)}
        return upcoming(self._bookings(query), customer_id, after)

    def _customer_query(self, customer_id: str, after: datetime | None = None) -> dict[str, str]:
        """A customer's events: by the product's property, or, for a customer read from
        events people made (no property to filter on), every event within `search_days`
        of today (after `after`, when given)."""
        if not is_derived(customer_id):
            return _customer_filter(customer_id)
        now, days = self._clock.now(), timedelta(days=self._config.search_days)
        start = after if after is not None else now - days
        return {"timeMin": rfc3339(start), "timeMax": rfc3339(max(start, now) + days)}

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        same_business(self._config.business_id, business_id)
        technician, event = self._locate(appointment_id, expected_on)
        appointment = self._appointment(event, technician, self._reading(event))
        if appointment is None:
            raise NotFound("Appointment not found.")
        return appointment

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
        window = {"timeMin": rfc3339(start), "timeMax": rfc3339(end)}
        events, last_page = self._list(technician, _ordered(window))
        zone = _zone(last_page.get("timeZone"))
        busy: list[Busy] = []
        booked: list[tuple[Appointment, EventAppointment]] = []
        for event in events:
            reading = self._reading(event)  # once per event: the parsing is the cost
            item = self._busy(event, technician, zone, reading)
            if item is None or not item.overlaps(start, end):
                continue
            busy.append(item)
            if isinstance(item, Appointment) and reading is not None:
                booked.append((item, reading))
        return busy, customers_on(booked, self._config.business_id)

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        """PATCHes the event's times with If-Match (the concurrency check), recording the
        idempotency key on it; then, for another technician, events.move to their calendar.

        A 412 (or a 404: the event left the calendar) is our own earlier move when the event
        carries this key, which a repeated call then completes and returns.
        """
        same_business(self._config.business_id, appointment.business_id)
        source = self._technician(appointment.technician_id)
        target = self._technician(opening.technician_id)
        if target.id != source.id:
            self._check_movable(source, appointment.id)
        try:
            event = self._patch(source, appointment, opening, idempotency_key)
            where = source
        except (AppointmentChanged, NotFound):
            where, event = self._earlier_move(appointment.id, idempotency_key)
        if where.id != target.id:
            event = self._move_to(where, target, appointment.id)
            where = target
        moved = self._appointment(event, where, self._reading(event))
        if moved is None:
            raise ProviderError("Google Calendar returned the moved event without its fields.")
        return moved

    def _check_movable(self, source: GoogleTechnician, event_id: str) -> None:
        """Google moves no single instance of a recurring event to another calendar: refused
        before the PATCH, so the appointment is not left at its new time in the old one."""
        try:
            event = self._get(source, event_id)
        except NotFound:
            return  # moved already, or gone: the move's own reads say which
        if event.get("recurringEventId"):
            raise Unprocessable(
                "One occurrence of a recurring Google Calendar event cannot move to another "
                "technician."
            )

    # Push notifications --------------------------------------------------------------------

    def watch(
        self,
        technician_id: str,
        address: str,
        channel_id: str,
        *,
        expiration: datetime | None = None,
    ) -> dict[str, Any]:
        """Opens a push channel on the technician's calendar (events.watch) to `address`.

        The calendar's sync token is taken first, so the first notification only reports
        what changed after this call. Answers Google's channel (id, resourceId, expiration).
        """
        technician = self._technician(technician_id)
        if self._state.get(_sync_key(technician)) is None:
            _, last_page = self._sync_from_scratch(technician)
            self._state.put(_sync_key(technician), _sync_token(last_page))
        body: dict[str, Any] = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": self._channel_token,
        }
        if expiration is not None:
            body["expiration"] = str(int(expiration.timestamp() * 1000))
        channel, _ = self._http.request(
            "POST", f"/calendars/{_quote(technician.calendar_id)}/events/watch", json_body=body
        )
        self._state.put(_channel_key(channel_id), technician.id)
        return _object(channel)

    def keep_notified(self, address: str, now: datetime) -> int:
        """Each technician's calendar has a push channel to `address` that lasts at least
        RENEW_BEFORE more: a channel about to end (or to another address) is replaced by a new
        one, then stopped. Answers how many channels were opened."""
        opened = 0
        for technician in self._config.technicians:
            key = _watch_key(technician)
            stored = self._state.get(key)
            current: dict[str, Any] = json.loads(stored) if stored else {}
            expires = _expiration(current)
            if current.get("address") == address and expires - now > RENEW_BEFORE:
                continue
            channel = self.watch(
                technician.id, address, uuid.uuid4().hex, expiration=now + CHANNEL_LIFETIME
            )
            self._state.put(key, json.dumps({**channel, "address": address}))
            opened += 1
            if current:
                self._stop(current)
        return opened

    def _stop(self, channel: Mapping[str, Any]) -> None:
        """Best effort: an old channel that is already gone, or never stops, only doubles a
        notification, and every notification is handled idempotently."""
        try:
            self._http.request(
                "POST",
                "/channels/stop",
                json_body={"id": channel.get("id"), "resourceId": channel.get("resourceId")},
            )
        except ProviderError as error:
            logger.info("Google channel %s not stopped: %s", channel.get("id"), error)

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        """Verifies X-Goog-Channel-Token; an `exists` message syncs the channel's calendar
        and reports its changed appointments (a `sync` message only opens the channel)."""
        self._verify(request.headers.get("x-goog-channel-token"))
        if request.headers.get("x-goog-resource-state") != "exists":
            return WebhookOutcome()
        channel_id = request.headers.get("x-goog-channel-id", "")
        technician_id = self._state.get(_channel_key(channel_id))
        if technician_id is None:
            # Authentic but not one we opened (or its record is gone): nothing to sync.
            logger.warning("Google push for unknown channel %s", channel_id)
            return WebhookOutcome()
        technician = self._technician(technician_id)
        return WebhookOutcome(events=tuple(self._changes(technician)))

    def _verify(self, token: str | None) -> None:
        if not token:
            raise WebhookRejected("The notification has no channel token.", status=401)
        if not hmac.compare_digest(token.encode(), self._channel_token.encode()):
            raise WebhookRejected("The notification's channel token is wrong.", status=403)

    def _changes(self, technician: GoogleTechnician) -> list[ProviderEvent]:
        """What changed on the calendar since its stored sync token; the new token is stored
        once every change is read (a failure leaves the old one to try again)."""
        events, last_page = self._sync_since_token(technician) or self._sync_from_scratch(
            technician
        )
        changes = [self._change(event, technician) for event in events]
        self._state.put(_sync_key(technician), _sync_token(last_page))
        return [change for change in changes if change is not None]

    def _sync_since_token(self, technician: GoogleTechnician) -> tuple[list[Event], Event] | None:
        token = self._state.get(_sync_key(technician))
        if not token:
            return None
        try:
            return self._list(technician, {"singleEvents": "true", "syncToken": token})
        except NotFound:  # 410 Gone: Google invalidated the token; a full sync starts over
            logger.info("Google sync token for technician %s is stale: full sync", technician.id)
            return None

    def _sync_from_scratch(self, technician: GoogleTechnician) -> tuple[list[Event], Event]:
        """A full sync of the upcoming events (its last page has the new sync token)."""
        query = {"singleEvents": "true", "timeMin": rfc3339(self._clock.now())}
        return self._list(technician, query)

    def _change(self, event: Event, technician: GoogleTechnician) -> ProviderEvent | None:
        event_id = _text(event, "id")
        if event.get("status") == "cancelled":
            # Gone from this calendar: deleted, or moved to another technician's calendar
            # (by us or by hand), which changed the appointment but did not cancel it.
            moved = self._booked_elsewhere(event_id, technician)
            change = ProviderChange.UPDATED if moved else ProviderChange.CANCELED
        elif self._reading(event) is not None:
            change = ProviderChange.UPDATED
        else:
            return None  # blocked time
        return ProviderEvent(
            business_id=self._config.business_id,
            appointment_id=event_id,
            change=change,
            event_id=f"google:{event_id}:{event.get('etag') or event.get('updated') or 'gone'}",
            occurred_at=_instant(event.get("updated")),
        )

    def _booked_elsewhere(self, event_id: str, here: GoogleTechnician) -> bool:
        for technician in self._config.technicians:
            if technician.id == here.id:
                continue
            try:
                event = self._get(technician, event_id)
            except NotFound:
                continue
            if event.get("status") != "cancelled":
                return True
        return False

    # Internals -----------------------------------------------------------------------------

    def _technician(self, technician_id: str) -> GoogleTechnician:
        return find_technician(self._config.technicians, technician_id)

    def _bookings(self, query: Mapping[str, str]) -> list[Booking]:
        """The scheduled appointments the query finds in every technician's calendar."""
        bookings = []
        for technician in self._config.technicians:
            for event in self._list(technician, _ordered(query))[0]:
                reading = self._reading(event)
                appointment = self._appointment(event, technician, reading)
                if appointment and reading and appointment.status == "scheduled":
                    bookings.append((appointment, reading.customer_in(self._config.business_id)))
        return bookings

    def _list(
        self, technician: GoogleTechnician, query: Mapping[str, str]
    ) -> tuple[list[Event], Event]:
        """Every page of events.list; answers the events and the last page (nextSyncToken,
        timeZone)."""
        path = f"/calendars/{_quote(technician.calendar_id)}/events"
        events: list[Event] = []
        page_query = dict(query)
        while True:
            page = _object(self._http.request("GET", path, query=page_query)[0])
            events.extend(_object(item) for item in page.get("items", []))
            if not page.get("nextPageToken"):
                return events, page
            page_query["pageToken"] = str(page["nextPageToken"])

    def _get(self, technician: GoogleTechnician, event_id: str) -> Event:
        path = f"/calendars/{_quote(technician.calendar_id)}/events/{_quote(event_id)}"
        return _object(self._http.request("GET", path)[0])

    def _locate(
        self, event_id: str, expected_on: str | None = None
    ) -> tuple[GoogleTechnician, Event]:
        """The calendar that has the event, the expected technician's first; a live copy
        wins over a cancelled one (an event moved away leaves a cancelled copy behind)."""
        found: tuple[GoogleTechnician, Event] | None = None
        for technician in expected_first(self._config.technicians, expected_on):
            try:
                event = self._get(technician, event_id)
            except NotFound:
                continue
            if event.get("status") != "cancelled":
                return technician, event
            found = found or (technician, event)
        if found is None:
            raise NotFound("Appointment not found.")
        return found

    def _patch(
        self,
        technician: GoogleTechnician,
        appointment: Appointment,
        opening: Opening,
        idempotency_key: str,
    ) -> Event:
        # Patch merges nested objects: the event's other private properties stay as they are.
        body = {
            "start": {"dateTime": opening.start.isoformat()},
            "end": {"dateTime": opening.end.isoformat()},
            "extendedProperties": {"private": {MOVE_KEY: idempotency_key}},
        }
        path = f"/calendars/{_quote(technician.calendar_id)}/events/{_quote(appointment.id)}"
        event, _ = self._http.request(
            "PATCH", path, json_body=body, headers={"If-Match": str(appointment.version)}
        )
        return _object(event)

    def _earlier_move(self, event_id: str, idempotency_key: str) -> tuple[GoogleTechnician, Event]:
        try:
            technician, event = self._locate(event_id)
        except NotFound:
            raise AppointmentChanged("The appointment is no longer in Google Calendar.") from None
        if _private(event).get(MOVE_KEY) != idempotency_key or event.get("status") == "cancelled":
            raise AppointmentChanged("The appointment changed elsewhere.")
        return technician, event

    def _move_to(self, source: GoogleTechnician, target: GoogleTechnician, event_id: str) -> Event:
        path = f"/calendars/{_quote(source.calendar_id)}/events/{_quote(event_id)}/move"
        event, _ = self._http.request("POST", path, query={"destination": target.calendar_id})
        return _object(event)

    def _reading(self, event: Event) -> EventAppointment | None:
        """What the event says of an appointment: the product's fields when it has them (a
        malformed one is a ProviderError, not blocked time), else what people wrote in it."""
        fields = _fields(event)
        if fields is not None:
            return fields.reading(_address(event))
        if event.get("eventType", "default") not in JOB_EVENT_TYPES:
            return None
        return read_event(_entry(event), self._ours)

    def _appointment(
        self,
        event: Event,
        technician: GoogleTechnician,
        reading: EventAppointment | None,
    ) -> Appointment | None:
        """The event as an appointment (`reading`: what it says of one), or None when it is
        not one (blocked or all-day)."""
        if reading is None or "dateTime" not in event.get("start", {}):
            return None
        event_id = _text(event, "id")
        try:
            return appointment_of(
                reading,
                event_id=event_id,
                business_id=self._config.business_id,
                technician_id=technician.id,
                start=_time(event["start"], UTC),
                end=_time(event["end"], UTC),
                canceled=event.get("status") == "cancelled",
                version=_text(event, "etag"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderError(f"Google Calendar event {event_id} cannot be read.") from error

    def _busy(
        self,
        event: Event,
        technician: GoogleTechnician,
        zone: tzinfo,
        reading: EventAppointment | None,
    ) -> Busy | None:
        """What the event makes of the technician's time: an appointment, blocked time, or
        nothing (cancelled, or marked free)."""
        if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
            return None
        appointment = self._appointment(event, technician, reading)
        if appointment is not None:
            return appointment
        event_id = _text(event, "id")
        try:
            return BlockedTime(
                id=event_id,
                business_id=self._config.business_id,
                technician_id=technician.id,
                start=_time(event["start"], zone),
                end=_time(event["end"], zone),
                reason=str(event.get("summary", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderError(f"Google Calendar event {event_id} cannot be read.") from error


def _ordered(query: Mapping[str, str]) -> dict[str, str]:
    """Recurring events expanded into instances, by start time (orderBy needs singleEvents)."""
    return {**query, "singleEvents": "true", "orderBy": "startTime"}


def _customer_filter(customer_id: str) -> dict[str, str]:
    return {"privateExtendedProperty": f"customer_id={customer_id}"}


def _private(event: Event) -> Mapping[str, str]:
    properties = event.get("extendedProperties", {}).get("private", {})
    return properties if isinstance(properties, Mapping) else {}


def _address(event: Event) -> str:
    return str(event.get("location") or "")


def _fields(event: Event) -> AppointmentFields | None:
    return AppointmentFields.read(_private(event), f"Google Calendar event {event.get('id')}")


def _entry(event: Event) -> CalendarEntry:
    """An event people made, as the reader of such events takes it (Calendar API v3's
    `attendees`, `organizer`, `location`, `description`; `start.date` for all-day; the
    series itself carries `recurrence`, its instances `recurringEventId`; a Meet or other
    conference, `conferenceData` or `hangoutLink`)."""
    organizer = event.get("organizer")
    start = event.get("start")
    return CalendarEntry(
        summary=_string(event.get("summary")),
        location=_string(event.get("location")),
        description=_string(event.get("description")),
        attendees=tuple(
            Attendee(
                email=_string(a.get("email")),
                name=_string(a.get("displayName")),
                is_self=a.get("self") is True,
                organizer=a.get("organizer") is True,
                resource=a.get("resource") is True,
            )
            for a in event.get("attendees") or []
            if isinstance(a, Mapping)
        ),
        organizer=_string(organizer.get("email")) if isinstance(organizer, Mapping) else "",
        all_day=isinstance(start, Mapping) and "dateTime" not in start,
        series=bool(event.get("recurrence")),
        online_meeting=bool(event.get("conferenceData") or event.get("hangoutLink")),
    )


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _time(value: Mapping[str, str], zone: tzinfo) -> datetime:
    """An event's start or end: a dateTime (RFC 3339), or an all-day date in `zone`."""
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=_zone(value.get("timeZone")))
    return datetime.combine(date.fromisoformat(value["date"]), time(), zone)


def _zone(name: object) -> tzinfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _instant(value: object) -> datetime | None:
    try:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        )
    except ValueError:
        return None


def _text(event: Event, key: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value:
        raise ProviderError(f"Google Calendar sent an event without its {key}.")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderError("Google Calendar answered with something that is not an object.")
    return value


def _sync_token(page: Event) -> str:
    token = page.get("nextSyncToken")
    if not isinstance(token, str) or not token:
        raise ProviderError("Google Calendar's last page has no nextSyncToken.")
    return token


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _sync_key(technician: GoogleTechnician) -> str:
    return f"google:sync-token:{technician.calendar_id}"


def _channel_key(channel_id: str) -> str:
    return f"google:channel:{channel_id}"


def _watch_key(technician: GoogleTechnician) -> str:
    return f"google:watch:{technician.calendar_id}"


def _expiration(channel: Mapping[str, Any]) -> datetime:
    """A channel's end (Google gives milliseconds since the epoch, as a string)."""
    try:
        return datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)  # unknown: renew
