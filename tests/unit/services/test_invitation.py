"""A dispatcher's move ends with an invitation (FinalizeReschedule), by each channel chosen,
once; its calendar file is served behind the text's link (InvitationCalendars)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import MessagingUnavailable, NotFound, TooManyGuesses
from reschedule_dispatch.domain.guessing import GuessLimit
from reschedule_dispatch.domain.links import REDACTED, new_token
from reschedule_dispatch.domain.session import LINK_RETENTION, SessionStatus
from reschedule_dispatch.services.closed_sessions import NO_LONGER_SHOWN, LinkClosed
from reschedule_dispatch.services.dispatcher_move import CheckMove, MoveByDispatcher, MoveRequest
from reschedule_dispatch.services.invitation import (
    INVITATION_FILENAME,
    OPTED_OUT_TEXT,
    InvitationCalendars,
    move_calendar,
)
from reschedule_dispatch.services.link_guessing import LinkGuessing
from tests.builders import NOW
from tests.fakes import FakeGuessThrottle
from tests.unit.services.conftest import BASE, DISPATCHER, OLIVIA

WEDNESDAY_2PM = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
OLIVIA_EMAIL = "olivia@example.com"


def _moved(world, *, finalize: bool = True, **request: Any) -> str:
    """A dispatcher's move to Wednesday 2 PM, its workflow run (to the end unless not
    `finalize`)."""
    mover = MoveByDispatcher(
        check=CheckMove(provider=world.provider, businesses=world.businesses, clock=world.clock),
        sessions=world.sessions,
        provider=world.provider,
        workflow=world.workflow,
        expiry=world.expiry,
        sends=world.sends,
        contacts=world.contacts,
        clock=world.clock,
    )
    started = mover(
        "acme",
        DISPATCHER,
        "appt-1",
        MoveRequest(start=WEDNESDAY_2PM, technician_id="tech-1", **request),
        BASE,
    )
    world.run_steps(started.session.id)
    if finalize:
        world.finalize(email=world.email)(started.session.id)
        world.finalize(email=world.email)(started.session.id)  # retried: invites no one twice
    return str(started.session.id)


def _events(world, session_id: str) -> dict[str, str]:
    return {e.type: e.detail for e in world.sessions.timeline(session_id)}


def _token(world) -> str:
    link = re.search(r"/r/invite/(\S+)\.ics", world.sms.sent[0].body)
    assert link is not None
    return link.group(1)


def _calendars(world, **options: Any) -> InvitationCalendars:
    return InvitationCalendars(sessions=world.sessions, businesses=world.businesses, **options)


def test_the_invitation_is_texted_with_a_link_to_its_calendar_file_once(world):
    session_id = _moved(world)
    [text] = world.sms.sent
    assert (text.to, text.status_callback) == (OLIVIA, None)
    assert f"{BASE}/r/invite/" in text.body
    assert "Alex Rivera" in text.body
    token = _token(world)
    events = _events(world, session_id)
    assert token not in events["invitation_sent"]  # the token is never stored
    assert REDACTED in events["invitation_sent"]
    session = world.sessions.get_by_id(session_id)
    assert (session.status, session.invited, session.confirmation_sid) == (
        SessionStatus.COMPLETED,
        ("sms",),
        None,  # a move is told by its invitation, not the confirmation text
    )
    calendar = _calendars(world)(f"{token}.ics")
    assert calendar == move_calendar(session, world.businesses.get("acme"))
    assert "DTSTART:20261125T200000Z\r\n" in calendar


def test_the_invitation_is_emailed_with_the_same_calendar_file(world):
    world.change_business(business_email_from="hello@acme.example")
    session_id = _moved(world, sms=True, email=True, email_address=OLIVIA_EMAIL)
    [email] = world.email.sent
    assert (email.to, email.from_email, email.from_name) == (
        OLIVIA_EMAIL,
        "hello@acme.example",
        "Acme Plumbing",
    )
    assert email.custom_args == {"session_id": session_id}
    [attachment] = email.attachments
    assert attachment.filename == INVITATION_FILENAME
    assert attachment.content_type == "text/calendar"
    assert attachment.content.decode() == _calendars(world)(f"{_token(world)}.ics")
    session = world.sessions.get_by_id(session_id)
    assert session.invited == ("sms", "email")
    assert list(_events(world, session_id))[-2:] == ["invitation_sent", "invitation_emailed"]


def test_an_opt_out_holds_back_the_text_and_the_email_still_goes(world):
    world.change_business(business_email_from="hello@acme.example")
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    session_id = _moved(world, email=True, email_address=OLIVIA_EMAIL)
    assert world.sms.sent == []
    assert len(world.email.sent) == 1
    assert _events(world, session_id)["invitation_not_sent"] == OPTED_OUT_TEXT


def test_quiet_hours_hold_back_the_text(world):
    world.clock.at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Monday 22:00 in Chicago
    session_id = _moved(world)
    assert world.sms.sent == []
    assert "quiet hours" in _events(world, session_id)["invitation_not_sent"]


def test_what_cannot_be_sent_is_on_the_timeline_and_the_move_stands(world):
    world.change_business(business_email_from="hello@acme.example")
    world.sms.fail_with = MessagingUnavailable("Twilio answered 503.")
    world.email.fail_with = MessagingUnavailable("SendGrid answered 503.")
    session_id = _moved(world, email=True, email_address=OLIVIA_EMAIL)
    details = [
        e.detail for e in world.sessions.timeline(session_id) if e.type == "invitation_not_sent"
    ]
    assert details == [
        "Text not sent: Twilio answered 503.",
        "Email not sent: SendGrid answered 503.",
    ]
    session = world.sessions.get_by_id(session_id)
    assert (session.status, session.invited) == (SessionStatus.COMPLETED, ("sms", "email"))


def test_email_turned_off_after_the_move_is_said_not_failed(world):
    world.change_business(business_email_from="hello@acme.example")
    session_id = _moved(world, sms=False, email=True, email_address=OLIVIA_EMAIL, finalize=False)
    world.change_business(business_email_from=None)
    assert world.finalize(email=world.email)(session_id) is SessionStatus.COMPLETED
    assert world.email.sent == []
    assert _events(world, session_id)["invitation_not_sent"].startswith("Email not sent:")


def test_an_unknown_or_unfinished_invitation_is_not_found(world):
    for token in (new_token(), "../../etc/passwd"):
        with pytest.raises(NotFound):
            _calendars(world)(f"{token}.ics")
    # A customer's link is not an invitation
    _, token = world.sent()
    with pytest.raises(NotFound):
        _calendars(world)(f"{token}.ics")


def test_an_invitation_stops_showing_the_appointment_some_days_after_it(world):
    session_id = _moved(world)
    token = _token(world)
    session = world.sessions.get_by_id(session_id)
    assert session.new_opening is not None
    calendars = _calendars(world, clock=world.clock)
    world.clock.at = session.new_opening.end + LINK_RETENTION - timedelta(minutes=1)
    assert "BEGIN:VCALENDAR" in calendars(f"{token}.ics")
    world.clock.at = session.new_opening.end + LINK_RETENTION
    with pytest.raises(LinkClosed, match=NO_LONGER_SHOWN):
        calendars(f"{token}.ics")


def test_invitation_guesses_count_against_the_clients_limit(world):
    _moved(world)
    token = _token(world)
    guessing = LinkGuessing(
        counts=FakeGuessThrottle(), clock=world.clock, limit=GuessLimit(unknown_links=2)
    )
    calendars = _calendars(world, guessing=guessing)
    for _ in range(2):
        with pytest.raises(NotFound):
            calendars(f"{new_token()}.ics", client="203.0.113.7")
    with pytest.raises(TooManyGuesses):
        calendars(f"{token}.ics", client="203.0.113.7")
    assert "BEGIN:VCALENDAR" in calendars(f"{token}.ics", client="198.51.100.20")
