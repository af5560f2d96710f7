"""TellStaff (services/staff_notifications.py): a completed or failed session is posted to
the business's Slack channel once, if it asked for it."""

from __future__ import annotations

from datetime import datetime

import pytest

from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.domain.messages import format_time
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.staff_notifications import TellStaff
from tests.fakes import FakeStaffNotifier

CHANNEL = "#acme-dispatch"


def _tell(world, notifier: FakeStaffNotifier | None, console_url: str = "https://console.example/"):
    return TellStaff(
        notifier=notifier,
        businesses=world.businesses,
        sessions=world.sessions,
        clock=world.clock,
        console_url=console_url,
    )


def _completed(world):
    session, opening, _ = world.confirming()
    world.run_steps(session.id)
    world.finalize()(session.id)
    return world.sessions.get_by_id(session.id), opening


def _failed(world):
    session, _, _ = world.confirming()
    world.compensate()(session.id, "AppointmentChanged")
    return world.sessions.get_by_id(session.id)


def test_a_completed_reschedule_is_posted_once_with_its_new_time(world):
    world.change_business(slack_channel=CHANNEL)
    notifier = FakeStaffNotifier()
    session, opening = _completed(world)
    _tell(world, notifier)(session)
    _tell(world, notifier)(world.sessions.get_by_id(session.id))  # a retried step
    [(channel, outcome)] = notifier.posts
    assert channel == CHANNEL
    assert (outcome.business_name, outcome.customer_name) == ("Acme Plumbing", "Olivia Garcia")
    assert outcome.status_label == SessionStatus.COMPLETED.label
    zone = world.businesses.get("acme").zone
    assert outcome.when_text == format_time(opening.start, zone)
    assert outcome.console_url == "https://console.example/#/history"
    stored = world.sessions.get_by_id(session.id)
    assert stored.staff_notified
    assert [(e.type, e.detail) for e in world.sessions.timeline(session.id)][-1] == (
        "staff_notified",
        f"Slack {CHANNEL}",
    )


def test_a_failure_is_posted_with_its_reason(world):
    world.change_business(slack_channel=CHANNEL)
    notifier = FakeStaffNotifier()
    session = _failed(world)
    _tell(world, notifier, console_url="")(session)
    [(_, outcome)] = notifier.posts
    assert outcome.status_label == SessionStatus.FAILED.label
    assert outcome.reason == session.failure_reason
    assert outcome.console_url == ""  # no console address: no link


def test_a_failure_is_posted_with_the_time_the_appointment_kept(world):
    world.change_business(slack_channel=CHANNEL)
    notifier = FakeStaffNotifier()
    session = _failed(world)
    _tell(world, notifier)(session)
    [(_, outcome)] = notifier.posts
    zone = world.businesses.get("acme").zone
    assert outcome.when_text == format_time(session.original_start, zone)


@pytest.mark.parametrize(
    ("settings", "notifier"),
    [
        ({}, FakeStaffNotifier()),  # no channel
        ({"slack_channel": CHANNEL, "slack_events": ("completed",)}, FakeStaffNotifier()),
        ({"slack_channel": CHANNEL}, None),  # Slack not set up
    ],
    ids=["no channel", "completions only", "no Slack"],
)
def test_staff_hear_nothing_they_did_not_ask_for(world, settings, notifier):
    world.change_business(**settings)
    session = _failed(world)
    _tell(world, notifier)(session)
    assert notifier is None or notifier.posts == []
    assert not world.sessions.get_by_id(session.id).staff_notified
    assert "staff_notified" not in world.timeline(session.id)


def test_a_post_that_fails_leaves_the_outcome_and_says_so(world):
    world.change_business(slack_channel=CHANNEL)
    notifier = FakeStaffNotifier()
    notifier.fail_with = Unprocessable(f"The Slack channel {CHANNEL} was not found.")
    session = _failed(world)
    _tell(world, notifier)(session)
    stored = world.sessions.get_by_id(session.id)
    assert stored.status is SessionStatus.FAILED
    assert not stored.staff_notified  # a later outcome may still be told
    last = world.sessions.timeline(session.id)[-1]
    assert last.type == "staff_not_notified"
    assert CHANNEL in last.detail
    assert isinstance(last.at, datetime)
