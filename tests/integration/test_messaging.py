from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from reschedule_dispatch.domain.errors import Conflict, MessagingUnavailable, QuietHours
from reschedule_dispatch.domain.messages import mask_phones, next_allowed_time
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.messaging import InboundMessage, RecordDelivery
from tests.builders import business

CHICAGO = ZoneInfo("America/Chicago")
BERLIN = ZoneInfo("Europe/Berlin")


def _local(
    zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold)


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        # An ordinary evening and morning
        (_local(CHICAGO, 2026, 11, 23, 20, 59), None),
        (_local(CHICAGO, 2026, 11, 23, 21, 0), _local(CHICAGO, 2026, 11, 24, 8, 0)),
        (_local(CHICAGO, 2026, 11, 24, 7, 59), _local(CHICAGO, 2026, 11, 24, 8, 0)),
        (_local(CHICAGO, 2026, 11, 24, 8, 0), None),
        # Fall back (2026-11-01 02:00 -> 01:00): the repeated hour is still quiet, and the
        # window ends at 8:00 on the clock, 12 real hours after 21:00
        (_local(CHICAGO, 2026, 11, 1, 1, 30, fold=1), _local(CHICAGO, 2026, 11, 1, 8, 0)),
        # Spring forward (2027-03-14 02:00 -> 03:00): still ends at 8:00 on the clock
        (_local(CHICAGO, 2027, 3, 14, 3, 30), _local(CHICAGO, 2027, 3, 14, 8, 0)),
        (_local(CHICAGO, 2027, 3, 13, 22, 0), _local(CHICAGO, 2027, 3, 14, 8, 0)),
    ],
)
def test_quiet_hours_follow_the_wall_clock_across_dst(now, allowed):
    result = next_allowed_time(business(), now.astimezone(UTC))
    if allowed is None:
        assert result is None
    else:
        assert result is not None
        assert result.astimezone(UTC) == allowed.astimezone(UTC)
        assert result.astimezone(CHICAGO).time() == time(8, 0)


def test_quiet_hours_in_another_zone_and_turned_off():
    berlin = business(time_zone="Europe/Berlin")
    late = _local(BERLIN, 2026, 10, 25, 2, 30, fold=1)  # Berlin's fall-back night
    assert next_allowed_time(berlin, late) == _local(BERLIN, 2026, 10, 25, 8, 0)
    off = business(settings=berlin.settings.model_copy(update={"quiet_hours_start": None}))
    assert next_allowed_time(off, late) is None


def test_no_link_is_sent_during_quiet_hours_and_nothing_is_written(world):
    world.clock.at = _local(CHICAGO, 2026, 11, 23, 22, 15).astimezone(UTC)
    with pytest.raises(QuietHours) as quiet:
        world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    assert quiet.value.next_allowed_at == _local(CHICAGO, 2026, 11, 24, 8, 0)
    assert world.sms.sent == []
    assert world.sessions.list_sessions("acme", True, 10, None).sessions == []


def test_an_opted_out_number_gets_nothing(world):
    world.contacts.opt_out("acme", "+13125550142", world.clock.now(), "replied STOP")
    with pytest.raises(Conflict, match="opted out"):
        world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    assert world.sms.sent == []
    # Opt-outs are per business
    assert not world.contacts.is_opted_out("other", "+13125550142")


def test_delivery_errors_are_explained_on_the_timeline(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    sid = world.sessions.get("acme", sent.session.id).message_sid
    assert RecordDelivery(sessions=world.sessions, clock=world.clock, contacts=world.contacts)(
        sid, "undelivered", "30003"
    )
    [event] = [e for e in world.sessions.timeline(sent.session.id) if e.type == "undelivered"]
    assert event.detail.startswith("Unreachable")
    assert "Resend" in event.detail
    assert not world.contacts.is_opted_out("acme", "+13125550142")


def test_a_21610_report_marks_the_number_opted_out(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    sid = world.sessions.get("acme", sent.session.id).message_sid
    RecordDelivery(sessions=world.sessions, clock=world.clock, contacts=world.contacts)(
        sid, "failed", "21610"
    )
    assert world.contacts.is_opted_out("acme", "+13125550142")
    [event] = [e for e in world.sessions.timeline(sent.session.id) if e.type == "failed"]
    assert "unsubscribed" in event.detail


def test_inbound_keywords_and_replies(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    inbound = InboundMessage(
        contacts=world.contacts,
        sessions=world.sessions,
        businesses=world.businesses,
        clock=world.clock,
    )
    assert inbound("+13125550142", "+13125550100", " stop\n") is None
    assert world.contacts.is_opted_out("acme", "+13125550142")
    assert "subscribed again" in str(inbound("+13125550142", "+13125550100", "Yes"))
    assert not world.contacts.is_opted_out("acme", "+13125550142")
    assert "+13125550100" in str(inbound("+13125550142", "+13125550100", "HELP"))
    assert inbound("+13125550142", "+13125550100", "See you then") is None
    types = [e.type for e in world.sessions.timeline(sent.session.id)]
    assert types[-3:] == ["opted_out", "opted_in", "customer_replied"]
    # A text to a number no business uses is ignored, not an error
    assert inbound("+13125550142", "+19995550000", "STOP") is None


def test_phone_numbers_never_reach_the_logs_unmasked(world, caplog, monkeypatch):
    # INFO and up: what the functions log in AWS (LOG_LEVEL=INFO). The package's loggers
    # stop propagating once a handler module routes them through its logger (logs.py).
    caplog.set_level(logging.INFO)
    package = logging.getLogger("reschedule_dispatch")
    monkeypatch.setattr(package, "handlers", [caplog.handler])
    world.sms.fail_with = MessagingUnavailable(
        "The 'To' number +13125550142 is not a valid phone number."
    )
    with pytest.raises(MessagingUnavailable):
        world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    inbound = InboundMessage(
        contacts=world.contacts,
        sessions=world.sessions,
        businesses=world.businesses,
        clock=world.clock,
    )
    inbound("+13125550142", "+19995550000", "hello")
    inbound("+13125559999", "+13125550100", "hello")
    assert any(r.name.startswith("reschedule_dispatch.") for r in caplog.records)
    for record in caplog.records:
        assert "+13125550142" not in record.getMessage()
        assert "+13125559999" not in record.getMessage()
        assert "+19995550000" not in record.getMessage()


def test_masking_keeps_numbers_distinguishable():
    assert mask_phones("from +13125550142 to +442071838750") == (
        "from +1312•••0142 to +4420•••8750"
    )


def test_a_late_reply_is_shown_but_leaves_a_finished_session_closed(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, "https://x")
    world.sessions.transition(
        sent.session.id,
        SessionStatus.LINK_SENT,
        SessionStatus.CANCELED,
        world.sessions.timeline(sent.session.id)[0],
    )
    inbound = InboundMessage(
        contacts=world.contacts,
        sessions=world.sessions,
        businesses=world.businesses,
        clock=world.clock,
    )
    inbound("+13125550142", "+13125550100", "ok thanks")
    assert world.sessions.get("acme", sent.session.id).status is SessionStatus.CANCELED
    replies = [e for e in world.sessions.timeline(sent.session.id) if e.type == "customer_replied"]
    assert [e.detail for e in replies] == ["Customer replied: ok thanks"]
