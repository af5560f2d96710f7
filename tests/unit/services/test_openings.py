"""OpeningsForAppointment and DispatcherOpenings (services/openings.py): the engine's inputs
gathered from the provider (or, in one read, the mirror) and the business's rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest

from reschedule_dispatch.domain.errors import NotFound
from reschedule_dispatch.domain.mirror import ScheduleSnapshot, mirror_window
from reschedule_dispatch.domain.scheduling import Location
from reschedule_dispatch.domain.session import opening_key
from reschedule_dispatch.domain.travel import Coordinates, travel_from_settings
from reschedule_dispatch.services.openings import DispatcherOpenings, OpeningsForAppointment
from reschedule_dispatch.services.schedule_mirror import MirroredSchedule
from tests.builders import NOW, appointment, technician
from tests.fakes import FakeScheduleMirror
from tests.unit.services.conftest import WEDNESDAY_10AM


def _find(world, provider: Any = None, **options: Any) -> OpeningsForAppointment:
    return OpeningsForAppointment(provider=provider or world.provider, clock=world.clock, **options)


def _openings(world, provider: Any = None, **options: Any):
    business = world.businesses.get("acme")
    current = world.provider.get_appointment("acme", "appt-1")
    return _find(world, provider, **options)(business, current)


def test_openings_follow_the_rules_and_stay_with_the_technician_by_default(world):
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    found = _openings(world)
    settings = world.businesses.get("acme").settings
    assert 0 < len(found.result.openings) <= settings.max_openings
    assert {o.technician_id for o in found.result.openings} == {"tech-1"}
    assert set(found.technicians) == {"tech-1"}
    assert all(
        o.start >= NOW + timedelta(hours=settings.min_notice_hours) for o in found.result.openings
    )
    assert all(
        o.start <= NOW + timedelta(days=settings.horizon_days) for o in found.result.openings
    )
    assert found.chosen is None


def test_a_business_that_allows_it_is_offered_the_whole_crew(world):
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    world.change_business(allow_technician_change=True)
    found = _openings(world)
    assert set(found.technicians) == {"tech-1", "tech-2"}
    # A time shown with one is free with the other (same hours, same base, no jobs)
    business = world.businesses.get("acme")
    current = world.provider.get_appointment("acme", "appt-1")
    with_sam = opening_key(found.result.openings[0].start, "tech-2")
    assert _find(world).feasible(business, current, with_sam) is not None
    world.change_business(allow_technician_change=False)
    business = world.businesses.get("acme")
    assert _find(world).feasible(business, current, with_sam) is None


def test_a_busy_time_is_never_offered(world):
    first = _openings(world).result.openings[0]
    world.provider.put_appointment(appointment(first.start, id="rival", customer_id="c9"))
    keys = {o.key for o in _openings(world).result.openings}
    assert first.key not in keys
    business = world.businesses.get("acme")
    current = world.provider.get_appointment("acme", "appt-1")
    assert _find(world).feasible(business, current, first.key) is None


def test_a_slot_names_a_time_the_rules_allow_whether_shown_or_not(world):
    world.change_business(max_openings=1)
    business = world.businesses.get("acme")
    current = world.provider.get_appointment("acme", "appt-1")
    [shown] = _openings(world).result.openings
    assert _find(world)(business, current, slot=shown.key).chosen == shown
    unshown = opening_key(shown.start + timedelta(days=1), "tech-1")
    chosen = _find(world)(business, current, slot=unshown).chosen
    assert chosen is not None
    assert chosen.key == unshown
    for refused in (
        opening_key(WEDNESDAY_10AM, "tech-1"),  # where it is now
        opening_key(shown.start, "tech-9"),  # a technician the business does not have
        "not-a-slot",
    ):
        assert _find(world)(business, current, slot=refused).chosen is None


def test_explaining_says_why_times_near_the_openings_were_not_offered(world):
    business = world.businesses.get("acme")
    current = world.provider.get_appointment("acme", "appt-1")
    assert _find(world)(business, current).result.rejected == []
    assert _find(world)(business, current, explain=True).result.rejected


class PrefetchingTravel:
    """A travel model told every drive up front (a route matrix's one call)."""

    def __init__(self, settings: Any) -> None:
        self._offline = travel_from_settings(settings)
        self.prefetched: list[tuple[list[Any], list[Any]]] = []
        self.pairs: list[Any] = []

    def minutes(self, origin: Coordinates, destination: Coordinates) -> int:
        return self._offline.minutes(origin, destination)

    def prefetch(self, origins: Iterable[Coordinates], destinations: Iterable[Coordinates]) -> None:
        self.prefetched.append((list(origins), list(destinations)))

    def prefetch_pairs(self, pairs: Iterable[tuple[Coordinates, Coordinates]]) -> None:
        self.pairs.extend(pairs)


def test_a_batch_travel_model_is_told_the_drives_to_and_from_the_customer_first(world):
    site = Location(lat=41.9, lon=-87.6)
    current = world.provider.get_appointment("acme", "appt-1")
    world.provider.put_appointment(current.model_copy(update={"location": site}))
    made: list[PrefetchingTravel] = []

    def travel_for(settings: Any) -> PrefetchingTravel:
        made.append(PrefetchingTravel(settings))
        return made[-1]

    offline = _openings(world).result.openings
    assert _openings(world, travel_for=travel_for).result.openings == offline
    [travel] = made
    (to_customer, [there]), ([here], from_customer) = travel.prefetched
    assert (there, here) == (site, site)
    assert to_customer  # from the technician's home base at least
    assert from_customer


def test_from_the_mirror_the_crews_busy_time_is_one_read(world):
    world.provider.put_technician(technician(id="tech-2", name="Sam Lee"))
    world.change_business(allow_technician_change=True)
    mirror = FakeScheduleMirror()
    start, end = mirror_window(NOW)
    technicians = list(world.provider.technicians("acme"))
    mirror.replace(
        "acme",
        ScheduleSnapshot(
            technicians,
            {
                t.id: world.provider.technician_schedule("acme", t.id, start, end)
                for t in technicians
            },
            [],
            start,
            end,
        ),
        NOW,
    )
    direct = _openings(world).result.openings
    world.provider.calls.clear()
    mirrored = _openings(world, MirroredSchedule(mirror=mirror, live=world.provider))
    assert mirrored.result.openings == direct
    assert world.provider.calls["technician_schedule"] == 0


def test_the_dispatchers_view_is_the_openings_the_customer_would_see(world):
    query = DispatcherOpenings(
        provider=world.provider, businesses=world.businesses, find=_find(world)
    )
    business, found = query("acme", "appt-1")
    assert business.id == "acme"
    assert found.result.openings == _openings(world).result.openings
    assert query("acme", "appt-1", explain=True)[1].result.rejected
    with pytest.raises(NotFound):
        query("other", "acme-only")
