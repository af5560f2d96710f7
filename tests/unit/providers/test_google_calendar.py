"""The Google Calendar adapter against the local Google Calendar fake over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from local.fakes.google_calendar import GoogleCalendarFake, GoogleError
from reschedule_dispatch.adapters.google_calendar import (
    GoogleCalendarConfig,
    GoogleCalendarCredentials,
    GoogleCalendarProvider,
)
from reschedule_dispatch.adapters.provider_http import READ_ATTEMPTS
from reschedule_dispatch.domain.calendar_events import is_derived
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    Unprocessable,
)
from reschedule_dispatch.domain.ports import ProviderWebhooks, SchedulingProvider
from reschedule_dispatch.domain.provider_events import ProviderChange
from reschedule_dispatch.domain.scheduling import Appointment, BlockedTime
from reschedule_dispatch.domain.session import Opening
from reschedule_dispatch.services.watchdog import _half_moved
from tests.builders import NOW, reschedule_session
from tests.serving import free_port, serve
from tests.unit.providers import FixedClock, MemoryState

CLIENT_ID = "client-1.apps.googleusercontent.com"
CLIENT_SECRET = "client-secret"
REFRESH_TOKEN = "1//refresh-token"
CHANNEL_TOKEN = "channel-token-0123456789"
BUSINESS = "northside"
ALEX, SAM = "alex@northside.example", "sam@northside.example"
BUSINESS_PHONE = "+13125550100"
CHICAGO = ZoneInfo("America/Chicago")
TOMORROW = (NOW + timedelta(days=1)).replace(hour=15, minute=0)  # 9:00 in Chicago


def at(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat()}


def appointment_event(
    event_id: str,
    start: datetime,
    *,
    customer_id: str = "c-1",
    name: str = "Casey Jones",
    phone: str = "+13125550142",
    hours: int = 2,
    **private: str,
) -> dict[str, object]:
    fields = {
        "customer_id": customer_id,
        "customer_name": name,
        "customer_phone": phone,
        "service": "water heater",
        "lat": "41.9",
        "lon": "-87.7",
        **private,
    }
    return {
        "id": event_id,
        "summary": "Water heater",
        "location": "12 Elm St",
        "start": at(start),
        "end": at(start + timedelta(hours=hours)),
        "extendedProperties": {"private": fields, "shared": {"crm": "keep-me"}},
    }


def other_event(event_id: str, summary: str, start: datetime, **extra: str) -> dict[str, object]:
    """An hour-long event without the product's fields."""
    return {
        "id": event_id,
        "summary": summary,
        "start": at(start),
        "end": at(start + timedelta(hours=1)),
        **extra,
    }


@pytest.fixture
def fake() -> GoogleCalendarFake:
    # Pages of two: every list the adapter makes crosses pages.
    fake = GoogleCalendarFake(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        page_size=2,
    )
    fake.add_calendar(ALEX, "America/Chicago")
    fake.add_calendar(SAM, "America/Chicago")
    fake.add_event(ALEX, appointment_event("appt1", TOMORROW))
    fake.add_event(ALEX, other_event("lunch1", "Lunch", TOMORROW + timedelta(hours=3)))
    fake.add_event(
        ALEX,
        other_event(
            "free1", "Maybe gym", TOMORROW + timedelta(hours=5), transparency="transparent"
        ),
    )
    fake.add_event(
        ALEX,
        appointment_event(
            "appt2",
            TOMORROW + timedelta(days=1),
            customer_id="c-2",
            name="Robin Diaz",
            phone="+13125550199",
        ),
    )
    fake.add_event(SAM, appointment_event("appt3", TOMORROW + timedelta(days=2)))
    return fake


@pytest.fixture
def url(fake: GoogleCalendarFake) -> Iterator[str]:
    with serve(fake) as url:
        yield url


@pytest.fixture
def state() -> MemoryState:
    return MemoryState()


