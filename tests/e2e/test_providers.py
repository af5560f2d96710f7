"""The full reschedule with each real provider selected for a business: Lakeside Electric on
Google Calendar, Harbor Appliance Repair on Microsoft Outlook, Summit Home Services on
ServiceTitan, each kept in its local fake (local/provider_fakes.py).

The test reads and changes the fakes through each provider's own API, with the credentials
`GET /dev/providers` shows, as the business's own staff would in their scheduling tool.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from reschedule_dispatch.adapters.microsoft_graph import property_id
from tests.e2e.client import PHONE, TIMEOUT, Console, slots

DISPATCHERS = {
    "google_calendar": "lena@lakeside.example",
    "microsoft_graph": "hugo@harbor.example",
    "servicetitan": "sofia@summit.example",
}
CHANGED_ELSEWHERE = "The appointment changed elsewhere."


@dataclass(frozen=True)
class Booked:
    """An appointment as the provider itself holds it."""

    start: datetime
    end: datetime
    technician_id: str
    version: str  # Google's and Graph's ETag; ServiceTitan's modifiedOn
    move_key: str | None = None  # the idempotency key our last move left on the event


class ProviderApi:
    """A business's own staff in its provider (the fake), through the provider's API."""

    def __init__(self, connection: dict[str, Any]) -> None:
        self.options: dict[str, Any] = connection["options"]
        self.credentials: dict[str, Any] = connection["credentials"]
        self._token: str | None = None

    def read(self, appointment_id: str, technician_id: str) -> Booked:
        raise NotImplementedError

    def move(self, appointment_id: str, technician_id: str, start: datetime, end: datetime) -> None:
        raise NotImplementedError

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        if self._token is None:
            self._token = self._grant()
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        response = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def _grant(self) -> str:
        raise NotImplementedError


class GoogleCalendar(ProviderApi):
    def _grant(self) -> str:
        form = {
            "grant_type": "refresh_token",
            **{k: self.credentials[k] for k in ("client_id", "client_secret", "refresh_token")},
        }
        response = requests.post(self.options["token_url"], data=form, timeout=TIMEOUT)
        return str(response.json()["access_token"])

    def _event_url(self, event_id: str, technician_id: str) -> str:
        calendar = next(
            t["calendar_id"] for t in self.options["technicians"] if t["id"] == technician_id
        )
        quoted = urllib.parse.quote(calendar, safe="")
        return f"{self.options['api_base_url']}/calendars/{quoted}/events/{event_id}"

    def read(self, appointment_id: str, technician_id: str) -> Booked:
        event = self._call("GET", self._event_url(appointment_id, technician_id))
        return Booked(
            start=datetime.fromisoformat(event["start"]["dateTime"]),
            end=datetime.fromisoformat(event["end"]["dateTime"]),
            technician_id=technician_id,
            version=event["etag"],
            move_key=event["extendedProperties"]["private"].get("move_key"),
        )

    def move(self, appointment_id: str, technician_id: str, start: datetime, end: datetime) -> None:
        body = {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}
        self._call("PATCH", self._event_url(appointment_id, technician_id), json=body)


class Outlook(ProviderApi):
    def _grant(self) -> str:
        response = requests.post(
            f"{self.options['login_base_url']}/{self.options['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
                "scope": "https://graph.microsoft.com/.default",
            },
            timeout=TIMEOUT,
        )
        return str(response.json()["access_token"])

    def _event_url(self, event_id: str, technician_id: str) -> str:
        user = next(t["user_id"] for t in self.options["technicians"] if t["id"] == technician_id)
        return f"{self.options['api_base_url']}/users/{user}/events/{event_id}"

    def read(self, appointment_id: str, technician_id: str) -> Booked:
        move_key = property_id("move_key")
        event = self._call(
            "GET",
            self._event_url(appointment_id, technician_id),
            params={"$expand": f"singleValueExtendedProperties($filter=id eq '{move_key}')"},
        )
        properties = {p["id"]: p["value"] for p in event.get("singleValueExtendedProperties", [])}
        return Booked(
            start=_utc(event["start"]["dateTime"]),
            end=_utc(event["end"]["dateTime"]),
            technician_id=technician_id,
            version=event["@odata.etag"],
            move_key=properties.get(move_key),
        )

    def move(self, appointment_id: str, technician_id: str, start: datetime, end: datetime) -> None:
        body = {"start": _graph(start), "end": _graph(end)}
        self._call("PATCH", self._event_url(appointment_id, technician_id), json=body)


class ServiceTitan(ProviderApi):
    def _grant(self) -> str:
        response = requests.post(
            self.options["auth_url"],
            data={
                "grant_type": "client_credentials",
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            },
            timeout=TIMEOUT,
        )
        return str(response.json()["access_token"])

    def _url(self, api: str, resource: str) -> str:
        tenant = self.credentials["tenant_id"]
        return f"{self.options['api_base_url']}/{api}/v2/tenant/{tenant}/{resource}"

    def _st(self, method: str, url: str, **kwargs: Any) -> Any:
        return self._call(
            method, url, headers={"ST-App-Key": self.credentials["app_key"]}, **kwargs
        )

    def read(self, appointment_id: str, technician_id: str) -> Booked:
        raw = self._st("GET", self._url("jpm", f"appointments/{appointment_id}"))
        assigned = self._st(
            "GET",
            self._url("dispatch", "appointment-assignments"),
            params={"appointmentIds": appointment_id},
        )["data"]
        return Booked(
            start=_utc(raw["start"]),
            end=_utc(raw["end"]),
            technician_id=str(assigned[0]["technicianId"]),
            version=raw["modifiedOn"],
        )

    def move(self, appointment_id: str, technician_id: str, start: datetime, end: datetime) -> None:
        body = {"start": _iso_z(start), "end": _iso_z(end)}
        self._st("PATCH", self._url("jpm", f"appointments/{appointment_id}/reschedule"), json=body)


APIS: dict[str, type[ProviderApi]] = {
    "google_calendar": GoogleCalendar,
    "microsoft_graph": Outlook,
    "servicetitan": ServiceTitan,
}


def _utc(text: str) -> datetime:
    """Graph's "2026-11-24T18:00:00.0000000" (in UTC, as asked) or ServiceTitan's "...Z"."""
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def _graph(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _slot(key: str) -> tuple[datetime, str]:
    """An offered slot's start and technician (domain/session.opening_key)."""
    start, _, technician_id = key.partition(".")
    return datetime.strptime(start, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), technician_id


