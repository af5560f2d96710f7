"""Text of the SMS a customer receives; the link is always appended, never templated away."""

from __future__ import annotations

import string
from datetime import datetime
from zoneinfo import ZoneInfo

PLACEHOLDERS = frozenset(
    {"customer_first_name", "business_name", "appointment_time", "technician_name", "service"}
)


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue, Dec 2 at 9:00 AM' in the business's time zone."""
    local = moment.astimezone(zone)
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%a, %b} {local.day} at {hour}:{local:%M %p}"


def render_template(template: str, values: dict[str, str]) -> str:
    """Fills {placeholders}; unknown ones and stray braces are left as the dispatcher wrote them."""
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError:  # an unbalanced brace: the text is sent exactly as typed
        return template
    parts: list[str] = []
    for literal, field, _spec, _conv in pieces:
        parts.append(literal)
        if field is None:
            continue
        parts.append(values[field] if field in values else "{" + field + "}")
    return "".join(parts)


def with_link(text: str, link: str) -> str:
    text = text.rstrip()
    if text.endswith(link):
        return text
    return f"{text} {link}" if text else link