def make_provider(url: str, state: MemoryState) -> GoogleCalendarProvider:
    config = GoogleCalendarConfig.model_validate(
        {
            "business_id": BUSINESS,
            "technicians": [
                {"id": "tech-alex", "name": "Alex Rivera", "calendar_id": ALEX},
                {"id": "tech-sam", "name": "Sam Lee", "calendar_id": SAM, "services": ["hvac"]},
            ],
            "api_base_url": f"{url}/google/calendar/v3",
            "token_url": f"{url}/google/token",
        }
    )
    credentials = GoogleCalendarCredentials(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        channel_token=CHANNEL_TOKEN,
    )
    return GoogleCalendarProvider(
        config,
        credentials,
        state,
        clock=FixedClock(NOW),
        timeout=5,
        business_phone=BUSINESS_PHONE,
    )


@pytest.fixture
def provider(url: str, state: MemoryState) -> GoogleCalendarProvider:
    return make_provider(url, state)


def opening(start: datetime, technician_id: str = "tech-alex", hours: int = 2) -> Opening:
    return Opening(start=start, end=start + timedelta(hours=hours), technician_id=technician_id)


def _implements_the_ports(
    provider: GoogleCalendarProvider,
) -> tuple[SchedulingProvider, ProviderWebhooks]:
    return provider, provider  # checked by mypy


# -- Reading ---------------------------------------------------------------------------------


def test_technicians_come_from_the_config(provider):
    technicians = provider.technicians(BUSINESS)

    assert [t.id for t in technicians] == ["tech-alex", "tech-sam"]
    assert technicians[1].services == ("hvac",)
    assert provider.get_technician(BUSINESS, "tech-sam").name == "Sam Lee"
    with pytest.raises(NotFound):
        provider.get_technician(BUSINESS, "tech-nobody")


def test_get_appointment_reads_the_event_with_its_etag_as_version(provider, fake):
    # Given an appointment event in Alex's calendar
    # When the adapter reads it
    appointment = provider.get_appointment(BUSINESS, "appt1")

    # Then the product's fields come from its private properties, the version is the ETag
    assert appointment.customer_id == "c-1"
    assert appointment.technician_id == "tech-alex"
    assert appointment.service == "water heater"
    assert appointment.start == TOMORROW
    assert appointment.end == TOMORROW + timedelta(hours=2)
    assert appointment.location is not None
    assert (appointment.location.address, appointment.location.lat) == ("12 Elm St", 41.9)
    assert appointment.status == "scheduled"
    assert appointment.version == fake.event(ALEX, "appt1")["etag"]
    assert appointment.inferred_from is None  # the product's fields said so


def test_an_appointment_is_found_in_whichever_calendar_has_it(provider):
    assert provider.get_appointment(BUSINESS, "appt3").technician_id == "tech-sam"


def test_blocked_time_unknown_events_and_other_businesses_are_not_appointments(provider):
    for business_id, event_id in [(BUSINESS, "lunch1"), (BUSINESS, "nope"), ("other", "appt1")]:
        with pytest.raises(NotFound):
            provider.get_appointment(business_id, event_id)


def test_a_cancelled_event_reads_as_a_canceled_appointment(provider, fake):
    fake.cancel_event(ALEX, "appt1")

    assert provider.get_appointment(BUSINESS, "appt1").status == "canceled"


def test_schedule_has_appointments_and_blocked_time_across_pages_but_not_free_time(provider):
    # Given Alex's day: an appointment, lunch and a "free" event (pages of two)
    start, end = TOMORROW - timedelta(hours=3), TOMORROW + timedelta(hours=9)

    schedule = provider.technician_schedule(BUSINESS, "tech-alex", start, end)

    assert [(type(b).__name__, b.id) for b in schedule] == [
        ("Appointment", "appt1"),
        ("BlockedTime", "lunch1"),
    ]
    assert [a.id for a in provider.technician_appointments(BUSINESS, "tech-alex", start, end)] == [
        "appt1"
    ]


def test_an_all_day_event_blocks_the_whole_day_in_the_calendars_zone(provider, fake):
    day = TOMORROW.astimezone(CHICAGO).date()
    fake.add_event(
        SAM,
        {
            "id": "training",
            "summary": "Training",
            "start": {"date": day.isoformat()},
            "end": {"date": (day + timedelta(days=1)).isoformat()},
        },
    )

    schedule = provider.technician_schedule(
        BUSINESS, "tech-sam", TOMORROW, TOMORROW + timedelta(hours=1)
    )

    assert len(schedule) == 1
    assert isinstance(schedule[0], BlockedTime)
    assert schedule[0].start == datetime(day.year, day.month, day.day, tzinfo=CHICAGO)
    assert schedule[0].reason == "Training"


