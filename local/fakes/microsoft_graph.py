"""A local stand-in for Microsoft Graph calendars and the Microsoft identity platform.

Point the adapter at it with `api_base_url = {url}{prefix}/v1.0` and
`login_base_url = {url}{prefix}`. It answers, in Graph's shapes:

* `POST /{tenant}/oauth2/v2.0/token` — client credentials; tokens expire after
  `token_lifetime`; a wrong client or secret is 401 invalid_client (AADSTS error body).
* `GET /users/{user}/calendar/calendarView` — startDateTime/endDateTime required (400
  otherwise), events overlapping the window in start order, `$top` paging with an
  absolute `@odata.nextLink`, `$expand=singleValueExtendedProperties($filter=id eq ...)`.
* `GET/PATCH /users/{user}/events/{id}` — PATCH honours If-Match (412
  ErrorIrresolvableConflict), upserts singleValueExtendedProperties by id and answers the
  event without them (as Graph does unless expanded).
* `GET /users/{user}/mailboxSettings`; `POST /subscriptions` (validates the notification
  URL with a validationToken handshake first), `DELETE /subscriptions/{id}`.

Recurring meetings: an event of `type: seriesMaster` with a `recurrence` (pattern `daily`
or `weekly` with `interval` and `daysOfWeek`; range `endDate`, `numbered` or `noEnd`) is
the series; calendarView answers its occurrences in the window, never the series, each
with its own id (`{seriesId}_{date as 20260105}`), `type: occurrence`, `seriesMasterId`
and `originalStart`. An occurrence is read, patched (it becomes `type: exception`, stored
under its id) and deleted by its id. Events are answered with what was stored (`body`,
`bodyPreview`, `attendees`, `organizer`, `location`, `isAllDay`...), `type` being
`singleInstance` unless given.

Times are kept and answered in UTC (`"timeZone": "UTC"`), a series' pattern too. Every
write gives the event a new changeKey and @odata.etag. Errors are `{"error": {"code", "message"}}`. Tests change events
"elsewhere" (`change_event`, `delete_event`), arm failures (`fail_next`), expire tokens
(`expire_tokens`, `rotate_secret`) and send change notifications (`notify`, `deliver_to`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import re
import secrets
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.fakes import AccessTokens, Delivery, Faults, bearer, deliver, push_later
from local.fakes.recurrence import occurrences
from local.sandbox_base import Sandbox, json_response

API = "/v1.0"
FAULT_ERRORS = {
    429: ("TooManyRequests", "Too many requests."),
    500: ("generalException", "An unexpected error occurred."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable."),
}
VALIDATION_TIMEOUT_SECONDS = 10.0  # Graph's limit on the handshake's answer
# How far a series without an end is expanded.
SERIES_HORIZON = timedelta(days=730)
DAYS_OF_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Event = dict[str, Any]


class GraphError(Exception):
    """An error answered in Graph's shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def response(self) -> Response:
        inner = {"date": _stamp(real_now()), "request-id": str(uuid.uuid4())}
        body = {"error": {"code": self.code, "message": self.message, "innerError": inner}}
        return json_response(body, self.status, self.headers)


class IdentityError(GraphError):
    """An error answered in the identity platform's token endpoint shape."""

    def response(self) -> Response:
        body = {
            "error": self.code,
            "error_description": self.message,
            "timestamp": _stamp(real_now()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }
        return json_response(body, self.status)


def _not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


@dataclass
class _Mailbox:
    working_hours: dict[str, Any]
    time_zone: str
    events: dict[str, Event]
    deleted: set[str] = field(default_factory=set)  # occurrences of a series deleted alone


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Request, re.Match[str]], Response]
    locked: bool = True  # False for a handler that calls out (and locks what it touches)


