"""Server-rendered pages for the customer: small, no third-party requests, work without JS.

Mobile-first: openings grouped by day; tapping one opens a confirm step (a plain link, so
it needs no JavaScript); the confirm is a POST. The one script only tells us a person saw
the page (viewed): link previews and mail scanners fetch the page without running it,
which is why viewing is a POST and never the GET. A link no browser has opened yet shows
only the business's name and a button that binds the link to this browser (another
script presses it once the page is visible, so a person on their own phone sees the
appointment at once); a browser the link is not bound to is asked for the last four
digits of the customer's phone.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from itertools import groupby
from typing import TYPE_CHECKING
from urllib.parse import quote

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.calendar import appointment_calendar
from reschedule_dispatch.domain.messages import format_clock, format_day, format_time
from reschedule_dispatch.domain.session import Opening, SessionStatus
from reschedule_dispatch.texts import Text, english, spoken, text, translate

if TYPE_CHECKING:  # api.http reads this module's CSP: no portal service or openings engine with it
    from reschedule_dispatch.services.customer_links import CustomerPage, NotThisBrowser

STYLE = """
*{box-sizing:border-box}body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,sans-serif;color:#16202c;background:#f3f5f8}main{max-width:32rem;margin:0 auto;
padding:1rem}h1{font-size:1.4rem;line-height:1.25;margin:.4rem 0 1rem}h2{font-size:1rem;
margin:1.4rem 0 .5rem;color:#3b4654}.biz{color:#4a5462;font-size:.95rem;margin:0}
.card{background:#fff;border-radius:14px;padding:1rem 1.1rem;box-shadow:0 1px 3px #0002;
margin:.8rem 0}.card p{margin:.25rem 0}.muted{color:#4a5462;font-size:.95rem}
ul.slots{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,
minmax(9rem,1fr));gap:.5rem}a.slot,a.button,button{display:block;min-height:44px;
padding:.7rem .9rem;border-radius:10px;font:inherit;font-weight:600;text-decoration:none;
text-align:center}a.slot{background:#fff;color:#0b4fb3;border:1.5px solid #b9c6d8}
a.slot small{display:block;font-weight:400;color:#4a5462}button,a.button{width:100%;
border:0;background:#0b57d0;color:#fff;margin-top:.8rem;cursor:pointer}a.secondary{
background:#fff;color:#0b4fb3;border:1.5px solid #b9c6d8}a:focus-visible,button:focus-visible{
outline:3px solid #f5a623;outline-offset:2px}.ok{border-left:5px solid #1a7f37}
.warn{border-left:5px solid #9a6700}a{color:#0b4fb3}
"""

VIEWED_SCRIPT = (
    "(function(){function s(){fetch(location.pathname.replace(/\\/$/,'')+'/viewed',"
    "{method:'POST',keepalive:true}).catch(function(){})}"
    "if(document.visibilityState==='visible'){s()}else{document.addEventListener("
    "'visibilitychange',function v(){if(document.visibilityState==='visible'){"
    "document.removeEventListener('visibilitychange',v);s()}})}})()"
)
# Presses "Show my appointment" once the page is visible to a person (as VIEWED_SCRIPT
# reports a view): a preview renders it unseen and binds nothing.
OPEN_SCRIPT = (
    "(function(){function o(){document.getElementById('open').submit()}"
    "if(document.visibilityState==='visible'){o()}else{document.addEventListener("
    "'visibilitychange',function v(){if(document.visibilityState==='visible'){"
    "document.removeEventListener('visibilitychange',v);o()}})}})()"
)


def _script_hash(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_script_hash(VIEWED_SCRIPT)}' 'sha256-{_script_hash(OPEN_SCRIPT)}'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _words(id: Text, language: str) -> str:
    """A text of the page in `language`, escaped for HTML."""
    return escape(text(id, language))


def _layout(
    title: str,
    body: str,
    language: str,
    refresh_seconds: int | None = None,
    report_view: bool = False,
    script: str = "",
) -> str:
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    lang = spoken(language)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"{refresh}<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main>"
        + (f"<script>{VIEWED_SCRIPT}</script>" if report_view else "")
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>"
    )


def _call_us(business: Business | None, language: str) -> str:
    if business is None:
        return f'<p class="muted">{_words(Text.PAGE_CONTACT, language)}</p>'
    call = text(Text.PAGE_CALL, language, business=escape(business.name))
    phone = escape(business.phone)
    return f'<p>{call} <a href="tel:{phone}">{phone}</a>.</p>'


def _when(start: datetime, technician: str, page: CustomerPage) -> str:
    language = page.session.language
    return (
        f"{escape(format_time(start, page.business.zone, language))} "
        f"{_words(Text.PAGE_WITH, language)} {escape(technician)}"
    )


def _tech_name(page: CustomerPage, technician_id: str) -> str:
    technician = page.technicians.get(technician_id)
    return technician.name if technician else technician_id


def customer_page(page: CustomerPage, page_url: str, notice: str = "") -> str:
    """The page for the session's state; with `page.chosen`, the confirm step for it."""
    business, session, appointment = page.business, page.session, page.appointment
    lang = session.language
    header = f"<p class='biz'>{escape(business.name)}</p>"
    tech = _tech_name(page, appointment.technician_id)

    if session.status is SessionStatus.COMPLETED:
        return _layout(
            text(Text.PAGE_DONE_TITLE, lang),
            f"{header}<h1>{_words(Text.PAGE_DONE_TITLE, lang)}</h1><div class='card ok'>"
            f"<p>{_words(Text.PAGE_DONE_BODY, lang)}</p><p><strong>{escape(appointment.service)}"
            f"</strong></p><p>{_when(appointment.start, tech, page)}</p>"
            f"<a class='button secondary' href='{escape(page_url)}/calendar.ics' download>"
            f"{_words(Text.PAGE_ADD_TO_CALENDAR, lang)}</a></div>{_call_us(business, lang)}",
            lang,
        )
    if session.status is SessionStatus.CONFIRMING:
        return _layout(
            text(Text.PAGE_CONFIRMING_TITLE, lang),
            f"{header}<h1 aria-live='polite'>{_words(Text.PAGE_CONFIRMING_TITLE, lang)}</h1>"
            f"<div class='card'><p>{_words(Text.PAGE_CONFIRMING_BODY, lang)}</p></div>",
            lang,
            refresh_seconds=2,
        )
    if session.status is SessionStatus.FAILED:
        reason = translate(session.failure_reason or english(Text.REASON_NOT_MOVED), lang)
        return _layout(
            text(Text.PAGE_FAILED_TITLE, lang),
            f"{header}<h1>{_words(Text.PAGE_FAILED_TITLE, lang)}</h1><div class='card warn'>"
            f"<p>{escape(reason)}</p><p>{_words(Text.PAGE_STILL, lang)} "
            f"{_when(appointment.start, tech, page)}.</p></div>{_call_us(business, lang)}",
            lang,
        )

    notice = translate(notice or session.notice or "", lang)
    notice_html = (
        f"<div class='card warn' role='alert'><p>{escape(notice)}</p></div>" if notice else ""
    )
    current = (
        f"<div class='card'><p class='muted'>{_words(Text.PAGE_YOUR_APPOINTMENT, lang)}</p>"
        f"<p><strong>{escape(appointment.service)}</strong></p>"
        f"<p>{_when(appointment.start, tech, page)}</p></div>"
    )
    report_view = session.status is SessionStatus.LINK_SENT
    chosen = page.chosen
    if chosen is not None:
        return _layout(
            text(Text.PAGE_CONFIRM_TITLE, lang),
            f"{header}<h1>{_words(Text.PAGE_CONFIRM_TITLE, lang)}</h1>{current}"
            f"<form method='post' action='{escape(page_url)}/confirm' class='card ok'>"
            f"<p><strong>{_when(chosen.start, _tech_name(page, chosen.technician_id), page)}"
            f"</strong></p><input type='hidden' name='slot' value='{escape(chosen.key)}'>"
            f"<button type='submit'>{_words(Text.PAGE_CONFIRM, lang)}</button>"
            f"<a class='button secondary' href='{escape(page_url)}'>"
            f"{_words(Text.PAGE_PICK_ANOTHER, lang)}</a></form>",
            lang,
            report_view=report_view,
        )
    title = text(Text.PAGE_PICK_TITLE, lang)
    if not page.openings:
        return _layout(
            title,
            f"{header}<h1>{escape(title)}</h1>{notice_html}{current}<div class='card'><p>"
            f"{_words(Text.PAGE_NO_OPENINGS, lang)}</p>{_call_us(business, lang)}</div>",
            lang,
            report_view=report_view,
        )
    return _layout(
        title,
        f"{header}<h1>{escape(title)}</h1>{notice_html}{current}"
        f"<nav aria-label='{_words(Text.PAGE_OPEN_TIMES, lang)}'>"
        f"{_days(page, page_url)}</nav>",
        lang,
        report_view=report_view,
    )


def _days(page: CustomerPage, page_url: str) -> str:
    zone, lang = page.business.zone, page.session.language
    days = []
    for day, openings in groupby(page.openings, key=lambda o: o.start.astimezone(zone).date()):
        items = "".join(_slot(o, page, page_url) for o in openings)
        days.append(f"<h2>{escape(format_day(day, lang))}</h2><ul class='slots'>{items}</ul>")
    return "".join(days)


def _slot(opening: Opening, page: CustomerPage, page_url: str) -> str:
    lang = page.session.language
    clock = format_clock(opening.start, page.business.zone, lang)
    tech = _tech_name(page, opening.technician_id)
    href = f"{page_url}?slot={quote(opening.key)}"
    return (
        f"<li><a class='slot' href='{escape(href)}'>{escape(clock)}"
        f"<small>{_words(Text.PAGE_WITH, lang)} {escape(tech)}</small></a></li>"
    )


def closed_page(title: str, message: str, business: Business | None, language: str = "en") -> str:
    return _layout(
        title,
        f"<h1>{escape(title)}</h1><div class='card warn'><p>{escape(translate(message, language))}"
        f"</p></div>{_call_us(business, language)}",
        language,
    )


def browser_page(refused: NotThisBrowser, page_url: str, notice: str = "") -> str:
    """What a browser the link is not bound to sees: the business's name, and how to go on
    (open it, the first time; give the phone's last four digits; or call the business)."""
    business, lang = refused.business, refused.language
    title = text(Text.PAGE_OPEN_TITLE, lang)
    header = f"<p class='biz'>{escape(business.name)}</p><h1>{escape(title)}</h1>"
    message = f"<p>{escape(translate(str(refused), lang))}</p>"
    if refused.first:
        return _layout(
            title,
            f"{header}<form id='open' method='post' action='{escape(page_url)}/open' "
            f"class='card'>{message}<button type='submit'>{_words(Text.PAGE_OPEN, lang)}</button>"
            "</form>",
            lang,
            script=OPEN_SCRIPT,
        )
    if refused.locked:
        return _layout(
            title,
            f"{header}<div class='card warn'>{message}</div>{_call_us(business, lang)}",
            lang,
        )
    notice_html = (
        f"<div class='card warn' role='alert'><p>{escape(translate(notice, lang))}</p></div>"
        if notice
        else ""
    )
    return _layout(
        title,
        f"{header}{notice_html}<form method='post' action='{escape(page_url)}/unlock' "
        f"class='card'>{message}<label for='digits'>{_words(Text.PAGE_DIGITS_LABEL, lang)}</label>"
        "<input id='digits' name='digits' inputmode='numeric' pattern='[0-9]{4}' "
        "maxlength='4' autocomplete='off' required style='display:block;width:100%;"
        "font:inherit;font-size:1.3rem;letter-spacing:.3em;padding:.6rem;margin:.4rem 0;"
        "border:1.5px solid #b9c6d8;border-radius:10px'>"
        f"<button type='submit'>{_words(Text.PAGE_UNLOCK, lang)}</button></form>"
        f"{_call_us(business, lang)}",
        lang,
    )


def calendar_event(page: CustomerPage) -> str:
    """An iCalendar (RFC 5545) event for the appointment's time, for "Add to calendar"."""
    appointment, business = page.appointment, page.business
    tech = _tech_name(page, appointment.technician_id)
    location = appointment.location.address if appointment.location else ""
    return appointment_calendar(
        appointment.id,
        business,
        stamp=page.session.last_event_at or appointment.start,
        start=appointment.start,
        end=appointment.end,
        service=appointment.service,
        technician_name=tech,
        address=location,
    )