def test_malformed_appointment_fields_are_an_error_not_blocked_time(provider, fake):
    fake.add_event(ALEX, appointment_event("bad1", TOMORROW + timedelta(days=3), lat="north"))

    with pytest.raises(ProviderError, match="lat"):
        provider.get_appointment(BUSINESS, "bad1")


def test_search_finds_customers_by_name_words_or_phone_digits_once_each(provider):
    by_name = provider.search_customers(BUSINESS, "casey jon")
    by_phone = provider.search_customers(BUSINESS, "555-0142")

    # Casey has appointments in two calendars; she is one customer
    assert [(c.id, c.name, c.phone) for c in by_name] == [("c-1", "Casey Jones", "+13125550142")]
    assert [c.id for c in by_phone] == ["c-1"]
    assert provider.search_customers(BUSINESS, "robin")[0].id == "c-2"
    assert provider.search_customers(BUSINESS, "nobody") == []
    assert provider.search_customers(BUSINESS, "  ") == []


def test_get_customer_and_their_upcoming_appointments_across_calendars(provider):
    customer = provider.get_customer(BUSINESS, "c-1")
    upcoming = provider.upcoming_appointments(BUSINESS, "c-1", NOW)
    later = provider.upcoming_appointments(BUSINESS, "c-1", TOMORROW)

    assert (customer.name, customer.phone) == ("Casey Jones", "+13125550142")
    assert [(a.id, a.technician_id) for a in upcoming] == [
        ("appt1", "tech-alex"),
        ("appt3", "tech-sam"),
    ]
    assert [a.id for a in later] == ["appt3"]  # starts after `after`, not at it
    with pytest.raises(NotFound):
        provider.get_customer(BUSINESS, "c-404")


def test_a_customer_is_described_by_their_latest_appointment(provider, fake):
    fake.change_event(
        SAM, "appt3", {"extendedProperties": {"private": {"customer_phone": "+13125550111"}}}
    )

    assert provider.get_customer(BUSINESS, "c-1").phone == "+13125550111"


# -- Moving ----------------------------------------------------------------------------------


def test_move_patches_the_times_with_if_match_and_keeps_other_properties(provider, fake):
    current = provider.get_appointment(BUSINESS, "appt1")
    new_start = TOMORROW + timedelta(hours=4)

    moved = provider.move_appointment(current, opening(new_start), "session-1")

    stored = fake.event(ALEX, "appt1")
    assert (moved.start, moved.end) == (new_start, new_start + timedelta(hours=2))
    assert moved.version == stored["etag"] != current.version
    assert stored["extendedProperties"]["private"]["move_key"] == "session-1"
    assert stored["extendedProperties"]["private"]["customer_id"] == "c-1"
    assert stored["extendedProperties"]["shared"] == {"crm": "keep-me"}
    assert provider.get_appointment(BUSINESS, "appt1") == moved


def test_move_to_another_technician_moves_the_event_to_their_calendar(provider, fake, state):
    current = provider.get_appointment(BUSINESS, "appt1")
    new_start = TOMORROW + timedelta(days=4)

    moved = provider.move_appointment(current, opening(new_start, "tech-sam"), "session-1")

    assert (moved.id, moved.technician_id, moved.start) == ("appt1", "tech-sam", new_start)
    assert fake.event(SAM, "appt1")["etag"] == moved.version
    assert fake.event(ALEX, "appt1")["status"] == "cancelled"
    assert provider.get_appointment(BUSINESS, "appt1") == moved


