"""What a dispatcher does with a session (services/session_actions.py): list, resend, cancel."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import (
    Conflict,
    MessagingUnavailable,
    NotFound,
    QuietHours,
)
from reschedule_dispatch.domain.session import Actor, SessionStatus, TimelineEvent
from reschedule_dispatch.services.closed_sessions import CUSTOMER_CONFIRMING
from reschedule_dispatch.services.send_link import OPTED_OUT
from reschedule_dispatch.services.session_actions import (
    MAX_PAGE,
    MAX_RESENDS,
    CancelSession,
    ListSessions,
    ResendLink,
)
from tests.builders import NOW, appointment, reschedule_session
from tests.unit.services.conftest import (
    BASE,
    DISPATCHER,
    LATE_EVENING,
    OLIVIA,
    WEDNESDAY_10AM,
)

# Monday noon in Chicago: a link sent then is still open at 22:00, in quiet hours
NOON = NOW + timedelta(hours=3)


def _resend(world) -> ResendLink:
    return ResendLink(
        sessions=world.sessions,
        businesses=world.businesses,
        sms=world.sms,
        clock=world.clock,
        contacts=world.contacts,
    )


def _cancel(world) -> CancelSession:
    return CancelSession(
        sessions=world.sessions,
        expiry=world.expiry,
        clock=world.clock,
        businesses=world.businesses,
        sms=world.sms,
        contacts=world.contacts,
        sends=world.sends,
    )


def test_a_page_of_sessions_is_at_most_the_cap(world):
    asked: list[int] = []

    class Counting:
        def __getattr__(self, name: str) -> Any:
            return getattr(world.sessions, name)

        def list_sessions(self, business_id, in_progress, limit, cursor):
            asked.append(limit)
            return world.sessions.list_sessions(business_id, in_progress, limit, cursor)

    session, _ = world.sent()
    listed = ListSessions(sessions=Counting())
    assert [s.id for s in listed("acme", True, 10_000, None).sessions] == [session.id]
    assert listed("acme", False, 5, None).sessions == []
    assert asked == [MAX_PAGE, 5]


# --- resend -----------------------------------------------------------------------------


def test_a_resend_texts_the_same_words_again_and_follows_the_new_text(world):
    session, _ = world.sent()
    resent, timeline = _resend(world)("acme", DISPATCHER, session.id, BASE)
    first, again = world.sms.sent
    assert (again.to, again.body) == (OLIVIA, first.body)
    assert again.status_callback == f"{BASE}/webhooks/twilio/status"
    assert resent.message_sid == "SM" + "2".zfill(32)  # reports on the new text count
    assert resent.delivery_status == "queued"
    assert [e.type for e in timeline] == ["created", "sent", "resent"]
    assert timeline[-1].detail == DISPATCHER
    assert timeline == world.sessions.timeline(session.id)


def test_a_link_is_resent_a_few_times_at_most(world):
    session, _ = world.sent()
    for _ in range(MAX_RESENDS):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    with pytest.raises(Conflict, match=str(MAX_RESENDS)):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    assert len(world.sms.sent) == 1 + MAX_RESENDS


def test_a_resend_respects_opt_outs_and_quiet_hours(world):
    world.clock.at = NOON  # its link still open when quiet hours start
    session, _ = world.sent()
    world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    with pytest.raises(Conflict, match=re.escape(OPTED_OUT)):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    world.contacts.opt_in("acme", OLIVIA)
    world.clock.at = LATE_EVENING
    with pytest.raises(QuietHours):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    assert len(world.sms.sent) == 1
    assert "resent" not in world.timeline(session.id)


def test_an_emailed_link_or_one_never_texted_is_not_resent(world):
    world.change_business(business_email_from="schedule@acme.example")
    olivia = world.provider.get_customer("acme", "cust-1")
    world.provider.put_customer(olivia.model_copy(update={"email": "o@example.com"}))
    emailed = world.send_link(email=world.email)(
        "acme", DISPATCHER, "appt-1", None, BASE, channels=["email"]
    ).session
    with pytest.raises(Conflict, match="email"):
        _resend(world)("acme", DISPATCHER, emailed.id, BASE)
    assert world.sms.sent == []


def test_a_text_twilio_no_longer_has_cannot_be_resent(world):
    session, _ = world.sent()
    world.sessions.record_message(session.id, "SM-unknown", "queued", at=NOW)
    with pytest.raises(Conflict):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    assert len(world.sms.sent) == 1


def test_only_an_open_link_is_resent(world):
    world.clock.at = LATE_EVENING
    scheduled = world.send_link()(
        "acme", DISPATCHER, "appt-1", None, BASE, send_when_allowed=True
    ).session
    with pytest.raises(Conflict, match="quiet hours"):
        _resend(world)("acme", DISPATCHER, scheduled.id, BASE)
    with pytest.raises(NotFound):
        _resend(world)("other", DISPATCHER, scheduled.id, BASE)


def test_an_overdue_link_is_expired_not_resent(world):
    session, _ = world.sent()
    world.clock.at = session.expires_at + timedelta(hours=1)
    with pytest.raises(Conflict):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    assert world.status(session.id) is SessionStatus.EXPIRED
    assert len(world.sms.sent) == 1


def test_a_link_being_confirmed_or_closed_is_not_resent(world):
    session, _, _ = world.confirming()
    with pytest.raises(Conflict, match=re.escape(CUSTOMER_CONFIRMING)):
        _resend(world)("acme", DISPATCHER, session.id, BASE)
    world.compensate()(session.id, "AppointmentChanged")
    with pytest.raises(Conflict, match=SessionStatus.FAILED.label):
        _resend(world)("acme", DISPATCHER, session.id, BASE)


# --- cancel -----------------------------------------------------------------------------


def test_a_cancel_revokes_the_link_at_once_and_drops_its_expiry(world):
    session, _ = world.sent()
    canceled, timeline = _cancel(world)("acme", DISPATCHER, session.id)
    assert canceled.status is SessionStatus.CANCELED
    assert world.expiry.scheduled == {}
    assert [e.type for e in timeline] == ["created", "sent", "canceled"]
    assert timeline[-1].detail == DISPATCHER
    assert len(world.sms.sent) == 1  # no notice unless asked
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


def test_the_customer_may_be_told_the_link_no_longer_works(world):
    sent = world.send_link()("acme", DISPATCHER, "appt-1", None, BASE, "es")
    _, timeline = _cancel(world)("acme", DISPATCHER, sent.session.id, notify_customer=True)
    notice = world.sms.sent[-1]
    assert (notice.to, notice.status_callback) == (OLIVIA, None)
    assert sent.link is not None
    assert sent.link not in notice.body
    assert timeline[-1].type == "notice_sent"
    assert timeline[-1].detail == notice.body


@pytest.mark.parametrize("why", ["opted out", "quiet hours", "sms down"])
def test_a_notice_that_cannot_go_leaves_the_cancel_and_says_why(world, why):
    world.clock.at = NOON
    session, _ = world.sent()
    if why == "opted out":
        world.contacts.opt_out("acme", OLIVIA, NOW, "STOP")
    elif why == "quiet hours":
        world.clock.at = LATE_EVENING
    else:
        world.sms.fail_with = MessagingUnavailable("Twilio answered 503.")
    canceled, timeline = _cancel(world)("acme", DISPATCHER, session.id, notify_customer=True)
    assert canceled.status is SessionStatus.CANCELED
    assert len(world.sms.sent) == 1
    assert timeline[-1].type == "notice_not_sent"
    assert timeline[-1].detail


def test_a_scheduled_link_is_canceled_with_its_send_and_no_notice(world):
    world.clock.at = LATE_EVENING
    scheduled = world.send_link()(
        "acme", DISPATCHER, "appt-1", None, BASE, send_when_allowed=True
    ).session
    canceled, _ = _cancel(world)("acme", DISPATCHER, scheduled.id, notify_customer=True)
    assert canceled.status is SessionStatus.CANCELED
    assert world.sends.scheduled == {}
    assert world.sms.sent == []  # nothing about a link never sent


def test_a_cancel_that_loses_to_the_customers_confirm_says_what_won(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]

    class ConfirmedMeanwhile:
        def __getattr__(self, name: str) -> Any:
            return getattr(world.sessions, name)

        def transition(self, session_id, expected, new, event, **changes):
            world.links().confirm(token, opening.key)
            return world.sessions.transition(session_id, expected, new, event, **changes)

    cancel = _cancel(world)
    cancel._sessions = ConfirmedMeanwhile()
    with pytest.raises(Conflict, match=SessionStatus.CONFIRMING.label):
        cancel("acme", DISPATCHER, session.id)
    assert world.status(session.id) is SessionStatus.CONFIRMING
    assert session.id in world.expiry.scheduled


def test_an_overdue_link_is_found_expired_and_frees_the_appointment(world):
    session, _ = world.sent()
    world.clock.at = session.expires_at + timedelta(seconds=1)
    with pytest.raises(Conflict, match="expired"):
        _cancel(world)("acme", DISPATCHER, session.id)
    assert world.status(session.id) is SessionStatus.EXPIRED
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


def test_a_link_being_confirmed_or_another_business_is_not_canceled(world):
    session, _, _ = world.confirming()
    with pytest.raises(Conflict, match=re.escape(CUSTOMER_CONFIRMING)):
        _cancel(world)("acme", DISPATCHER, session.id)
    with pytest.raises(NotFound):
        _cancel(world)("other", DISPATCHER, session.id)
    assert world.status(session.id) is SessionStatus.CONFIRMING


def test_a_link_whose_first_text_never_went_is_not_resent(world):
    # A send that died between writing the session and texting it
    never_texted = reschedule_session(appointment(WEDNESDAY_10AM), id="s-crashed")
    created = TimelineEvent(type="created", at=NOW, actor=Actor.DISPATCHER)
    world.sessions.create(never_texted, "hash", created)
    with pytest.raises(Conflict, match="never sent"):
        _resend(world)("acme", DISPATCHER, "s-crashed", BASE)
    assert world.sms.sent == []
