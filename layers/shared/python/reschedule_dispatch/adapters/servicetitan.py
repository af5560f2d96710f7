"""ServiceTitan as the scheduling provider of one business (one ServiceTitan tenant).

Built from ServiceTitan's API v2 documentation (developer.servicetitan.io); docs/providers.md
(ServiceTitan) maps the concepts and lists every endpoint called. In short:

* auth: OAuth2 client credentials at auth.servicetitan.io (900 s tokens), the app's
  `ST-App-Key` header on every call, the tenant id in every path;
* customers: CRM customers (searched by `name` or `phone`) and their contacts;
* appointments: JPM appointments with their job (job type → service, location → where);
  who does them: dispatch appointment assignments;
* technicians: settings technicians; working hours from dispatch technician shifts;
  blocked time: non-job appointments and time-off shifts;
* a move: `PATCH jpm/.../appointments/{id}/reschedule`, then assign/unassign technicians
  when the technician changes.

ServiceTitan has no If-Match, so the version of an appointment is its `modifiedOn` plus its
assigned technicians, and a move re-reads, compares, then writes (see `move_appointment` for
the window that leaves). Webhooks are verified with the app's HMAC key and normalized to
`ProviderEvent`s; the reason rules below turn hold and cancel reasons into trigger conditions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.provider_http import OAuthTokens, ProviderHttp, Query
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderError,
    Unprocessable,
    WebhookRejected,
)
from reschedule_dispatch.domain.phones import to_e164
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
    Location,
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.session import Opening

PROVIDER = "ServiceTitan"
ENVIRONMENTS = {
    "production": ("https://api.servicetitan.io", "https://auth.servicetitan.io/connect/token"),
    "integration": (
        "https://api-integration.servicetitan.io",
        "https://auth-integration.servicetitan.io/connect/token",
    ),
}
# The webhook signature header. ServiceTitan documents an HMAC of the payload "sent in the
# request header" without naming it in the public pages; this is the name integrations use.
SIGNATURE_HEADER = "X-ServiceTitan-Signature"

PAGE_SIZE = 200
MAX_PAGES = 50  # 10,000 records: more than one call of ours should ever need
MAX_IDS = 50  # "Perform lookup by multiple IDs (maximum 50)"
SEARCH_LIMIT = 10  # each match costs two more calls (contacts, locations)
# Shifts this far ahead say which weekdays and hours a technician works.
SHIFT_HORIZON_DAYS = 14
# Nothing on a technician's day lasts longer, so whatever overlaps a window starts after
# window start minus this (ServiceTitan filters on start times only).
LOOKBACK = timedelta(days=1)
# ServiceTitan's appointment statuses that no longer occupy the technician.
_FREE_STATUSES = frozenset({"canceled", "done"})

ReasonRules = Sequence[tuple[str, ProviderChange]]

# Hold and cancel reasons are each tenant's own list (Settings > Job hold/cancel reasons), so
# they are matched by words: the first rule whose words appear in the reason's name wins.
DEFAULT_HOLD_RULES: ReasonRules = (
    ("no show", ProviderChange.NO_SHOW),
    ("not home", ProviderChange.NO_SHOW),
    ("access", ProviderChange.NO_ACCESS),
    ("locked", ProviderChange.NO_ACCESS),
    ("reschedule", ProviderChange.MANUAL_OVERRIDE),
)
DEFAULT_CANCEL_RULES: ReasonRules = (
    *DEFAULT_HOLD_RULES,
    ("customer", ProviderChange.CUSTOMER_CANCELED),
)
# Used when a technician has no shifts in ServiceTitan (shifts are optional there).
DEFAULT_HOURS = tuple(WorkingHours(weekday=d, start=time(8), end=time(17)) for d in range(5))

_UPDATED_EVENTS = frozenset(
    {
        "appointmentrescheduled",
        "appointmentupdated",
        "appointmenttechniciansassigned",
        "appointmenttechnicianassigned",
        "appointmenttechniciansunassigned",
        "appointmenttechnicianunassigned",
        "appointmentholdremoved",
    }
)
_CANCELED_EVENTS = frozenset({"appointmentdeleted", "appointmentcanceled"})
_APPOINTMENT_HOLD_EVENTS = frozenset({"appointmenthold", "appointmentonhold"})
_JOB_CANCELED_EVENTS = frozenset({"jobcanceled"})
_JOB_HOLD_EVENTS = frozenset({"jobhold", "jobonhold"})


class ServiceTitanCredentials(BaseModel):
    """A business's ServiceTitan connection, as kept in Secrets Manager (JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(pattern=r"^\d+$")
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    app_key: str = Field(min_length=1, description="The app's key, sent as ST-App-Key")
    webhook_key: str | None = Field(default=None, description="The app's webhook HMAC key")
    environment: Literal["production", "integration"] = "production"
    api_base_url: str | None = None  # overrides (the local fake)
    auth_url: str | None = None

    def endpoints(self) -> tuple[str, str]:
        api, auth = ENVIRONMENTS[self.environment]
        return self.api_base_url or api, self.auth_url or auth