def test_a_version_changed_elsewhere_is_a_conflict_and_nothing_moves(provider, fake):
    # Given the appointment read, then changed by somebody in Google Calendar
    current = provider.get_appointment(BUSINESS, "appt1")
    changed = fake.change_event(ALEX, "appt1", {"summary": "Water heater (call first)"})

    # When the move is tried with the version read before
    with pytest.raises(AppointmentChanged):
        provider.move_appointment(current, opening(TOMORROW + timedelta(hours=4)), "session-1")

    # Then Google's 412 left the event as it was
    assert fake.event(ALEX, "appt1") == changed


def test_repeating_a_move_with_its_idempotency_key_returns_the_first_result(provider):
    current = provider.get_appointment(BUSINESS, "appt1")
    target = opening(TOMORROW + timedelta(hours=4))

    first = provider.move_appointment(current, target, "session-1")
    again = provider.move_appointment(current, target, "session-1")

    assert again == first
    with pytest.raises(AppointmentChanged):  # another key with the stale version: a conflict
        provider.move_appointment(current, target, "session-2")


def test_a_retried_move_to_another_technician_finishes_once(provider, fake):
    # Given a move whose events.move call failed after the conditional PATCH went through
    current = provider.get_appointment(BUSINESS, "appt1")
    target = opening(TOMORROW + timedelta(days=4), "tech-sam")
    patched_alone = fake.change_event(
        ALEX,
        "appt1",
        {
            "start": at(target.start),
            "end": at(target.end),
            "extendedProperties": {"private": {"move_key": "session-1"}},
        },
    )
    assert patched_alone["extendedProperties"]["private"]["move_key"] == "session-1"

    # When the workflow repeats the move with the same key and the version it started from
    moved = provider.move_appointment(current, target, "session-1")

    # Then the event ends up in Sam's calendar once, at the new time
    assert (moved.technician_id, moved.start) == ("tech-sam", target.start)
    assert fake.event(ALEX, "appt1")["status"] == "cancelled"
    assert provider.move_appointment(current, target, "session-1") == moved


def test_a_move_whose_events_move_keeps_failing_is_half_done_then_put_back(provider, fake):
    # Given a move to Sam whose second call (events.move) fails every time it is tried
    current = provider.get_appointment(BUSINESS, "appt1")
    target = opening(TOMORROW + timedelta(days=4), "tech-sam")
    fake.fail_next(503, path="/move", times=2)
    for _ in range(2):  # the step, then its retry
        with pytest.raises(ProviderUnavailable):
            provider.move_appointment(current, target, "session-1")

    # Then the appointment is half moved: the new time, still in Alex's calendar
    found = provider.get_appointment(BUSINESS, "appt1", "tech-sam")
    assert (found.technician_id, found.start) == ("tech-alex", target.start)
    session = reschedule_session(current).model_copy(
        update={
            "id": "session-1",
            "original_technician_id": "tech-alex",
            "original_version": current.version,
            "new_opening": target,
        }
    )
    assert _half_moved(session, found)

    # When the watchdog puts it back as it was, on its own key
    original = Opening(start=current.start, end=current.end, technician_id="tech-alex")
    back = provider.move_appointment(found, original, "session-1.undo")

    # Then it is at its old time in Alex's calendar, and nothing is in Sam's
    assert (back.technician_id, back.start, back.end) == ("tech-alex", current.start, current.end)
    assert not _half_moved(session, provider.get_appointment(BUSINESS, "appt1", "tech-sam"))
    with pytest.raises(GoogleError, match="Not Found"):
        fake.event(SAM, "appt1")


# -- Failures --------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after(provider, fake):
    fake.fail_next(429, retry_after=7)

    with pytest.raises(ProviderRateLimited) as raised:
        provider.get_appointment(BUSINESS, "appt1")

    assert raised.value.retry_after_seconds == 7


def test_googles_403_rate_limit_is_rate_limited_too(provider, fake):
    fake.fail_next(403, retry_after=3)

    with pytest.raises(ProviderRateLimited) as raised:
        provider.technician_schedule(BUSINESS, "tech-alex", NOW, TOMORROW)

    assert raised.value.retry_after_seconds == 3


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_unavailable(provider, fake, status):
    fake.fail_next(status, times=READ_ATTEMPTS)  # a read is tried again: every try fails

    with pytest.raises(ProviderUnavailable, match=f"Google Calendar answered {status}"):
        provider.get_appointment(BUSINESS, "appt1")


