"""A local stand-in for Google Calendar API v3 and Google's OAuth2 token endpoint.

Point the adapter at it with `api_base_url = {url}{prefix}/calendar/v3` and
`token_url = {url}{prefix}/token`. It answers, in Google's shapes:

* `POST /token` — the refresh-token grant; access tokens expire after `token_lifetime`;
  a wrong client is 401 invalid_client, a wrong or revoked refresh token 400 invalid_grant.
  And the authorization code grant: the code single use and expiring (`code_lifetime`, on
  the fake's clock), `redirect_uri` the one it was issued for, `code_verifier` checked
  against the S256 `code_challenge`; it answers a new refresh token and an ID token.
* `GET /o/oauth2/v2/auth` — the consent page (client_id, redirect_uri, response_type=code,
  scope, state, code_challenge, code_challenge_method=S256); Allow redirects back with
  `code` and the same `state`, Deny with `error=access_denied`.
* `GET  /calendars/{calendarId}/events` — timeMin/timeMax (overlap), singleEvents,
  orderBy=startTime (needs singleEvents), privateExtendedProperty (name=value, repeatable),
  q (summary, description, location and attendees), showDeleted, maxResults/pageToken
  paging, syncToken (changes since, cancelled ones included; 410 fullSyncRequired once
  `expire_sync_tokens()` ran; 400 with the filters Google refuses alongside it);
  nextSyncToken on the last page of a sync-able list.
* `GET/PATCH /calendars/{calendarId}/events/{eventId}` — PATCH merges nested objects,
  replaces arrays and honours If-Match (412 conditionNotMet).
* `POST /calendars/{calendarId}/events/{eventId}/move?destination=` — the source keeps a
  cancelled copy, as a sync of it then reports; an instance of a recurring event cannot
  move (400 cannotChangeOrganizerOfInstance).

Recurring events: an event with `recurrence` (an RRULE with FREQ=DAILY or WEEKLY,
INTERVAL, COUNT, UNTIL, BYDAY) is the series; `singleEvents=true` lists its instances,
each with its own id (`{seriesId}_{start as 20260105T150000Z}`, `_20260105` all-day),
`recurringEventId` and `originalStartTime`. An instance is read, patched (it becomes an
exception, stored under its id) and cancelled (`cancel_event`) by its id.
* `POST /calendars/{calendarId}/events/watch`, `POST /channels/stop`.

Every write gives the event a new ETag. Errors are `{"error": {"code", "message",
"errors": [{"domain", "reason", "message"}]}}`. Tests change events "elsewhere"
(`change_event`, `cancel_event`), arm failures (`fail_next`), expire tokens
(`expire_tokens`, `revoke_refresh_token`) and push notifications to a channel's address
(`notify`) with the headers Google sends.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.fakes import AccessTokens, Delivery, Faults, bearer, deliver, push_later
from local.fakes.recurrence import occurrences
from local.sandbox_base import Sandbox, json_response

API = "/calendar/v3"
# Parameters Google refuses alongside a syncToken.
NOT_WITH_SYNC_TOKEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "timeMin", "timeMax")
# A nextSyncToken comes only with lists whose results a later sync can continue.
NOT_SYNCABLE = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "timeMax", "updatedMin")
# How far a series without an end is expanded (Google limits instances too).
SERIES_HORIZON = timedelta(days=730)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
RULE_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"})
FAULT_ERRORS = {
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),  # Google's other way to say 429
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    503: ("backendError", "Service Unavailable"),
}

Event = dict[str, Any]


class GoogleError(Exception):
    """An error answered in the Calendar API's shape."""

    def __init__(
        self, status: int, reason: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers

    def response(self) -> Response:
        error = {"domain": "global", "reason": self.reason, "message": self.message}
        body = {"error": {"code": self.status, "message": self.message, "errors": [error]}}
        return json_response(body, self.status, self.headers)


class OAuthError(GoogleError):
    """An error answered in the token endpoint's shape (RFC 6749 §5.2)."""

    def response(self) -> Response:
        body = {"error": self.reason, "error_description": self.message}
        return json_response(body, self.status)


def _not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Not Found")


def _bad_request(message: str) -> GoogleError:
    return GoogleError(400, "invalid", message)


@dataclass
class _Calendar:
    time_zone: str
    events: dict[str, Event] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)  # event id -> change number


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[Request, re.Match[str]], Response]


