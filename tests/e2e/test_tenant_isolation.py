"""Every dispatcher route, asked by business B about business A's things: 404, nothing changes.

The routes come from the synthesized template, so a new route cannot skip this suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from local.template import TEMPLATE_NAME, Template
from tests.e2e.client import BAYSIDE, NORTHSIDE, Console, report_provider_event
from tests.e2e.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _dispatcher_routes() -> list[tuple[str, str]]:
    if not (ROOT / "cdk.out" / TEMPLATE_NAME).exists():
        # Collection must not crash: the stack fixture then says to run `make synth`
        return [("GET", "/api/me")]
    template = Template.load(ROOT / "cdk.out")
    return sorted(
        (r.method, r.path) for r in template.routes() if r.authorization == "COGNITO_USER_POOLS"
    )


def _session_ids(console: Console) -> set[str]:
    """Every session id the console's business lists: both views, every page."""
    ids: set[str] = set()
    for view in ("in_progress", "history"):
        params: dict[str, str | int] = {"view": view, "limit": 100}
        while True:
            page = console.get("/api/sessions", params=params)
            assert page.status_code == 200, page.text
            ids |= {s["id"] for s in page.json()["sessions"]}
            if not page.json().get("cursor"):
                break
            params["cursor"] = page.json()["cursor"]
    return ids


def _appointment_in_provider(console: Console, customer: dict, appointment_id: str) -> dict:
    """The appointment as the business's provider has it now, read back through A's console."""
    for found in console.customers(customer["name"]):
        for appointment in found["appointments"]:
            if appointment["id"] == appointment_id:
                return dict(appointment)
    raise AssertionError(f"appointment {appointment_id} is gone")


def _timeline_sessions(console: Console, appointment_id: str) -> list[tuple[str, str]]:
    """The appointment's reschedules (links and moves), oldest first: (id, status)."""
    timeline = console.get(f"/api/appointments/{appointment_id}/timeline")
    assert timeline.status_code == 200, timeline.text
    return [(s["id"], s["status"]) for s in timeline.json()["sessions"]]


@pytest.fixture(scope="module")
def northside_session(stack_url):
    northside = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = northside.send_any()
    # The sandbox reports delivery moments later; wait, so only B's requests could change A's.
    wait_for(
        lambda: any(e["type"] == "delivered" for e in northside.session(session["id"])["timeline"])
    )
    # And a reschedule the provider suggested to A (another appointment: the first has a link)
    _, suggested = next(
        (c, a)
        for c, a in northside.movable_appointments()
        if a["id"] != appointment["id"] and a["session"] is None  # no link out for it
    )
    report_provider_event(stack_url, "northside-plumbing", suggested["id"], "no_show")
    listed = northside.get("/api/suggestions").json()["suggestions"]
    assert suggested["id"] in [s["appointment_id"] for s in listed]
    return northside, customer, appointment, session, suggested["id"]


@pytest.mark.parametrize(("method", "path"), _dispatcher_routes())
def test_another_business_sees_nothing_and_changes_nothing(
    stack_url, northside_session, method, path
):
    northside, customer, appointment, session, suggested = northside_session
    bayside = Console.sign_in(stack_url, BAYSIDE)
    before = northside.session(session["id"])
    settings_before = northside.get("/api/settings").json()
    timeline_before = _timeline_sessions(northside, appointment["id"])

    ids = {"appointments": appointment["id"], "suggestions": suggested, "sessions": session["id"]}
    url = (
        path.replace("{id}", next(v for k, v in ids.items() if k in path) if "{id}" in path else "")
        .replace("{email}", NORTHSIDE)
        .replace("{kind}", "google_calendar")
    )  # A's own dispatcher
    team_before = northside.get("/api/team").json()
    # A's appointment, moved to a time of its own day (an override: rules are not the point)
    move = {
        "start": appointment["end"],
        "technician_id": appointment["technician"]["id"],
        "override": True,
    }
    body = {
        "/api/sessions": {"appointment_id": appointment["id"]},
        "/api/messages/preview": {"appointment_id": appointment["id"]},
        # B saving its own current settings: the write must land on B, never on A
        "/api/settings": bayside.get("/api/settings").json(),
        "/api/team": {"email": NORTHSIDE},  # B inviting A's dispatcher
        "/api/appointments/{id}/move": move,
        "/api/appointments/{id}/move/check": {k: move[k] for k in ("start", "technician_id")},
    }.get(path)
    day = appointment["start"][:10]
    params = {
        "/api/customers": {"q": customer["name"]},
        "/api/schedule": {"start": day, "days": 7},
    }.get(path)
    response = bayside._call(method, url, json=body, params=params)

    if "{id}" in path or (path in ("/api/sessions", "/api/messages/preview") and method == "POST"):
        assert response.status_code == 404, (method, path, response.text)
    elif path == "/api/customers":
        assert response.status_code == 200
        assert all(c["id"] != customer["id"] for c in response.json())
    elif path == "/api/sessions":
        # B's list is B's: it answers, and none of A's sessions are in it, in either view
        assert response.status_code == 200, response.text
        northside_ids = _session_ids(northside)
        assert session["id"] in northside_ids
        assert not northside_ids & {s["id"] for s in response.json()["sessions"]}
        assert not northside_ids & _session_ids(bayside)
    elif path == "/api/schedule":
        assert response.status_code == 200
        assert appointment["id"] not in [a["id"] for a in response.json()["appointments"]]
    elif path == "/api/me":
        assert response.status_code == 200
        assert response.json()["business"]["id"] == "bayside-hvac"
    elif path == "/api/settings":
        assert response.status_code == 200  # B reads or writes only B's own settings
    elif path == "/api/suggestions":
        assert response.status_code == 200
        assert suggested not in [s["appointment_id"] for s in response.json()["suggestions"]]
    elif path == "/api/team" and method == "GET":
        assert response.status_code == 200  # B's own team, none of A's
        assert NORTHSIDE not in [m["email"] for m in response.json()]
    elif path == "/api/team":
        assert response.status_code == 409, response.text  # on A's team: never on B's too
    elif path == "/api/team/{email}":
        assert response.status_code == 404, response.text  # not on B's team
    elif path == "/api/provider":
        assert response.status_code == 200  # B's own connection
        assert response.json()["name"] == "Demo scheduling (built in)"
    elif path == "/api/connections/{kind}/start":
        # B starts connecting its own business (the state is bound to B and B's admin)
        assert response.status_code == 200, response.text
        assert "state=" in response.json()["authorization_url"]
    elif path == "/api/connections":
        assert response.status_code == 409, response.text  # B's own: nothing connected
    else:
        pytest.fail(f"{method} {path} is a new dispatcher route: say what isolation means for it")

    # Nothing of A's changed
    # A's appointment, in A's provider, where it was (B's move, above all, moved nothing)
    now = _appointment_in_provider(northside, customer, appointment["id"])
    assert (now["start"], now["end"], now["technician"]["id"]) == (
        appointment["start"],
        appointment["end"],
        appointment["technician"]["id"],
    )
    # and no session of B's (a move is one) was added to its timeline
    assert _timeline_sessions(northside, appointment["id"]) == timeline_before
    after = northside.session(session["id"])
    assert (after["status"], len(after["timeline"])) == (before["status"], len(before["timeline"]))
    assert northside.get("/api/settings").json() == settings_before
    assert northside.get("/api/team").json() == team_before
    still = northside.get("/api/suggestions").json()["suggestions"]
    assert suggested in [s["appointment_id"] for s in still]
