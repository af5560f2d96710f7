"""The load test's data (bench/load_seed.py): valid, and laid out as the test needs it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from bench.load_seed import RACE_TECHNICIAN, TIME_ZONE, LoadPlan, customer_phone, load_plan
from bench.load_test import GAP_MINUTES, Booking, Race, SlotClaims, overlapping, parse_slot
from local.seed import Seed
from reschedule_dispatch.domain.openings import feasible_openings, find_openings, search_window
from reschedule_dispatch.domain.scheduling import Appointment, Technician
from reschedule_dispatch.domain.session import opening_key
from reschedule_dispatch.domain.travel import travel_from_settings

TODAY = date(2026, 11, 21)
# Every 3 hours for a week, off the hour (a Saturday morning failed before the race
# technician's hours were cut down): each moment falls differently on the working stretches.
MOMENTS = [
    datetime(2026, 11, 21, 0, 17, tzinfo=ZoneInfo(TIME_ZONE)) + timedelta(hours=h)
    for h in range(0, 7 * 24, 3)
]


def test_the_seed_is_a_valid_seed_file_with_220_appointments() -> None:
    plan = load_plan(TODAY)

    seed = Seed.model_validate(plan.seed)  # the same validation `make dev SEED=` runs

    (business,) = seed.businesses
    assert len(business.appointments) == 220
    assert (len(plan.choosers), len(plan.racers)) == (200, 20)
    assert business.settings.quiet_hours_start is None  # links go out at any hour
    assert plan.dispatcher in {d.email for d in business.dispatchers}


def test_each_appointment_has_its_own_customer_and_phone() -> None:
    (business,) = Seed.model_validate(load_plan(TODAY).seed).businesses

    assert len({a.customer_id for a in business.appointments}) == 220
    assert len({c.phone for c in business.customers}) == 220
    assert business.phone not in {c.phone for c in business.customers}


def test_no_technician_is_double_booked_to_begin_with() -> None:
    (business,) = Seed.model_validate(load_plan(TODAY).seed).businesses

    bookings = [Booking(a.technician_id, a.start, a.end, a.id) for a in business.appointments]

    assert overlapping(bookings) == []


def test_every_appointment_is_two_days_ahead_and_inside_its_technicians_hours() -> None:
    plan = load_plan(TODAY)
    (business,) = Seed.model_validate(plan.seed).businesses
    hours = {t.id: t.working_hours for t in business.technicians}
    zone = ZoneInfo(TIME_ZONE)

    for a in business.appointments:
        start, end = a.start.astimezone(zone), a.end.astimezone(zone)
        assert start.date() >= TODAY + timedelta(days=2)
        assert start.date() == end.date()
        assert any(
            h.weekday == start.weekday() and h.start <= start.time() and end.time() <= h.end
            for h in hours[a.technician_id]
        ), a.id
        assert (end - start) == timedelta(minutes=plan.minutes[a.id])


def test_the_racers_share_one_technician_and_one_length() -> None:
    plan = load_plan(TODAY)
    (business,) = Seed.model_validate(plan.seed).businesses
    by_id = {a.id: a for a in business.appointments}

    racers = [by_id[a] for a in plan.racers]

    assert {a.technician_id for a in racers} == {RACE_TECHNICIAN}
    assert len({plan.minutes[a.id] for a in racers}) == 1
    assert all(by_id[a].technician_id != RACE_TECHNICIAN for a in plan.choosers)


def test_choosers_are_spread_evenly_over_the_technicians() -> None:
    plan = load_plan(TODAY)
    (business,) = Seed.model_validate(plan.seed).businesses
    by_id = {a.id: a for a in business.appointments}

    per_technician = Counter(by_id[a].technician_id for a in plan.choosers)

    assert sorted(set(per_technician.values())) == [10]
    assert len(per_technician) == 20


def test_the_same_day_and_seed_give_the_same_data() -> None:
    assert load_plan(TODAY).seed == load_plan(TODAY).seed
    assert load_plan(TODAY).seed != load_plan(TODAY, seed=9).seed


def test_phones_run_out_after_the_reserved_numbers() -> None:
    assert customer_phone(0) == "+13125550101"
    assert customer_phone(99) == "+17735550101"
    with pytest.raises(ValueError, match="only 297 fictional numbers"):
        customer_phone(297)


Pages = dict[str, tuple[set[str], set[str]]]  # racer -> (slots shown, every feasible slot)


@pytest.fixture(scope="module")
def week() -> list[tuple[datetime, LoadPlan, Pages]]:
    """For each moment: the data `make load` would seed then, and the racers' pages."""
    moments = []
    for now in MOMENTS:
        plan = load_plan(now.date())
        moments.append((now, plan, _racers_pages(plan, now)))
    return moments


