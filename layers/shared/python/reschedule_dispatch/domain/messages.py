"""Text of the SMS (and email) a customer receives; the link is always appended, never
templated away."""

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

if TYPE_CHECKING:
    from reschedule_dispatch.domain.business import Business


# Names spelled out here rather than through the C locale, which Lambda does not localize.
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_WEEKDAYS_LONG = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
}
_MONTHS_LONG = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "es": (
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
        "septiembre", "octubre", "noviembre", "diciembre",
    ),
}  # fmt: skip


def _lang(language: str) -> str:
    return language if language in _WEEKDAYS else "en"


def format_clock(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """'9:00 AM' (English) or '9:00' (Spanish, 24-hour) in the business's time zone."""
    local = moment.astimezone(zone)
    if _lang(language) == "es":
        return f"{local.hour}:{local:%M}"
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def format_day(moment: datetime | date, language: str = "en") -> str:
    """'Tuesday, December 2' / 'martes, 2 de diciembre'."""
    lang = _lang(language)
    weekday = _WEEKDAYS_LONG[lang][moment.weekday()]
    month = _MONTHS_LONG[lang][moment.month - 1]
    return (
        f"{weekday} {moment.day} de {month}" if lang == "es" else f"{weekday}, {month} {moment.day}"
    )


def format_time(moment: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """'Tue, Dec 2 at 9:00 AM' / 'mar 2 dic a las 9:00', in the business's time zone."""
    local = moment.astimezone(zone)
    lang = _lang(language)
    weekday, month = _WEEKDAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    clock = format_clock(moment, zone, lang)
    if lang == "es":
        return f"{weekday} {local.day} {month} a las {clock}"
    return f"{weekday}, {month} {local.day} at {clock}"


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
    return _notice("confirmation", customer_name, business, start, language)


def cancel_notice_text(
    customer_name: str, business: Business, start: datetime, language: str
) -> str:
    """The optional SMS when a dispatcher cancels a link: it no longer works, nothing moved."""
    return _notice("cancel", customer_name, business, start, language)


# The texts the product sends on its own, by kind and language.
_NOTICES = {
    "confirmation": {
        "en": "Hi {first_name}, your appointment with {business} is now {when}. "
        "Questions? Call {phone}.",
        "es": "Hola {first_name}, su cita con {business} ahora es el {when}. "
        "¿Preguntas? Llame al {phone}.",
    },
    "cancel": {
        "en": "Hi {first_name}, {business} here. The link to pick a new time no longer works; "
        "your appointment stays {when}. Questions? Call {phone}.",
        "es": "Hola {first_name}, le escribe {business}. El enlace para elegir otro horario "
        "ya no funciona; su cita sigue el {when}. ¿Preguntas? Llame al {phone}.",
    },
}


def _notice(
    kind: str, customer_name: str, business: Business, start: datetime, language: str
) -> str:
    return _NOTICES[kind][_lang(language)].format(
        first_name=first_name(customer_name),
        business=business.name,
        when=format_time(start, business.zone, language),
        phone=business.phone,
    )


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


_EMAIL_WORDS = {
    "en": ("{business}: pick a new time for your {service}", "Pick a new time"),
    "es": ("{business}: elija un nuevo horario para su {service}", "Elegir un nuevo horario"),
}


def link_email(business_name: str, service: str, text: str, link: str, language: str) -> Email:
    """The link as an email: the same words as the SMS, and the link as a button too."""
    subject, button = _EMAIL_WORDS[_lang(language)]
    words = text.rstrip().removesuffix(link).rstrip()
    paragraphs = "".join(
        f"<p>{html.escape(line)}</p>" for line in words.splitlines() if line.strip()
    )
    return Email(
        subject=subject.format(business=business_name, service=service),
        text=with_link(text, link),
        html=(
            f'{paragraphs}<p><a href="{html.escape(link)}" style="display:inline-block;'
            "padding:12px 20px;background:#1d4ed8;color:#fff;border-radius:6px;"
            f'text-decoration:none">{html.escape(button)}</a></p>'
            f'<p style="color:#555;font-size:13px">{html.escape(link)}</p>'
        ),
    )


# A dispatcher's move, told to the customer: the new time, the technician, the calendar file.
_INVITATION_WORDS = {
    "en": {
        "sms": "Hi {first_name}, {business} here. Your {service} is now {when} with "
        "{technician}. Add it to your calendar: {link} Questions? Call {phone}.",
        "subject": "{business}: your {service} is now {when}",
        "body": "Hi {first_name},\n\nYour {service} with {business} is now {when}, with "
        "{technician}.{address}\n\nThe calendar invitation is attached.\n\n"
        "Questions? Call {phone}.",
        "address": "\nAddress: {address}",
    },
    "es": {
        "sms": "Hola {first_name}, le escribe {business}. Su {service} ahora es el {when} con "
        "{technician}. Agréguelo a su calendario: {link} ¿Preguntas? Llame al {phone}.",
        "subject": "{business}: su {service} ahora es el {when}",
        "body": "Hola {first_name}:\n\nSu {service} con {business} ahora es el {when}, con "
        "{technician}.{address}\n\nAdjuntamos la invitación para su calendario.\n\n"
        "¿Preguntas? Llame al {phone}.",
        "address": "\nDirección: {address}",
    },
}


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
    words = _INVITATION_WORDS[_lang(language)]
    values = _invitation_values(customer_name, business, service, start, technician, language)
    return words["sms"].format(**values, link=link)


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
    words = _INVITATION_WORDS[_lang(language)]
    values = _invitation_values(customer_name, business, service, start, technician, language)
    where = words["address"].format(address=address) if address else ""
    text = words["body"].format(**values, address=where)
    return Email(
        subject=words["subject"].format(**values),
        text=text,
        html="".join(f"<p>{html.escape(p)}</p>".replace("\n", "<br>") for p in text.split("\n\n")),
    )