class GoogleCalendarFake(Sandbox):
    ERROR = GoogleError

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        prefix: str = "/google",
        token_lifetime: int = 3600,
        code_lifetime: int = 300,
        page_size: int = 250,
        push_changes: bool = False,
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        super().__init__(prefix, "/dev", clock)
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_token: str | None = refresh_token
        self.tokens = AccessTokens(token_lifetime)
        self.code_lifetime = timedelta(seconds=code_lifetime)
        # Codes the consent page issued: what each was issued for, until used or expired.
        self._codes: dict[str, dict[str, Any]] = {}
        self.granted_refresh_tokens: set[str] = set()  # from authorization codes
        self.page_size = page_size
        self.faults = Faults()
        # On: every write pushes to the calendar's channels, as Google does (the local
        # stack); off: tests push with notify() when they want to.
        self.push_changes = push_changes
        self._lock = threading.RLock()
        self._calendars: dict[str, _Calendar] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._watched: dict[str, str] = {}  # channel id: the calendar it watches
        self._changes = 0  # a counter of writes: ETags and sync tokens come from it
        self._sync_epoch = 0  # sync tokens of an earlier epoch are stale
        self._messages = 0
        self._routes = [
            _Route("GET", re.compile(r"/calendars/([^/]+)/events"), self._list),
            _Route("POST", re.compile(r"/calendars/([^/]+)/events/watch"), self._watch),
            _Route("GET", re.compile(r"/calendars/([^/]+)/events/([^/]+)"), self._get),
            _Route("PATCH", re.compile(r"/calendars/([^/]+)/events/([^/]+)"), self._patch),
            _Route("POST", re.compile(r"/calendars/([^/]+)/events/([^/]+)/move"), self._move),
            _Route("POST", re.compile(r"/channels/stop"), self._stop),
        ]

    # -- Python API for tests and seeding ---------------------------------------------------

    def add_calendar(self, calendar_id: str, time_zone: str = "UTC") -> None:
        with self._lock:
            self._calendars.setdefault(calendar_id, _Calendar(time_zone))

    def add_event(self, calendar_id: str, event: Event) -> Event:
        """Stores an event (Google's shape; an id is made up when missing); answers it."""
        with self._lock:
            stored: Event = {
                "kind": "calendar#event",
                "id": event.get("id") or secrets.token_hex(13),
                "status": "confirmed",
                "created": _stamp(self.clock()),
                **event,
            }
            self._write(self._calendar(calendar_id), stored)
            return copy.deepcopy(stored)

    def change_event(self, calendar_id: str, event_id: str, changes: Event) -> Event:
        """Changes an event "elsewhere" (as its owner would in Google Calendar), with patch
        semantics; answers the new event with its new ETag."""
        with self._lock:
            calendar = self._calendar(calendar_id)
            event = _merge(self._event(calendar, event_id), changes)
            self._write(calendar, event)
            return copy.deepcopy(event)

    def cancel_event(self, calendar_id: str, event_id: str) -> Event:
        return self.change_event(calendar_id, event_id, {"status": "cancelled"})

    def event(self, calendar_id: str, event_id: str) -> Event:
        with self._lock:
            return copy.deepcopy(self._event(self._calendar(calendar_id), event_id))

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        path: str | None = None,
    ) -> None:
        """The next `times` API calls (after authentication; only those whose path contains
        `path`, if given) answer `status`."""
        self.faults.arm(status, times=times, retry_after=retry_after, path=path)

    def expire_tokens(self) -> None:
        """Access tokens issued so far stop working, as an hour later at Google."""
        self.tokens.expire_all()

    def revoke_refresh_token(self) -> None:
        """The user disconnected the app: the refresh grant now answers invalid_grant."""
        self.refresh_token = None

    def expire_sync_tokens(self) -> None:
        """Sync tokens issued so far answer 410 Gone (Google invalidates them at times)."""
        with self._lock:
            self._sync_epoch += 1

    def channels(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(channel) for channel in self._channels.values()]

    def notify(self, channel_id: str, state: str = "exists", token: str | None = None) -> Delivery:
        """Pushes a notification for the channel to its address, with Google's headers.

        `token` overrides the channel's token ("" leaves the header out), to test that the
        receiver refuses what Google did not send.
        """
        with self._lock:
            channel = self._channels[channel_id]
            self._messages += 1
            number = self._messages
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Expiration": format_datetime(
                datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC), usegmt=True
            ),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
        }
        channel_token = channel.get("token") if token is None else token
        if channel_token:
            headers["X-Goog-Channel-Token"] = channel_token
        return deliver(channel["address"], headers)

    # -- WSGI -------------------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == self.prefix + "/token" and request.method == "POST":
            return self._token(request)
        if path == self.prefix + "/o/oauth2/v2/auth" and request.method in {"GET", "POST"}:
            return self._consent(request)
        api = self.prefix + API
        if not path.startswith(api + "/"):
            raise _not_found()
        for route in self._routes:
            match = route.pattern.fullmatch(path[len(api) :])
            if match and route.method == request.method:
                self._authenticate(request)
                self._maybe_fail(path)
                with self._lock:
                    return route.handler(request, match)
        raise _not_found()

    def _consent(self, request: Request) -> Response:
        """The consent page: GET shows it, POST is the person's answer."""
        args = request.args if request.method == "GET" else request.form
        fields = {
            name: args.get(name, "")
            for name in (
                "client_id",
                "redirect_uri",
                "response_type",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
                "access_type",
                "prompt",
            )
        }
        problem = (
            "The OAuth client was not found."
            if fields["client_id"] != self.client_id
            else "Missing redirect_uri."
            if not fields["redirect_uri"].startswith(("http://", "https://"))
            else "Unsupported response_type."
            if fields["response_type"] != "code"
            else "code_challenge_method must be S256."
            if fields["code_challenge_method"] != "S256" or not fields["code_challenge"]
            else None
        )
        if problem:  # as Google: an error page, never a redirect to an unchecked address
            return Response(
                f"<!doctype html><title>Error 400</title><h1>Access blocked</h1><p>{problem}</p>",
                status=400,
                content_type="text/html",
            )
        if request.method == "GET":
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                for k, v in fields.items()
            )
            page = (
                '<!doctype html><html lang="en"><title>Sign in - Google Accounts (local)</title>'
                "<h1>Reschedule Dispatch wants to access your Google Account</h1>"
                f"<p>It asks for: {html.escape(fields['scope'])}</p>"
                f'<form method="post">{hidden}'
                '<label>Account <input name="email" value="owner@calendar.example"></label>'
                '<button name="decision" value="deny">Cancel</button>'
                '<button name="decision" value="allow">Allow</button></form></html>'
            )
            return Response(page, status=200, content_type="text/html")
        back = fields["redirect_uri"]
        separator = "&" if "?" in back else "?"
        if request.form.get("decision") != "allow":
            query = urlencode({"error": "access_denied", "state": fields["state"]})
            return Response(status=302, headers={"Location": f"{back}{separator}{query}"})
        code = "4/" + secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = {
                **fields,
                "email": request.form.get("email") or "owner@calendar.example",
                "expires": self.clock() + self.code_lifetime,
            }
        query = urlencode({"code": code, "scope": fields["scope"], "state": fields["state"]})
        return Response(status=302, headers={"Location": f"{back}{separator}{query}"})

    def _authorization_code(self, form: Any) -> Response:
        with self._lock:
            issued = self._codes.pop(form.get("code", ""), None)  # single use
        if issued is None or self.clock() >= issued["expires"]:
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != issued["redirect_uri"]:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if not verifier or not hmac.compare_digest(challenge, issued["code_challenge"]):
            raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        refresh_token = "1//" + secrets.token_urlsafe(30)
        with self._lock:
            self.granted_refresh_tokens.add(refresh_token)
        claims = {
            "iss": "https://accounts.google.com",
            "aud": self.client_id,
            "email": issued["email"],
        }
        id_token = ".".join(
            base64.urlsafe_b64encode(part).rstrip(b"=").decode()
            for part in (b'{"alg":"none"}', json.dumps(claims).encode(), b"local")
        )
        body = {
            "access_token": self.tokens.issue("ya29."),
            "expires_in": self.tokens.lifetime,
            "refresh_token": refresh_token,
            "id_token": id_token,
            "scope": issued["scope"],
            "token_type": "Bearer",
        }
        return json_response(body, 200)

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") not in {"refresh_token", "authorization_code"}:
            raise OAuthError(400, "unsupported_grant_type", "Invalid grant_type.")
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if form.get("grant_type") == "authorization_code":
            return self._authorization_code(form)
        given = form.get("refresh_token", "")
        known = given in self.granted_refresh_tokens or (
            self.refresh_token is not None and hmac.compare_digest(given, self.refresh_token)
        )
        if not known:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        body = {
            "access_token": self.tokens.issue("ya29."),
            "expires_in": self.tokens.lifetime,
            "scope": "https://www.googleapis.com/auth/calendar",
            "token_type": "Bearer",
        }
        return json_response(body, 200)

    def _authenticate(self, request: Request) -> None:
        if not self.tokens.valid(bearer(request)):
            raise GoogleError(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )

    def _maybe_fail(self, path: str) -> None:
        fault = self.faults.next(path)
        if fault is not None:
            reason, message = FAULT_ERRORS.get(fault.status, ("backendError", "Error"))
            raise GoogleError(fault.status, reason, message, self.faults.headers(fault))

    # -- events -----------------------------------------------------------------------------

    def _list(self, request: Request, match: re.Match[str]) -> Response:
        calendar = self._calendar(match.group(1))
        args = request.args
        if args.get("orderBy") == "startTime" and args.get("singleEvents") != "true":
            raise _bad_request("The requested ordering is not available for the particular query.")
        if "syncToken" in args:
            events = self._since(calendar, args)
        else:
            events = _filtered(calendar, _listed(calendar, args), args)
        if args.get("orderBy") == "startTime":
            events.sort(key=lambda e: _start(e, calendar.time_zone))
        offset = _offset(args.get("pageToken"))
        size = min(int(args.get("maxResults", self.page_size)), self.page_size)
        page = events[offset : offset + size]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "summary": match.group(1),
            "timeZone": calendar.time_zone,
            "accessRole": "owner",
            "items": page,
        }
        if offset + size < len(events):
            body["nextPageToken"] = _page_token(offset + size)
        elif not any(name in args for name in NOT_SYNCABLE):
            body["nextSyncToken"] = _sync_token(self._sync_epoch, self._changes)
        return json_response(body, 200)

    def _since(self, calendar: _Calendar, args: Any) -> list[Event]:
        refused = [name for name in NOT_WITH_SYNC_TOKEN if name in args]
        if refused:
            raise _bad_request(f"{refused[0]} cannot be used with syncToken.")
        epoch, change = _sync_position(args["syncToken"])
        if epoch != self._sync_epoch:
            raise GoogleError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        changed = {
            event_id: event
            for event_id, event in calendar.events.items()
            if calendar.changed_at[event_id] > change
        }
        if args.get("singleEvents") != "true":
            return list(changed.values())
        # A changed series is reported as its instances (a sync of it with singleEvents).
        return [
            item
            for event in changed.values()
            for item in (_instances(calendar, event) if event.get("recurrence") else [event])
        ]

    def _get(self, request: Request, match: re.Match[str]) -> Response:
        return json_response(self._event(self._calendar(match.group(1)), match.group(2)), 200)

    def _patch(self, request: Request, match: re.Match[str]) -> Response:
        calendar = self._calendar(match.group(1))
        event = self._event(calendar, match.group(2))
        _check_if_match(request, event)
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            raise _bad_request("Parse Error")
        changes = {k: v for k, v in changes.items() if k not in ("id", "etag", "kind")}
        patched = _merge(event, changes)
        _check_times(patched, calendar.time_zone)
        self._write(calendar, patched)
        return json_response(patched, 200)

    def _move(self, request: Request, match: re.Match[str]) -> Response:
        source = self._calendar(match.group(1))
        event = self._event(source, match.group(2))
        if event.get("recurringEventId"):
            raise GoogleError(
                400,
                "cannotChangeOrganizerOfInstance",
                "Cannot change the organizer of an instance.",
            )
        destination = self._calendar(request.args.get("destination", ""))
        if destination is source:
            raise _bad_request("Cannot move an event to the calendar it is in.")
        if event["id"] in destination.events:
            raise GoogleError(409, "duplicate", "The requested identifier already exists.")
        self._write(destination, dict(event))
        self._write(source, {"kind": "calendar#event", "id": event["id"], "status": "cancelled"})
        return json_response(destination.events[event["id"]], 200)

    def _watch(self, request: Request, match: re.Match[str]) -> Response:
        self._calendar(match.group(1))
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("type") != "web_hook":
            raise _bad_request("Invalid value for: type")
        if not body.get("id") or not str(body.get("address", "")).startswith("http"):
            raise _bad_request("Missing or invalid channel id or address.")
        if body["id"] in self._channels:
            raise _bad_request(f"Channel id {body['id']} not unique")
        channel = {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": secrets.token_urlsafe(18),
            "resourceUri": f"{request.host_url.rstrip('/')}{self.prefix}{API}/calendars/"
            f"{match.group(1)}/events?alt=json",
            "expiration": str(
                body.get("expiration") or int((self.clock().timestamp() + 7 * 24 * 3600) * 1000)
            ),
            "address": body["address"],
        }
        if body.get("token"):
            channel["token"] = body["token"]
        self._channels[body["id"]] = channel
        self._watched[body["id"]] = match.group(1)
        return json_response({k: v for k, v in channel.items() if k != "address"}, 200)

    def _stop(self, request: Request, match: re.Match[str]) -> Response:
        body = request.get_json(silent=True) or {}
        channel = self._channels.get(str(body.get("id")))
        if channel is None or channel["resourceId"] != body.get("resourceId"):
            raise _not_found()
        del self._channels[channel["id"]]
        self._watched.pop(channel["id"], None)
        return Response(status=204)

    # -- storage ----------------------------------------------------------------------------

    def _calendar(self, calendar_id: str) -> _Calendar:
        if calendar_id == "primary":  # the signed-in account's own calendar
            return self._calendars.setdefault(calendar_id, _Calendar("UTC"))
        calendar = self._calendars.get(calendar_id)
        if calendar is None:
            raise _not_found()
        return calendar

    @staticmethod
    def _event(calendar: _Calendar, event_id: str) -> Event:
        """The stored event, or the instance of a series this id names (not stored until
        it is written: then it is the series' exception)."""
        event = calendar.events.get(event_id)
        if event is not None:
            return event
        series = calendar.events.get(event_id.rpartition("_")[0])
        if series is not None and series.get("recurrence"):
            for instance in _instances(calendar, series, every=True):
                if instance["id"] == event_id:
                    return instance
        raise _not_found()

    def _write(self, calendar: _Calendar, event: Event) -> None:
        """Stores the event as a new version: a new ETag and change number."""
        self._changes += 1
        event["etag"] = f'"{3_100_000_000_000_000 + self._changes}"'
        event["updated"] = _stamp(self.clock())
        calendar.events[event["id"]] = event
        calendar.changed_at[event["id"]] = self._changes
        if self.push_changes:  # Google pushes "exists" to every channel on the calendar
            calendar_id = next(k for k, v in self._calendars.items() if v is calendar)
            for channel_id, watched in self._watched.items():
                if watched == calendar_id:
                    push_later(partial(self.notify, channel_id))


