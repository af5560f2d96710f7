"""The lifecycle at the hours that break things, on a stack whose clock the tests move.

One stack, started ten minutes before midnight on the Saturday before the United States'
clocks spring forward (Chicago: Sunday 14 March 2027, 02:00 CST becomes 03:00 CDT): quiet
hours, a weekend and a new day at once; later, the last day of a business's horizon. The clock only moves forward, so the tests run in
file order and each moves it on from where the last left it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, inbox, slots
from tests.e2e.conftest import advance, running_stack, stack_now, wait_for

CHICAGO = ZoneInfo("America/Chicago")
# Minutes before a new day, in quiet hours, on a weekend, before a daylight-saving change.
SATURDAY_NIGHT = datetime(2027, 3, 13, 23, 50, tzinfo=CHICAGO)
DST_SUNDAY = SATURDAY_NIGHT.date() + timedelta(days=1)


@pytest.fixture(scope="module")
def night_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_stack(tmp_path_factory.mktemp("night"), SATURDAY_NIGHT) as url:
        yield url


@pytest.fixture
def console(night_stack: str) -> Console:
    return Console.sign_in(night_stack, NORTHSIDE)


def _unused(console: Console) -> tuple[dict, dict]:
    """A customer and an appointment with nothing in progress, at least two days away."""
    return next((c, a) for c, a in console.movable_appointments() if a["session"] is None)


def test_just_before_midnight_the_openings_start_after_the_notice_and_keep_the_hours(console):
    # Given Saturday, just before midnight in Chicago (the stack's clock has run on a little)
    now = console.now()
    assert now.astimezone(CHICAGO).strftime("%a %H") == "Sat 23"
    _, appointment = _unused(console)

    # When the dispatcher asks for an appointment's openings
    answer = console.get(f"/api/appointments/{appointment['id']}/openings")
    assert answer.status_code == 200, answer.text
    openings = answer.json()["openings"]

    # Then there are some, none inside the 24 h notice nor beyond the 14-day horizon, each
    # on a working day inside the technicians' hours on the clock of its own day: CDT, the
    # offset after the change, not the CST of the moment they were asked for
    assert openings
    for opening in openings:
        start = datetime.fromisoformat(opening["start"]).astimezone(CHICAGO)
        end = datetime.fromisoformat(opening["end"]).astimezone(CHICAGO)
        assert start >= now + timedelta(hours=24)
        assert start.date() <= (now + timedelta(days=14)).astimezone(CHICAGO).date()
        opens, closes = ((9, 0), (13, 0)) if start.weekday() == 5 else ((8, 0), (17, 0))
        assert start.weekday() != 6
        assert (start.hour, start.minute) >= opens
        assert (end.hour, end.minute) <= closes
        assert start.utcoffset() == timedelta(hours=-5)  # every one after the change


def test_at_night_a_text_waits_until_eight_on_the_day_the_clocks_change(console, night_stack):
    customer, appointment = _unused(console)
    body = {"appointment_id": appointment["id"]}

    # Given quiet hours: a send is refused with when texts may go out
    refused = console.post("/api/sessions", json=body)
    assert refused.status_code == 409, refused.text
    allowed = datetime.fromisoformat(refused.json()["next_allowed_at"])
    # 08:00 on Sunday's clock, which by then reads CDT: 13:00 UTC, not 14:00
    assert allowed == datetime(2027, 3, 14, 8, 0, tzinfo=CHICAGO)
    assert allowed.utcoffset() == timedelta(hours=-5)

    # When the dispatcher asks for it to go out when allowed
    scheduled = console.post("/api/sessions", json={**body, "send_when_allowed": True})
    assert scheduled.status_code == 201, scheduled.text
    session = scheduled.json()
    assert session["status"] == "scheduled"
    assert datetime.fromisoformat(session["scheduled_for"]) == allowed
    assert inbox(night_stack, customer["phone"]) == []

    # Then at 07:59 it still waits
    moved = requests.post(
        f"{night_stack}/dev/clock", json={"now": "2027-03-14T07:59:00-05:00"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    assert console.session(session["id"])["status"] == "scheduled"
    # and when the clock is moved on past it, to 09:00, it went out at 08:00 on the way
    moved = requests.post(
        f"{night_stack}/dev/clock", json={"now": "2027-03-14T09:00:00-05:00"}, timeout=60
    )
    assert moved.json()["fired"] >= 1
    assert console.wait_status(session["id"], "link_sent")["status"] == "link_sent"
    texts = wait_for(lambda: inbox(night_stack, customer["phone"]))
    assert f"{night_stack}/r/" in texts[-1]["body"]
    # (the sandbox's timestamps follow the stack's clock too)
    texted = parsedate_to_datetime(texts[-1]["date_created"])
    assert timedelta(0) <= texted - allowed < timedelta(minutes=5)


def test_on_the_day_the_clocks_change_a_customer_reschedules(console, night_stack):
    # Given Sunday morning after the change, and a link sent now
    assert stack_now(night_stack).astimezone(CHICAGO).date() == DST_SUNDAY
    customer, appointment = _unused(console)
    sent = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert sent.status_code == 201, sent.text
    session = sent.json()
    link = session["link"]

    # When the customer opens it and confirms the first time offered
    page = PHONE.get(link, timeout=TIMEOUT)
    assert page.status_code == 200
    [first, *_] = slots(page.text)
    confirmed = PHONE.post(
        f"{link}/confirm", data={"slot": first}, timeout=TIMEOUT, allow_redirects=False
    )
    assert confirmed.status_code == 303

    # Then the appointment moves to that time, which is a working hour on its own day
    done = console.wait_status(session["id"], "completed", "failed")
    assert done["status"] == "completed", done.get("failure_reason")
    new_start = datetime.fromisoformat(done["new_start"]).astimezone(CHICAGO)
    assert 8 <= new_start.hour < 17
    [moved] = [
        a for c in console.customers(customer["name"]) for a in c["appointments"]
        if a["id"] == appointment["id"]
    ]  # fmt: skip
    assert datetime.fromisoformat(moved["start"]) == new_start


def test_a_link_left_alone_expires_when_its_hour_comes(console, night_stack):
    # Given a link sent and not used
    _, appointment = _unused(console)
    sent = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert sent.status_code == 201, sent.text
    session = sent.json()
    expires_at = datetime.fromisoformat(session["expires_at"])
    assert expires_at - console.now() <= timedelta(hours=12)

    # When the clock passes its expiry (the link lives 12 hours)
    answer = advance(night_stack, "PT13H")
    assert datetime.fromisoformat(answer["now"]) > expires_at

    # Then the session has expired, by the schedule that fired, and the page says so
    assert console.wait_status(session["id"], "expired")["status"] == "expired"
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert page.status_code == 410
    assert "This link has expired." in page.text


def test_the_clock_refuses_to_go_back(night_stack):
    before = stack_now(night_stack)
    refused = requests.post(
        f"{night_stack}/dev/clock", json={"now": SATURDAY_NIGHT.isoformat()}, timeout=TIMEOUT
    )
    assert refused.status_code == 409
    assert "only moves forward" in refused.json()["message"]
    assert stack_now(night_stack) - before < timedelta(minutes=1)


def test_on_the_last_day_of_the_horizon_a_time_books_and_one_past_it_does_not(console, night_stack):
    # Given Monday 09:00: the 14-day horizon ends Monday 29 March at 09:00
    moved = requests.post(
        f"{night_stack}/dev/clock", json={"now": "2027-03-15T09:00:00-05:00"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    _, appointment = _unused(console)
    technician = appointment["technician"]["id"]
    sent = console.post("/api/sessions", json={"appointment_id": appointment["id"]})
    assert sent.status_code == 201, sent.text
    link = sent.json()["link"]
    last_day = datetime(2027, 3, 29, 8, 30, tzinfo=CHICAGO)  # inside: 30 min before the end
    past_it = datetime(2027, 3, 29, 9, 30, tzinfo=CHICAGO)  # the same morning, after it

    def key(start: datetime) -> str:
        return f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}.{technician}"

    # When the customer asks for a time past the horizon, it is refused: the times again
    refused = PHONE.get(link, params={"slot": key(past_it)}, timeout=TIMEOUT)
    assert "no longer available" in refused.text

    # And a time on its last day is offered to confirm, and books
    chosen = PHONE.get(link, params={"slot": key(last_day)}, timeout=TIMEOUT)
    assert chosen.status_code == 200
    assert "no longer available" not in chosen.text
    confirmed = PHONE.post(
        f"{link}/confirm", data={"slot": key(last_day)}, timeout=TIMEOUT, allow_redirects=False
    )
    assert confirmed.status_code == 303
    done = console.wait_status(sent.json()["id"], "completed", "failed")
    assert done["status"] == "completed", done.get("failure_reason")
    assert datetime.fromisoformat(done["new_start"]) == last_day
