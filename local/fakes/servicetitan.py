"""A local stand-in for the ServiceTitan API, for one tenant, held in memory.

The ServiceTitan adapter (`reschedule_dispatch.adapters.servicetitan`) talks to it over real
HTTP through a base-URL override. It answers the parts of the API the adapter calls, in the
request and response shapes ServiceTitan documents (developer.servicetitan.io, API v2):

* `POST /connect/token`: the OAuth2 client-credentials grant of the auth server
  (auth.servicetitan.io), form-encoded; tokens expire (900 s by default, as documented).
* every API call needs `Authorization: Bearer <token>` (401 otherwise) and the app's
  `ST-App-Key` header (403 otherwise), and carries the tenant in the path
  (`/{api}/v2/tenant/{tenant}/...`; another tenant is 403).
* CRM: customers (filter `name`, `phone`, `ids`, `active`), a customer's contacts, locations.
* JPM: jobs, job types, appointments (filters `ids`, `jobId`, `customerId`, `technicianId`,
  `status`, `startsOnOrAfter`, `startsBefore`), `PATCH appointments/{id}/reschedule`, jobs'
  cancel reasons and the job hold reasons.
* Dispatch: appointment assignments with assign/unassign-technicians, technician shifts,
  non-job appointments.  Settings: technicians.

Lists are paged as ServiceTitan pages them: `?page=1&pageSize=50&includeTotal=true` answer
`{"page", "pageSize", "hasMore", "totalCount", "data": [...]}`. Errors are RFC 7807 problem
bodies (`{"type", "title", "status", "traceId", "errors"}`).

For tests and `make dev`:
* `fail_next(status, times, retry_after=)`: the next API calls answer 429 (with
  Retry-After), 500, 503... before anything else is checked;
* `expire_tokens()`: every token issued so far stops working (a 401 until a new grant);
* `change_elsewhere(...)`: a dispatcher moves or reassigns an appointment in ServiceTitan;
  `cancel_job(...)` and `hold_appointment(...)` do what their names say;
* each of those records a webhook event; with `webhook_url` set it is POSTed there, signed
  with the app's HMAC key the way `webhook_signature` computes it.

ServiceTitan's webhook envelope and signature header are not spelled out in the public docs
this was built from; the shapes here are the ones docs/providers.md (ServiceTitan) assumes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal

from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.fakes import AccessTokens, Delivery, Faults, bearer, deliver, push_later
from local.sandbox_base import Sandbox, json_response

GRANT_PATH = "/connect/token"
TOKEN_LIFETIME_SECONDS = 900  # "access tokens which expire in 900 seconds"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000
MAX_IDS = 50  # "Perform lookup by multiple IDs (maximum 50)"
SIGNATURE_HEADER = "X-ServiceTitan-Signature"

# Webhook event types this fake sends (see the module docstring on what is assumed).
APPOINTMENT_RESCHEDULED = "Appointment.Rescheduled"
APPOINTMENT_TECHNICIANS_ASSIGNED = "Appointment.TechniciansAssigned"
APPOINTMENT_HOLD = "Appointment.Hold"
APPOINTMENT_DELETED = "Appointment.Deleted"
JOB_CANCELED = "Job.Canceled"
JOB_HOLD = "Job.Hold"

SignatureEncoding = Literal["base64", "hex"]


def st_time(moment: datetime) -> str:
    """ServiceTitan's UTC timestamps: ISO 8601 with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def webhook_signature(key: str, body: bytes, encoding: SignatureEncoding = "base64") -> str:
    """HMAC-SHA256 of the raw body with the app's HMAC key, base64 (or hex) encoded."""
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii") if encoding == "base64" else digest.hex()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class ServiceTitanError(Exception):
    """An answer in ServiceTitan's problem-details shape."""

    def __init__(self, status: int, title: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.headers = status, title, dict(headers or {})

    def response(self) -> Response:
        body = {
            "type": f"https://httpstatuses.io/{self.status}",
            "title": self.title,
            "status": self.status,
            "traceId": uuid.uuid4().hex,
            "errors": {},
        }
        return json_response(body, self.status, self.headers)


class _OAuthError(ServiceTitanError):
    """The token endpoint answers RFC 6749 §5.2 error bodies instead."""

    def response(self) -> Response:
        return json_response({"error": self.title}, self.status, self.headers)


@dataclass
class Appointment:
    id: int
    job_id: int
    customer_id: int
    start: datetime
    end: datetime
    created_on: datetime
    modified_on: datetime
    status: str = "Scheduled"
    arrival_window_start: datetime | None = None
    arrival_window_end: datetime | None = None
    special_instructions: str | None = None

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobId": self.job_id,
            "appointmentNumber": f"{self.job_id}-{self.id}",
            "start": st_time(self.start),
            "end": st_time(self.end),
            "arrivalWindowStart": _maybe_time(self.arrival_window_start),
            "arrivalWindowEnd": _maybe_time(self.arrival_window_end),
            "status": self.status,
            "specialInstructions": self.special_instructions,
            "createdOn": st_time(self.created_on),
            "modifiedOn": st_time(self.modified_on),
            "customerId": self.customer_id,
            "unused": False,
        }