def test_at_any_hour_a_time_is_shown_on_every_racers_page(
    week: list[tuple[datetime, LoadPlan, Pages]],
) -> None:
    no_common_time = [now for now, plan, pages in week if _raced(pages, plan) is None]

    assert no_common_time == []


def test_at_any_hour_every_racers_page_shows_every_feasible_time(
    week: list[tuple[datetime, LoadPlan, Pages]],
) -> None:
    # What makes a common time certain: the pages differ only by each racer's own stretch.
    cut_short = [
        now
        for now, _, pages in week
        if any(shown != feasible for shown, feasible in pages.values())
    ]

    assert cut_short == []


def test_at_any_hour_the_losers_still_find_times_the_claims_cannot_all_block(
    week: list[tuple[datetime, LoadPlan, Pages]],
) -> None:
    too_few = []
    for now, plan, pages in week:
        claims = SlotClaims(timedelta(minutes=GAP_MINUTES))
        minutes = plan.minutes[plan.racers[0]]
        _raced(pages, plan, claims)  # claims the raced time, as the race does
        left = [
            slot
            for slot in set.intersection(*(shown for shown, _ in pages.values()))
            if _claimable(claims, slot, minutes)
        ]
        # However the other 18 losers' claims fall, the last loser still has a time.
        if _claims_to_block(left, minutes) <= len(plan.racers) - 2:
            too_few.append(now)

    assert too_few == []


def _racers_pages(plan: LoadPlan, now: datetime) -> Pages:
    """Each racer's page as the portal builds it: (the slots shown, every feasible slot)."""
    (business,) = Seed.model_validate(plan.seed).businesses
    settings, zone = business.settings, ZoneInfo(business.time_zone)
    # Only the current technician is a candidate (technician changes are off), as in
    # services/openings.py; the demo provider's objects, as local/seed.py builds them.
    assert not settings.allow_technician_change
    (seeded,) = [t for t in business.technicians if t.id == RACE_TECHNICIAN]
    technician = Technician(
        business_id=business.id,
        **seeded.model_dump(exclude={"working_hours"}),
        working_hours=tuple(seeded.working_hours),
    )
    locations = {c.id: c.location for c in business.customers}
    appointments = {
        a.id: Appointment(
            business_id=business.id, location=locations[a.customer_id], **a.model_dump()
        )
        for a in business.appointments
    }
    start, end = search_window(now, settings)
    busy = [
        a
        for a in appointments.values()
        if a.technician_id == technician.id and a.overlaps(start, end)
    ]
    travel = travel_from_settings(settings)
    pages = {}
    for racer in plan.racers:
        args = (
            appointments[racer],
            [technician],
            {technician.id: busy},
            settings,
            zone,
            now,
            travel,
        )
        shown = {o.key for o in find_openings(*args).openings}
        feasible = {opening_key(f.start, f.technician_id) for f in feasible_openings(*args)}
        pages[racer] = (shown, feasible)
    return pages


def _raced(pages: Pages, plan: LoadPlan, claims: SlotClaims | None = None) -> str | None:
    """The time the harness's race picks from these pages (None: no common time)."""
    race = Race(1, claims or SlotClaims(timedelta(0)), plan.minutes[plan.racers[0]])
    for racer, (shown, _) in pages.items():
        race.shown(racer, sorted(shown))
    race.opened.wait()  # one party: the barrier trips at once, choosing the time
    return race.slot


def _claimable(claims: SlotClaims, slot: str, minutes: int) -> bool:
    """Would the claim book take this slot now? (It asks without keeping the claim.)"""
    start, technician = parse_slot(slot)
    if not claims.claim(technician, start, start + timedelta(minutes=minutes)):
        return False
    claims.release(technician, start)
    return True


def _claims_to_block(slots: Sequence[str], minutes: int) -> int:
    """The fewest claims, each on one of these slots, that leave none of them claimable.

    A claim blocks the slots near it on the line of time, so the greedy cover is the
    least: for the earliest slot still free, claim the latest slot that blocks it.
    """
    free = sorted(slots, key=lambda s: parse_slot(s)[0])
    count = 0
    while free:
        claimed = max(
            (s for s in slots if _blocks(s, free[0], minutes)), key=lambda s: parse_slot(s)[0]
        )
        free = [s for s in free if not _blocks(claimed, s, minutes)]
        count += 1
    return count


@cache  # the same slots come back at many moments
def _blocks(claimed: str, slot: str, minutes: int) -> bool:
    """Does a claim on `claimed` make the claim book refuse `slot`?"""
    claims = SlotClaims(timedelta(minutes=GAP_MINUTES))
    start, technician = parse_slot(claimed)
    claims.claim(technician, start, start + timedelta(minutes=minutes))
    return not _claimable(claims, slot, minutes)
