"""The rules a dispatcher's chosen time breaks: the openings engine's rules, all of them named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given

from reschedule_dispatch.domain.business import BusinessSettings
from reschedule_dispatch.domain.opening_rules import working_block, working_blocks
from reschedule_dispatch.domain.openings import broken_rules, feasible_openings
from reschedule_dispatch.domain.openings_search import Search
from reschedule_dispatch.domain.scheduling import BlockedTime, Location, Technician
from tests.builders import NOW, appointment, technician
from tests.unit.domain.test_openings import (
    CHICAGO,
    PROPERTY,
    TableTravel,
    _args,
    scenarios,
)

HOME = Location(address="home", lat=41.88, lon=-87.63)
CUSTOMER = Location(address="customer", lat=41.90, lon=-87.65)
FAR = Location(address="far", lat=42.30, lon=-88.10)
WEDNESDAY_10 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 10:00 AM in Chicago


def _tech(**changes: object) -> Technician:
    home = changes.pop("home_base", HOME)
    return technician(**changes).model_copy(update={"home_base": home})


def _rules(start: datetime, **changes: object) -> list[str]:
    moving = appointment(WEDNESDAY_10, location=CUSTOMER)
    tech = changes.pop("technician", _tech())
    settings = changes.pop("settings", BusinessSettings())
    travel = changes.pop("travel", TableTravel({}))
    busy = changes.pop("busy", [moving])
    return broken_rules(moving, tech, start, busy, settings, CHICAGO, NOW, travel)  # type: ignore[arg-type]


def test_a_time_the_rules_allow_breaks_none():
    assert _rules(WEDNESDAY_10 + timedelta(hours=3)) == []
    # off the slot grid too: a dispatcher may choose any minute
    assert _rules(WEDNESDAY_10 + timedelta(hours=3, minutes=10)) == []


def test_each_rule_is_named():
    assert _rules(WEDNESDAY_10 + timedelta(hours=12)) == ["outside working hours"]
    assert _rules(NOW + timedelta(hours=2)) == ["less than 24 h notice"]
    assert _rules(NOW - timedelta(hours=2)) == ["in the past", "outside working hours"]
    assert _rules(WEDNESDAY_10 + timedelta(days=20)) == ["more than 14 days ahead"]
    other = _tech(id="tech-2", name="Sam Lee")
    assert _rules(WEDNESDAY_10, technician=other) == ["technician change not allowed"]
    lunch = BlockedTime(
        id="b-1",
        business_id="acme",
        technician_id="tech-1",
        start=WEDNESDAY_10 + timedelta(hours=2),
        end=WEDNESDAY_10 + timedelta(hours=3),
        reason="lunch",
    )
    assert _rules(WEDNESDAY_10 + timedelta(hours=2, minutes=30), busy=[lunch]) == [
        "overlaps blocked time b-1 (lunch)"
    ]


def test_a_long_drive_names_its_minutes_and_the_maximum():
    far_home = _tech(home_base=FAR)
    travel = TableTravel({("far", "customer"): 52})
    assert _rules(WEDNESDAY_10 + timedelta(hours=2), technician=far_home, travel=travel) == [
        "drive 52 min > 30 max (from home base)",
        "drive 52 min > 30 max (to home base)",
    ]


def test_every_rule_broken_is_listed_not_only_the_first():
    other = _tech(id="tech-2", name="Sam Lee")
    sunday = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert _rules(sunday, technician=other) == [
        "technician change not allowed",
        "outside working hours",
    ]


@PROPERTY
@given(scenarios())
def test_a_grid_start_breaks_no_rule_exactly_when_the_engine_offers_it(scenario):
    # Given any schedule, around any clock change, with any travel model
    args = _args(scenario)
    moving, techs, busy, settings, zone, now, travel = args
    feasible = {(f.start, f.technician_id) for f in feasible_openings(*args)}
    dates = Search(*args).dates
    # When every grid start of every technician (allowed to take it or not) is checked
    for tech in techs:
        weekly = working_blocks(tech)
        for day in dates:
            for first, last in weekly.get(day.weekday(), ()):
                for s in working_block(day, first, last, zone, settings.slot_minutes).grid:
                    start = datetime.fromtimestamp(s, UTC)
                    if tech.id == moving.technician_id and start == moving.start:
                        continue  # the current time: not a move
                    broken = broken_rules(
                        moving, tech, start, busy.get(tech.id, ()), settings, zone, now, travel
                    )
                    # Then it breaks a rule exactly when it is not offered
                    assert (not broken) == ((start, tech.id) in feasible), (start, tech.id, broken)