@dataclass
class Job:
    id: int
    customer_id: int
    location_id: int
    job_type_id: int
    created_on: datetime
    modified_on: datetime
    status: str = "Scheduled"
    summary: str = ""
    appointment_ids: list[int] = field(default_factory=list)
    cancel_reason: tuple[int, str, str] | None = None  # id, name, memo

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "jobNumber": str(self.id),
            "customerId": self.customer_id,
            "locationId": self.location_id,
            "jobStatus": self.status,
            "completedOn": None,
            "businessUnitId": 1,
            "jobTypeId": self.job_type_id,
            "priority": "Normal",
            "campaignId": 1,
            "summary": self.summary,
            "customFields": [],
            "appointmentCount": len(self.appointment_ids),
            "firstAppointmentId": self.appointment_ids[0] if self.appointment_ids else None,
            "lastAppointmentId": self.appointment_ids[-1] if self.appointment_ids else None,
            "noCharge": False,
            "notificationsEnabled": True,
            "createdOn": st_time(self.created_on),
            "createdById": 1,
            "modifiedOn": st_time(self.modified_on),
            "tagTypeIds": [],
            "externalData": [],
        }


@dataclass
class Assignment:
    id: int
    technician_id: int
    technician_name: str
    appointment_id: int
    job_id: int
    assigned_on: datetime

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "technicianId": self.technician_id,
            "technicianName": self.technician_name,
            "assignedById": 1,
            "assignedOn": st_time(self.assigned_on),
            "status": "Scheduled",
            "isPaused": False,
            "jobId": self.job_id,
            "appointmentId": self.appointment_id,
        }


def _maybe_time(moment: datetime | None) -> str | None:
    return st_time(moment) if moment else None


def _address(street: str, lat: float | None, lon: float | None) -> dict[str, Any]:
    return {
        "street": street,
        "unit": None,
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "country": "USA",
        "latitude": lat,
        "longitude": lon,
    }