def _listed(calendar: _Calendar, args: Any) -> list[Event]:
    """The calendar's events as a list has them: with singleEvents, each series as its
    instances (its exceptions in their place) and never the series itself."""
    if args.get("singleEvents") != "true":
        return list(calendar.events.values())
    listed = []
    for event in calendar.events.values():
        if event.get("recurrence"):
            listed.extend(_instances(calendar, event))
        elif not event.get("recurringEventId"):  # an exception comes with its series
            listed.append(event)
    return listed


def _instances(calendar: _Calendar, series: Event, *, every: bool = False) -> list[Event]:
    """The series' instances in start order: an instance written since is its stored
    exception (a cancelled one only with `every`, as showDeleted would show it)."""
    zone = series["start"].get("timeZone") or calendar.time_zone
    first, end = _when(series["start"], zone), _when(series["end"], zone)
    all_day = "dateTime" not in series["start"]
    found = []
    for start in _occurrences(series.get("recurrence", []), first.astimezone(ZoneInfo(zone))):
        key = (
            start.strftime("%Y%m%d")
            if all_day
            else start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        )
        instance_id = f"{series['id']}_{key}"
        stored = calendar.events.get(instance_id)
        if stored is not None:
            if every or stored.get("status") != "cancelled":
                found.append(stored)
            continue
        found.append(
            {
                **{k: v for k, v in series.items() if k not in ("recurrence", "id")},
                "id": instance_id,
                "recurringEventId": series["id"],
                "originalStartTime": _moment(start, all_day, series["start"]),
                "start": _moment(start, all_day, series["start"]),
                "end": _moment(start + (end - first), all_day, series["end"]),
            }
        )
    return found


