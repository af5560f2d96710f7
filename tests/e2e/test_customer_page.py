"""The customer's page as a phone receives it: weight, headers, language, confirm step, .ics."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime

import pytest
import requests

from tests.e2e.client import NORTHSIDE, PHONE, TIMEOUT, Console, Phone, inbox, slots

BUDGET_BYTES = 14 * 1024  # one round trip's worth, compressed


def test_the_first_response_fits_one_round_trip_and_calls_no_one_else(stack_url):
    _, _, session = Console.sign_in(stack_url, NORTHSIDE).send_any()
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    compressed = len(gzip.compress(page.content))
    assert compressed <= BUDGET_BYTES, compressed
    # No third-party requests: no absolute URLs to other hosts in src/href/action
    for url in re.findall(r"(?:src|href|action)=['\"](https?://[^'\"]+)", page.text):
        assert url.startswith(stack_url), url
    assert "<link " not in page.text  # no external stylesheet to block rendering
    # The only script comes after the content, so it never blocks the first paint
    assert page.text.index("<script>") > page.text.index("</main>")
    headers = page.headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "noindex" in headers["X-Robots-Tag"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'sha256-" in headers["Content-Security-Policy"]


def test_picking_a_time_shows_a_confirm_step_that_works_without_javascript(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    _, _, session = console.send_any()
    slot = slots(PHONE.get(session["link"], timeout=TIMEOUT).text)[0]
    step = PHONE.get(session["link"], params={"slot": slot}, timeout=TIMEOUT)
    assert step.status_code == 200
    assert "Confirm your new time" in step.text
    assert re.search(r"\w{3}, \w{3} \d+ at \d+:\d{2} [AP]M with ", step.text)
    assert f"name='slot' value='{slot}'" in step.text
    assert console.session(session["id"])["status"] == "link_sent"  # viewing changed nothing
    confirmed = PHONE.post(
        f"{session['link']}/confirm", data={"slot": slot}, allow_redirects=False, timeout=TIMEOUT
    )
    assert confirmed.status_code == 303
    console.wait_status(session["id"], "completed")
    done = PHONE.get(session["link"], timeout=TIMEOUT)
    assert "all set" in done.text
    assert f"href='{session['link']}/calendar.ics'" in done.text

    ics = PHONE.get(f"{session['link']}/calendar.ics", timeout=TIMEOUT)
    assert ics.headers["Content-Type"].startswith("text/calendar")
    body = ics.text
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    new_start = datetime.fromisoformat(console.session(session["id"])["new_start"])
    assert f"DTSTART:{new_start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n" in body
    assert "END:VEVENT\r\nEND:VCALENDAR\r\n" in body


def test_a_slot_gone_meanwhile_shows_the_times_again_with_a_notice(stack_url):
    _, _, session = Console.sign_in(stack_url, NORTHSIDE).send_any()
    page = PHONE.get(session["link"], params={"slot": "20990101T000000Z.nobody"}, timeout=TIMEOUT)
    assert page.status_code == 200
    assert "no longer available" in page.text
    assert slots(page.text)


def test_a_spanish_session_texts_and_shows_spanish(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    for candidate, appointment in console.movable_appointments():
        created = console.post(
            "/api/sessions", json={"appointment_id": appointment["id"], "language": "es"}
        )
        if created.status_code == 201:
            customer, session = candidate, created.json()
            break
    else:
        pytest.fail("no appointment left to send a Spanish link for")
    sms = [m for m in inbox(stack_url, customer["phone"]) if session["link"] in m["body"]]
    assert sms[-1]["body"].startswith("Hola")
    page = PHONE.get(session["link"], timeout=TIMEOUT).text
    assert '<html lang="es">' in page
    assert "Elija un nuevo horario" in page
    slot = slots(page)[0]
    step = PHONE.get(session["link"], params={"slot": slot}, timeout=TIMEOUT).text
    assert "Confirmar" in step
    assert re.search(r" a las \d+:\d{2} con ", step)
    # A canceled link says so in Spanish, with the business phone
    console.post(f"/api/sessions/{session['id']}/cancel")
    gone = PHONE.get(session["link"], timeout=TIMEOUT)
    assert gone.status_code == 410
    assert "Este enlace fue cancelado." in gone.text
    assert 'href="tel:+13125550100"' in gone.text


def _names_on_the_page(customer: dict, appointment: dict) -> list[str]:
    """What a page about this appointment must not show to a stranger."""
    return [customer["name"].split()[0], appointment["service"], "Your appointment</p>"]


def test_a_link_preview_sees_only_the_business_and_binds_nothing(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = console.send_any()
    # A preview fetches the link (and may render it, unseen) but never submits its form
    preview = requests.get(session["link"], timeout=TIMEOUT)
    assert preview.status_code == 200
    assert "Northside Plumbing" in preview.text
    assert "Show my appointment" in preview.text
    for private in (customer["name"], appointment["service"], *slots(preview.text)):
        assert private not in preview.text
    assert "Set-Cookie" not in preview.headers
    assert console.session(session["id"])["status"] == "link_sent"
    # And the customer's phone, opening it after, sees the appointment at once
    page = PHONE.get(session["link"], timeout=TIMEOUT)
    assert appointment["service"] in page.text
    assert slots(page.text)


def test_a_forwarded_link_shows_the_appointment_only_after_the_phones_last_four_digits(
    stack_url,
):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = console.send_any()
    link = session["link"]
    opened = PHONE.get(link, timeout=TIMEOUT)  # the customer's phone opens it first
    assert appointment["service"] in opened.text
    slot = slots(opened.text)[0]

    # Someone it was forwarded to, in another browser, sees only the business's name
    other = Phone("127.0.0.61")
    seen = other.get(link, timeout=TIMEOUT)
    assert seen.status_code == 403
    assert "Northside Plumbing" in seen.text
    assert "last four digits" in seen.text
    assert appointment["service"] not in seen.text
    assert not slots(seen.text)
    # ...and can neither confirm nor download the appointment
    refused = other.post(f"{link}/confirm", data={"slot": slot}, allow_redirects=False)
    assert refused.status_code == 403
    assert other.get(f"{link}/calendar.ics", timeout=TIMEOUT).status_code == 403
    # Wrong digits are refused, saying how many tries are left
    wrong = other.post(f"{link}/unlock", data={"digits": "0000"}, timeout=TIMEOUT)
    assert wrong.status_code == 422
    assert "4 tries left" in wrong.text
    assert appointment["service"] not in wrong.text

    # The right ones (the phone the text went to) let this browser in too
    digits = "".join(c for c in customer["phone"] if c.isdigit())[-4:]
    unlocked = other.post(f"{link}/unlock", data={"digits": digits}, timeout=TIMEOUT)
    assert unlocked.status_code == 200
    assert appointment["service"] in unlocked.text
    assert slots(unlocked.text)
    events = [e["type"] for e in console.session(session["id"])["timeline"]]
    assert {"opened", "opened_elsewhere"} <= set(events)
    # While the customer's own phone noticed nothing
    assert PHONE.get(link, timeout=TIMEOUT).status_code == 200


def test_five_wrong_tries_lock_the_link_to_its_browsers(stack_url):
    console = Console.sign_in(stack_url, NORTHSIDE)
    customer, appointment, session = console.send_any()
    link = session["link"]
    PHONE.get(link, timeout=TIMEOUT)
    digits = "".join(c for c in customer["phone"] if c.isdigit())[-4:]
    wrong = "1111" if digits != "1111" else "2222"
    other = Phone("127.0.0.62")
    answers = [
        other.post(f"{link}/unlock", data={"digits": wrong}, timeout=TIMEOUT).status_code
        for _ in range(5)
    ]
    assert answers == [422, 422, 422, 422, 403]
    # Then even the right digits open nothing more; the business's phone is offered
    locked = other.post(f"{link}/unlock", data={"digits": digits}, timeout=TIMEOUT)
    assert locked.status_code == 403
    assert 'href="tel:+13125550100"' in locked.text
    assert appointment["service"] not in locked.text
    # The customer's phone still works
    assert appointment["service"] in PHONE.get(link, timeout=TIMEOUT).text
