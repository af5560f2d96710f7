"""InboundMessage (services/messaging.py): keywords opt a number out and in, HELP answers,
and any other reply lands on the latest session texted to that number."""

from __future__ import annotations

import pytest

from reschedule_dispatch.domain.session import Actor, SessionStatus
from reschedule_dispatch.services.messaging import (
    HELP,
    MAX_REPLY_STORED,
    OPT_IN,
    OPT_OUT,
    InboundMessage,
    explain_delivery_error,
)
from tests.unit.services.conftest import ACME_NUMBER, OLIVIA


def _inbound(world) -> InboundMessage:
    return InboundMessage(
        contacts=world.contacts,
        sessions=world.sessions,
        businesses=world.businesses,
        clock=world.clock,
    )


def _events(world, session_id: str) -> list[tuple[str, str]]:
    """What the customer's texts put on the session's timeline."""
    return [
        (e.type, e.detail) for e in world.sessions.timeline(session_id) if e.actor is Actor.CUSTOMER
    ]


@pytest.mark.parametrize("keyword", sorted(OPT_OUT))
def test_an_opt_out_keyword_stops_texts_from_this_business_and_twilio_answers(world, keyword):
    session, _ = world.sent()
    assert _inbound(world)(OLIVIA, ACME_NUMBER, f" {keyword.lower()}\n") is None
    assert world.contacts.is_opted_out("acme", OLIVIA)
    assert not world.contacts.is_opted_out("other", OLIVIA)
    [(kind, detail)] = _events(world, session.id)
    assert kind == "opted_out"
    assert keyword in detail


@pytest.mark.parametrize("keyword", sorted(OPT_IN))
def test_an_opt_in_keyword_lets_texts_go_again_and_is_answered(world, keyword):
    session, _ = world.sent()
    world.contacts.opt_out("acme", OLIVIA, world.clock.now(), "replied STOP")
    reply = _inbound(world)(OLIVIA, ACME_NUMBER, keyword.capitalize())
    assert not world.contacts.is_opted_out("acme", OLIVIA)
    assert reply is not None
    assert "Acme Plumbing" in reply
    assert [kind for kind, _ in _events(world, session.id)] == ["opted_in"]


@pytest.mark.parametrize("keyword", sorted(HELP))
def test_help_answers_with_the_business_number_and_changes_nothing(world, keyword):
    session, _ = world.sent()
    reply = _inbound(world)(OLIVIA, ACME_NUMBER, keyword)
    assert reply is not None
    assert ACME_NUMBER in reply
    assert "Acme Plumbing" in reply
    assert _events(world, session.id) == []
    assert not world.contacts.is_opted_out("acme", OLIVIA)


def test_a_reply_is_answered_in_the_customers_language(world):
    world.sent(language="es")
    spanish = _inbound(world)(OLIVIA, ACME_NUMBER, "HELP")
    english = _inbound(world)("+13125559999", ACME_NUMBER, "HELP")  # no link: English
    assert spanish is not None
    assert english is not None
    assert spanish != english
    assert ACME_NUMBER in spanish


def test_any_other_reply_is_shown_on_the_latest_session_and_answered_by_no_one(world):
    first, _ = world.sent()
    world.close(first.id, SessionStatus.CANCELED)
    latest, _ = world.sent()
    assert _inbound(world)(OLIVIA, ACME_NUMBER, "  See you then ") is None
    assert _events(world, first.id) == []
    assert _events(world, latest.id) == [("customer_replied", "Customer replied: See you then")]
    assert world.status(latest.id) is SessionStatus.LINK_SENT


def test_a_long_reply_is_cut_and_a_late_one_leaves_a_closed_session_closed(world):
    session, _ = world.sent()
    world.close(session.id, SessionStatus.CANCELED)
    _inbound(world)(OLIVIA, ACME_NUMBER, "x" * (MAX_REPLY_STORED + 50))
    [(_, detail)] = _events(world, session.id)
    assert detail.endswith("x" * MAX_REPLY_STORED)
    assert detail.count("x") == MAX_REPLY_STORED
    assert world.status(session.id) is SessionStatus.CANCELED


def test_a_text_from_a_number_never_texted_or_to_an_unknown_number_is_ignored(world):
    assert _inbound(world)("+13125559999", ACME_NUMBER, "hello") is None
    assert _inbound(world)(OLIVIA, "+19995550000", "STOP") is None
    assert world.contacts.opted_out == {}
    # A keyword from a number never texted still counts
    assert _inbound(world)("+13125559999", ACME_NUMBER, "STOP") is None
    assert world.contacts.is_opted_out("acme", "+13125559999")


def test_a_delivery_error_is_explained_with_its_code():
    assert explain_delivery_error(None) == ""
    assert explain_delivery_error("30007").endswith("(Twilio 30007)")
    assert explain_delivery_error("99999") == "Error 99999. (Twilio 99999)"


def test_help_from_a_number_whose_last_link_is_gone_is_answered_in_english(world):
    world.contacts.remember_session("acme", OLIVIA, "swept-by-its-retention")
    english = _inbound(world)("+13125559999", ACME_NUMBER, "HELP")
    assert _inbound(world)(OLIVIA, ACME_NUMBER, "HELP") == english


@pytest.mark.parametrize("body", ["STOP", "START", "See you then"])
def test_a_text_whose_last_link_is_gone_still_counts_and_notes_nothing(world, body):
    world.contacts.remember_session("acme", OLIVIA, "swept-by-its-retention")

    _inbound(world)(OLIVIA, ACME_NUMBER, body)

    assert world.contacts.is_opted_out("acme", OLIVIA) is (body == "STOP")
    assert world.sessions.timeline("swept-by-its-retention") == []