def _occurrences(recurrence: list[str], first: datetime) -> list[datetime]:
    """The starts an RRULE gives (FREQ=DAILY/WEEKLY, INTERVAL, COUNT, UNTIL, BYDAY), as
    wall-clock times of the first one's zone; 400 for any other rule."""
    rule: dict[str, str] = {}
    for line in recurrence:
        if line.startswith("RRULE:"):
            rule = dict(part.partition("=")[::2] for part in line[6:].split(";"))
    frequency = rule.get("FREQ")
    if frequency not in ("DAILY", "WEEKLY") or not set(rule) <= RULE_PARTS:
        raise _bad_request(f"Unsupported recurrence: {recurrence}")
    interval = int(rule.get("INTERVAL", "1"))
    count = int(rule["COUNT"]) if "COUNT" in rule else None
    until = _until(rule["UNTIL"], first) if "UNTIL" in rule else first + SERIES_HORIZON
    days = [WEEKDAYS.index(d[-2:]) for d in rule.get("BYDAY", "").split(",") if d]
    return occurrences(
        first,
        weekly=frequency == "WEEKLY",
        interval=interval,
        weekdays=days,
        until=until,
        count=count,
    )


def _until(text: str, first: datetime) -> datetime:
    if len(text) == 8:  # a date: the whole day
        return datetime.combine(
            date.fromisoformat(f"{text[:4]}-{text[4:6]}-{text[6:]}"), time.max, first.tzinfo
        )
    return datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def _moment(moment: datetime, all_day: bool, like: dict[str, str]) -> dict[str, str]:
    """A start or end in the shape of the series' own (`like`)."""
    if all_day:
        return {"date": moment.date().isoformat()}
    shaped = {"dateTime": moment.isoformat()}
    if like.get("timeZone"):
        shaped["timeZone"] = like["timeZone"]
    return shaped


