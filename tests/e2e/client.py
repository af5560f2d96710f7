"""The e2e tests' view of the product: a dispatcher's console API, a phone, a browser-less page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from tests.e2e.conftest import stack_now, token_for, wait_for

TIMEOUT = 10
NORTHSIDE = "dana@northside.example"  # Northside Plumbing, Chicago
BAYSIDE = "maria@bayside.example"  # Bayside Heating & Air, San Francisco


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connections from one loopback address: another device, to the stack."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


class Phone(requests.Session):
    """The customer's phone's browser: it keeps each link's cookie, and where a link no
    browser has opened yet shows its "Show my appointment" form, it submits it (as the
    page's script does once a person sees it), then makes its request again. `address`:
    another device's (a loopback address of its own), so what it tries is counted apart."""

    def __init__(self, address: str | None = None) -> None:
        super().__init__()
        if address is not None:
            self.mount("http://", _FromAddress(address))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        response = super().request(method, url, *args, **kwargs)
        opening = re.search(r"<form id='open' method='post' action='([^']+)'", response.text)
        if opening is None:
            return response
        opened = super().request("POST", opening.group(1), allow_redirects=False, timeout=TIMEOUT)
        assert opened.status_code == 303, opened.text
        return super().request(method, url, *args, **kwargs)


# One phone for every link the tests open: each link's cookie is scoped to its own path.
PHONE = Phone()


def slots(html: str) -> list[str]:
    """The openings a customer page offers (each a link to its confirm step)."""
    return [unquote(s) for s in re.findall(r"\?slot=([^'\"&]+)", html)]


def inbox(url: str, phone: str) -> list[dict[str, Any]]:
    response = requests.get(f"{url}/dev/sms", params={"to": phone}, timeout=TIMEOUT)
    response.raise_for_status()
    return list(response.json())


def report_provider_event(url: str, business_id: str, appointment_id: str, change: str) -> None:
    """What a verified provider webhook carries, applied as one would be (`/dev/provider-events`)."""
    reported = requests.post(
        f"{url}/dev/provider-events",
        json={"business_id": business_id, "appointment_id": appointment_id, "change": change},
        timeout=TIMEOUT,
    )
    assert reported.status_code == 202, reported.text


@dataclass
class Console:
    url: str
    token: str

    @classmethod
    def sign_in(cls, url: str, email: str) -> Console:
        return cls(url, token_for(url, email))

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return requests.request(
            method, f"{self.url}{path}", headers=headers, timeout=TIMEOUT, **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self._call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self._call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self._call("DELETE", path, **kwargs)

    def now(self) -> datetime:
        """What the product's clock says (the stack's, which the tests pin)."""
        return stack_now(self.url)

    def customers(self, query: str) -> list[dict[str, Any]]:
        response = self.get("/api/customers", params={"q": query})
        response.raise_for_status()
        return list(response.json())

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.get(f"/api/sessions/{session_id}")
        response.raise_for_status()
        return dict(response.json())

    def movable_appointments(self, query: str = "555") -> list[tuple[dict, dict]]:
        """(customer, appointment) pairs at least two days away by the stack's clock, so
        the link may be sent."""
        soon = self.now() + timedelta(days=2)
        return [
            (customer, appointment)
            for customer in self.customers(query)
            for appointment in customer["appointments"]
            if datetime.fromisoformat(appointment["start"]) > soon
        ]

    def send_any(self, exclude: set[str] | None = None) -> tuple[dict, dict, dict]:
        """Sends a link for the first movable appointment with no session in progress."""
        for customer, appointment in self.movable_appointments():
            if exclude and appointment["id"] in exclude:
                continue
            response = self.post("/api/sessions", json={"appointment_id": appointment["id"]})
            if response.status_code == 409:
                continue  # another test's session is in progress on this one
            assert response.status_code == 201, response.text
            return customer, appointment, dict(response.json())
        raise AssertionError("no movable appointment left without a session in progress")

    def wait_status(self, session_id: str, *statuses: str, timeout: float = 45.0) -> dict:
        last: dict[str, Any] = {}

        def reached() -> dict[str, Any] | None:
            last.update(self.session(session_id))
            return last if last["status"] in statuses else None

        try:
            return dict(wait_for(reached, timeout=timeout))
        except pytest.fail.Exception:
            events = [(e["type"], e["detail"]) for e in last.get("timeline", [])]
            pytest.fail(f"session {session_id} stayed {last.get('status')}: {events}")
