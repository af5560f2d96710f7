from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from reschedule_dispatch.domain.scheduling import Location
from reschedule_dispatch.domain.session import Opening, SessionStatus
from reschedule_dispatch.services.customer_links import CustomerPage
from reschedule_dispatch.web.pages import calendar_event, customer_page
from tests.builders import NOW, appointment, business, reschedule_session, technician

URL = "https://api.example/r/" + "t" * 43


def _page(status: SessionStatus = SessionStatus.LINK_SENT, language: str = "en") -> CustomerPage:
    moving = appointment(
        NOW + timedelta(days=2),
        service="Leak, repair; <urgent>",
        location=Location(address="12 Oak St, Apt 4", lat=41.9, lon=-87.6),
    )
    session = reschedule_session(moving, status=status, language=language)
    opening = Opening(
        start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, hours=1), technician_id="tech-1"
    )
    return CustomerPage(business(), session, moving, {"tech-1": technician()}, [opening])


def test_user_text_is_escaped_and_the_page_declares_its_language():
    html = customer_page(_page(language="es"), URL)
    assert "&lt;urgent&gt;" in html
    assert "<urgent>" not in html
    assert '<html lang="es">' in html


def test_each_opening_links_to_its_confirm_step():
    page = _page()
    html = customer_page(page, URL)
    key = page.openings[0].key
    assert f"href='{URL}?slot={key}'" in html
    step = customer_page(replace(page, chosen=page.openings[0]), URL)
    assert f"action='{URL}/confirm'" in step
    assert "Tue, Nov 24 at 9:00 AM with Alex Rivera" in step


def test_the_calendar_event_escapes_text_and_uses_utc():
    ics = calendar_event(_page(SessionStatus.COMPLETED))
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "SUMMARY:Leak\\, repair\\; <urgent> - Acme Plumbing" in lines
    assert "LOCATION:12 Oak St\\, Apt 4" in lines
    assert "DTSTART:20261125T150000Z" in lines
    assert ics.endswith("END:VCALENDAR\r\n")