def _filtered(calendar: _Calendar, events: list[Event], args: Any) -> list[Event]:
    time_min = _query_time(args["timeMin"]) if "timeMin" in args else None
    time_max = _query_time(args["timeMax"]) if "timeMax" in args else None
    wanted = [p.partition("=") for p in args.getlist("privateExtendedProperty")]
    words = args.get("q", "").lower().split()
    found = []
    for event in events:
        if event.get("status") == "cancelled" and args.get("showDeleted") != "true":
            continue
        if "start" not in event:  # what a move leaves behind: not placed in time any more
            continue
        private = event.get("extendedProperties", {}).get("private", {})
        if any(private.get(name) != value for name, _, value in wanted):
            continue
        guests = " ".join(
            f"{a.get('email', '')} {a.get('displayName', '')}" for a in event.get("attendees", [])
        )
        text = " ".join(str(event.get(k, "")) for k in ("summary", "description", "location"))
        if any(word not in f"{text} {guests}".lower() for word in words):
            continue
        start, end = _start(event, calendar.time_zone), _end(event, calendar.time_zone)
        if (time_min and end <= time_min) or (time_max and start >= time_max):
            continue
        found.append(event)
    return found


def _check_if_match(request: Request, event: Event) -> None:
    expected = request.headers.get("If-Match")
    if expected is not None and expected not in ("*", event["etag"]):
        raise GoogleError(412, "conditionNotMet", "Precondition Failed")


