"""CustomerLinks (services/customer_links.py): the customer's page, its confirm, and a link private to
the customer's browser."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import (
    Conflict,
    MessagingUnavailable,
    NotFound,
    TooManyGuesses,
    Unprocessable,
)
from reschedule_dispatch.domain.guessing import GuessLimit
from reschedule_dispatch.domain.links import new_token
from reschedule_dispatch.domain.session import (
    LINK_RETENTION,
    MAX_LINK_BROWSERS,
    MAX_UNLOCK_TRIES,
    SessionStatus,
)
from reschedule_dispatch.services.closed_sessions import NO_LONGER_SHOWN, LinkClosed
from reschedule_dispatch.services.customer_links import (
    ANOTHER_BROWSER,
    GONE_REASONS,
    LOCKED,
    OPEN_IT,
    RETRY_NOTICE,
    NotThisBrowser,
    WrongDigits,
)
from reschedule_dispatch.services.link_guessing import LinkGuessing
from tests.builders import NOW
from tests.fakes import FakeGuessThrottle
from tests.unit.services.conftest import ACME_NUMBER, WEDNESDAY_10AM

CUSTOMER, FRIEND = "198.51.100.20", "203.0.113.7"
RIGHT = "0142"  # the last four digits of Olivia's phone


def test_the_page_shows_openings_in_time_order_and_changes_nothing(world):
    session, token = world.sent()
    page = world.links().page(token)
    assert page.appointment.id == "appt-1"
    assert page.business.id == "acme"
    assert page.openings
    assert page.openings == sorted(page.openings, key=lambda o: o.start)
    notice = NOW + timedelta(hours=24)
    assert all(o.start >= notice for o in page.openings)
    assert set(page.technicians) == {"tech-1"}
    assert page.chosen is None
    # A GET (or a link-preview bot) never changes state
    assert world.status(session.id) is SessionStatus.LINK_SENT
    assert world.timeline(session.id) == ["created", "sent"]


def test_a_slot_on_the_page_is_its_confirm_step(world):
    _, token = world.sent()
    shown = world.links().page(token).openings[0]
    assert world.links().page(token, shown.key).chosen == shown


def test_unknown_and_malformed_tokens_are_not_found(world):
    world.sent()
    for token in (new_token(), "../../etc/passwd"):
        with pytest.raises(NotFound):
            world.links().page(token)


def test_an_expired_link_is_closed_before_its_expiry_runs(world):
    session, token = world.sent()
    world.clock.at = session.expires_at
    with pytest.raises(LinkClosed) as gone:
        world.links().page(token)
    assert str(gone.value) == GONE_REASONS[SessionStatus.EXPIRED]
    assert gone.value.business.phone == ACME_NUMBER
    with pytest.raises(LinkClosed):
        world.links().confirm(token, "anything")
    assert world.status(session.id) is SessionStatus.LINK_SENT  # the page writes nothing
    assert world.workflow.executions == {}


def test_a_canceled_link_says_why_when_it_knows(world):
    session, token = world.sent()
    world.close(session.id, SessionStatus.CANCELED)
    with pytest.raises(LinkClosed, match=GONE_REASONS[SessionStatus.CANCELED]):
        world.links().page(token)
    other, other_token = world.sent()  # the appointment is free again
    world.close(
        other.id,
        SessionStatus.CANCELED,
        failure_reason="The appointment was canceled.",
    )
    with pytest.raises(LinkClosed, match=re.escape("The appointment was canceled.")):
        world.links().page(other_token)


def test_a_finished_link_shows_its_appointment_for_some_days_then_no_more(world):
    session, opening, token = world.confirming()
    world.run_steps(session.id)
    world.finalize()(session.id)
    world.clock.at = opening.end + LINK_RETENTION - timedelta(minutes=1)
    page = world.links().page(token)
    assert page.session.status is SessionStatus.COMPLETED
    assert page.appointment.start == opening.start
    assert page.openings == []  # nothing left to pick
    world.clock.at = opening.end + LINK_RETENTION
    with pytest.raises(LinkClosed, match=NO_LONGER_SHOWN):
        world.links().page(token)


def test_the_first_view_is_recorded_once(world):
    session, token = world.sent()
    assert world.links().mark_viewed(token) is True
    assert world.links().mark_viewed(token) is False
    assert world.status(session.id) is SessionStatus.VIEWED
    assert world.timeline(session.id) == ["created", "sent", "viewed"]


def test_confirming_starts_one_workflow_even_when_submitted_twice(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]

    confirming = world.links().confirm(token, opening.key)

    assert confirming.status is SessionStatus.CONFIRMING
    assert confirming.new_opening is not None
    assert confirming.new_opening.key == opening.key
    assert confirming.confirm_attempt == 1
    assert world.timeline(session.id)[-1] == "confirming"
    again = world.links().confirm(token, opening.key)  # a double submit: accepted
    assert again.status is SessionStatus.CONFIRMING
    assert list(world.workflow.executions) == [f"session-{session.id}-1"]
    assert world.links().page(token).openings == []  # none once a time is being confirmed
    later = opening.model_copy(
        update={"start": opening.start + timedelta(days=1), "end": opening.end + timedelta(days=1)}
    )
    with pytest.raises(Conflict):
        world.links().confirm(token, later.key)
    assert len(world.workflow.executions) == 1


def test_a_confirm_whose_start_was_lost_is_started_by_the_double_submit(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    world.links().confirm(token, opening.key)
    world.workflow.executions.clear()  # its start never reached Step Functions
    world.links().confirm(token, opening.key)
    assert list(world.workflow.executions) == [f"session-{session.id}-1"]


def test_a_time_not_offered_is_refused_and_nothing_is_written(world):
    session, token = world.sent()
    current = "20261125T160000Z.tech-1"  # the appointment's own time
    with pytest.raises(Unprocessable):
        world.links().confirm(token, current)
    assert world.status(session.id) is SessionStatus.LINK_SENT
    assert world.workflow.executions == {}


def test_a_time_still_allowed_is_bookable_even_when_no_longer_shown(world):
    world.change_business(max_openings=1)
    _, token = world.sent()
    [shown] = world.links().page(token).openings
    other = shown.model_copy(
        update={"start": shown.start + timedelta(days=1), "end": shown.end + timedelta(days=1)}
    )
    chosen = world.links().page(token, other.key).chosen
    assert chosen is not None
    assert chosen.key == other.key
    confirmed = world.links().confirm(token, other.key).new_opening
    assert confirmed is not None
    assert confirmed.key == other.key


def test_a_workflow_that_cannot_start_gives_the_link_back_to_the_customer(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    world.workflow.fail_with = MessagingUnavailable("Step Functions is throttling.")
    with pytest.raises(MessagingUnavailable):
        world.links().confirm(token, opening.key)
    back = world.sessions.get_by_id(session.id)
    assert back.status is SessionStatus.VIEWED
    assert (back.notice, back.new_opening) == (RETRY_NOTICE, None)
    assert world.timeline(session.id)[-2:] == ["confirming", "confirm_not_started"]
    # And the customer can try again: a new attempt, a new execution
    world.workflow.fail_with = None
    again = world.links().confirm(token, opening.key)
    assert (again.confirm_attempt, again.notice) == (2, None)
    assert list(world.workflow.executions) == [f"session-{session.id}-2"]


class CanceledInTheSameInstant:
    """The session repository, where a dispatcher cancels the link between the customer's
    read and write."""

    def __init__(self, world: Any) -> None:
        self._world = world
        self._sessions = world.sessions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)

    def transition(self, session_id: str, expected: Any, new: Any, event: Any, **changes: Any):
        if new is SessionStatus.CONFIRMING and self._sessions.get_by_id(session_id).in_progress:
            self._sessions.transition(session_id, expected, SessionStatus.CANCELED, event)
        return self._sessions.transition(session_id, expected, new, event, **changes)


def test_a_confirm_that_loses_a_race_answers_from_the_state_that_won(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    links = world.links()
    links._sessions = CanceledInTheSameInstant(world)
    with pytest.raises(LinkClosed):
        links.confirm(token, opening.key)
    assert world.status(session.id) is SessionStatus.CANCELED
    assert world.workflow.executions == {}


def test_a_closed_link_cannot_confirm(world):
    session, opening, token = world.confirming()
    world.compensate()(session.id, "AppointmentChanged")  # failed
    with pytest.raises(LinkClosed):
        world.links().confirm(token, opening.key)


# --- private to the customer's browser -------------------------------------------------------


def _private(world, limit: int = 50):
    guessing = LinkGuessing(
        counts=FakeGuessThrottle(), clock=world.clock, limit=GuessLimit(unknown_links=limit)
    )
    return world.links(guessing=guessing, private_to_browser=True)


def test_a_link_no_browser_opened_shows_only_the_business_until_one_opens_it(world):
    links = _private(world)
    session, token = world.sent()
    with pytest.raises(NotThisBrowser) as refused:
        links.page(token, client=CUSTOMER)
    assert (refused.value.first, refused.value.locked, str(refused.value)) == (
        True,
        False,
        OPEN_IT,
    )
    assert refused.value.business.id == "acme"
    for action in (
        lambda: links.mark_viewed(token, client=CUSTOMER),
        lambda: links.confirm(token, "x", client=CUSTOMER),
    ):
        with pytest.raises(NotThisBrowser):
            action()
    assert world.sessions.get_by_id(session.id).browsers == ()

    secret = links.open(token, client=CUSTOMER)

    assert links.page(token, client=CUSTOMER, browser=secret).openings
    assert links.open(token, client=CUSTOMER, browser=secret) == secret  # again: the same
    assert links.unlock(token, "9999", client=CUSTOMER, browser=secret) == secret
    stored = world.sessions.get_by_id(session.id)
    assert len(stored.browsers) == 1
    assert secret not in stored.browsers[0]  # only its hash is kept
    assert world.timeline(session.id)[-1] == "opened"


def test_another_browser_needs_the_phones_last_four_digits(world):
    links = _private(world)
    session, token = world.sent()
    links.open(token, client=CUSTOMER)
    with pytest.raises(NotThisBrowser) as refused:
        links.open(token, client=FRIEND)  # a forwarded link
    assert (refused.value.first, str(refused.value)) == (False, ANOTHER_BROWSER)
    with pytest.raises(NotThisBrowser):
        links.page(token, client=FRIEND, browser="a-secret-it-made-up")

    with pytest.raises(WrongDigits, match=str(MAX_UNLOCK_TRIES - 1)):
        links.unlock(token, "9999", client=FRIEND)
    secret = links.unlock(token, f"({RIGHT[:2]}) {RIGHT[2:]}", client=FRIEND)  # as typed

    assert links.page(token, client=FRIEND, browser=secret).openings
    assert world.timeline(session.id)[-1] == "opened_elsewhere"
    assert world.sessions.get_by_id(session.id).unlock_tries == 2


def test_unlocking_a_link_no_browser_opened_opens_it(world):
    links = _private(world)
    session, token = world.sent()
    secret = links.unlock(token, "0000", client=CUSTOMER)  # no digits needed: it is the first
    assert links.page(token, client=CUSTOMER, browser=secret).openings
    assert world.sessions.get_by_id(session.id).unlock_tries == 0


def test_wrong_digits_lock_the_link_to_its_browsers_after_a_few_tries(world):
    links = _private(world)
    session, token = world.sent()
    mine = links.open(token, client=CUSTOMER)
    for left in range(MAX_UNLOCK_TRIES - 1, 0, -1):
        with pytest.raises(WrongDigits, match=str(left)):
            links.unlock(token, "9999", client=FRIEND)
    with pytest.raises(NotThisBrowser) as locked:
        links.unlock(token, "9999", client=FRIEND)
    assert (locked.value.locked, str(locked.value)) == (True, LOCKED)
    assert world.timeline(session.id)[-1] == "unlock_refused"
    # Even the right digits now: locked, and no more tries are taken
    with pytest.raises(NotThisBrowser, match=LOCKED):
        links.unlock(token, RIGHT, client="192.0.2.99")
    with pytest.raises(NotThisBrowser) as shown:
        links.page(token, client=FRIEND)
    assert shown.value.locked
    assert links.page(token, client=CUSTOMER, browser=mine).openings
    assert world.sessions.get_by_id(session.id).unlock_tries == MAX_UNLOCK_TRIES


def test_wrong_digits_count_toward_the_clients_guessing_limit(world):
    links = _private(world, limit=2)
    session, token = world.sent()
    links.open(token, client=CUSTOMER)
    for _ in range(2):
        with pytest.raises(WrongDigits):
            links.unlock(token, "9999", client=FRIEND)
    with pytest.raises(TooManyGuesses):
        links.unlock(token, RIGHT, client=FRIEND)
    assert world.sessions.get_by_id(session.id).unlock_tries == 2  # refused before a try


def test_a_link_opens_in_a_few_browsers_at_most(world):
    links = _private(world)
    _, token = world.sent()
    links.open(token, client=CUSTOMER)
    for n in range(MAX_LINK_BROWSERS - 1):
        links.unlock(token, RIGHT, client=f"192.0.2.{n}")
    with pytest.raises(NotThisBrowser) as full:
        links.unlock(token, RIGHT, client="192.0.2.200")
    assert full.value.locked


def test_digits_of_another_script_are_a_wrong_try_not_an_error(world):
    links = _private(world)
    _, token = world.sent()
    links.open(token, client=CUSTOMER)
    with pytest.raises(WrongDigits):
        links.unlock(token, "٠١٤٢", client=FRIEND)  # Arabic-Indic digits


class BoundMeanwhile:
    """The session repository, where another browser binds the link a moment before."""

    def __init__(self, world: Any) -> None:
        self._sessions = world.sessions

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sessions, name)

    def add_browser(self, session_id: str, browser_hash: str, event: Any, *, first: bool):
        self._sessions.add_browser(session_id, "someone-else", event, first=first)
        return self._sessions.add_browser(session_id, browser_hash, event, first=first)


def test_two_browsers_opening_at_once_bind_one(world):
    links = _private(world)
    _, token = world.sent()
    links._sessions = BoundMeanwhile(world)
    with pytest.raises(NotThisBrowser) as refused:
        links.open(token, client=CUSTOMER)
    assert not refused.value.first


def test_a_page_for_an_appointment_that_moved_elsewhere_says_where_it_is_now(world):
    session, token = world.sent()
    moved = world.provider.get_appointment("acme", "appt-1").model_copy(
        update={
            "start": WEDNESDAY_10AM + timedelta(hours=1),
            "end": WEDNESDAY_10AM + timedelta(hours=2),
        }
    )
    world.provider.put_appointment(moved)
    world.close(session.id, SessionStatus.FAILED)
    page = world.links().page(token)
    assert (page.session.status, page.appointment.start, page.openings) == (
        SessionStatus.FAILED,
        moved.start,
        [],
    )


class Meanwhile:
    """The session repository, where another tab of the same browser (or another one) gets
    its write in between this one's read and its write."""

    def __init__(self, world: Any, before: dict[str, Any]) -> None:
        self._sessions = world.sessions
        self._before = before

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._sessions, name)
        if name not in self._before:
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            self._before[name](self._sessions, *args)
            return method(*args, **kwargs)

        return call