def test_an_unreachable_google_is_unavailable(state):
    provider = make_provider(f"http://127.0.0.1:{free_port()}", state)

    with pytest.raises(ProviderUnavailable):
        provider.get_appointment(BUSINESS, "appt1")


def test_an_expired_access_token_is_refreshed_once_and_the_call_succeeds(provider, fake):
    provider.get_appointment(BUSINESS, "appt1")
    fake.expire_tokens()

    appointment = provider.get_appointment(BUSINESS, "appt1")

    assert appointment.id == "appt1"
    assert fake.tokens.granted == 2


def test_a_revoked_refresh_token_is_unauthorized(provider, fake):
    provider.get_appointment(BUSINESS, "appt1")
    fake.expire_tokens()
    fake.revoke_refresh_token()

    with pytest.raises(ProviderUnauthorized, match="invalid_grant"):
        provider.get_appointment(BUSINESS, "appt1")


# -- Push notifications ----------------------------------------------------------------------


def test_the_sync_message_of_a_new_channel_is_acknowledged_with_no_events(
    provider, fake, receiver, hook_url
):
    channel = provider.watch("tech-alex", hook_url, "channel-1")

    delivery = fake.notify("channel-1", "sync")

    assert channel["id"] == "channel-1"
    assert delivery.status == 202
    assert receiver.events() == []


def test_a_change_elsewhere_is_reported_as_updated_and_a_cancel_as_canceled(
    provider, fake, receiver, hook_url
):
    # Given a channel on Alex's calendar, then changes made in Google Calendar
    provider.watch("tech-alex", hook_url, "channel-1")
    moved = fake.change_event(ALEX, "appt1", {"start": at(TOMORROW + timedelta(hours=1))})
    fake.cancel_event(ALEX, "appt2")
    fake.change_event(ALEX, "lunch1", {"summary": "Long lunch"})

    # When Google pushes "exists"
    delivery = fake.notify("channel-1")

    # Then an incremental sync reports the two appointments, not the blocked time
    assert delivery.status == 202
    events = receiver.events()
    assert [(e.appointment_id, e.change) for e in events] == [
        ("appt1", ProviderChange.UPDATED),
        ("appt2", ProviderChange.CANCELED),
    ]
    assert events[0].business_id == BUSINESS
    assert events[0].event_id == f"google:appt1:{moved['etag']}"

    # And the next notification only reports what changed since
    fake.notify("channel-1")
    assert len(receiver.events()) == 2


def test_an_event_moved_to_another_calendar_is_updated_not_canceled(
    provider, fake, receiver, hook_url
):
    provider.watch("tech-alex", hook_url, "channel-1")
    current = provider.get_appointment(BUSINESS, "appt1")
    provider.move_appointment(current, opening(TOMORROW + timedelta(days=4), "tech-sam"), "s-1")

    fake.notify("channel-1")

    assert [(e.appointment_id, e.change) for e in receiver.events()] == [
        ("appt1", ProviderChange.UPDATED)
    ]


def test_a_stale_sync_token_falls_back_to_a_full_sync_reporting_every_appointment(
    provider, fake, receiver, hook_url, state
):
    provider.watch("tech-alex", hook_url, "channel-1")
    old_token = state.get(f"google:sync-token:{ALEX}")
    fake.expire_sync_tokens()

    delivery = fake.notify("channel-1")

    assert delivery.status == 202
    assert sorted(e.appointment_id for e in receiver.events()) == ["appt1", "appt2"]
    assert state.get(f"google:sync-token:{ALEX}") not in (None, old_token)


@pytest.mark.parametrize(("token", "status"), [("", 401), ("not-the-channel-token", 403)])
def test_a_notification_without_the_channel_token_is_rejected(
    provider, fake, receiver, hook_url, state, token, status
):
    provider.watch("tech-alex", hook_url, "channel-1")
    fake.change_event(ALEX, "appt1", {"summary": "changed"})
    synced = dict(state.values)

    delivery = fake.notify("channel-1", token=token)

    assert delivery.status == status
    assert receiver.outcomes == []
    assert state.values == synced  # nothing synced, nothing recorded