@dataclass(frozen=True)
class SignedWebhook:
    """One webhook as the fake sends it: the envelope's bytes and its headers."""

    body: bytes
    headers: dict[str, str]

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class ServiceTitanFake(Sandbox):
    """WSGI app imitating ServiceTitan's auth server and API v2 for one tenant.

    Args:
        tenant_id, client_id, client_secret, app_key: what the adapter must present.
        webhook_key: the app's HMAC key that signs webhooks.
        webhook_url: where webhooks are POSTed (None: only recorded in `webhooks`).
        token_lifetime: seconds a token lives (`expires_in`).
        prefix: mount point; the token endpoint is `{prefix}/connect/token` and the API
            lives under `{prefix}/crm/v2/...`, `{prefix}/jpm/v2/...` and so on.
        clock: the fake's "now" (createdOn, modifiedOn).
    """

    ERROR = ServiceTitanError

    def __init__(
        self,
        *,
        tenant_id: str = "1011",
        client_id: str = "cid.fake",
        client_secret: str = "cs1.fake-secret",  # noqa: S107  # the fake's own test value
        app_key: str = "ak1.fake",
        webhook_key: str = "fake-hmac-key-0123456789abcdef0123",
        webhook_url: str | None = None,
        signature_encoding: SignatureEncoding = "base64",
        token_lifetime: int = TOKEN_LIFETIME_SECONDS,
        prefix: str = "",
        dev_prefix: str = "/dev/servicetitan",
        clock: Callable[[], datetime] = real_now,
        push_changes: bool = False,
    ) -> None:
        super().__init__(prefix, dev_prefix, clock)
        # On: a reschedule through the API sends its webhook too, shortly after answering
        # (the local stack); off: only the Python API's changes do (the contract tests).
        self.push_changes = push_changes
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_key = app_key
        self.webhook_key = webhook_key
        self.webhook_url = webhook_url
        self.signature_encoding: SignatureEncoding = signature_encoding
        self.tokens = AccessTokens(token_lifetime)
        self._lock = threading.RLock()
        self._ids = itertools.count(100)
        self.faults = Faults()
        self._last_modified = datetime.min.replace(tzinfo=UTC)
        self.calls: list[tuple[str, str]] = []  # (method, path) of every API call
        self.webhooks: list[SignedWebhook] = []
        self.deliveries: list[Delivery] = []  # what webhook_url answered, in order
        self.customers: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, list[dict[str, Any]]] = {}
        self.locations: dict[int, dict[str, Any]] = {}
        self.technicians: dict[int, dict[str, Any]] = {}
        self.job_types: dict[int, dict[str, Any]] = {}
        self.hold_reasons: dict[int, dict[str, Any]] = {}
        self.jobs: dict[int, Job] = {}
        self.appointments: dict[int, Appointment] = {}
        self.assignments: dict[int, Assignment] = {}
        self.shifts: dict[int, dict[str, Any]] = {}
        self.non_job_appointments: dict[int, dict[str, Any]] = {}
        self._routes = self._build_routes()

    # -- Seeding ----------------------------------------------------------------------------

    def add_customer(
        self,
        name: str,
        phone: str | None = None,
        *,
        street: str = "1 Main St",
        lat: float | None = None,
        lon: float | None = None,
        mobile: bool = True,
        active: bool = True,
    ) -> int:
        """A customer (with a billing address) and, given a phone, its phone contact."""
        with self._lock:
            customer_id = next(self._ids)
            now = self._touch()
            self.customers[customer_id] = {
                "id": customer_id,
                "active": active,
                "name": name,
                "type": "Residential",
                "address": _address(street, lat, lon),
                "customFields": [],
                "balance": 0.0,
                "doNotMail": False,
                "doNotService": False,
                "createdOn": st_time(now),
                "createdById": 1,
                "modifiedOn": st_time(now),
                "mergedToId": None,
            }
            self.contacts[customer_id] = []
            if phone is not None:
                self.add_contact(customer_id, "MobilePhone" if mobile else "Phone", phone)
            return customer_id

    def add_contact(self, customer_id: int, kind: str, value: str) -> int:
        with self._lock:
            contact_id = next(self._ids)
            self.contacts[customer_id].append(
                {
                    "id": contact_id,
                    "type": kind,
                    "value": value,
                    "memo": None,
                    "modifiedOn": st_time(self._touch()),
                    "phoneSettings": None,
                }
            )
            return contact_id

    def add_location(
        self, customer_id: int, street: str, lat: float | None, lon: float | None
    ) -> int:
        with self._lock:
            location_id = next(self._ids)
            now = self._touch()
            self.locations[location_id] = {
                "id": location_id,
                "customerId": customer_id,
                "active": True,
                "name": street,
                "address": _address(street, lat, lon),
                "customFields": [],
                "createdOn": st_time(now),
                "createdById": 1,
                "modifiedOn": st_time(now),
                "mergedToId": None,
                "zoneId": None,
                "taxZoneId": None,
            }
            return location_id

    def add_technician(
        self, name: str, *, home: tuple[float, float] | None = None, active: bool = True
    ) -> int:
        with self._lock:
            technician_id = next(self._ids)
            now = self._touch()
            self.technicians[technician_id] = {
                "id": technician_id,
                "name": name,
                "businessUnitId": 1,
                "createdOn": st_time(now),
                "modifiedOn": st_time(now),
                "email": None,
                "phoneNumber": None,
                "loginName": name.lower().replace(" ", "."),
                "home": None
                if home is None
                else {**_address("Home", home[0], home[1]), "streetAddress": "Home"},
                "dailyGoal": 0.0,
                "isManagedTech": False,
                "customFields": [],
                "active": active,
            }
            return technician_id

    def add_job_type(self, name: str) -> int:
        with self._lock:
            job_type_id = next(self._ids)
            self.job_types[job_type_id] = {
                "id": job_type_id,
                "name": name,
                "businessUnitIds": [1],
                "skills": [],
                "priority": "Normal",
                "duration": 3600,
                "active": True,
                "modifiedOn": st_time(self._touch()),
            }
            return job_type_id

    def add_hold_reason(self, name: str) -> int:
        with self._lock:
            reason_id = next(self._ids)
            self.hold_reasons[reason_id] = {"id": reason_id, "name": name, "active": True}
            return reason_id

    def book_job(
        self,
        customer_id: int,
        location_id: int,
        job_type_id: int,
        start: datetime,
        end: datetime,
        technician_ids: Iterable[int] = (),
        *,
        arrival_window: tuple[datetime, datetime] | None = None,
    ) -> tuple[int, int]:
        """Books a job with its first appointment; answers (job id, appointment id)."""
        with self._lock:
            now = self._touch()
            job = Job(next(self._ids), customer_id, location_id, job_type_id, now, now)
            self.jobs[job.id] = job
            appointment_id = self.add_appointment(
                job.id, start, end, technician_ids, arrival_window=arrival_window
            )
            return job.id, appointment_id

    def add_appointment(
        self,
        job_id: int,
        start: datetime,
        end: datetime,
        technician_ids: Iterable[int] = (),
        *,
        arrival_window: tuple[datetime, datetime] | None = None,
    ) -> int:
        with self._lock:
            job = self.jobs[job_id]
            now = self._touch()
            appointment = Appointment(
                id=next(self._ids),
                job_id=job_id,
                customer_id=job.customer_id,
                start=start,
                end=end,
                created_on=now,
                modified_on=now,
                arrival_window_start=arrival_window[0] if arrival_window else None,
                arrival_window_end=arrival_window[1] if arrival_window else None,
            )
            self.appointments[appointment.id] = appointment
            job.appointment_ids.append(appointment.id)
            for technician_id in technician_ids:
                self._assign(appointment, technician_id)
            return appointment.id

    def assign_technician(self, appointment_id: int, technician_id: int) -> None:
        """One more technician on the appointment (a helper), without a webhook."""
        with self._lock:
            self._assign(self.appointments[appointment_id], technician_id)

    def add_shift(
        self, technician_id: int, start: datetime, end: datetime, shift_type: str = "Normal"
    ) -> int:
        with self._lock:
            shift_id = next(self._ids)
            self.shifts[shift_id] = {
                "id": shift_id,
                "shiftType": shift_type,
                "title": shift_type,
                "note": None,
                "active": True,
                "technicianId": technician_id,
                "start": st_time(start),
                "end": st_time(end),
            }
            return shift_id

    def add_non_job_appointment(
        self,
        technician_id: int,
        start: datetime,
        duration: timedelta,
        name: str,
        *,
        all_day: bool = False,
        active: bool = True,
    ) -> int:
        with self._lock:
            item_id = next(self._ids)
            seconds = int(duration.total_seconds())
            days, rest = divmod(seconds, 86400)
            clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
            self.non_job_appointments[item_id] = {
                "id": item_id,
                "technicianId": technician_id,
                "start": st_time(start),
                "name": name,
                "duration": f"{days}.{clock}" if days else clock,  # a .NET TimeSpan
                "timesheetCodeId": 0,
                "summary": None,
                "clearDispatchBoard": False,
                "clearTechnicianView": False,
                "removeTechnicianFromCapacityPlanning": False,
                "allDay": all_day,
                "showOnTechnicianSchedule": True,
                "active": active,
                "createdOn": st_time(self._touch()),
                "createdById": 1,
            }
            return item_id

    # -- Faults and changes made "elsewhere" --------------------------------------------------

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: int | None = None,
        token: bool = False,
        path: str | None = None,
    ) -> None:
        """The next `times` API calls answer `status` (with `path`, only calls whose path
        contains it; with `token`, token grants too)."""
        self.faults.arm(status, times=times, retry_after=retry_after, path=path, token=token)

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (as if 900 s had passed)."""
        self.tokens.expire_all()

    def change_elsewhere(
        self,
        appointment_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        technician_id: int | None = None,
        notify: bool = True,
    ) -> None:
        """A dispatcher moves and/or reassigns the appointment in ServiceTitan itself."""
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            appointment = self.appointments[appointment_id]
            if start is not None or end is not None:
                self._reschedule(appointment, start or appointment.start, end or appointment.end)
                events.append((APPOINTMENT_RESCHEDULED, appointment.resource()))
            if technician_id is not None:
                for old in self._assignments_of(appointment_id):
                    del self.assignments[old.id]
                assignment = self._assign(appointment, technician_id)
                events.append((APPOINTMENT_TECHNICIANS_ASSIGNED, assignment.resource()))
        if notify:
            self._emit(*events)

    def cancel_job(self, job_id: int, reason: str, memo: str = "") -> None:
        """Cancels the job (and so its appointments) with a cancel reason."""
        with self._lock:
            job = self.jobs[job_id]
            job.status = "Canceled"
            job.cancel_reason = (next(self._ids), reason, memo)
            job.modified_on = self._touch()
            for appointment_id in job.appointment_ids:
                appointment = self.appointments[appointment_id]
                appointment.status = "Canceled"
                appointment.modified_on = self._touch()
            event = (JOB_CANCELED, job.resource())
        self._emit(event)

    def hold_appointment(self, appointment_id: int, reason_id: int, memo: str = "") -> None:
        """Puts the appointment on hold (PUT appointments/{id}/hold with a hold reason)."""
        with self._lock:
            appointment = self.appointments[appointment_id]
            appointment.status = "Hold"
            appointment.modified_on = self._touch()
            data = {**appointment.resource(), "reasonId": reason_id, "memo": memo}
        self._emit((APPOINTMENT_HOLD, data))

    def hold_job(self, job_id: int, reason_id: int, memo: str = "") -> None:
        with self._lock:
            job = self.jobs[job_id]
            job.status = "Hold"
            job.modified_on = self._touch()
            data = {**job.resource(), "reasonId": reason_id, "memo": memo}
        self._emit((JOB_HOLD, data))

    def delete_appointment(self, appointment_id: int) -> None:
        with self._lock:
            appointment = self.appointments.pop(appointment_id)
            self.jobs[appointment.job_id].appointment_ids.remove(appointment_id)
            for old in self._assignments_of(appointment_id):
                del self.assignments[old.id]
        self._emit((APPOINTMENT_DELETED, appointment.resource()))

    def webhook(
        self, event_type: str, data: Mapping[str, Any], *, event_id: str | None = None
    ) -> SignedWebhook:
        """A signed webhook for `event_type` about `data` (not sent; see `deliver`)."""
        envelope = {
            "eventId": event_id or str(uuid.uuid4()),
            "eventType": event_type,
            "tenantId": int(self.tenant_id),
            "createdOn": st_time(self.clock()),
            "data": dict(data),
        }
        body = json.dumps(envelope).encode("utf-8")
        signature = webhook_signature(self.webhook_key, body, self.signature_encoding)
        return SignedWebhook(
            body, {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        )

    def deliver(self, webhook: SignedWebhook, url: str | None = None) -> Delivery:
        """POSTs a webhook to `url` (default `webhook_url`); answers what came back."""
        target = url or self.webhook_url
        if target is None:
            raise ValueError("no webhook URL to deliver to")
        return deliver(target, webhook.headers, webhook.body)

    # -- Internals ---------------------------------------------------------------------------

    def _touch(self) -> datetime:
        # modifiedOn strictly increases, as a row version would, even within one clock tick.
        now = self.clock()
        if now <= self._last_modified:
            now = self._last_modified + timedelta(microseconds=1)
        self._last_modified = now
        return now

    def _emit(self, *events: tuple[str, Mapping[str, Any]]) -> None:
        # Called outside the lock: the app's webhook handler may call back into the API.
        for event_type, data in events:
            webhook = self.webhook(event_type, data)
            with self._lock:
                self.webhooks.append(webhook)
            if self.webhook_url is not None:
                self.deliveries.append(self.deliver(webhook))

    def _assign(self, appointment: Appointment, technician_id: int) -> Assignment:
        technician = self.technicians.get(technician_id)
        if technician is None:
            raise ServiceTitanError(400, f"Technician with ID {technician_id} not found.")
        assignment = Assignment(
            next(self._ids),
            technician_id,
            str(technician["name"]),
            appointment.id,
            appointment.job_id,
            self._touch(),
        )
        self.assignments[assignment.id] = assignment
        return assignment

    def _assignments_of(self, appointment_id: int) -> list[Assignment]:
        return [a for a in self.assignments.values() if a.appointment_id == appointment_id]

    def _reschedule(self, appointment: Appointment, start: datetime, end: datetime) -> None:
        shift = start - appointment.start
        appointment.start, appointment.end = start, end
        if appointment.arrival_window_start and appointment.arrival_window_end:
            appointment.arrival_window_start += shift
            appointment.arrival_window_end += shift
        appointment.modified_on = self._touch()

    # -- WSGI -------------------------------------------------------------------------------

    def _build_routes(
        self,
    ) -> list[tuple[str, re.Pattern[str], Callable[[Request, dict[str, str]], Response]]]:
        tenant = r"/(?P<api>crm|jpm|dispatch|settings)/v2/tenant/(?P<tenant>[^/]+)"
        table: list[tuple[str, str, Callable[[Request, dict[str, str]], Response]]] = [
            ("GET", "/customers", self._list_customers),
            ("GET", r"/customers/(?P<id>\d+)", self._get_customer),
            ("GET", r"/customers/(?P<id>\d+)/contacts", self._list_contacts),
            ("GET", "/locations", self._list_locations),
            ("GET", r"/locations/(?P<id>\d+)", self._get_location),
            ("GET", "/appointments", self._list_appointments),
            ("GET", r"/appointments/(?P<id>\d+)", self._get_appointment),
            ("PATCH", r"/appointments/(?P<id>\d+)/reschedule", self._reschedule_appointment),
            ("GET", "/jobs", self._list_jobs),
            ("GET", "/jobs/cancel-reasons", self._job_cancel_reasons),
            ("GET", r"/jobs/(?P<id>\d+)", self._get_job),
            ("GET", "/job-types", self._list_job_types),
            ("GET", "/job-hold-reasons", self._list_hold_reasons),
            ("GET", "/appointment-assignments", self._list_assignments),
            ("POST", "/appointment-assignments/assign-technicians", self._assign_technicians),
            ("POST", "/appointment-assignments/unassign-technicians", self._unassign_technicians),
            ("GET", "/technician-shifts", self._list_shifts),
            ("GET", "/non-job-appointments", self._list_non_job),
            ("GET", "/technicians", self._list_technicians),
            ("GET", r"/technicians/(?P<id>\d+)", self._get_technician),
        ]
        return [
            (method, re.compile(re.escape(self.prefix) + tenant + path), handler)
            for method, path, handler in table
        ]

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == self.prefix + GRANT_PATH:
            self._fault(path, token=True)
            return self._grant(request)
        for method, pattern, handler in self._routes:
            if (match := pattern.fullmatch(path)) is None:
                continue
            if request.method != method:
                continue
            with self._lock:
                self.calls.append((request.method, path.removeprefix(self.prefix)))
            self._fault(path, token=False)
            self._authorize(request, match["tenant"])
            with self._lock:
                return handler(request, match.groupdict())
        raise ServiceTitanError(404, f"No route for {request.method} {path}.")

    def _fault(self, path: str, *, token: bool) -> None:
        fault = self.faults.next(path, token=token)
        if fault is not None:
            kind = _OAuthError if token else ServiceTitanError
            raise kind(fault.status, f"Injected HTTP {fault.status}.", self.faults.headers(fault))

    def _grant(self, request: Request) -> Response:
        if request.method != "POST":
            raise _OAuthError(405, "invalid_request")
        form = request.form
        if form.get("grant_type") != "client_credentials":
            raise _OAuthError(400, "unsupported_grant_type")
        good = hmac.compare_digest(form.get("client_id", ""), self.client_id) and (
            hmac.compare_digest(form.get("client_secret", ""), self.client_secret)
        )
        if not good:
            raise _OAuthError(400, "invalid_client")
        body = {
            "access_token": self.tokens.issue("st."),
            "expires_in": self.tokens.lifetime,
            "token_type": "Bearer",
            "scope": "tn.jpm.appointments:rw tn.crm.customers:r tn.dispatch.assignments:rw",
        }
        return json_response(body, 200)

    def _authorize(self, request: Request, tenant: str) -> None:
        if not self.tokens.valid(bearer(request)):
            raise ServiceTitanError(
                401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        if not hmac.compare_digest(request.headers.get("ST-App-Key", ""), self.app_key):
            raise ServiceTitanError(403, "The ST-App-Key header is missing or not valid.")
        if tenant != self.tenant_id:
            raise ServiceTitanError(403, f"The application has no access to tenant {tenant}.")

    # -- CRM ------------------------------------------------------------------------------

    def _list_customers(self, request: Request, _: dict[str, str]) -> Response:
        args = request.args
        found = list(self.customers.values())
        if ids := _ids(args.get("ids")):
            found = [c for c in found if c["id"] in ids]
        if name := args.get("name", "").strip().lower():
            found = [c for c in found if name in str(c["name"]).lower()]
        if phone := _digits(args.get("phone", "")):
            found = [
                c
                for c in found
                if any(phone in _digits(str(p["value"])) for p in self._phones(c["id"]))
            ]
        active = args.get("active", "True")
        if active != "Any":
            found = [c for c in found if c["active"] == (active == "True")]
        return _page(request, found)

    def _phones(self, customer_id: int) -> list[dict[str, Any]]:
        return [
            c for c in self.contacts.get(customer_id, []) if c["type"] in {"Phone", "MobilePhone"}
        ]

    def _get_customer(self, _: Request, match: dict[str, str]) -> Response:
        return json_response(_one(self.customers, match["id"], "Customer"), 200)

    def _list_contacts(self, request: Request, match: dict[str, str]) -> Response:
        _one(self.customers, match["id"], "Customer")
        return _page(request, self.contacts[int(match["id"])])

    def _list_locations(self, request: Request, _: dict[str, str]) -> Response:
        found = list(self.locations.values())
        if ids := _ids(request.args.get("ids")):
            found = [loc for loc in found if loc["id"] in ids]
        if customer := request.args.get("customerId"):
            found = [loc for loc in found if str(loc["customerId"]) == customer]
        return _page(request, found)

    def _get_location(self, _: Request, match: dict[str, str]) -> Response:
        return json_response(_one(self.locations, match["id"], "Location"), 200)

    # -- JPM --------------------------------------------------------------------------------

    def _list_appointments(self, request: Request, _: dict[str, str]) -> Response:
        args = request.args
        found = sorted(self.appointments.values(), key=lambda a: (a.start, a.id))
        if ids := _ids(args.get("ids")):
            found = [a for a in found if a.id in ids]
        if job := args.get("jobId"):
            found = [a for a in found if str(a.job_id) == job]
        if customer := args.get("customerId"):
            found = [a for a in found if str(a.customer_id) == customer]
        if status := args.get("status"):
            found = [a for a in found if a.status == status]
        if after := args.get("startsOnOrAfter"):
            found = [a for a in found if a.start >= parse_time(after)]
        if before := args.get("startsBefore"):
            found = [a for a in found if a.start < parse_time(before)]
        if technician := args.get("technicianId"):
            assigned = {
                a.appointment_id
                for a in self.assignments.values()
                if str(a.technician_id) == technician
            }
            found = [a for a in found if a.id in assigned]
        return _page(request, [a.resource() for a in found])

    def _get_appointment(self, _: Request, match: dict[str, str]) -> Response:
        return json_response(self._appointment(match["id"]).resource(), 200)

    def _appointment(self, appointment_id: str | int) -> Appointment:
        appointment = self.appointments.get(int(appointment_id))
        if appointment is None:
            raise ServiceTitanError(404, f"Appointment with ID {appointment_id} not found.")
        return appointment

    def _reschedule_appointment(self, request: Request, match: dict[str, str]) -> Response:
        appointment = self._appointment(match["id"])
        body = _json_body(request)
        try:
            start = parse_time(body["start"]) if body.get("start") else appointment.start
            end = parse_time(body["end"]) if body.get("end") else appointment.end
        except (TypeError, ValueError):
            raise ServiceTitanError(400, "start and end must be date-times.") from None
        if end <= start:
            raise ServiceTitanError(400, "The appointment must end after it starts.")
        if appointment.status not in {"Scheduled", "Hold"}:
            raise ServiceTitanError(
                400, f"An appointment in status {appointment.status} cannot be rescheduled."
            )
        self._reschedule(appointment, start, end)
        if body.get("arrivalWindowStart") and body.get("arrivalWindowEnd"):
            appointment.arrival_window_start = parse_time(body["arrivalWindowStart"])
            appointment.arrival_window_end = parse_time(body["arrivalWindowEnd"])
        if self.push_changes:  # sent once this answer is out (the lock is ours until then)
            push_later(partial(self._emit, (APPOINTMENT_RESCHEDULED, appointment.resource())))
        return json_response(appointment.resource(), 200)

    def _list_jobs(self, request: Request, _: dict[str, str]) -> Response:
        found = list(self.jobs.values())
        if ids := _ids(request.args.get("ids")):
            found = [j for j in found if j.id in ids]
        return _page(request, [j.resource() for j in found])

    def _get_job(self, _: Request, match: dict[str, str]) -> Response:
        job = self.jobs.get(int(match["id"]))
        if job is None:
            raise ServiceTitanError(404, f"Job with ID {match['id']} not found.")
        return json_response(job.resource(), 200)

    def _job_cancel_reasons(self, request: Request, _: dict[str, str]) -> Response:
        ids = _ids(request.args.get("ids"))
        if not ids:
            raise ServiceTitanError(400, "ids is required.")
        found = [
            {"jobId": job.id, "reasonId": reason[0], "name": reason[1], "text": reason[2]}
            for job in self.jobs.values()
            if job.id in ids and (reason := job.cancel_reason) is not None
        ]
        return _page(request, found)

    def _list_job_types(self, request: Request, _: dict[str, str]) -> Response:
        found = list(self.job_types.values())
        if ids := _ids(request.args.get("ids")):
            found = [t for t in found if t["id"] in ids]
        return _page(request, found)

    def _list_hold_reasons(self, request: Request, _: dict[str, str]) -> Response:
        return _page(request, list(self.hold_reasons.values()))

    # -- Dispatch ---------------------------------------------------------------------------

    def _list_assignments(self, request: Request, _: dict[str, str]) -> Response:
        found = sorted(self.assignments.values(), key=lambda a: a.id)
        if ids := _ids(request.args.get("appointmentIds")):
            found = [a for a in found if a.appointment_id in ids]
        if job := request.args.get("jobId"):
            found = [a for a in found if str(a.job_id) == job]
        return _page(request, [a.resource() for a in found])

    def _assignment_request(self, request: Request) -> tuple[Appointment, list[int]]:
        body = _json_body(request)
        technician_ids = body.get("technicianIds")
        if not isinstance(technician_ids, list) or not all(
            isinstance(t, int) for t in technician_ids
        ):
            raise ServiceTitanError(400, "technicianIds must be a list of technician IDs.")
        return self._appointment(body.get("jobAppointmentId", 0)), technician_ids

    def _assign_technicians(self, request: Request, _: dict[str, str]) -> Response:
        appointment, technician_ids = self._assignment_request(request)
        assigned = {a.technician_id for a in self._assignments_of(appointment.id)}
        for technician_id in technician_ids:
            if technician_id not in assigned:
                self._assign(appointment, technician_id)
        return json_response(appointment.resource(), 200)

    def _unassign_technicians(self, request: Request, _: dict[str, str]) -> Response:
        appointment, technician_ids = self._assignment_request(request)
        for assignment in self._assignments_of(appointment.id):
            if assignment.technician_id in technician_ids:
                del self.assignments[assignment.id]
        return json_response(appointment.resource(), 200)

    def _list_shifts(self, request: Request, _: dict[str, str]) -> Response:
        args = request.args
        found = sorted(self.shifts.values(), key=lambda s: (s["start"], s["id"]))
        if technician := args.get("technicianId"):
            found = [s for s in found if str(s["technicianId"]) == technician]
        if kind := args.get("shiftType"):
            found = [s for s in found if s["shiftType"] == kind]
        if after := args.get("startsOnOrAfter"):
            found = [s for s in found if parse_time(s["start"]) >= parse_time(after)]
        if before := args.get("endsOnOrBefore"):
            found = [s for s in found if parse_time(s["end"]) <= parse_time(before)]
        return _page(request, found)

    def _list_non_job(self, request: Request, _: dict[str, str]) -> Response:
        args = request.args
        found = sorted(self.non_job_appointments.values(), key=lambda s: (s["start"], s["id"]))
        if technician := args.get("technicianId"):
            found = [s for s in found if str(s["technicianId"]) == technician]
        if after := args.get("startsOnOrAfter"):
            found = [s for s in found if parse_time(s["start"]) >= parse_time(after)]
        if before := args.get("startsOnOrBefore"):
            found = [s for s in found if parse_time(s["start"]) <= parse_time(before)]
        if args.get("activeOnly", "false").lower() == "true":
            found = [s for s in found if s["active"]]
        return _page(request, found)

    # -- Settings ---------------------------------------------------------------------------

    def _list_technicians(self, request: Request, _: dict[str, str]) -> Response:
        found = list(self.technicians.values())
        if ids := _ids(request.args.get("ids")):
            found = [t for t in found if t["id"] in ids]
        active = request.args.get("active", "True")
        if active != "Any":
            found = [t for t in found if t["active"] == (active == "True")]
        return _page(request, found)

    def _get_technician(self, _: Request, match: dict[str, str]) -> Response:
        return json_response(_one(self.technicians, match["id"], "Technician"), 200)


def _ids(raw: str | None) -> set[int]:
    if not raw:
        return set()
    try:
        ids = {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise ServiceTitanError(400, "ids must be a comma-separated list of IDs.") from None
    if len(ids) > MAX_IDS:
        raise ServiceTitanError(400, f"At most {MAX_IDS} IDs may be looked up at once.")
    return ids


def _one(records: Mapping[int, dict[str, Any]], raw_id: str, kind: str) -> dict[str, Any]:
    record = records.get(int(raw_id))
    if record is None:
        raise ServiceTitanError(404, f"{kind} with ID {raw_id} not found.")
    return record


def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise ServiceTitanError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ServiceTitanError(400, "The request body must be a JSON object.")
    return body


def _page(request: Request, items: list[dict[str, Any]]) -> Response:
    try:
        page = int(request.args.get("page", "1"))
        size = int(request.args.get("pageSize", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        raise ServiceTitanError(400, "page and pageSize must be numbers.") from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise ServiceTitanError(400, f"page must be 1 or more, pageSize 1 to {MAX_PAGE_SIZE}.")
    chunk = items[(page - 1) * size : page * size]
    include_total = request.args.get("includeTotal", "false").lower() == "true"
    body = {
        "page": page,
        "pageSize": size,
        "hasMore": page * size < len(items),
        "totalCount": len(items) if include_total else None,
        "data": chunk,
    }
    return json_response(body, 200)
