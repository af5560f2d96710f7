"""The ServiceTitan adapter: the scheduling-provider port over ServiceTitan's API v2."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reschedule_dispatch.adapters.clock import SystemClock
from reschedule_dispatch.adapters.provider_http import OAuthTokens, ProviderHttp, Query
from reschedule_dispatch.adapters.servicetitan.hours import (
    DEFAULT_HOURS,
    Shift,
    overlap,
    subtract,
    wall_time,
    weekly_hours,
)
from reschedule_dispatch.adapters.servicetitan.records import (
    Assembled,
    assigned_technicians,
    chunks,
    event_int,
    int_field,
    location_of,
    maybe_time,
    move_record,
    page_data,
    record_id,
    reschedule_body,
    st_time,
    time_field,
    times_match,
    timespan,
    version_of,
)
from reschedule_dispatch.adapters.servicetitan.settings import PROVIDER, ServiceTitanCredentials
from reschedule_dispatch.adapters.servicetitan.webhooks import (
    APPOINTMENT_HOLD_EVENTS,
    CANCELED_EVENTS,
    DEFAULT_CANCEL_RULES,
    DEFAULT_HOLD_RULES,
    JOB_CANCELED_EVENTS,
    JOB_HOLD_EVENTS,
    SIGNATURE_HEADER,
    UPDATED_EVENTS,
    ReasonRules,
    match_reason,
    reason_words,
)
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
    Technician,
    WorkingHours,
)
from reschedule_dispatch.domain.session import Opening

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
        self._hold_rules = [(reason_words(k), change) for k, change in hold_rules]
        self._cancel_rules = [(reason_words(k), change) for k, change in cancel_rules]
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
        found = [self._customer(raw) for raw in page_data(body)]
        return sorted(found, key=lambda c: c.name)

    def get_customer(self, business_id: str, customer_id: str) -> Customer:
        self._check(business_id)
        return self._customer(self._get("crm", f"customers/{record_id(customer_id, 'Customer')}"))

    def _customer(self, raw: Mapping[str, Any]) -> Customer:
        customer_id = int_field(raw, "id")
        contacts = self._list("crm", f"customers/{customer_id}/contacts", {})
        phones = [c for c in contacts if c.get("type") in {"MobilePhone", "Phone"}]
        # A mobile number first: the link goes out by SMS.
        phones.sort(key=lambda c: c.get("type") != "MobilePhone")
        emails = [str(c["value"]) for c in contacts if c.get("type") == "Email" and c.get("value")]
        # Where the customer is: their first service location with coordinates, else the
        # billing address (jobs carry their own location; this one is the customer's own).
        sites = self._list("crm", "locations", {"customerId": customer_id})
        places = [location_of(site.get("address")) for site in sites if site.get("active", True)]
        return Customer(
            id=str(customer_id),
            business_id=self._business_id,
            name=str(raw.get("name") or ""),
            phone=next((p for c in phones if (p := self._e164(c.get("value")))), ""),
            email=emails[0] if emails else None,
            location=next((p for p in places if p), None) or location_of(raw.get("address")),
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
                "customerId": record_id(customer_id, "Customer"),
                "startsOnOrAfter": st_time(after),
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

    def _read(self, appointment_id: str) -> tuple[dict[str, Any], Assembled]:
        raw = self._get("jpm", f"appointments/{record_id(appointment_id, 'Appointment')}")
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
                "technicianId": record_id(technician_id, "Technician"),
                "startsOnOrAfter": st_time(start - LOOKBACK),
                "startsBefore": st_time(end),
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
    ) -> list[Assembled]:
        """Appointments with their technicians, service and location, in four batch calls.

        `technician_id` stands in when an appointment listed for that technician has lost
        its assignment by the time the assignments are read.
        """
        if not raws:
            return []
        assigned: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for item in self._by_ids(
            "dispatch",
            "appointment-assignments",
            [int_field(r, "id") for r in raws],
            "appointmentIds",
        ):
            assigned[int_field(item, "appointmentId")].append(item)
        jobs = {
            int_field(j, "id"): j
            for j in self._by_ids("jpm", "jobs", [int_field(r, "jobId") for r in raws])
        }
        locations = {
            int_field(loc, "id"): loc
            for loc in self._by_ids(
                "crm", "locations", [int_field(j, "locationId") for j in jobs.values()]
            )
        }
        self._load_job_types([int_field(j, "jobTypeId") for j in jobs.values()])
        found = []
        for raw in raws:
            job = jobs.get(int_field(raw, "jobId"), {})
            technicians = assigned_technicians(assigned[int_field(raw, "id")])
            location = locations.get(job.get("locationId") or -1, {})
            appointment = Appointment(
                id=str(int_field(raw, "id")),
                business_id=self._business_id,
                customer_id=str(raw.get("customerId") or job.get("customerId") or ""),
                technician_id=technicians[0] if technicians else (technician_id or ""),
                service=self._job_types.get(job.get("jobTypeId") or -1)
                or str(job.get("summary") or "Service"),
                start=time_field(raw, "start"),
                end=time_field(raw, "end"),
                location=location_of(location.get("address")),
                status=str(raw.get("status") or "").lower(),
                version=version_of(raw, technicians),
            )
            found.append(Assembled(appointment, technicians))
        return found

    def _load_job_types(self, ids: Iterable[int]) -> None:
        missing = {i for i in ids if i not in self._job_types}
        for job_type in self._by_ids("jpm", "job-types", missing):
            self._job_types[int_field(job_type, "id")] = str(job_type.get("name") or "")

    # -- Technicians -------------------------------------------------------------------------

    def get_technician(self, business_id: str, technician_id: str) -> Technician:
        self._check(business_id)
        raw = self._get("settings", f"technicians/{record_id(technician_id, 'Technician')}")
        shifts = self._shifts(self._horizon(), technician_id=technician_id)
        return self._technician(raw, shifts)

    def technicians(self, business_id: str) -> Sequence[Technician]:
        self._check(business_id)
        raws = self._list("settings", "technicians", {"active": "True"})
        by_technician: dict[str, list[Shift]] = defaultdict(list)
        for shift in self._shifts(self._horizon()):
            by_technician[shift.technician_id].append(shift)
        return [self._technician(raw, by_technician[str(int_field(raw, "id"))]) for raw in raws]

    def _technician(self, raw: Mapping[str, Any], shifts: Sequence[Shift]) -> Technician:
        normal = [s for s in shifts if s.kind == "Normal"]
        return Technician(
            id=str(int_field(raw, "id")),
            business_id=self._business_id,
            name=str(raw.get("name") or ""),
            home_base=location_of(raw.get("home")),
            working_hours=weekly_hours(normal, self._zone) if normal else self._default_hours,
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
                "technicianId": record_id(technician_id, "Technician"),
                "startsOnOrAfter": st_time(start - LOOKBACK),
                "startsOnOrBefore": st_time(end),
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
            if shift.kind == "TimeOff" and overlap(shift.start, shift.end, start, end):
                busy.append(
                    self._blocked(
                        f"shift-{shift.id}", technician_id, shift.start, shift.end, "Time off"
                    )
                )
        busy.extend(self._off_shift(technician_id, shifts, start, end))
        return busy

    def _non_job(self, item: Mapping[str, Any], technician_id: str) -> BlockedTime:
        begins = time_field(item, "start")
        length = timespan(item.get("duration"))
        if item.get("allDay"):
            begins = datetime.combine(begins.astimezone(self._zone).date(), time(), self._zone)
            length = max(length, timedelta(days=1))
        return self._blocked(
            f"non-job-{int_field(item, 'id')}",
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
        self, technician_id: str, shifts: Sequence[Shift], start: datetime, end: datetime
    ) -> list[BlockedTime]:
        """The technician's usual hours on days of [start, end) that no shift covers.

        Working hours are weekly; ServiceTitan's shifts are dated. A technician who works by
        shifts is bookable only inside one, so the weekly hours a shift does not cover (a day
        off, a short day, days whose shifts are not published yet) are blocked here.
        """
        normal = [s for s in shifts if s.kind == "Normal"]
        # The same shifts get_technician derives the weekly hours from; none: the default
        # hours apply as they are.
        hours = weekly_hours([s for s in normal if s.within(*self._horizon())], self._zone)
        blocked = []
        day = start.astimezone(self._zone).date() - timedelta(days=1)
        while day <= end.astimezone(self._zone).date():
            for block in (h for h in hours if h.weekday == day.weekday()):
                for piece in subtract(
                    wall_time(day, block.start, self._zone),
                    wall_time(day, block.end, self._zone),
                    [(s.start, s.end) for s in normal],
                ):
                    if overlap(*piece, start, end):
                        piece_id = f"off-shift-{technician_id}-{piece[0]:%Y%m%dT%H%M}"
                        blocked.append(self._blocked(piece_id, technician_id, *piece, "Off shift"))
            day += timedelta(days=1)
        return blocked

    def _horizon(self) -> tuple[datetime, datetime]:
        today = self._clock.now().astimezone(self._zone).date()
        begins = wall_time(today, time(), self._zone)
        return begins, wall_time(today + timedelta(days=SHIFT_HORIZON_DAYS), time(), self._zone)

    def _shifts(
        self, window: tuple[datetime, datetime], *, technician_id: str | None = None
    ) -> list[Shift]:
        query: dict[str, str | int] = {
            "startsOnOrAfter": st_time(window[0]),
            "endsOnOrBefore": st_time(window[1]),
        }
        if technician_id is not None:
            query["technicianId"] = record_id(technician_id, "Technician")
        return [
            Shift(
                id=int_field(raw, "id"),
                technician_id=str(int_field(raw, "technicianId")),
                kind=str(raw.get("shiftType") or ""),
                start=time_field(raw, "start"),
                end=time_field(raw, "end"),
            )
            for raw in self._list("dispatch", "technician-shifts", query)
            if raw.get("active", True) and time_field(raw, "end") > time_field(raw, "start")
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
        record = move_record(self._state.get(record_key))
        if record.get("status") == "done":
            return Appointment.model_validate(record["appointment"])
        raw, current = self._read(appointment.id)
        if current.appointment.version != appointment.version:
            resuming = record.get("opening") == opening.key and times_match(
                current.appointment, opening
            )
            if not resuming:
                raise AppointmentChanged("The appointment changed in ServiceTitan.")
        self._state.put(record_key, json.dumps({"status": "started", "opening": opening.key}))
        appointment_id = int(current.appointment.id)
        if not times_match(current.appointment, opening):
            self._http.request(
                "PATCH",
                self._path("jpm", f"appointments/{appointment_id}/reschedule"),
                json_body=reschedule_body(raw, opening),
            )
        # Helpers stay when the technician does (the reschedule keeps assignments).
        if current.technicians[:1] != [opening.technician_id]:
            self._assign(appointment_id, opening.technician_id, current.technicians)
        moved = self._read(appointment.id)[1].appointment
        if not (times_match(moved, opening) and moved.technician_id == opening.technician_id):
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
        new = int(record_id(technician_id, "Technician"))
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
        occurred = maybe_time(event.get("createdOn"))
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
        if name in UPDATED_EVENTS:
            key = "appointmentId" if "appointmentId" in data else "id"
            return [(str(event_int(data, key)), ProviderChange.UPDATED)]
        if name in CANCELED_EVENTS:
            return [(str(event_int(data, "id")), ProviderChange.CANCELED)]
        if name in APPOINTMENT_HOLD_EVENTS:
            change = self._hold_change(data.get("reasonId"))
            return [(str(event_int(data, "id")), change)]
        if name in JOB_CANCELED_EVENTS:
            job_id = event_int(data, "id")
            change = self._cancel_change(job_id)
            return [(a, change) for a in self._job_appointments(job_id)]
        if name in JOB_HOLD_EVENTS:
            change = self._hold_change(data.get("reasonId"))
            return [(a, change) for a in self._job_appointments(event_int(data, "id"))]
        return []  # created, completed, dispatched...: nothing an open link cares about

    def _hold_change(self, reason_id: object) -> ProviderChange:
        reasons = {
            r.get("id"): str(r.get("name") or "") for r in self._list("jpm", "job-hold-reasons", {})
        }
        name = reasons.get(reason_id, "") if isinstance(reason_id, int) else ""
        return match_reason(self._hold_rules, name) or ProviderChange.UPDATED

    def _cancel_change(self, job_id: int) -> ProviderChange:
        body = self._get("jpm", "jobs/cancel-reasons", {"ids": str(job_id)})
        names = [str(r.get("name") or "") for r in page_data(body) if r.get("jobId") == job_id]
        for name in names:
            if change := match_reason(self._cancel_rules, name):
                return change
        return ProviderChange.CANCELED

    def _job_appointments(self, job_id: int) -> list[str]:
        return [
            str(int_field(a, "id")) for a in self._list("jpm", "appointments", {"jobId": job_id})
        ]

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
            data = page_data(body)
            items.extend(data)
            if not body.get("hasMore") or not data:
                return items
        raise ProviderError(f"{PROVIDER} kept paging {resource}; the list is too long.")

    def _by_ids(
        self, api: str, resource: str, ids: Iterable[int], name: str = "ids"
    ) -> list[dict[str, Any]]:
        unique = sorted(set(ids))
        found: list[dict[str, Any]] = []
        for chunk in chunks(unique, MAX_IDS):
            found.extend(self._list(api, resource, {name: ",".join(map(str, chunk))}))
        return found