# -- Keeping channels open --------------------------------------------------------------------


def test_keeping_notified_opens_a_channel_per_calendar_until_renewal_is_due(
    provider, fake, hook_url
):
    # When the renewal job runs for the first time
    assert provider.keep_notified(hook_url, NOW) == 2
    # Then each technician's calendar has one channel to our address, with our token
    channels = fake.channels()
    assert len(channels) == 2
    assert {c["address"] for c in channels} == {hook_url}
    assert {c["token"] for c in channels} == {CHANNEL_TOKEN}
    # And a day later nothing is due
    assert provider.keep_notified(hook_url, NOW + timedelta(days=1)) == 0
    assert len(fake.channels()) == 2


def test_a_channel_near_its_end_is_replaced_and_the_old_one_stopped(
    provider, fake, receiver, hook_url
):
    provider.keep_notified(hook_url, NOW)
    old = {c["id"] for c in fake.channels()}
    # When less than two days are left
    assert provider.keep_notified(hook_url, NOW + timedelta(days=5, hours=12)) == 2
    # Then new channels replaced the old ones, which were stopped
    new = {c["id"] for c in fake.channels()}
    assert len(new) == 2
    assert not new & old
    # And the new channel works: a change is reported through it
    fake.change_event(ALEX, "appt1", {"summary": "Water heater (moved)"})
    channel = next(c for c in fake.channels() if ALEX in c["resourceUri"])
    delivery = fake.notify(channel["id"])
    assert delivery.status == 202


def test_a_new_address_gets_new_channels(provider, fake, hook_url):
    provider.keep_notified(hook_url, NOW)
    moved = hook_url.replace("/webhooks/providers", "/webhooks/providers/google_calendar")
    assert provider.keep_notified(moved, NOW + timedelta(hours=1)) == 2
    assert {c["address"] for c in fake.channels()} == {moved}


# -- Events people made ----------------------------------------------------------------------

# Hand-made in Google Calendar (no private properties), in the documented shapes: Alex the
# organizer and an attendee of their own event, the customer invited without a name, the
# customer's number in an HTML description (Google's editor writes some), the address.
HAND_MADE = {
    "id": "handmade1",
    "summary": "Furnace tune-up - Jane Smith",
    "location": "45 Oak Ave, Chicago, IL 60614",
    "description": 'Gate code 4417<br>Cell: <a href="tel:3125550177">(312) 555-0177</a>',
    "organizer": {"email": ALEX, "self": True},
    "attendees": [
        {"email": ALEX, "organizer": True, "self": True, "responseStatus": "accepted"},
        {"email": "jane.smith@example.com", "responseStatus": "needsAction"},
    ],
}


def hand_made(start: datetime, **changes: object) -> dict[str, object]:
    return {
        **HAND_MADE,
        "start": at(start),
        "end": at(start + timedelta(hours=1)),
        **changes,
    }


@pytest.fixture
def handmade(fake: GoogleCalendarFake) -> dict[str, object]:
    return fake.add_event(ALEX, hand_made(TOMORROW + timedelta(hours=5)))


def test_an_event_people_made_with_a_customer_is_an_appointment(provider, handmade):
    appointment = provider.get_appointment(BUSINESS, "handmade1")

    assert is_derived(appointment.customer_id)
    assert appointment.technician_id == "tech-alex"
    assert appointment.service == "Furnace tune-up"
    assert appointment.start == TOMORROW + timedelta(hours=5)
    assert appointment.version == handmade["etag"]
    assert appointment.location is None  # an address without coordinates
    assert appointment.inferred_from == (
        "attendee jane.smith@example.com; phone in description; address in location"
    )
    customer = provider.get_customer(BUSINESS, appointment.customer_id)
    assert (customer.name, customer.phone, customer.email) == (
        "Jane Smith",
        "+13125550177",
        "jane.smith@example.com",
    )


