"""The SMS (and email) a customer receives, built from the words in reschedule_dispatch/texts;
the link is always appended, never templated away."""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.errors import QuietHours
from reschedule_dispatch.domain.links import REDACTED, TOKEN_LENGTH
from reschedule_dispatch.domain.scheduling import first_name
from reschedule_dispatch.texts import Text, calendar_words, text

if TYPE_CHECKING:
    from reschedule_dispatch.domain.business import Business


def format_clock(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """'9:00 AM' (English) or '9:00' (Spanish, 24-hour) in the business's time zone."""
    local = moment.astimezone(zone)
    return text(
        Text.CLOCK,
        language,
        hour=local.hour,
        hour12=local.hour % 12 or 12,
        minute=f"{local:%M}",
        day_period=calendar_words(language).day_periods[local.hour >= 12],
    )


def format_day(moment: datetime | date, language: str = "en") -> str:
    """'Tuesday, December 2' / 'martes 2 de diciembre'."""
    words = calendar_words(language)
    return text(
        Text.DAY,
        language,
        weekday_long=words.weekdays_long[moment.weekday()],
        month_long=words.months_long[moment.month - 1],
        day=moment.day,
    )


def format_time(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """'Tue, Dec 2 at 9:00 AM' / 'mar 2 dic a las 9:00', in the business's time zone."""
    local = moment.astimezone(zone)
    words = calendar_words(language)
    return text(
        Text.DATE_TIME,
        language,
        weekday=words.weekdays[local.weekday()],
        month=words.months[local.month - 1],
        day=local.day,
        clock=format_clock(moment, zone, language),
    )


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


# GSM 03.38: the basic set (one septet each, ESC excluded) and the extension table (two
# septets each: ESC + char). Anything else forces UCS-2 for the whole message.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def count_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body` (GSM-7 or UCS-2).

    Multi-part messages lose room to the concatenation header (153 septets / 67 UCS-2 units)
    and a two-unit character (GSM escape sequence, UTF-16 surrogate pair) is never split
    across segments, so the count comes from packing, not from a division.
    """
    if _is_gsm7(body):
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in body]
        single, multi = 160, 153
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in body]
        single, multi = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def _is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def sms_encoding(text: str) -> str:
    return "GSM-7" if _is_gsm7(text) else "UCS-2"


# A number as written, or percent-encoded in a URL or form body (%2B is "+").
_E164 = re.compile(r"(\+|%2[Bb])(\d{7,15})")
# A link's path (whatever follows /r/, up to the next separator), and a bare token: alone,
# or right after a percent-encoded separator (/r%2F<token>, ?t=%3D...).
_LINK_PATH = re.compile(r"/r/[^/?#\s\"'<>\\]+")
_TOKEN = re.compile(
    rf"(?:(?<![A-Za-z0-9_-])|(?<=%[0-9A-Fa-f]{{2}}))[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}"
    r"(?![A-Za-z0-9_-])"
)


def mask_phones(text: str) -> str:
    """'+13125550142' -> '+1312•••0142': enough to tell numbers apart, never the number."""
    return _E164.sub(lambda m: f"{m.group(1)}{m.group(2)[:4]}•••{m.group(2)[-4:]}", text)


def mask_private(text: str) -> str:
    """Phone numbers masked and link tokens redacted: what a log line may say (logs.py)."""
    text = _LINK_PATH.sub("/r/" + REDACTED, text)
    return mask_phones(_TOKEN.sub(REDACTED, text))


def next_allowed_time(business: Business, now: datetime) -> datetime | None:
    """None when a message may go out now; else the moment quiet hours end.

    Wall-clock times in the business's zone: on a DST day the window is still 21:00-08:00
    on the clock, whatever the length in hours.
    """
    settings = business.settings
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if start is None or end is None or start == end:
        return None
    zone = business.zone
    local = now.astimezone(zone)
    clock = local.time()
    quiet = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not quiet:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def check_quiet_hours(business: Business, now: datetime) -> None:
    allowed = next_allowed_time(business, now)
    if allowed is not None:
        raise QuietHours(
            "It's quiet hours for the customer: messages can go out from "
            f"{format_time(allowed, business.zone)}.",
            allowed,
        )


def confirmation_text(
    customer_name: str, business: Business, start: datetime, language: str
) -> str:
    """The SMS after a completed reschedule, in the customer's language."""
    return text(
        Text.CONFIRMATION_SMS, language, **_notice(customer_name, business, start, language)
    )


def cancel_notice_text(
    customer_name: str, business: Business, start: datetime, language: str
) -> str:
    """The optional SMS when a dispatcher cancels a link: it no longer works, nothing moved."""
    return text(Text.CANCEL_SMS, language, **_notice(customer_name, business, start, language))


def _notice(
    customer_name: str, business: Business, start: datetime, language: str
) -> dict[str, str]:
    return {
        "first_name": first_name(customer_name),
        "business": business.name,
        "when": format_time(start, business.zone, language),
        "phone": business.phone,
    }


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def link_email(business_name: str, service: str, sms: str, link: str, language: str) -> Email:
    """The link as an email: the same words as the SMS (`sms`), and the link as a button too."""
    button = text(Text.LINK_EMAIL_BUTTON, language)
    words = sms.rstrip().removesuffix(link).rstrip()
    paragraphs = "".join(
        f"<p>{html.escape(line)}</p>" for line in words.splitlines() if line.strip()
    )
    return Email(
        subject=text(Text.LINK_EMAIL_SUBJECT, language, business=business_name, service=service),
        text=with_link(sms, link),
        html=(
            f'{paragraphs}<p><a href="{html.escape(link)}" style="display:inline-block;'
            "padding:12px 20px;background:#1d4ed8;color:#fff;border-radius:6px;"
            f'text-decoration:none">{html.escape(button)}</a></p>'
            f'<p style="color:#555;font-size:13px">{html.escape(link)}</p>'
        ),
    )


# A dispatcher's move, told to the customer: the new time, the technician, the calendar file.
def _invitation_values(
    customer_name: str,
    business: Business,
    service: str,
    start: datetime,
    technician: str,
    language: str,
) -> dict[str, str]:
    return {
        "first_name": first_name(customer_name),
        "business": business.name,
        "service": service,
        "when": format_time(start, business.zone, language),
        "technician": technician,
        "phone": business.phone,
    }


def invitation_text(
    customer_name: str,
    business: Business,
    service: str,
    start: datetime,
    technician: str,
    link: str,
    language: str,
) -> str:
    """The SMS after a dispatcher's move, with the link to its .ics."""
    values = _invitation_values(customer_name, business, service, start, technician, language)
    return text(Text.INVITATION_SMS, language, **values, link=link)


def invitation_email(
    customer_name: str,
    business: Business,
    service: str,
    start: datetime,
    technician: str,
    address: str,
    language: str,
) -> Email:
    """The email after a dispatcher's move; the .ics goes with it as an attachment."""
    values = _invitation_values(customer_name, business, service, start, technician, language)
    where = text(Text.INVITATION_EMAIL_ADDRESS, language, address=address) if address else ""
    body = text(Text.INVITATION_EMAIL_BODY, language, **values, address=where)
    return Email(
        subject=text(Text.INVITATION_EMAIL_SUBJECT, language, **values),
        text=body,
        html="".join(f"<p>{html.escape(p)}</p>".replace("\n", "<br>") for p in body.split("\n\n")),
    )