class MicrosoftGraphFake(Sandbox):
    ERROR = GraphError

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        prefix: str = "/msgraph",
        token_lifetime: int = 3599,
        page_size: int = 10,
        push_changes: bool = False,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        super().__init__(prefix, "/dev", clock)
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.tokens = AccessTokens(token_lifetime)
        self.page_size = page_size
        self.faults = Faults()
        # On: every change notifies the mailbox's subscriptions, as Graph does (the local
        # stack); off: tests notify() when they want to.
        self.push_changes = push_changes
        self._lock = threading.RLock()
        self._mailboxes: dict[str, _Mailbox] = {}
        self._subscriptions: dict[str, dict[str, Any]] = {}
        self._writes = 0
        self._routes = [
            _Route("GET", re.compile(r"/users/([^/]+)/calendar/calendarView"), self._view),
            _Route("GET", re.compile(r"/users/([^/]+)/events/([^/]+)"), self._get),
            _Route("PATCH", re.compile(r"/users/([^/]+)/events/([^/]+)"), self._patch),
            _Route("GET", re.compile(r"/users/([^/]+)/mailboxSettings"), self._settings),
            _Route("POST", re.compile(r"/subscriptions"), self._subscribe, locked=False),
            _Route("DELETE", re.compile(r"/subscriptions/([^/]+)"), self._unsubscribe),
            _Route("PATCH", re.compile(r"/subscriptions/([^/]+)"), self._renew),
        ]

    # -- Python API for tests and seeding ---------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        working_hours: dict[str, Any] | None = None,
        time_zone: str = "UTC",
    ) -> None:
        """A mailbox; `working_hours` in mailboxSettings.workingHours' shape."""
        hours = working_hours or {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": time_zone},
        }
        with self._lock:
            self._mailboxes.setdefault(user_id, _Mailbox(hours, time_zone, {}))

    def add_event(self, user_id: str, event: Event) -> Event:
        """Stores an event in Graph's shape (times in UTC; an id is made up when missing)."""
        with self._lock:
            stored: Event = {
                "id": event.get("id") or _new_id(),
                "createdDateTime": _stamp(self.clock()),
                "isAllDay": False,
                "isCancelled": False,
                "showAs": "busy",
                "subject": "",
                "type": "singleInstance",
                **event,
            }
            self._write(self._mailbox(user_id), stored)
            return copy.deepcopy(stored)

    def change_event(self, user_id: str, event_id: str, changes: Event) -> Event:
        """Changes an event "elsewhere" (as its owner would in Outlook): a new ETag."""
        with self._lock:
            mailbox = self._mailbox(user_id)
            event = {**self._event(mailbox, event_id), **changes}
            if event.get("type") == "occurrence":  # an occurrence changed alone
                event["type"] = "exception"
            self._write(mailbox, event)
            return copy.deepcopy(event)

    def delete_event(self, user_id: str, event_id: str) -> None:
        with self._lock:
            mailbox = self._mailbox(user_id)
            event = self._event(mailbox, event_id)
            mailbox.events.pop(event_id, None)
            if event.get("seriesMasterId"):  # one occurrence: the series goes on without it
                mailbox.deleted.add(event_id)
            self._push(mailbox, "deleted", event_id)

    def event(self, user_id: str, event_id: str) -> Event:
        with self._lock:
            return copy.deepcopy(self._event(self._mailbox(user_id), event_id))

    def drop_subscription(self, subscription_id: str) -> None:
        """Graph removed it (it expired unseen, or its app lost consent)."""
        with self._lock:
            del self._subscriptions[subscription_id]

    def subscriptions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(s) for s in self._subscriptions.values()]

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        """The next `times` API calls (after authentication) answer `status`."""
        self.faults.arm(status, times=times, retry_after=retry_after)

    def expire_tokens(self) -> None:
        """Access tokens issued so far stop working, as an hour later at Microsoft."""
        self.tokens.expire_all()

    def rotate_secret(self, new_secret: str) -> None:
        """The app's client secret changed (or expired): the old one is refused."""
        self.client_secret = new_secret

    def notify(
        self, subscription_id: str, change_type: str, event_id: str, client_state: str | None = None
    ) -> Delivery:
        """Sends a change notification for the subscription to its notificationUrl.

        `client_state` overrides the subscription's ("" leaves it out), to test that the
        receiver refuses what Graph did not send.
        """
        with self._lock:
            subscription = dict(self._subscriptions[subscription_id])
            user_id = subscription["resource"].split("/")[1]
            event = self._mailbox(user_id).events.get(event_id, {})
        state = subscription.get("clientState") if client_state is None else client_state
        notification = {
            "id": str(uuid.uuid4()),
            "subscriptionId": subscription_id,
            "subscriptionExpirationDateTime": subscription["expirationDateTime"],
            "changeType": change_type,
            "resource": f"Users/{user_id}/Events/{event_id}",
            "tenantId": self.tenant_id,
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Event",
                "@odata.id": f"Users/{user_id}/Events/{event_id}",
                "@odata.etag": event.get("@odata.etag", ""),
                "id": event_id,
            },
        }
        if state:
            notification["clientState"] = state
        return self.deliver_to(subscription["notificationUrl"], [notification])

    @staticmethod
    def deliver_to(url: str, notifications: list[dict[str, Any]]) -> Delivery:
        """POSTs a batch of notifications the way Graph does."""
        body = json_response({"value": notifications}, 200).get_data()
        return deliver(url, {"Content-Type": "application/json; charset=utf-8"}, body)

    # -- WSGI -------------------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == f"{self.prefix}/{self.tenant_id}/oauth2/v2.0/token":
            if request.method != "POST":
                raise GraphError(405, "MethodNotAllowed", "Use POST.")
            return self._token(request)
        api = self.prefix + API
        if not path.startswith(api + "/"):
            raise GraphError(400, "BadRequest", "Resource not found for the segment.")
        for route in self._routes:
            match = route.pattern.fullmatch(path[len(api) :])
            if match and route.method == request.method:
                self._authenticate(request)
                self._maybe_fail()
                if not route.locked:
                    return route.handler(request, match)
                with self._lock:
                    return route.handler(request, match)
        raise GraphError(400, "BadRequest", "Resource not found for the segment.")

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            raise IdentityError(400, "unsupported_grant_type", "AADSTS70003: grant type.")
        if form.get("client_id") != self.client_id:
            raise IdentityError(400, "unauthorized_client", "AADSTS700016: app not found.")
        if not hmac.compare_digest(form.get("client_secret", ""), self.client_secret):
            raise IdentityError(
                401, "invalid_client", "AADSTS7000215: Invalid client secret provided."
            )
        if not form.get("scope", "").endswith("/.default"):
            raise IdentityError(400, "invalid_scope", "AADSTS1002012: scope must be /.default.")
        body = {
            "token_type": "Bearer",
            "expires_in": self.tokens.lifetime,
            "ext_expires_in": self.tokens.lifetime,
            "access_token": self.tokens.issue("eyJ0eXAi."),
        }
        return json_response(body, 200)

    def _authenticate(self, request: Request) -> None:
        if not self.tokens.valid(bearer(request)):
            raise GraphError(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
                {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
            )

    def _maybe_fail(self) -> None:
        fault = self.faults.next()
        if fault is not None:
            code, message = FAULT_ERRORS.get(fault.status, ("generalException", "Error."))
            raise GraphError(fault.status, code, message, self.faults.headers(fault))

    # -- calendar ---------------------------------------------------------------------------

    def _view(self, request: Request, match: re.Match[str]) -> Response:
        mailbox = self._mailbox(match.group(1))
        args = request.args
        if "startDateTime" not in args or "endDateTime" not in args:
            raise GraphError(
                400,
                "ErrorInvalidParameter",
                "This request requires a time window specified by the query string "
                "parameters StartDateTime and EndDateTime.",
            )
        start, end = _query_time(args["startDateTime"]), _query_time(args["endDateTime"])
        events = sorted(
            (e for e in _viewed(mailbox) if _start(e) < end and _end(e) > start),
            key=_start,
        )
        offset = _offset(args.get("$skiptoken"))
        size = min(int(args.get("$top", self.page_size)), self.page_size)
        wanted = _expanded_ids(args.get("$expand", ""))
        body: dict[str, Any] = {
            "@odata.context": f"{request.host_url.rstrip('/')}{self.prefix}{API}/$metadata"
            f"#users('{match.group(1)}')/calendar/calendarView",
            "value": [_shown(e, wanted) for e in events[offset : offset + size]],
        }
        if offset + size < len(events):
            query = {k: v for k, v in args.items() if k != "$skiptoken"}
            query["$skiptoken"] = _skiptoken(offset + size)
            body["@odata.nextLink"] = (
                f"{request.host_url.rstrip('/')}{request.root_path}{request.path}?"
                + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
            )
        return json_response(body, 200)

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        event = self._event(self._mailbox(match.group(1)), match.group(2))
        return json_response(_shown(event, _expanded_ids(request.args.get("$expand", ""))), 200)

    def _patch(self, request: Request, match: re.Match[str]) -> Response:
        mailbox = self._mailbox(match.group(1))
        event = self._event(mailbox, match.group(2))
        expected = request.headers.get("If-Match")
        if expected is not None and expected not in ("*", event["@odata.etag"]):
            raise GraphError(
                412,
                "ErrorIrresolvableConflict",
                "The send or update operation could not be performed because the change key "
                "passed in the request does not match the current change key for the item.",
            )
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
        patched = _patched(event, changes)
        if _end(patched) <= _start(patched):
            raise GraphError(400, "ErrorInvalidRequest", "The end must be after the start.")
        self._write(mailbox, patched)
        return json_response(_shown(patched, frozenset()), 200)

    def _settings(self, request: Request, match: re.Match[str]) -> Response:
        mailbox = self._mailbox(match.group(1))
        body = {"timeZone": mailbox.time_zone, "workingHours": mailbox.working_hours}
        return json_response(body, 200)

    def _subscribe(self, request: Request, match: re.Match[str]) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise GraphError(400, "InvalidRequest", "Empty Payload. JSON content expected.")
        for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not body.get(name):
                raise GraphError(400, "InvalidRequest", f"{name} is required.")
        user_id = _resource_user(str(body["resource"]))
        with self._lock:
            self._mailbox(user_id)
        if len(str(body.get("clientState", ""))) > 128:
            raise GraphError(400, "InvalidRequest", "clientState is longer than 128.")
        _validate_endpoint(str(body["notificationUrl"]))
        subscription = {
            "id": str(uuid.uuid4()),
            "resource": f"users/{user_id}/events",
            "applicationId": self.client_id,
            "changeType": body["changeType"],
            "clientState": body.get("clientState"),
            "notificationUrl": body["notificationUrl"],
            "expirationDateTime": body["expirationDateTime"],
        }
        with self._lock:
            self._subscriptions[subscription["id"]] = subscription
        return json_response(subscription, 201)

    def _renew(self, request: Request, match: re.Match[str]) -> Response:
        """Update subscription: only a new expirationDateTime (or notificationUrl)."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not body.get("expirationDateTime"):
            raise GraphError(400, "InvalidRequest", "expirationDateTime is required.")
        subscription = self._subscriptions.get(match.group(1))
        if subscription is None:
            raise GraphError(404, "ResourceNotFound", "The object was not found.")
        subscription["expirationDateTime"] = body["expirationDateTime"]
        return json_response(subscription, 200)

    def _unsubscribe(self, request: Request, match: re.Match[str]) -> Response:
        if self._subscriptions.pop(match.group(1), None) is None:
            raise GraphError(404, "ResourceNotFound", "The object was not found.")
        return Response(status=204)

    # -- storage ----------------------------------------------------------------------------

    def _mailbox(self, user_id: str) -> _Mailbox:
        mailbox = self._mailboxes.get(user_id)
        if mailbox is None:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user_id}' is invalid.")
        return mailbox

    @staticmethod
    def _event(mailbox: _Mailbox, event_id: str) -> Event:
        """The stored event, or the occurrence of a series this id names (not stored until
        it is written: then it is the series' exception)."""
        event = mailbox.events.get(event_id)
        if event is not None:
            return event
        series = mailbox.events.get(event_id.rpartition("_")[0])
        if series is not None and series.get("type") == "seriesMaster":
            for occurrence in _occurrences(mailbox, series):
                if occurrence["id"] == event_id:
                    return occurrence
        raise _not_found()

    def _write(self, mailbox: _Mailbox, event: Event) -> None:
        self._writes += 1
        change_key = base64.b64encode(f"change-{self._writes}".encode()).decode()
        event["changeKey"] = change_key
        event["@odata.etag"] = f'W/"{change_key}"'
        event["lastModifiedDateTime"] = _stamp(self.clock())
        mailbox.events[event["id"]] = event
        self._push(mailbox, "updated", event["id"])

    def _push(self, mailbox: _Mailbox, change_type: str, event_id: str) -> None:
        if not self.push_changes:
            return
        user_id = next(k for k, v in self._mailboxes.items() if v is mailbox)
        for subscription in self._subscriptions.values():
            if subscription["resource"] == f"users/{user_id}/events":
                push_later(partial(self.notify, subscription["id"], change_type, event_id))


def _validate_endpoint(url: str) -> None:
    """Graph's handshake: POST url?validationToken=...; the answer must echo it in text/plain."""
    token = secrets.token_urlsafe(24)
    separator = "&" if "?" in url else "?"
    try:
        answer = deliver(
            f"{url}{separator}validationToken={urllib.parse.quote(token)}",
            {"Content-Type": "text/plain; charset=utf-8"},
            timeout=VALIDATION_TIMEOUT_SECONDS,
        )
    except OSError:
        answer = None
    if (
        answer is None
        or answer.status != 200
        or answer.body != token
        or not answer.content_type.startswith("text/plain")
    ):
        raise GraphError(
            400,
            "InvalidRequest",
            "Subscription validation request failed. Response must exactly match "
            "validationToken query parameter.",
        )


def _viewed(mailbox: _Mailbox) -> list[Event]:
    """What a calendarView can show: single events, and each series as its occurrences
    (its exceptions in their place), never the series itself."""
    viewed = []
    for event in mailbox.events.values():
        if event.get("type") == "seriesMaster":
            viewed.extend(_occurrences(mailbox, event))
        elif not event.get("seriesMasterId"):  # an exception comes with its series
            viewed.append(event)
    return viewed


def _occurrences(mailbox: _Mailbox, series: Event) -> list[Event]:
    """The series' occurrences in start order (one written alone is its stored exception),
    the deleted ones left out."""
    first, length = _start(series), _end(series) - _start(series)
    found = []
    for day in _pattern_days(series.get("recurrence") or {}, first.date()):
        start = datetime.combine(day, first.timetz())
        occurrence_id = f"{series['id']}_{day:%Y%m%d}"
        if occurrence_id in mailbox.deleted:
            continue
        stored = mailbox.events.get(occurrence_id)
        if stored is not None:
            found.append(stored)
            continue
        found.append(
            {
                **{k: v for k, v in series.items() if k not in ("recurrence", "id", "type")},
                "id": occurrence_id,
                "type": "occurrence",
                "seriesMasterId": series["id"],
                "originalStart": _stamp(start),
                "start": {"dateTime": _graph_format(start), "timeZone": "UTC"},
                "end": {"dateTime": _graph_format(start + length), "timeZone": "UTC"},
            }
        )
    return found


def _pattern_days(recurrence: dict[str, Any], first: date) -> list[date]:
    """The days a patternedRecurrence gives (daily or weekly; endDate, numbered, noEnd)."""
    pattern, range_ = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind, interval = pattern.get("type"), int(pattern.get("interval") or 1)
    if kind not in ("daily", "weekly") or interval < 1:
        raise GraphError(400, "ErrorInvalidRequest", f"Unsupported recurrence pattern: {kind}")
    begin = date.fromisoformat(str(range_.get("startDate") or first.isoformat()))
    count = int(range_["numberOfOccurrences"]) if range_.get("type") == "numbered" else None
    last = (
        date.fromisoformat(str(range_["endDate"]))
        if range_.get("type") == "endDate"
        else begin + SERIES_HORIZON
    )
    weekdays = [DAYS_OF_WEEK.index(d.lower()) for d in pattern.get("daysOfWeek") or []]
    return occurrences(
        begin,
        weekly=kind == "weekly",
        interval=interval,
        weekdays=weekdays,
        until=last,
        count=count,
    )


def _patched(event: Event, changes: Event) -> Event:
    patched = {**event, **{k: v for k, v in changes.items() if k not in ("id", "@odata.etag")}}
    if event.get("type") == "occurrence":  # an occurrence written alone
        patched["type"] = "exception"
    for key in ("start", "end"):
        if key in changes:
            patched[key] = _utc_time(changes[key])
    if "singleValueExtendedProperties" in changes:
        merged = {p["id"].lower(): p for p in event.get("singleValueExtendedProperties", [])}
        for item in changes["singleValueExtendedProperties"]:
            merged[str(item["id"]).lower()] = {"id": item["id"], "value": str(item["value"])}
        patched["singleValueExtendedProperties"] = list(merged.values())
    return patched


def _shown(event: Event, expanded: frozenset[str]) -> Event:
    """The event as Graph answers it: extended properties only when expanded."""
    shown = {k: v for k, v in event.items() if k != "singleValueExtendedProperties"}
    properties = [
        p for p in event.get("singleValueExtendedProperties", []) if p["id"].lower() in expanded
    ]
    if properties:
        shown["singleValueExtendedProperties"] = properties
    return shown


def _expanded_ids(expand: str) -> frozenset[str]:
    """The property ids named in `singleValueExtendedProperties($filter=id eq '...' or ...)`."""
    if not expand.startswith("singleValueExtendedProperties"):
        return frozenset()
    return frozenset(i.lower() for i in re.findall(r"id eq '([^']*)'", expand))


def _utc_time(value: Any) -> dict[str, str]:
    """A dateTimeTimeZone (IANA or UTC zone) stored as UTC."""
    try:
        zone = ZoneInfo(value.get("timeZone") or "UTC")
        moment = datetime.fromisoformat(value["dateTime"]).replace(tzinfo=zone)
    except (AttributeError, KeyError, ValueError, ZoneInfoNotFoundError):
        raise GraphError(400, "ErrorInvalidRequest", "Invalid dateTimeTimeZone.") from None
    return {"dateTime": _graph_format(moment), "timeZone": "UTC"}


def _graph_format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def _start(event: Event) -> datetime:
    return datetime.fromisoformat(event["start"]["dateTime"]).replace(tzinfo=UTC)


def _end(event: Event) -> datetime:
    return datetime.fromisoformat(event["end"]["dateTime"]).replace(tzinfo=UTC)


def _query_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(400, "ErrorInvalidParameter", f"Invalid time: {text}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _resource_user(resource: str) -> str:
    match = re.fullmatch(r"/?(?:users|Users)/([^/]+)/events", resource)
    if match is None:
        raise GraphError(400, "InvalidRequest", f"Unsupported resource: {resource}")
    return match.group(1)


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"skip:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        kind, offset = "", ""
    if kind != "skip" or not offset.isdigit():
        raise GraphError(400, "BadRequest", "Invalid $skiptoken.")
    return int(offset)


def _new_id() -> str:
    return "AAMkAG" + secrets.token_urlsafe(30)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def graph_time(moment: datetime) -> dict[str, str]:
    """A test's helper: a dateTimeTimeZone in UTC, as the fake stores it."""
    return {"dateTime": _graph_format(moment), "timeZone": "UTC"}