def test_the_schedule_reads_events_people_made_and_keeps_the_rest_blocked(provider, fake):
    day = TOMORROW.astimezone(CHICAGO).date()
    start = TOMORROW + timedelta(days=3)
    fake.add_event(SAM, hand_made(start, id="job1"))
    fake.add_event(SAM, other_event("call1", "Call supplier", start + timedelta(hours=2)))
    fake.add_event(
        SAM,
        hand_made(
            start + timedelta(hours=4),
            id="ooo1",
            eventType="outOfOffice",  # never a job, whatever it carries
        ),
    )
    fake.add_event(
        SAM,
        {
            **HAND_MADE,
            "id": "allday1",
            "start": {"date": (day + timedelta(days=3)).isoformat()},
            "end": {"date": (day + timedelta(days=4)).isoformat()},
        },
    )

    busy, customers = provider.schedule_with_customers(
        BUSINESS, "tech-sam", start - timedelta(hours=1), start + timedelta(hours=6)
    )

    assert [(type(b).__name__, b.id) for b in busy] == [
        ("BlockedTime", "allday1"),
        ("Appointment", "job1"),
        ("BlockedTime", "call1"),
        ("BlockedTime", "ooo1"),
    ]
    job = busy[1]
    assert isinstance(job, Appointment)
    assert [(c.id, c.name, c.phone) for c in customers] == [
        (job.customer_id, "Jane Smith", "+13125550177")
    ]


def test_customers_from_events_people_made_are_searched_and_looked_up(provider, handmade):
    by_name = provider.search_customers(BUSINESS, "jane smi")
    by_phone = provider.search_customers(BUSINESS, "555-0177")

    assert [c.name for c in by_name] == ["Jane Smith"]
    assert [c.id for c in by_phone] == [by_name[0].id]
    assert provider.search_customers(BUSINESS, "casey")[0].id == "c-1"  # ours still found
    upcoming = provider.upcoming_appointments(BUSINESS, by_name[0].id, NOW)
    assert [a.id for a in upcoming] == ["handmade1"]
    assert (
        provider.upcoming_appointments(BUSINESS, by_name[0].id, TOMORROW + timedelta(days=1)) == []
    )


def test_the_same_customer_in_two_events_is_one_customer_as_the_latest_describes(provider, fake):
    fake.add_event(ALEX, hand_made(TOMORROW + timedelta(hours=5), id="early"))
    fake.add_event(
        SAM,
        hand_made(
            TOMORROW + timedelta(days=2),
            id="late",
            attendees=[{"email": "jane.smith@example.com", "displayName": "Jane Q. Smith"}],
        ),
    )

    found = provider.search_customers(BUSINESS, "jane")

    assert len(found) == 1  # one number, one customer
    # the later event names her so
    assert provider.get_customer(BUSINESS, found[0].id).name == "Jane Q. Smith"
    upcoming = provider.upcoming_appointments(BUSINESS, found[0].id, NOW)
    assert [(a.id, a.technician_id) for a in upcoming] == [
        ("early", "tech-alex"),
        ("late", "tech-sam"),
    ]


def test_an_event_people_made_moves_and_keeps_what_they_wrote(provider, fake, handmade):
    current = provider.get_appointment(BUSINESS, "handmade1")
    new_start = TOMORROW + timedelta(days=1, hours=6)

    moved = provider.move_appointment(current, opening(new_start, hours=1), "session-1")

    stored = fake.event(ALEX, "handmade1")
    assert (moved.start, moved.customer_id, moved.inferred_from) == (
        new_start,
        current.customer_id,
        current.inferred_from,
    )
    assert moved.version == stored["etag"] != current.version
    for kept in ("summary", "location", "description", "attendees", "organizer"):
        assert stored[kept] == handmade[kept], kept
    assert stored["extendedProperties"] == {"private": {"move_key": "session-1"}}
    # Still read as people wrote it (a move key is none of the product's fields)
    assert provider.get_appointment(BUSINESS, "handmade1") == moved
    assert provider.move_appointment(current, opening(new_start, hours=1), "session-1") == moved


def test_an_event_people_made_moves_to_another_technicians_calendar(provider, fake, handmade):
    current = provider.get_appointment(BUSINESS, "handmade1")
    target = opening(TOMORROW + timedelta(days=4), "tech-sam", hours=1)

    moved = provider.move_appointment(current, target, "session-1")

    assert (moved.technician_id, moved.customer_id) == ("tech-sam", current.customer_id)
    assert fake.event(SAM, "handmade1")["attendees"] == handmade["attendees"]


