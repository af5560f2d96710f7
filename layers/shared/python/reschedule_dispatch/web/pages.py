"""Server-rendered pages for the customer: small, no third-party requests, work without JS.

The one script tells us a person saw the page (viewed). Link previews and mail scanners
fetch the page without running it, which is why viewing is a POST and never the GET.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from itertools import groupby
from zoneinfo import ZoneInfo

from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.messages import format_time
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.portal import CustomerPage

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,sans-serif;
color:#1d2430;background:#f4f6f9}main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.5rem 0 1rem}h2{font-size:1rem;margin:1.2rem 0 .4rem;color:#4a5568}
.card{background:#fff;border-radius:12px;padding:1rem;box-shadow:0 1px 3px #0002;margin:.8rem 0}
.muted{color:#5b6573;font-size:.92rem}.slot{display:flex;align-items:center;gap:.6rem;
padding:.75rem;border:1px solid #d5dbe3;border-radius:10px;margin:.4rem 0;background:#fff}
.slot input{width:1.2rem;height:1.2rem}button{width:100%;padding:.9rem;border:0;border-radius:10px;
background:#1f6feb;color:#fff;font-size:1.05rem;font-weight:600;margin-top:1rem}
a{color:#1f6feb}.ok{border-left:4px solid #1a7f37}.warn{border-left:4px solid #bf8700}
"""


VIEWED_SCRIPT = (
    "(function(){function s(){fetch(location.pathname.replace(/\\/$/,'')+'/viewed',"
    "{method:'POST',keepalive:true}).catch(function(){})}"
    "if(document.visibilityState==='visible'){s()}else{document.addEventListener("
    "'visibilitychange',function v(){if(document.visibilityState==='visible'){"
    "document.removeEventListener('visibilitychange',v);s()}})}})()"
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(VIEWED_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _layout(
    title: str, body: str, refresh_seconds: int | None = None, report_view: bool = False
) -> str:
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"{refresh}<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main>"
        + (f"<script>{VIEWED_SCRIPT}</script>" if report_view else "")
        + "</body></html>"
    )


def _call_us(business: Business | None) -> str:
    if business is None:
        return '<p class="muted">Please contact the business that sent you this link.</p>'
    return (
        f'<p>Call {escape(business.name)} at <a href="tel:{escape(business.phone)}">'
        f"{escape(business.phone)}</a>.</p>"
    )


def customer_page(page: CustomerPage, confirm_action: str, notice: str = "") -> str:
    business, session, appointment = page.business, page.session, page.appointment
    zone = business.zone
    technician = page.technicians.get(appointment.technician_id)
    tech_name = technician.name if technician else "your technician"
    header = f"<p class='muted'>{escape(business.name)}</p>"

    if session.status is SessionStatus.COMPLETED:
        return _layout(
            "Your new time is confirmed",
            f"{header}<h1>You're all set</h1><div class='card ok'><p><strong>"
            f"{escape(appointment.service)}</strong></p><p>{escape(format_time(appointment.start, zone))}"
            f" with {escape(tech_name)}</p></div>{_call_us(business)}",
        )
    if session.status is SessionStatus.CONFIRMING:
        return _layout(
            "Confirming your new time",
            f"{header}<h1>Confirming your new time…</h1><div class='card'><p>This takes a few "
            "seconds. This page refreshes by itself.</p></div>",
            refresh_seconds=2,
        )
    if session.status is SessionStatus.FAILED:
        return _layout(
            "We couldn't move your appointment",
            f"{header}<h1>We couldn't move your appointment</h1><div class='card warn'><p>"
            f"{escape(session.failure_reason or 'Something went wrong.')}</p><p>Your appointment "
            f"is still {escape(format_time(appointment.start, zone))}.</p></div>{_call_us(business)}",
        )

    notice = notice or session.notice or ""
    notice_html = f"<div class='card warn'><p>{escape(notice)}</p></div>" if notice else ""
    report_view = session.status is SessionStatus.LINK_SENT
    current = (
        f"<div class='card'><p class='muted'>Your appointment</p><p><strong>"
        f"{escape(appointment.service)}</strong></p><p>{escape(format_time(appointment.start, zone))}"
        f" with {escape(tech_name)}</p></div>"
    )
    if not page.openings:
        return _layout(
            "Pick a new time",
            f"{header}<h1>Pick a new time</h1>{notice_html}{current}<div class='card'><p>No other "
            f"times are open right now.</p>{_call_us(business)}</div>",
            report_view=report_view,
        )
    days = []
    for day, openings in groupby(page.openings, key=lambda o: o.start.astimezone(zone).date()):
        slots = "".join(
            f"<label class='slot'><input type='radio' name='slot' value='{escape(o.key)}' required>"
            f"{escape(_clock(o.start, zone))} with {escape(_tech(page, o.technician_id))}</label>"
            for o in openings
        )
        days.append(f"<h2>{day:%A, %B} {day.day}</h2>{slots}")
    return _layout(
        "Pick a new time",
        f"{header}<h1>Pick a new time</h1>{notice_html}{current}"
        f"<form method='post' action='{escape(confirm_action)}'>{''.join(days)}"
        "<button type='submit'>Confirm new time</button></form>",
        report_view=report_view,
    )


def closed_page(title: str, message: str, business: Business | None) -> str:
    return _layout(
        title,
        f"<h1>{escape(title)}</h1><div class='card warn'><p>{escape(message)}</p></div>"
        f"{_call_us(business)}",
    )


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.strftime('%I').lstrip('0')}:{local:%M %p}"


def _tech(page: CustomerPage, technician_id: str) -> str:
    technician = page.technicians.get(technician_id)
    return technician.name if technician else "a technician"
