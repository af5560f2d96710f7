"""The dispatcher's openings are the customer's openings, best first, with reasons on request."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, slots


def _key(opening: dict) -> str:
    start = datetime.fromisoformat(opening["start"]).astimezone(UTC)
    return f"{start:%Y%m%dT%H%M%SZ}.{opening['technician_id']}"


def test_dispatchers_see_the_same_openings_as_the_customer(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, appointment, session = console.send_any()

    response = console.get(f"/api/appointments/{appointment['id']}/openings")
    assert response.status_code == 200
    openings = response.json()["openings"]
    assert openings
    assert response.json()["rejected"] is None
    page = PHONE.get(session["link"], timeout=TIMEOUT).text
    assert {_key(o) for o in openings} == set(slots(page))

    # Best first, with the figures a dispatcher needs, in the business's time zone (CST)
    scores = [o["score"] for o in openings]
    assert scores == sorted(scores, reverse=True)
    for opening in openings:
        assert opening["technician_name"]
        assert 0 <= opening["drive_minutes_before"] <= 30
        assert 0 <= opening["drive_minutes_after"] <= 30
        assert opening["start"].endswith(("-06:00", "-05:00"))


def test_explain_lists_rejected_times_with_their_reason(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, appointment, _ = console.send_any()
    explained = console.get(
        f"/api/appointments/{appointment['id']}/openings", params={"explain": "true"}
    ).json()
    assert explained["openings"]
    assert explained["rejected"]
    for rejected in explained["rejected"]:
        assert rejected["reason"]
        assert rejected["technician_name"]
