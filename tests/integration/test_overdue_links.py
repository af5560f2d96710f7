"""A link whose expiry never ran (its schedule fired early, or was lost) does not hold its
appointment for ever: whatever comes next expires it first, then goes on."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from reschedule_dispatch.adapters.eventbridge_scheduler import (
    EventBridgeScheduledSends,
    schedule_name,
)
from reschedule_dispatch.domain.errors import Conflict
from reschedule_dispatch.domain.provider_events import ProviderChange, ProviderEvent
from reschedule_dispatch.domain.session import SessionStatus
from reschedule_dispatch.services.provider_events import ApplyProviderEvent
from reschedule_dispatch.services.session_actions import CancelSession
from tests.integration.conftest import World

BASE = "https://api.example"


def _sends(world: World) -> EventBridgeScheduledSends:
    return EventBridgeScheduledSends(
        boto3.client("scheduler"), world.env["SCHEDULE_GROUP_NAME"], "", "", ""
    )


def _overdue(world: World):
    """A link sent, then its time passed with no expiry run."""
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    world.clock.at = sent.session.expires_at + timedelta(seconds=1)
    return sent.session


def _types(world: World, session_id: str) -> list[str]:
    return [e.type for e in world.sessions.timeline(session_id)]


def test_a_new_link_expires_the_overdue_one_and_is_sent(world):
    old = _overdue(world)
    world.clock.advance(hours=12)  # the next morning: texts may go out again
    new = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert new.session.status is SessionStatus.LINK_SENT
    expired = world.sessions.get("acme", old.id)
    assert expired.status is SessionStatus.EXPIRED
    assert _types(world, old.id)[-1] == "expired"


def test_a_cancel_finds_it_expired_and_frees_the_appointment(world):
    old = _overdue(world)
    cancel = CancelSession(
        sessions=world.sessions, expiry=world.expiry, clock=world.clock, businesses=world.businesses, sms=world.sms,
        contacts=world.contacts, sends=_sends(world),
    )  # fmt: skip
    with pytest.raises(Conflict, match="expired"):
        cancel("acme", "d@acme.example", old.id)
    assert world.sessions.get("acme", old.id).status is SessionStatus.EXPIRED
    assert world.sessions.in_progress_by_appointment("acme", ["appt-1"]) == {}


def test_a_provider_trigger_is_suggested_past_an_overdue_link(world):
    old = _overdue(world)
    suggestions = _Suggestions()
    apply = ApplyProviderEvent(
        sessions=world.sessions, provider=world.provider, businesses=world.businesses, suggestions=suggestions,
        expiry=world.expiry, sends=_sends(world), clock=world.clock,
    )  # fmt: skip
    apply(ProviderEvent("acme", "appt-1", ProviderChange.NO_SHOW, "evt-1"))
    assert world.sessions.get("acme", old.id).status is SessionStatus.EXPIRED
    assert [s.appointment_id for s in suggestions.put_ones] == ["appt-1"]


def test_a_link_still_in_its_time_is_left_alone(world):
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    with pytest.raises(Conflict):
        world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    assert world.sessions.get("acme", sent.session.id).status is SessionStatus.LINK_SENT


def test_the_expiry_schedule_never_fires_before_the_links_time(world):
    world.clock.at = world.clock.at.replace(microsecond=250_000)
    sent = world.send_link()("acme", "d@acme.example", "appt-1", None, BASE)
    schedule = boto3.client("scheduler").get_schedule(
        GroupName=world.env["SCHEDULE_GROUP_NAME"], Name=schedule_name(sent.session.id)
    )
    fires = schedule["ScheduleExpression"].removeprefix("at(").removesuffix(")")
    expires = sent.session.expires_at
    assert expires.microsecond == 250_000
    assert fires == (expires.replace(microsecond=0) + timedelta(seconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )


class _Suggestions:
    def __init__(self) -> None:
        self.put_ones: list = []

    def put(self, suggestion) -> None:
        self.put_ones.append(suggestion)

    def list(self, business_id):
        return self.put_ones

    def resolve(self, business_id, appointment_id) -> bool:
        return False