def test_a_change_to_an_event_people_made_is_pushed_as_an_update(
    provider, fake, receiver, hook_url, handmade
):
    provider.watch("tech-alex", hook_url, "channel-1")
    fake.change_event(ALEX, "handmade1", {"start": at(TOMORROW + timedelta(hours=6))})
    fake.change_event(ALEX, "lunch1", {"summary": "Long lunch"})

    fake.notify("channel-1")

    assert [(e.appointment_id, e.change) for e in receiver.events()] == [
        ("handmade1", ProviderChange.UPDATED)
    ]


# Recurring: a weekly job (every Tuesday, four times) at the customer's, by its phone.
SERIES_START = TOMORROW + timedelta(hours=2)  # Tuesday 11:00 in Chicago
WEEKLY = {
    "id": "weekly1",
    "summary": "Pool pump check",
    "location": "Robin 312-555-0188",
    "start": {
        "dateTime": SERIES_START.astimezone(CHICAGO).isoformat(),
        "timeZone": "America/Chicago",
    },
    "end": {
        "dateTime": (SERIES_START + timedelta(hours=1)).astimezone(CHICAGO).isoformat(),
        "timeZone": "America/Chicago",
    },
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
}


def instance_id(start: datetime) -> str:
    return f"weekly1_{start.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}"


def test_a_recurring_event_is_read_instance_by_instance(provider, fake):
    fake.add_event(ALEX, WEEKLY)
    weeks = [SERIES_START + timedelta(weeks=n) for n in range(4)]

    schedule = provider.technician_appointments(
        BUSINESS, "tech-alex", SERIES_START - timedelta(hours=1), SERIES_START + timedelta(weeks=5)
    )

    mine = [a for a in schedule if a.id.startswith("weekly1")]
    assert [(a.id, a.start) for a in mine] == [(instance_id(w), w) for w in weeks]
    assert len({a.customer_id for a in mine}) == 1
    assert mine[0].inferred_from == "phone in location"
    # the series itself is no appointment: only its instances are
    with pytest.raises(NotFound):
        provider.get_appointment(BUSINESS, "weekly1")
    assert provider.get_appointment(BUSINESS, instance_id(weeks[1])) == mine[1]


def test_one_instance_moves_alone_and_a_cancelled_one_is_free(provider, fake):
    fake.add_event(ALEX, WEEKLY)
    second, third = SERIES_START + timedelta(weeks=1), SERIES_START + timedelta(weeks=2)
    current = provider.get_appointment(BUSINESS, instance_id(second))
    fake.cancel_event(ALEX, instance_id(third))

    moved = provider.move_appointment(
        current, opening(second + timedelta(days=1), hours=1), "session-1"
    )

    window = (SERIES_START - timedelta(hours=1), SERIES_START + timedelta(weeks=5))
    schedule = provider.technician_schedule(BUSINESS, "tech-alex", *window)
    mine = [(b.id, b.start) for b in schedule if b.id.startswith("weekly1")]
    assert mine == [
        (instance_id(SERIES_START), SERIES_START),
        (instance_id(second), second + timedelta(days=1)),  # the one moved
        (instance_id(SERIES_START + timedelta(weeks=3)), SERIES_START + timedelta(weeks=3)),
    ]
    assert moved.id == instance_id(second)
    assert fake.event(ALEX, instance_id(second))["recurringEventId"] == "weekly1"


def test_an_instance_cannot_move_to_another_technician_and_nothing_changes(provider, fake):
    fake.add_event(ALEX, WEEKLY)
    current = provider.get_appointment(BUSINESS, instance_id(SERIES_START))

    with pytest.raises(Unprocessable, match="recurring"):
        provider.move_appointment(
            current, opening(SERIES_START + timedelta(days=4), "tech-sam", hours=1), "session-1"
        )

    assert provider.get_appointment(BUSINESS, instance_id(SERIES_START)) == current