def test_tries_at_the_digits_sent_at_once_cannot_pass_the_limit(world):
    links = _private(world)
    session, token = world.sent()
    links.open(token, client=CUSTOMER)

    def others_spend_them(sessions: Any, session_id: str, most: int) -> None:
        while sessions.take_unlock_try(session_id, most) is not None:
            pass

    links._sessions = Meanwhile(world, {"take_unlock_try": others_spend_them})
    with pytest.raises(NotThisBrowser) as locked:
        links.unlock(token, RIGHT, client=FRIEND)
    assert locked.value.locked
    assert len(world.sessions.get_by_id(session.id).browsers) == 1


def test_a_browser_let_in_when_the_link_just_filled_up_is_refused(world):
    links = _private(world)
    session, token = world.sent()
    links.open(token, client=CUSTOMER)

    def others_fill_it(sessions: Any, session_id: str, browser: str, event: Any, **_: Any) -> None:
        while sessions.add_browser(session_id, f"other-{browser}", event, first=False):
            browser += "'"

    links._sessions = Meanwhile(world, {"add_browser": others_fill_it})
    with pytest.raises(NotThisBrowser) as full:
        links.unlock(token, RIGHT, client=FRIEND)
    assert full.value.locked
    assert len(world.sessions.get_by_id(session.id).browsers) == MAX_LINK_BROWSERS


def test_a_view_recorded_as_the_customer_confirms_counts_nothing(world):
    session, token = world.sent()
    opening = world.links().page(token).openings[0]
    links = world.links()

    def confirmed(sessions: Any, *args: Any) -> None:
        world.links().confirm(token, opening.key)

    links._sessions = Meanwhile(world, {"transition": confirmed})
    assert links.mark_viewed(token) is False
    assert world.status(session.id) is SessionStatus.CONFIRMING
    assert "viewed" not in world.timeline(session.id)
