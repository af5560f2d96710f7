"""The .ics a customer gets after a dispatcher's move (RFC 5545, written by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from reschedule_dispatch.domain.calendar import (
    CalendarEvent,
    appointment_calendar,
    escape_text,
    fold,
    ics,
)
from tests.builders import business as build_business

START = datetime(2026, 11, 25, 14, 0, tzinfo=timezone(timedelta(hours=-6)))


def _event(**changes: object) -> CalendarEvent:
    values: dict[str, object] = {
        "uid": "appt-1@acme.reschedule-dispatch",
        "stamp": datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
        "start": START,
        "end": START + timedelta(hours=1),
        "summary": "Drain cleaning - Acme Plumbing",
        **changes,
    }
    return CalendarEvent(**values)  # type: ignore[arg-type]


def test_one_vevent_with_utc_times_and_crlf_lines():
    text = ics(_event(location="12 Main St"))
    lines = text.split("\r\n")
    assert lines[-1] == ""  # every line ends with CRLF, the last one too
    assert "\n" not in text.replace("\r\n", "")
    assert lines[:6] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Reschedule Dispatch//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
    ]
    assert "UID:appt-1@acme.reschedule-dispatch" in lines
    assert "DTSTAMP:20261123T150000Z" in lines
    assert "DTSTART:20261125T200000Z" in lines  # 14:00 at -06:00, in UTC
    assert "DTEND:20261125T210000Z" in lines
    assert "LOCATION:12 Main St" in lines
    assert lines[-3:] == ["END:VEVENT", "END:VCALENDAR", ""]


def test_text_values_are_escaped():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert "SUMMARY:Heat\\, air \\; more - Acme" in ics(_event(summary="Heat, air ; more - Acme"))


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert fold("SHORT:x") == "SHORT:x"


def test_an_appointment_is_one_entry_named_for_the_business_whatever_its_time():
    # Given the same appointment at its old time (the page) and its new one (an invitation)
    def appointment_at(start: datetime) -> list[str]:
        return appointment_calendar(
            "appt-1",
            build_business(),
            stamp=START,
            start=start,
            end=start + timedelta(hours=1),
            service="Drain cleaning",
            technician_name="Alex Rivera",
            address="",
        ).split("\r\n")

    before, after = appointment_at(START), appointment_at(START + timedelta(days=1))
    # Then both are the one calendar entry, in the same words; no empty LOCATION
    for lines in (before, after):
        assert "UID:appt-1@acme.reschedule-dispatch" in lines
        assert "SUMMARY:Drain cleaning - Acme Plumbing" in lines
        assert "DESCRIPTION:Alex Rivera. +13125550100" in lines
        assert not any(line.startswith("LOCATION") for line in lines)
    assert "DTSTART:20261126T200000Z" in after