def provider_api(url: str, kind: str) -> ProviderApi:
    shown = requests.get(f"{url}/dev/providers", timeout=TIMEOUT).json()["businesses"]
    return APIS[kind](next(b for b in shown if b["kind"] == kind))


def link_opened(url: str, kind: str) -> tuple[Console, ProviderApi, dict, dict, list[str]]:
    """A dispatcher of the business on `kind` finds a customer and sends a link; the customer
    opens it. Answers the console, the provider's API, the appointment, the session and
    the offered slots."""
    console = Console.sign_in(url, DISPATCHERS[kind])
    api = provider_api(url, kind)
    customer, appointment, session = console.send_any()
    assert session["status"] == "link_sent"
    # The appointment the console showed is the one the provider holds.
    booked = api.read(appointment["id"], appointment["technician"]["id"])
    assert booked.start == datetime.fromisoformat(appointment["start"])

    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert page.status_code == 200
    assert appointment["service"] in page.text
    assert appointment["technician"]["name"] in page.text
    offered = slots(page.text)
    assert offered, f"no openings offered for {customer['name']}"
    return console, api, appointment, session, offered


def provider_requests(url: str, kind: str) -> int:
    """What the fake of `kind` has answered so far, once nothing else is calling it (a
    push from an earlier test may still be on its way)."""
    seen: list[int] = []
    for _ in range(60):
        shown = requests.get(f"{url}/dev/providers", timeout=TIMEOUT).json()["api_requests"]
        seen.append(int(shown[kind]))
        if len(seen) >= 4 and len(set(seen[-4:])) == 1:  # unchanged for 1.5 s
            return seen[-1]
        time.sleep(0.5)
    raise AssertionError(f"the {kind} fake never went quiet")


@pytest.mark.parametrize("kind", list(DISPATCHERS))
def test_the_customer_page_makes_no_call_to_the_provider(stack_url, kind):
    # Given a link sent (the schedule mirror filled when the stack started)
    _, _, appointment, session, offered = link_opened(stack_url, kind)
    before = provider_requests(stack_url, kind)

    # When the customer opens the page, again, and taps a time
    for url in (session["link"], session["link"], f"{session['link']}?slot={offered[0]}"):
        page = PHONE.get(url, timeout=TIMEOUT)
        assert page.status_code == 200
        assert appointment["service"] in page.text

    # Then the provider was not asked anything
    assert provider_requests(stack_url, kind) == before


@pytest.mark.parametrize("kind", list(DISPATCHERS))
def test_a_customer_reschedules_and_the_appointment_moves_in_the_provider(stack_url, kind):
    # Given a link sent and opened, with openings read from the provider
    console, api, appointment, session, offered = link_opened(stack_url, kind)
    technician_id = appointment["technician"]["id"]
    before = api.read(appointment["id"], technician_id)
    start, slot_technician = _slot(offered[0])
    assert slot_technician == technician_id  # the business keeps the same technician
    assert start != before.start

    # When the customer confirms the first opening
    confirmed = PHONE.post(
        f"{session['link']}/confirm",
        data={"slot": offered[0]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert confirmed.status_code == 303

    # Then the workflow completes the session
    detail = console.wait_status(session["id"], "completed")
    assert datetime.fromisoformat(detail["new_start"]) == start

    # And the appointment moved in the provider itself: new time, same length, same
    # technician, a new version (the move was a conditional write on the old one)
    after = api.read(appointment["id"], technician_id)
    assert after.start == start
    assert after.end - after.start == before.end - before.start
    assert after.technician_id == before.technician_id
    assert after.version != before.version
    if kind != "servicetitan":  # the calendars carry the move's idempotency key
        assert after.move_key == session["id"]


@pytest.mark.parametrize("kind", list(DISPATCHERS))
def test_an_appointment_changed_in_the_provider_before_confirm_is_not_overwritten(stack_url, kind):
    # Given a link sent and opened
    console, api, appointment, session, offered = link_opened(stack_url, kind)
    technician_id = appointment["technician"]["id"]
    before = api.read(appointment["id"], technician_id)

    # When the business moves the appointment in its own tool (an hour later), and then
    # the customer confirms an opening from the page they had open
    elsewhere = before.start + timedelta(hours=1)
    api.move(appointment["id"], technician_id, elsewhere, before.end + timedelta(hours=1))
    changed = api.read(appointment["id"], technician_id)
    assert changed.version != before.version
    PHONE.post(
        f"{session['link']}/confirm",
        data={"slot": offered[0]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )

    # Then the session fails with the reason
    detail = console.wait_status(session["id"], "failed")
    assert detail["failure_reason"] == CHANGED_ELSEWHERE

    # And nothing was overwritten: the provider still has the change made there
    after = api.read(appointment["id"], technician_id)
    assert (after.start, after.end, after.version) == (changed.start, changed.end, changed.version)
    assert after.start == elsewhere
    assert after.move_key != session["id"]
