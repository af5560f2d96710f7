"""A dispatcher's direct move over HTTP on the local stack: the confirm workflow CDK defines
runs it in moto's Step Functions with the real handlers, under injected provider faults."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from tests.e2e.client import PHONE, TIMEOUT, Console, inbox
from tests.e2e.conftest import wait_for

FINAL = ("completed", "failed")
_USED: set[str] = set()  # appointments this module moved: each test takes a fresh one


def _free_appointment(console: Console, taken: set[str]) -> dict:
    """A movable appointment with nothing in progress on it (nor moved by this module)."""
    for _, appointment in console.movable_appointments():
        if appointment["session"] is None and appointment["id"] not in taken:
            taken.add(appointment["id"])
            return appointment
    raise AssertionError("no movable appointment left without a session in progress")


def _opening(console: Console, appointment: dict) -> dict:
    response = console.get(f"/api/appointments/{appointment['id']}/openings")
    assert response.status_code == 200, response.text
    return dict(response.json()["openings"][0])


def _move(console: Console, appointment: dict, start: str, technician_id: str, **body: Any):
    return console.post(
        f"/api/appointments/{appointment['id']}/move",
        json={"start": start, "technician_id": technician_id, **body},
    )


def test_a_move_runs_the_workflow_and_the_appointment_moves(console):
    appointment = _free_appointment(console, _USED)
    opening = _opening(console, appointment)
    # The chosen time is one of the customer's openings: no rule to override
    checked = console.post(
        f"/api/appointments/{appointment['id']}/move/check",
        json={"start": opening["start"], "technician_id": opening["technician_id"]},
    ).json()
    assert checked["allowed"] is True
    assert checked["broken_rules"] == []

    accepted = _move(console, appointment, opening["start"], opening["technician_id"],
                     notify={"sms": False})  # fmt: skip
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Location"] == f"/api/sessions/{accepted.json()['session_id']}"
    done = console.wait_status(accepted.json()["session_id"], *FINAL)
    assert done["status"] == "completed"
    assert done["kind"] == "dispatcher_move"

    moved = _current(console, appointment)
    assert datetime.fromisoformat(moved["start"]) == datetime.fromisoformat(opening["start"])
    history = console.get(f"/api/appointments/{appointment['id']}/timeline").json()
    # (other tests on this stack may have sent it links before: the move is the latest)
    assert [(s["kind"], s["status"]) for s in history["sessions"]][-1] == (
        "dispatcher_move",
        "completed",
    )


def test_a_time_breaking_a_rule_needs_the_override_and_is_recorded(console):
    appointment = _free_appointment(console, _USED)
    start = datetime.fromisoformat(appointment["start"])
    late = (start.replace(hour=21, minute=0)).isoformat()  # after working hours
    technician = appointment["technician"]["id"]
    refused = _move(console, appointment, late, technician)
    assert refused.status_code == 409
    assert "outside working hours" in refused.json()["broken_rules"]
    assert console.get(f"/api/appointments/{appointment['id']}/timeline").json()["sessions"] == []

    accepted = _move(console, appointment, late, technician, override=True,
                     notify={"sms": False})  # fmt: skip
    assert accepted.status_code == 202, accepted.text
    assert "outside working hours" in accepted.json()["rules_overridden"]
    done = console.wait_status(accepted.json()["session_id"], *FINAL)
    assert done["status"] == "completed"
    overridden = [e for e in done["timeline"] if e["type"] == "rules_overridden"]
    assert "outside working hours" in overridden[0]["detail"]


@pytest.mark.parametrize(
    ("fault", "times", "reason"),
    [
        ("conflict", 1, "The appointment changed elsewhere."),
        ("unavailable", 50, "The scheduling provider was unavailable."),
    ],
)
def test_provider_faults_fail_the_move_and_the_appointment_stays(
    console, faults, fault, times, reason
):
    appointment = _free_appointment(console, _USED)
    opening = _opening(console, appointment)
    faults(operation="move_appointment", fault=fault, times=times, appointment_id=appointment["id"])
    accepted = _move(console, appointment, opening["start"], opening["technician_id"],
                     notify={"sms": False})  # fmt: skip
    assert accepted.status_code == 202, accepted.text
    done = console.wait_status(accepted.json()["session_id"], *FINAL, timeout=90)
    assert done["status"] == "failed"
    assert done["failure_reason"] == reason
    assert _current(console, appointment)["start"] == appointment["start"]


def test_a_transient_provider_error_is_retried_and_the_move_completes(console, faults):
    appointment = _free_appointment(console, _USED)
    opening = _opening(console, appointment)
    faults(operation="move_appointment", fault="unavailable", times=2,
           appointment_id=appointment["id"])  # fmt: skip
    accepted = _move(console, appointment, opening["start"], opening["technician_id"],
                     notify={"sms": False})  # fmt: skip
    done = console.wait_status(accepted.json()["session_id"], *FINAL, timeout=90)
    assert done["status"] == "completed"


def test_bad_requests_are_answered_clearly_and_write_nothing(console):
    appointment = _free_appointment(console, _USED)
    path = f"/api/appointments/{appointment['id']}/move"
    naive = (
        (console.now().replace(tzinfo=None) + timedelta(days=3)).replace(microsecond=0).isoformat()
    )
    assert console.post(path, json={"start": naive, "technician_id": "x"}).status_code == 422
    missing = console.post(
        "/api/appointments/nope/move",
        json={"start": appointment["start"], "technician_id": "x"},
    )
    assert missing.status_code == 404
    unknown_tech = _move(console, appointment, appointment["end"], "no-such-tech")
    assert unknown_tech.status_code == 404
    assert console.get(f"/api/appointments/{appointment['id']}/timeline").json()["sessions"] == []


def _current(console: Console, appointment: dict) -> dict:
    # Every upcoming appointment, not only the movable ones: a move may bring it within the
    # two days a link needs (the best opening is often tomorrow), and it is still there.
    for customer in console.customers("555"):
        for found in customer["appointments"]:
            if found["id"] == appointment["id"]:
                return dict(found)
    raise AssertionError(f"appointment {appointment['id']} is gone")


def test_the_invitation_text_links_to_the_ics_of_the_new_time(console, stack_url):
    appointment = _free_appointment(console, _USED)
    customer = next(c for c, a in console.movable_appointments() if a["id"] == appointment["id"])
    opening = _opening(console, appointment)
    accepted = _move(console, appointment, opening["start"], opening["technician_id"],
                     notify={"sms": True, "language": "es"})  # fmt: skip
    session_id = accepted.json()["session_id"]
    assert console.wait_status(session_id, *FINAL)["status"] == "completed"
    # The invitation follows the completion, in the same workflow step
    wait_for(
        lambda: "invitation_sent" in [e["type"] for e in console.session(session_id)["timeline"]]
    )
    [text] = [m for m in inbox(stack_url, customer["phone"]) if "/r/invite/" in m["body"]]
    assert "Agréguelo a su calendario" in text["body"]
    link = re.search(r"(http\S+/r/invite/\S+\.ics)", text["body"])
    assert link is not None
    calendar = PHONE.get(link.group(1), timeout=TIMEOUT)
    assert calendar.status_code == 200
    assert calendar.headers["Content-Type"].startswith("text/calendar")
    start = datetime.fromisoformat(opening["start"]).astimezone(UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n" in calendar.text
    # A made-up token finds nothing
    assert requests.get(f"{stack_url}/r/invite/{'A' * 43}.ics", timeout=TIMEOUT).status_code == 404


def test_the_schedule_lists_technicians_and_their_appointments_by_day(console):
    customer, appointment = console.movable_appointments()[0]
    day = datetime.fromisoformat(appointment["start"]).date().isoformat()
    week = console.get("/api/schedule", params={"start": day, "days": 7})
    assert week.status_code == 200, week.text
    schedule = week.json()
    assert schedule["time_zone"] == "America/Chicago"
    # Read from the schedule mirror, filled when the stack started: in step before the
    # answer (by the stack's own clock, its Date header), not an hour before
    updated = datetime.fromisoformat(schedule["updated_at"])
    answered = parsedate_to_datetime(week.headers["Date"])
    assert timedelta(seconds=-1) <= answered - updated < timedelta(hours=1)
    assert {t["id"] for t in schedule["technicians"]} >= {appointment["technician"]["id"]}
    [listed] = [a for a in schedule["appointments"] if a["id"] == appointment["id"]]
    assert listed["customer"]["name"] == customer["name"]
    assert listed["technician_id"] == appointment["technician"]["id"]
    starts = [datetime.fromisoformat(a["start"]) for a in schedule["appointments"]]
    assert starts == sorted(starts)
    assert all(s.date() >= datetime.fromisoformat(day).date() for s in starts)

    # One technician's day
    mine = console.get(
        "/api/schedule",
        params={"start": day, "technician_id": appointment["technician"]["id"]},
    ).json()
    assert [t["id"] for t in mine["technicians"]] == [appointment["technician"]["id"]]
    assert {a["technician_id"] for a in mine["appointments"]} == {appointment["technician"]["id"]}
    assert appointment["id"] in [a["id"] for a in mine["appointments"]]

    assert console.get("/api/schedule", params={"start": day, "days": 8}).status_code == 422
    assert console.get("/api/schedule", params={"start": "tomorrow"}).status_code == 422
    unknown = console.get("/api/schedule", params={"start": day, "technician_id": "nobody"})
    assert unknown.status_code == 404