class ServiceTitanConfig(BaseModel):
    """A business's non-secret ServiceTitan settings (its connection's options). The
    endpoints given here win over any in the credentials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    business_id: str = Field(min_length=1)
    environment: Literal["production", "integration"] | None = None
    api_base_url: str | None = None  # overrides (the local fake)
    auth_url: str | None = None
    phone_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")

    def applied_to(self, credentials: ServiceTitanCredentials) -> ServiceTitanCredentials:
        endpoints = self.model_dump(
            include={"environment", "api_base_url", "auth_url"}, exclude_none=True
        )
        return credentials.model_copy(update=endpoints)


class ServiceTitanProvider:
    """The scheduling provider port and the provider webhooks for one ServiceTitan tenant.

    Args:
        business_id: the business this tenant is; calls for another business are NotFound.
        tenant_id: ServiceTitan's tenant id (in every API path).
        http: the API client (bearer tokens, ST-App-Key, typed errors).
        state: durable key → value store (idempotency records of moves).
        time_zone: the business's zone (working hours are wall-clock times in it).
        webhook_key: the app's HMAC key; without one every webhook is refused.
        hold_rules, cancel_rules: which hold/cancel reasons are which trigger condition.
        default_hours: working hours of technicians without shifts.
        phone_region: the region of phone numbers stored without a country code.
    """

    def __init__(
        self,
        business_id: str,
        tenant_id: str,
        http: ProviderHttp,
        state: ProviderState,
        *,
        time_zone: ZoneInfo,
        webhook_key: str | None = None,
        hold_rules: ReasonRules = DEFAULT_HOLD_RULES,
        cancel_rules: ReasonRules = DEFAULT_CANCEL_RULES,
        default_hours: Sequence[WorkingHours] = DEFAULT_HOURS,
        phone_region: str = "US",
        clock: Clock | None = None,
    ) -> None:
        if not tenant_id.isdigit():
            raise ValueError("tenant_id must be ServiceTitan's numeric tenant id")
        self._business_id = business_id
        self._tenant = tenant_id
        self._http = http
        self._state = state
        self._zone = time_zone
        self._webhook_key = webhook_key
        self._hold_rules = [(_words(k), change) for k, change in hold_rules]
        self._cancel_rules = [(_words(k), change) for k, change in cancel_rules]
        self._default_hours = tuple(default_hours)
        self._phone_region = phone_region
        self._clock = clock or SystemClock()
        self._job_types: dict[int, str] = {}  # names rarely change: kept for the instance

    @classmethod
    def connect(
        cls,
        business_id: str,
        credentials: ServiceTitanCredentials,
        state: ProviderState,
        *,
        time_zone: ZoneInfo,
        timeout: float = 10.0,
        **options: Any,
    ) -> ServiceTitanProvider:
        """The provider for a business's stored credentials (tokens are fetched on use)."""
        api_url, auth_url = credentials.endpoints()
        tokens = OAuthTokens(
            auth_url,
            {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            },
            timeout=timeout,
        )
        http = ProviderHttp(
            api_url,
            tokens,
            provider=PROVIDER,
            headers={"ST-App-Key": credentials.app_key},
            timeout=timeout,
        )
        return cls(
            business_id,
            credentials.tenant_id,
            http,
            state,
            time_zone=time_zone,
            webhook_key=credentials.webhook_key,
            **options,
        )

    # -- Customers ---------------------------------------------------------------------------

    def search_customers(self, business_id: str, query: str) -> Sequence[Customer]:
        self._check(business_id)
        filters: dict[str, str | int] = {"active": "True", "page": 1, "pageSize": SEARCH_LIMIT}
        if any(c.isalpha() for c in query):
            filters["name"] = query.strip()
        else:
            digits = re.sub(r"\D", "", query)
            if not digits:
                return []
            filters["phone"] = digits
        body = self._get("crm", "customers", filters)
        found = [self._customer(raw) for raw in _page_data(body)]
        return sorted(found, key=lambda c: c.name)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        self._check(business_id)
        return self._customer(self._get("crm", f"customers/{_id(customer_id, 'Customer')}"))

    def _customer(self, raw: Mapping[str, Any]) -> Customer:
        customer_id = _int(raw, "id")
        contacts = self._list("crm", f"customers/{customer_id}/contacts", {})
        phones = [c for c in contacts if c.get("type") in {"MobilePhone", "Phone"}]
        # A mobile number first: the link goes out by SMS.
        phones.sort(key=lambda c: c.get("type") != "MobilePhone")
        emails = [str(c["value"]) for c in contacts if c.get("type") == "Email" and c.get("value")]
        # Where the customer is: their first service location with coordinates, else the
        # billing address (jobs carry their own location; this one is the customer's own).
        sites = self._list("crm", "locations", {"customerId": customer_id})
        places = [_location(site.get("address")) for site in sites if site.get("active", True)]
        return Customer(
            id=str(customer_id),
            business_id=self._business_id,
            name=str(raw.get("name") or ""),
            phone=next((p for c in phones if (p := self._e164(c.get("value")))), ""),
            email=emails[0] if emails else None,
            location=next((p for p in places if p), None) or _location(raw.get("address")),
        )

    def _e164(self, value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        return to_e164(value, self._phone_region)

    # -- Appointments ------------------------------------------------------------------------

    def upcoming_appointments(
        self, business_id: str, customer_id: str, after: datetime
    ) -> Sequence[Appointment]:
        self._check(business_id)
        raws = self._list(
            "jpm",
            "appointments",
            {
                "customerId": _id(customer_id, "Customer"),
                "startsOnOrAfter": _st(after),
                "status": "Scheduled",
            },
        )
        # Without a technician there is nobody's day to offer openings in.
        appointments = [a for a in self._appointments(raws) if a.technician_id]
        return sorted(appointments, key=lambda a: (a.start, a.id))

    def get_appointment(
        self, business_id: str, appointment_id: str, expected_on: str | None = None
    ) -> Appointment:
        self._check(business_id)
        return self._read(appointment_id)[1].appointment

    def _read(self, appointment_id: str) -> tuple[dict[str, Any], _Assembled]:
        raw = self._get("jpm", f"appointments/{_id(appointment_id, 'Appointment')}")
        found = self._assemble([raw])[0]
        if not found.technicians:
            raise ProviderError(
                "The appointment has no technician in ServiceTitan; assign one there first."
            )
        return raw, found

    def technician_appointments(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Appointment]:
        self._check(business_id)
        raws = self._list(
            "jpm",
            "appointments",
            {
                "technicianId": _id(technician_id, "Technician"),
                "startsOnOrAfter": _st(start - LOOKBACK),
                "startsBefore": _st(end),
            },
        )
        appointments = self._appointments(raws, technician_id=technician_id)
        return [
            a for a in appointments if a.status not in _FREE_STATUSES and a.overlaps(start, end)
        ]

    def _appointments(
        self, raws: Sequence[Mapping[str, Any]], *, technician_id: str | None = None
    ) -> list[Appointment]:
        return [found.appointment for found in self._assemble(raws, technician_id=technician_id)]

    def _assemble(
        self, raws: Sequence[Mapping[str, Any]], *, technician_id: str | None = None
    ) -> list[_Assembled]:
        """Appointments with their technicians, service and location, in four batch calls.

        `technician_id` stands in when an appointment listed for that technician has lost
        its assignment by the time the assignments are read.
        """
        if not raws:
            return []
        assigned: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for item in self._by_ids(
            "dispatch", "appointment-assignments", [_int(r, "id") for r in raws], "appointmentIds"
        ):
            assigned[_int(item, "appointmentId")].append(item)
        jobs = {
            _int(j, "id"): j for j in self._by_ids("jpm", "jobs", [_int(r, "jobId") for r in raws])
        }
        locations = {
            _int(loc, "id"): loc
            for loc in self._by_ids(
                "crm", "locations", [_int(j, "locationId") for j in jobs.values()]
            )
        }
        self._load_job_types([_int(j, "jobTypeId") for j in jobs.values()])
        found = []
        for raw in raws:
            job = jobs.get(_int(raw, "jobId"), {})
            technicians = _assigned_technicians(assigned[_int(raw, "id")])
            location = locations.get(job.get("locationId") or -1, {})
            appointment = Appointment(
                id=str(_int(raw, "id")),
                business_id=self._business_id,
                customer_id=str(raw.get("customerId") or job.get("customerId") or ""),
                technician_id=technicians[0] if technicians else (technician_id or ""),
                service=self._job_types.get(job.get("jobTypeId") or -1)
                or str(job.get("summary") or "Service"),
                start=_time(raw, "start"),
                end=_time(raw, "end"),
                location=_location(location.get("address")),
                status=str(raw.get("status") or "").lower(),
                version=_version(raw, technicians),
            )
            found.append(_Assembled(appointment, technicians))
        return found

    def _load_job_types(self, ids: Iterable[int]) -> None:
        missing = {i for i in ids if i not in self._job_types}
        for job_type in self._by_ids("jpm", "job-types", missing):
            self._job_types[_int(job_type, "id")] = str(job_type.get("name") or "")

    # -- Technicians -------------------------------------------------------------------------

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        self._check(business_id)
        raw = self._get("settings", f"technicians/{_id(technician_id, 'Technician')}")
        shifts = self._shifts(self._horizon(), technician_id=technician_id)
        return self._technician(raw, shifts)

    def technicians(self, business_id: str) -> Sequence[Technician]:
        self._check(business_id)
        raws = self._list("settings", "technicians", {"active": "True"})
        by_technician: dict[str, list[_Shift]] = defaultdict(list)
        for shift in self._shifts(self._horizon()):
            by_technician[shift.technician_id].append(shift)
        return [self._technician(raw, by_technician[str(_int(raw, "id"))]) for raw in raws]

    def _technician(self, raw: Mapping[str, Any], shifts: Sequence[_Shift]) -> Technician:
        normal = [s for s in shifts if s.kind == "Normal"]
        return Technician(
            id=str(_int(raw, "id")),
            business_id=self._business_id,
            name=str(raw.get("name") or ""),
            home_base=_location(raw.get("home")),
            working_hours=_weekly_hours(normal, self._zone) if normal else self._default_hours,
        )

    def technician_schedule(
        self, business_id: str, technician_id: str, start: datetime, end: datetime
    ) -> Sequence[Busy]:
        self._check(business_id)
        busy: list[Busy] = list(
            self.technician_appointments(business_id, technician_id, start, end)
        )
        for item in self._list(
            "dispatch",
            "non-job-appointments",
            {
                "technicianId": _id(technician_id, "Technician"),
                "startsOnOrAfter": _st(start - LOOKBACK),
                "startsOnOrBefore": _st(end),
                "activeOnly": "true",
            },
        ):
            blocked = self._non_job(item, technician_id)
            if blocked.overlaps(start, end):
                busy.append(blocked)
        horizon_start, horizon_end = self._horizon()
        shifts = self._shifts(
            (min(start - LOOKBACK, horizon_start), max(end + LOOKBACK, horizon_end)),
            technician_id=technician_id,
        )
        for shift in shifts:
            if shift.kind == "TimeOff" and _overlap(shift.start, shift.end, start, end):
                busy.append(
                    self._blocked(
                        f"shift-{shift.id}", technician_id, shift.start, shift.end, "Time off"
                    )
                )
        busy.extend(self._off_shift(technician_id, shifts, start, end))
        return busy

    def _non_job(self, item: Mapping[str, Any], technician_id: str) -> BlockedTime:
        begins = _time(item, "start")
        length = _timespan(item.get("duration"))
        if item.get("allDay"):
            begins = datetime.combine(begins.astimezone(self._zone).date(), time(), self._zone)
            length = max(length, timedelta(days=1))
        return self._blocked(
            f"non-job-{_int(item, 'id')}",
            technician_id,
            begins,
            begins + max(length, timedelta(minutes=1)),
            str(item.get("name") or "Non-job appointment"),
        )

    def _blocked(
        self, block_id: str, technician_id: str, begins: datetime, ends: datetime, why: str
    ) -> BlockedTime:
        return BlockedTime(
            id=block_id,
            business_id=self._business_id,
            technician_id=technician_id,
            start=begins,
            end=ends,
            reason=why,
        )

    def _off_shift(
        self, technician_id: str, shifts: Sequence[_Shift], start: datetime, end: datetime
    ) -> list[BlockedTime]:
        """The technician's usual hours on days of [start, end) that no shift covers.

        Working hours are weekly; ServiceTitan's shifts are dated. A technician who works by
        shifts is bookable only inside one, so the weekly hours a shift does not cover (a day
        off, a short day, days whose shifts are not published yet) are blocked here.
        """
        normal = [s for s in shifts if s.kind == "Normal"]
        # The same shifts get_technician derives the weekly hours from; none: the default
        # hours apply as they are.
        hours = _weekly_hours([s for s in normal if s.within(*self._horizon())], self._zone)
        blocked = []
        day = start.astimezone(self._zone).date() - timedelta(days=1)
        while day <= end.astimezone(self._zone).date():
            for block in (h for h in hours if h.weekday == day.weekday()):
                for piece in _subtract(
                    _wall(day, block.start, self._zone),
                    _wall(day, block.end, self._zone),
                    [(s.start, s.end) for s in normal],
                ):
                    if _overlap(*piece, start, end):
                        piece_id = f"off-shift-{technician_id}-{piece[0]:%Y%m%dT%H%M}"
                        blocked.append(self._blocked(piece_id, technician_id, *piece, "Off shift"))
            day += timedelta(days=1)
        return blocked

    def _horizon(self) -> tuple[datetime, datetime]:
        today = self._clock.now().astimezone(self._zone).date()
        begins = _wall(today, time(), self._zone)
        return begins, _wall(today + timedelta(days=SHIFT_HORIZON_DAYS), time(), self._zone)

    def _shifts(
        self, window: tuple[datetime, datetime], *, technician_id: str | None = None
    ) -> list[_Shift]:
        query: dict[str, str | int] = {
            "startsOnOrAfter": _st(window[0]),
            "endsOnOrBefore": _st(window[1]),
        }
        if technician_id is not None:
            query["technicianId"] = _id(technician_id, "Technician")
        return [
            _Shift(
                id=_int(raw, "id"),
                technician_id=str(_int(raw, "technicianId")),
                kind=str(raw.get("shiftType") or ""),
                start=_time(raw, "start"),
                end=_time(raw, "end"),
            )
            for raw in self._list("dispatch", "technician-shifts", query)
            if raw.get("active", True) and _time(raw, "end") > _time(raw, "start")
        ]

    # -- The move ----------------------------------------------------------------------------

    def move_appointment(
        self, appointment: Appointment, opening: Opening, idempotency_key: str
    ) -> Appointment:
        """Moves it if it is still as read (same `version`); AppointmentChanged if not.

        ServiceTitan has no If-Match: the appointment is re-read and compared, then written.
        A change made elsewhere between that read and the reschedule call (one round trip)
        is not seen and is overwritten; one made after it shows in the final re-read and is
        answered as AppointmentChanged.

        Repeats with the same key answer the first result. The key is recorded in `state`
        before writing; a repeat after a partial move (rescheduled, technician not yet
        swapped) finishes it rather than mistaking our own write for a change elsewhere.
        """
        self._check(appointment.business_id)
        record_key = f"servicetitan/{self._tenant}/move/{idempotency_key}"
        record = _record(self._state.get(record_key))
        if record.get("status") == "done":
            return Appointment.model_validate(record["appointment"])
        raw, current = self._read(appointment.id)
        if current.appointment.version != appointment.version:
            resuming = record.get("opening") == opening.key and _times_match(
                current.appointment, opening
            )
            if not resuming:
                raise AppointmentChanged("The appointment changed in ServiceTitan.")
        self._state.put(record_key, json.dumps({"status": "started", "opening": opening.key}))
        appointment_id = int(current.appointment.id)
        if not _times_match(current.appointment, opening):
            self._http.request(
                "PATCH",
                self._path("jpm", f"appointments/{appointment_id}/reschedule"),
                json_body=_reschedule_body(raw, opening),
            )
        # Helpers stay when the technician does (the reschedule keeps assignments).
        if current.technicians[:1] != [opening.technician_id]:
            self._assign(appointment_id, opening.technician_id, current.technicians)
        moved = self._read(appointment.id)[1].appointment
        if not (_times_match(moved, opening) and moved.technician_id == opening.technician_id):
            raise AppointmentChanged("The appointment changed in ServiceTitan during the move.")
        self._state.put(
            record_key,
            json.dumps({"status": "done", "appointment": moved.model_dump(mode="json")}),
        )
        return moved

    def _assign(self, appointment_id: int, technician_id: str, current: Sequence[str]) -> None:
        """The chosen technician replaces everyone on the appointment.

        Helpers were booked for the old technician's visit; left on, the first-assigned
        (the technician the product schedules for) would no longer be the chosen one.
        """
        new = int(_id(technician_id, "Technician"))
        if technician_id not in current:
            self._http.request(
                "POST",
                self._path("dispatch", "appointment-assignments/assign-technicians"),
                json_body={"jobAppointmentId": appointment_id, "technicianIds": [new]},
            )
        others = [int(t) for t in current if t and t != technician_id]
        if others:
            self._http.request(
                "POST",
                self._path("dispatch", "appointment-assignments/unassign-technicians"),
                json_body={"jobAppointmentId": appointment_id, "technicianIds": others},
            )

    # -- Webhooks ----------------------------------------------------------------------------

    def parse_webhook(self, request: WebhookRequest) -> WebhookOutcome:
        self._verify(request)
        try:
            event = json.loads(request.body)
        except ValueError:
            raise Unprocessable("The ServiceTitan webhook is not JSON.") from None
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise Unprocessable("The ServiceTitan webhook has no event data.")
        if str(event.get("tenantId", "")) != self._tenant:
            raise WebhookRejected("The webhook is for another ServiceTitan tenant.", 403)
        name = re.sub(r"[^a-z]", "", str(event.get("eventType", "")).lower())
        event_id = str(event.get("eventId") or "")
        if not event_id:
            raise Unprocessable("The ServiceTitan webhook has no eventId.")
        occurred = _maybe_time(event.get("createdOn"))
        changes = self._changes(name, event["data"])
        events = tuple(
            ProviderEvent(
                business_id=self._business_id,
                appointment_id=appointment_id,
                change=change,
                # One job event fans out to its appointments: one id each.
                event_id=event_id if len(changes) == 1 else f"{event_id}/{appointment_id}",
                occurred_at=occurred,
            )
            for appointment_id, change in changes
        )
        return WebhookOutcome(reply=WebhookReply(status=200), events=events)

    def _verify(self, request: WebhookRequest) -> None:
        if not self._webhook_key:
            raise WebhookRejected("No ServiceTitan webhook key is configured.", 403)
        signature = request.headers.get(SIGNATURE_HEADER.lower(), "").strip()
        if not signature:
            raise WebhookRejected("The webhook is not signed.", 401)
        digest = hmac.new(self._webhook_key.encode("utf-8"), request.body, hashlib.sha256).digest()
        # The docs do not say how the digest is encoded; base64 and hex are both accepted.
        good = hmac.compare_digest(
            signature.encode("utf-8"), base64.b64encode(digest)
        ) or hmac.compare_digest(signature.lower().encode("utf-8"), digest.hex().encode("ascii"))
        if not good:
            raise WebhookRejected("The webhook signature does not match.", 403)

    def _changes(self, name: str, data: Mapping[str, Any]) -> list[tuple[str, ProviderChange]]:
        """(appointment id, change) for each appointment the event is about."""
        if name in _UPDATED_EVENTS:
            key = "appointmentId" if "appointmentId" in data else "id"
            return [(str(_event_int(data, key)), ProviderChange.UPDATED)]
        if name in _CANCELED_EVENTS:
            return [(str(_event_int(data, "id")), ProviderChange.CANCELED)]
        if name in _APPOINTMENT_HOLD_EVENTS:
            change = self._hold_change(data.get("reasonId"))
            return [(str(_event_int(data, "id")), change)]
        if name in _JOB_CANCELED_EVENTS:
            job_id = _event_int(data, "id")
            change = self._cancel_change(job_id)
            return [(a, change) for a in self._job_appointments(job_id)]
        if name in _JOB_HOLD_EVENTS:
            change = self._hold_change(data.get("reasonId"))
            return [(a, change) for a in self._job_appointments(_event_int(data, "id"))]
        return []  # created, completed, dispatched...: nothing an open link cares about

    def _hold_change(self, reason_id: object) -> ProviderChange:
        reasons = {
            r.get("id"): str(r.get("name") or "") for r in self._list("jpm", "job-hold-reasons", {})
        }
        name = reasons.get(reason_id, "") if isinstance(reason_id, int) else ""
        return _match(self._hold_rules, name) or ProviderChange.UPDATED

    def _cancel_change(self, job_id: int) -> ProviderChange:
        body = self._get("jpm", "jobs/cancel-reasons", {"ids": str(job_id)})
        names = [str(r.get("name") or "") for r in _page_data(body) if r.get("jobId") == job_id]
        for name in names:
            if change := _match(self._cancel_rules, name):
                return change
        return ProviderChange.CANCELED

    def _job_appointments(self, job_id: int) -> list[str]:
        return [str(_int(a, "id")) for a in self._list("jpm", "appointments", {"jobId": job_id})]

    # -- HTTP ----------------------------------------------------------------------------------

    def _check(self, business_id: str) -> None:
        if business_id != self._business_id:
            raise NotFound("Not found.")

    def _path(self, api: str, resource: str) -> str:
        return f"/{api}/v2/tenant/{self._tenant}/{resource}"

    def _get(self, api: str, resource: str, query: Query | None = None) -> dict[str, Any]:
        body, _ = self._http.request("GET", self._path(api, resource), query=query)
        if not isinstance(body, dict):
            raise ProviderError(f"{PROVIDER} answered {resource} with something unexpected.")
        return body

    def _list(
        self, api: str, resource: str, query: Mapping[str, str | int]
    ) -> list[dict[str, Any]]:
        """Every record of a paged list (ServiceTitan's page/pageSize/hasMore)."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            body = self._get(api, resource, {**query, "page": page, "pageSize": PAGE_SIZE})
            data = _page_data(body)
            items.extend(data)
            if not body.get("hasMore") or not data:
                return items
        raise ProviderError(f"{PROVIDER} kept paging {resource}; the list is too long.")

    def _by_ids(
        self, api: str, resource: str, ids: Iterable[int], name: str = "ids"
    ) -> list[dict[str, Any]]:
        unique = sorted(set(ids))
        found: list[dict[str, Any]] = []
        for chunk in _chunks(unique, MAX_IDS):
            found.extend(self._list(api, resource, {name: ",".join(map(str, chunk))}))
        return found


@dataclass(frozen=True)
class _Assembled:
    appointment: Appointment
    technicians: list[str]  # all assigned, first assigned first


@dataclass(frozen=True)
class _Shift:
    id: int
    technician_id: str
    kind: str  # Normal, OnCall, TimeOff
    start: datetime
    end: datetime

    def within(self, start: datetime, end: datetime) -> bool:
        return start <= self.start and self.end <= end


def webhook_tenant(body: bytes) -> str | None:
    """The tenant a webhook says it is for, to pick the business's adapter (unverified)."""
    try:
        event = json.loads(body)
    except ValueError:
        return None
    tenant = event.get("tenantId") if isinstance(event, dict) else None
    return str(tenant) if isinstance(tenant, int | str) and str(tenant).isdigit() else None


# -- Mapping helpers -------------------------------------------------------------------------


def _id(value: str, kind: str) -> str:
    """A ServiceTitan id (int64) for a path or filter; anything else cannot exist there."""
    if not value.isdigit() or len(value) > 19:
        raise NotFound(f"{kind} not found.")
    return value


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderError(f"{PROVIDER} answered a record without a numeric {key}.")
    return value


def _event_int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unprocessable(f"The ServiceTitan webhook has no numeric {key}.")
    return value


def _time(raw: Mapping[str, Any], key: str) -> datetime:
    moment = _maybe_time(raw.get(key))
    if moment is None:
        raise ProviderError(f"{PROVIDER} answered a record without a valid {key}.")
    return moment


def _maybe_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # ServiceTitan's date-times are UTC; a missing offset means UTC, not local time.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _st(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _timespan(value: object) -> timedelta:
    """A .NET TimeSpan as ServiceTitan writes durations: "[d.]hh:mm:ss[.fffffff]"."""
    match = re.fullmatch(r"(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?", str(value or ""))
    if not match:
        return timedelta()
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _location(address: object) -> Location | None:
    if not isinstance(address, Mapping):
        return None
    lat, lon = address.get("latitude"), address.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None  # 0,0 is what an address that was never geocoded carries
    parts = [address.get(k) for k in ("street", "unit", "city", "state", "zip")]
    return Location(address=", ".join(str(p) for p in parts if p), lat=lat, lon=lon)


def _assigned_technicians(assignments: Iterable[Mapping[str, Any]]) -> list[str]:
    """Technician ids on an appointment, first assigned first (the one the product moves)."""
    ordered = sorted(assignments, key=lambda a: (str(a.get("assignedOn") or ""), a.get("id", 0)))
    ids: list[str] = []
    for assignment in ordered:
        technician = str(_int(assignment, "technicianId"))
        if technician not in ids:
            ids.append(technician)
    return ids


def _version(raw: Mapping[str, Any], technicians: Sequence[str]) -> str:
    # modifiedOn covers the appointment itself; a reassignment may not touch it, so the
    # assigned technicians are part of the version too.
    return f"{raw.get('modifiedOn') or ''}|{','.join(technicians)}"


def _times_match(appointment: Appointment, opening: Opening) -> bool:
    return (
        appointment.start.timestamp() == opening.start.timestamp()
        and appointment.end.timestamp() == opening.end.timestamp()
    )


def _reschedule_body(raw: Mapping[str, Any], opening: Opening) -> dict[str, str]:
    body = {"start": _st(opening.start), "end": _st(opening.end)}
    window_start, window_end = (
        _maybe_time(raw.get("arrivalWindowStart")),
        _maybe_time(raw.get("arrivalWindowEnd")),
    )
    if window_start and window_end:
        # The arrival window keeps its place relative to the start (and its length).
        shift = opening.start - _time(raw, "start")
        body["arrivalWindowStart"] = _st(window_start + shift)
        body["arrivalWindowEnd"] = _st(window_end + shift)
    return body


def _record(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        record = json.loads(value)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _match(rules: Sequence[tuple[str, ProviderChange]], reason: str) -> ProviderChange | None:
    words = f" {_words(reason)} "
    return next((change for key, change in rules if f" {key} " in words), None)


def _page_data(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ProviderError(f"{PROVIDER} answered a list without its data.")
    return data


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`; time.max means the following midnight."""
    if at == time.max:
        return datetime.combine(day + timedelta(days=1), time(), zone)
    return datetime.combine(day, at, zone)


def _overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start.timestamp() < b_end.timestamp() and b_start.timestamp() < a_end.timestamp()


def _subtract(
    start: datetime, end: datetime, cover: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that no interval of `cover` covers."""
    pieces = [(start, end)]
    for c_start, c_end in cover:
        next_pieces = []
        for p_start, p_end in pieces:
            if not _overlap(p_start, p_end, c_start, c_end):
                next_pieces.append((p_start, p_end))
                continue
            if p_start < c_start:
                next_pieces.append((p_start, c_start))
            if c_end < p_end:
                next_pieces.append((c_end, p_end))
        pieces = next_pieces
    return [(s, e) for s, e in pieces if e > s]


def _weekly_hours(shifts: Iterable[_Shift], zone: ZoneInfo) -> tuple[WorkingHours, ...]:
    """The weekdays and hours the shifts cover, as weekly working hours (merged per day)."""
    spans: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for shift in shifts:
        begins, ends = shift.start.astimezone(zone), shift.end.astimezone(zone)
        while begins < ends:  # a shift past midnight counts on both days
            midnight = datetime.combine(begins.date() + timedelta(days=1), time(), zone)
            piece_end = min(ends, midnight)
            spans[begins.weekday()].append(
                (begins.time(), time.max if piece_end >= midnight else piece_end.time())
            )
            begins = piece_end
    hours: list[WorkingHours] = []
    for weekday in sorted(spans):
        merged: list[list[time]] = []
        for s, e in sorted(spans[weekday]):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        hours.extend(WorkingHours(weekday=weekday, start=s, end=e) for s, e in merged if e > s)
    return tuple(hours)
