"""The load test's data (bench/load_seed.py): valid, and laid out as the test needs it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bench.load_seed import RACE_TECHNICIAN, TIME_ZONE, customer_phone, load_plan
from bench.load_test import Booking, overlapping
from local.seed import Seed

TODAY = date(2026, 11, 21)


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


def test_every_appointment_is_two_days_ahead_and_inside_working_hours() -> None:
    plan = load_plan(TODAY)
    (business,) = Seed.model_validate(plan.seed).businesses
    zone = ZoneInfo(TIME_ZONE)

    for a in business.appointments:
        start, end = a.start.astimezone(zone), a.end.astimezone(zone)
        assert start.date() >= TODAY + timedelta(days=2)
        assert time(8) <= start.time()
        assert end.time() <= time(18)
        assert start.date() == end.date()
        assert (end - start) == timedelta(minutes=plan.minutes[a.id])


def test_the_racers_share_one_technician_one_length_and_come_after_a_free_day() -> None:
    plan = load_plan(TODAY)
    (business,) = Seed.model_validate(plan.seed).businesses
    by_id = {a.id: a for a in business.appointments}
    free_day_end = datetime.combine(TODAY + timedelta(days=3), time(0), ZoneInfo(TIME_ZONE))

    racers = [by_id[a] for a in plan.racers]

    assert {a.technician_id for a in racers} == {RACE_TECHNICIAN}
    assert len({plan.minutes[a.id] for a in racers}) == 1
    assert all(a.start >= free_day_end for a in racers)
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
