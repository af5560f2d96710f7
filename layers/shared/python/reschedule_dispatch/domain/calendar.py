"""iCalendar (RFC 5545) events, written with the standard library: one VEVENT per file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reschedule_dispatch.domain.business import Business

# RFC 5545 3.1: lines longer than 75 octets are folded (CRLF, then one space).
_LINE_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable per appointment: adding it again updates the same calendar entry
    stamp: datetime  # DTSTAMP: when this version of the event was made
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""


def ics(event: CalendarEvent) -> str:
    """The event as a VCALENDAR document: UTC times, escaped text, folded lines, CRLF."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Reschedule Dispatch//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{utc_time(event.stamp)}",
        f"DTSTART:{utc_time(event.start)}",
        f"DTEND:{utc_time(event.end)}",
        f"SUMMARY:{escape_text(event.summary)}",
        *([f"DESCRIPTION:{escape_text(event.description)}"] if event.description else []),
        *([f"LOCATION:{escape_text(event.location)}"] if event.location else []),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)


def appointment_calendar(
    appointment_id: str,
    business: Business,
    *,
    stamp: datetime,
    start: datetime,
    end: datetime,
    service: str,
    technician_name: str,
    address: str,
) -> str:
    """An appointment's time as a customer adds it: the page's "Add to calendar" and a move's
    invitation are one calendar entry (one UID per appointment), in the same words."""
    return ics(
        CalendarEvent(
            uid=f"{appointment_id}@{business.id}.reschedule-dispatch",
            stamp=stamp,
            start=start,
            end=end,
            summary=f"{service} - {business.name}",
            location=address,
            description=f"{technician_name}. {business.phone}",
        )
    )


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, semicolon and comma escaped; newlines as \\n."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_time(moment: datetime) -> str:
    """RFC 5545 3.3.5 form #2: UTC time, e.g. 20261125T200000Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Folds a content line at 75 octets, never inside a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > _LINE_OCTETS:
            out.append(current)
            current, size = " ", 1  # a continuation line starts with one space
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)