def _check_times(event: Event, zone: str) -> None:
    try:
        if _end(event, zone) <= _start(event, zone):
            raise GoogleError(400, "timeRangeEmpty", "The specified time range is empty.")
    except (KeyError, TypeError, ValueError):
        raise _bad_request("Invalid start or end time.") from None


def _merge(target: Event, changes: Event) -> Event:
    """Google's patch semantics: nested objects merge, anything else (arrays) replaces."""
    merged = dict(target)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _start(event: Event, zone: str) -> datetime:
    return _when(event["start"], zone)


def _end(event: Event, zone: str) -> datetime:
    return _when(event["end"], zone)


def _when(value: dict[str, str], zone: str) -> datetime:
    if "dateTime" in value:
        moment = _parse_time(value["dateTime"])
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
    return datetime.combine(date.fromisoformat(value["date"]), time(), ZoneInfo(zone))


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_request(f"Invalid time: {text}") from None


def _query_time(text: str) -> datetime:
    """timeMin/timeMax: RFC 3339 with a mandatory offset, as Google documents them."""
    moment = _parse_time(text)
    if moment.tzinfo is None:
        raise _bad_request(f"Invalid time (no offset): {text}")
    return moment


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"page:{offset}".encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, offset = base64.urlsafe_b64decode(token).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _bad_request("Invalid page token value.") from None
    if kind != "page" or not offset.isdigit():
        raise _bad_request("Invalid page token value.")
    return int(offset)


def _sync_token(epoch: int, change: int) -> str:
    return base64.urlsafe_b64encode(f"sync:{epoch}:{change}".encode()).decode()


def _sync_position(token: str) -> tuple[int, int]:
    """A sync token's (epoch, change number); 400 for anything we did not issue."""
    try:
        kind, epoch, change = base64.urlsafe_b64decode(token).decode().split(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _bad_request("Invalid sync token value.") from None
    if kind != "sync" or not epoch.isdigit() or not change.isdigit():
        raise _bad_request("Invalid sync token value.")
    return int(epoch), int(change)
