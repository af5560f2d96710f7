"""The load test's reading of customer pages and its bookkeeping (bench/load_test.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bench.load_test import Booking, SlotClaims, is_confirming, overlapping, page_slots, parse_slot
from reschedule_dispatch.domain.session import Opening, SessionStatus
from reschedule_dispatch.services.customer_links import CustomerPage
from reschedule_dispatch.web.pages import customer_page
from tests.builders import NOW, appointment, business, reschedule_session, technician

URL = "https://api.example/r/" + "t" * 43
HOUR = timedelta(hours=1)


def _page(status: SessionStatus = SessionStatus.VIEWED) -> CustomerPage:
    moving = appointment(NOW + timedelta(days=3))
    session = reschedule_session(moving, status=status)
    openings = [
        Opening(start=NOW + timedelta(days=d, hours=h), end=NOW + timedelta(days=d, hours=h + 1),
                technician_id="tech-1")
        for d, h in ((1, 0), (1, 2), (2, 1))
    ]  # fmt: skip
    return CustomerPage(business(), session, moving, {"tech-1": technician()}, openings)


def test_the_times_a_page_offers_are_read_in_page_order() -> None:
    page = _page()

    assert page_slots(customer_page(page, URL)) == [o.key for o in page.openings]


def test_the_confirm_step_offers_no_times_but_carries_the_chosen_one() -> None:
    page = _page()
    step = customer_page(replace(page, chosen=page.openings[1]), URL)

    assert page_slots(step) == []
    assert f"value='{page.openings[1].key}'" in step  # what the load test looks for


def test_only_the_page_of_a_running_confirm_refreshes_itself() -> None:
    assert is_confirming(customer_page(_page(SessionStatus.CONFIRMING), URL))
    assert not is_confirming(customer_page(_page(SessionStatus.VIEWED), URL))
    assert not is_confirming(customer_page(_page(SessionStatus.COMPLETED), URL))


def test_a_slot_value_gives_back_its_start_and_technician() -> None:
    opening = _page().openings[0]

    assert parse_slot(opening.key) == (opening.start, "tech-1")


def test_a_value_without_a_technician_is_not_a_slot() -> None:
    with pytest.raises(ValueError, match="not a slot value"):
        parse_slot("20261125T163000Z")


def test_a_claim_too_close_to_another_of_the_technician_is_refused() -> None:
    claims = SlotClaims(gap=timedelta(minutes=30))
    assert claims.claim("tech-1", NOW, NOW + HOUR)

    # 20 minutes after the first ends: inside the gap, on either side
    assert not claims.claim("tech-1", NOW + HOUR + timedelta(minutes=20), NOW + 2 * HOUR)
    assert not claims.claim("tech-1", NOW - 2 * HOUR, NOW - timedelta(minutes=20))
    # exactly the gap apart, or another technician: fine
    assert claims.claim("tech-1", NOW + HOUR + timedelta(minutes=30), NOW + 3 * HOUR)
    assert claims.claim("tech-2", NOW, NOW + HOUR)


def test_a_released_claim_frees_its_time() -> None:
    claims = SlotClaims(gap=timedelta(minutes=30))
    claims.claim("tech-1", NOW, NOW + HOUR)

    claims.release("tech-1", NOW)

    assert claims.claim("tech-1", NOW, NOW + HOUR)


def _booking(technician: str, start_hour: int, hours: int, label: str) -> Booking:
    start = datetime(2026, 11, 25, start_hour, tzinfo=UTC)
    return Booking(technician, start, start + hours * HOUR, label)


def test_bookings_that_touch_do_not_overlap() -> None:
    bookings = [_booking("tech-1", 9, 1, "a"), _booking("tech-1", 10, 1, "b")]

    assert overlapping(bookings) == []


def test_a_long_booking_clashes_with_each_one_inside_it() -> None:
    long, first, second = (
        _booking("tech-1", 9, 4, "long"),
        _booking("tech-1", 10, 1, "first"),
        _booking("tech-1", 12, 1, "second"),
    )

    pairs = overlapping([second, long, first])

    assert [(a.label, b.label) for a, b in pairs] == [("long", "first"), ("long", "second")]


def test_the_same_time_with_two_technicians_is_no_clash() -> None:
    assert overlapping([_booking("tech-1", 9, 1, "a"), _booking("tech-2", 9, 1, "b")]) == []
