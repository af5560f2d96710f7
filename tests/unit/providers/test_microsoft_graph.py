"""The Microsoft Graph (Outlook) adapter against the local Graph fake over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest

from local.fakes import deliver
from local.fakes.microsoft_graph import MicrosoftGraphFake, graph_time
from reschedule_dispatch.adapters.microsoft_graph import (
    MicrosoftGraphConfig,
    MicrosoftGraphCredentials,
    MicrosoftGraphProvider,
    property_id,
)
from reschedule_dispatch.adapters.provider_http import READ_ATTEMPTS
from reschedule_dispatch.domain.calendar_events import is_derived
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    Unprocessable,
)
from reschedule_dispatch.domain.ports import ProviderWebhooks, SchedulingProvider
from reschedule_dispatch.domain.provider_events import ProviderChange
from reschedule_dispatch.domain.scheduling import Appointment, WorkingHours
from reschedule_dispatch.domain.session import Opening
from tests.builders import NOW
from tests.serving import free_port, serve
from tests.unit.providers import FixedClock, MemoryState

TENANT = "8f1d2c3b-0000-4000-8000-000000000001"
CLIENT_ID = "2a7e0f4c-0000-4000-8000-000000000002"
CLIENT_SECRET = "graph-client-secret"
CLIENT_STATE = "client-state-0123456789"
BUSINESS = "northside"
ALEX, SAM = "alex@northside.example", "sam@northside.example"
BUSINESS_PHONE = "+13125550100"
TOMORROW = (NOW + timedelta(days=1)).replace(hour=15, minute=0)


def properties(**values: str) -> list[dict[str, str]]:
    return [{"id": property_id(name), "value": value} for name, value in values.items()]


def appointment_event(
    event_id: str,
    start: datetime,
    *,
    customer_id: str = "c-1",
    name: str = "Casey Jones",
    phone: str = "+13125550142",
    **extra: str,
) -> dict[str, object]:
    fields = {
        "customer_id": customer_id,
        "customer_name": name,
        "customer_phone": phone,
        "service": "water heater",
        "lat": "41.9",
        "lon": "-87.7",
        **extra,
    }
    return {
        "id": event_id,
        "subject": "Water heater",
        "location": {"displayName": "12 Elm St"},
        "start": graph_time(start),
        "end": graph_time(start + timedelta(hours=2)),
        "singleValueExtendedProperties": [
            *properties(**fields),
            {"id": "String {00020329-0000-0000-c000-000000000046} Name crm", "value": "keep-me"},
        ],
    }


def other_event(event_id: str, subject: str, start: datetime, **extra: object) -> dict[str, object]:
    """An hour-long event without the product's fields."""
    return {
        "id": event_id,
        "subject": subject,
        "start": graph_time(start),
        "end": graph_time(start + timedelta(hours=1)),
        **extra,
    }


@pytest.fixture
def fake() -> MicrosoftGraphFake:
    # Pages of two: every calendarView the adapter reads crosses pages.
    fake = MicrosoftGraphFake(
        tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, page_size=2
    )
    fake.add_user(ALEX)
    fake.add_user(
        SAM,
        working_hours={
            "daysOfWeek": ["tuesday", "monday"],
            "startTime": "07:30:00.0000000",
            "endTime": "15:00:00.0000000",
            "timeZone": {"name": "America/Chicago"},
        },
    )
    fake.add_event(ALEX, appointment_event("appt1", TOMORROW))
    fake.add_event(ALEX, other_event("lunch1", "Lunch", TOMORROW + timedelta(hours=3)))
    fake.add_event(
        ALEX, other_event("free1", "Maybe gym", TOMORROW + timedelta(hours=5), showAs="free")
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
def url(fake: MicrosoftGraphFake) -> Iterator[str]:
    with serve(fake) as url:
        yield url


def make_provider(url: str, state: MemoryState | None = None) -> MicrosoftGraphProvider:
    config = MicrosoftGraphConfig.model_validate(
        {
            "business_id": BUSINESS,
            "tenant_id": TENANT,
            "technicians": [
                {
                    "id": "tech-alex",
                    "name": "Alex Rivera",
                    "user_id": ALEX,
                    "working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
                },
                {"id": "tech-sam", "name": "Sam Lee", "user_id": SAM},
            ],
            "api_base_url": f"{url}/msgraph/v1.0",
            "login_base_url": f"{url}/msgraph",
        }
    )
    credentials = MicrosoftGraphCredentials.model_validate(
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "client_state": CLIENT_STATE}
    )
    return MicrosoftGraphProvider(
        config,
        credentials,
        state,
        clock=FixedClock(NOW),
        timeout=5,
        business_phone=BUSINESS_PHONE,
    )


@pytest.fixture
def provider(url: str) -> MicrosoftGraphProvider:
    return make_provider(url)


def opening(start: datetime, technician_id: str = "tech-alex") -> Opening:
    return Opening(start=start, end=start + timedelta(hours=2), technician_id=technician_id)


def _implements_the_ports(
    provider: MicrosoftGraphProvider,
) -> tuple[SchedulingProvider, ProviderWebhooks]:
    return provider, provider  # checked by mypy


# -- Reading ---------------------------------------------------------------------------------


def test_working_hours_come_from_the_config_or_else_the_mailbox(provider):
    alex, sam = provider.technicians(BUSINESS)

    assert alex.working_hours == (WorkingHours(weekday=0, start=time(9), end=time(17)),)
    assert sam.working_hours == (
        WorkingHours(weekday=0, start=time(7, 30), end=time(15)),
        WorkingHours(weekday=1, start=time(7, 30), end=time(15)),
    )
    assert provider.get_technician(BUSINESS, "tech-sam") == sam
    with pytest.raises(NotFound):
        provider.get_technician(BUSINESS, "tech-nobody")


def test_get_appointment_reads_the_extended_properties_and_the_etag(provider, fake):
    appointment = provider.get_appointment(BUSINESS, "appt1")

    assert appointment.customer_id == "c-1"
    assert appointment.technician_id == "tech-alex"
    assert appointment.service == "water heater"
    assert (appointment.start, appointment.end) == (TOMORROW, TOMORROW + timedelta(hours=2))
    assert appointment.location is not None
    assert (appointment.location.address, appointment.location.lon) == ("12 Elm St", -87.7)
    assert appointment.version == fake.event(ALEX, "appt1")["@odata.etag"]
    assert appointment.inferred_from is None  # the product's fields said so
    assert provider.get_appointment(BUSINESS, "appt3").technician_id == "tech-sam"


def test_blocked_time_unknown_events_and_other_businesses_are_not_appointments(provider):
    for business_id, event_id in [(BUSINESS, "lunch1"), (BUSINESS, "nope"), ("other", "appt1")]:
        with pytest.raises(NotFound):
            provider.get_appointment(business_id, event_id)


def test_a_cancelled_meeting_reads_as_a_canceled_appointment(provider, fake):
    fake.change_event(ALEX, "appt1", {"isCancelled": True})

    assert provider.get_appointment(BUSINESS, "appt1").status == "canceled"


def test_schedule_pages_through_calendar_view_and_skips_free_time(provider):
    start, end = TOMORROW - timedelta(hours=3), TOMORROW + timedelta(days=2)

    schedule = provider.technician_schedule(BUSINESS, "tech-alex", start, end)
    appointments = provider.technician_appointments(BUSINESS, "tech-alex", start, end)

    assert [(type(b).__name__, b.id) for b in schedule] == [
        ("Appointment", "appt1"),
        ("BlockedTime", "lunch1"),
        ("Appointment", "appt2"),
    ]
    assert schedule[1].reason == "Lunch"
    assert [a.id for a in appointments] == ["appt1", "appt2"]


def test_search_get_customer_and_upcoming_appointments(provider):
    assert [c.id for c in provider.search_customers(BUSINESS, "casey")] == ["c-1"]
    assert [c.id for c in provider.search_customers(BUSINESS, "(312) 555-0199")] == ["c-2"]
    assert provider.search_customers(BUSINESS, "nobody") == []
    assert provider.get_customer(BUSINESS, "c-2").name == "Robin Diaz"
    with pytest.raises(NotFound):
        provider.get_customer(BUSINESS, "c-404")

    upcoming = provider.upcoming_appointments(BUSINESS, "c-1", NOW)

    assert [(a.id, a.technician_id) for a in upcoming] == [
        ("appt1", "tech-alex"),
        ("appt3", "tech-sam"),
    ]


def test_a_customer_is_described_by_their_latest_appointment(provider, fake):
    event = fake.event(SAM, "appt3")
    changed = [
        {**p, "value": "+13125550111"} if p["id"] == property_id("customer_phone") else p
        for p in event["singleValueExtendedProperties"]
    ]
    fake.change_event(SAM, "appt3", {"singleValueExtendedProperties": changed})

    assert provider.get_customer(BUSINESS, "c-1").phone == "+13125550111"


# -- Moving ----------------------------------------------------------------------------------


def test_move_patches_with_if_match_and_records_the_idempotency_key(provider, fake):
    current = provider.get_appointment(BUSINESS, "appt1")
    new_start = TOMORROW + timedelta(hours=4)

    moved = provider.move_appointment(current, opening(new_start), "session-1")

    stored = fake.event(ALEX, "appt1")
    assert (moved.start, moved.end) == (new_start, new_start + timedelta(hours=2))
    assert moved.version == stored["@odata.etag"] != current.version
    assert stored["start"] == graph_time(new_start)
    ids = {p["id"]: p["value"] for p in stored["singleValueExtendedProperties"]}
    assert ids[property_id("move_key")] == "session-1"
    assert ids[property_id("customer_id")] == "c-1"
    assert "keep-me" in ids.values()
    assert provider.get_appointment(BUSINESS, "appt1") == moved


def test_a_version_changed_elsewhere_is_a_conflict_and_nothing_moves(provider, fake):
    current = provider.get_appointment(BUSINESS, "appt1")
    changed = fake.change_event(ALEX, "appt1", {"subject": "Water heater (call first)"})

    with pytest.raises(AppointmentChanged):
        provider.move_appointment(current, opening(TOMORROW + timedelta(hours=4)), "session-1")

    assert fake.event(ALEX, "appt1") == changed


def test_a_deleted_appointment_is_a_conflict(provider, fake):
    current = provider.get_appointment(BUSINESS, "appt1")
    fake.delete_event(ALEX, "appt1")

    with pytest.raises(AppointmentChanged, match="no longer"):
        provider.move_appointment(current, opening(TOMORROW + timedelta(hours=4)), "session-1")


def test_repeating_a_move_with_its_idempotency_key_returns_the_first_result(provider):
    current = provider.get_appointment(BUSINESS, "appt1")
    target = opening(TOMORROW + timedelta(hours=4))

    first = provider.move_appointment(current, target, "session-1")
    again = provider.move_appointment(current, target, "session-1")

    assert again == first
    with pytest.raises(AppointmentChanged):
        provider.move_appointment(current, target, "session-2")


def test_moving_to_another_technician_is_refused_and_nothing_changes(provider, fake):
    before = fake.event(ALEX, "appt1")
    current = provider.get_appointment(BUSINESS, "appt1")

    with pytest.raises(Unprocessable):
        provider.move_appointment(current, opening(TOMORROW, "tech-sam"), "session-1")

    assert fake.event(ALEX, "appt1") == before


# -- Failures --------------------------------------------------------------------------------


def test_429_is_rate_limited_with_retry_after(provider, fake):
    fake.fail_next(429, retry_after=12)

    with pytest.raises(ProviderRateLimited) as raised:
        provider.get_appointment(BUSINESS, "appt1")

    assert raised.value.retry_after_seconds == 12


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_unavailable(provider, fake, status):
    fake.fail_next(status, times=READ_ATTEMPTS)  # a read is tried again: every try fails

    with pytest.raises(ProviderUnavailable, match=f"Microsoft Outlook answered {status}"):
        provider.technician_schedule(BUSINESS, "tech-alex", NOW, TOMORROW)


def test_an_unreachable_graph_is_unavailable():
    provider = make_provider(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(ProviderUnavailable):
        provider.get_appointment(BUSINESS, "appt1")


def test_an_expired_token_is_refreshed_once_and_the_call_succeeds(provider, fake):
    provider.get_appointment(BUSINESS, "appt1")
    fake.expire_tokens()

    assert provider.get_appointment(BUSINESS, "appt1").id == "appt1"
    assert fake.tokens.granted == 2


def test_a_refused_client_secret_is_unauthorized(provider, fake):
    provider.get_appointment(BUSINESS, "appt1")
    fake.expire_tokens()
    fake.rotate_secret("a-new-secret")

    with pytest.raises(ProviderUnauthorized, match="invalid_client"):
        provider.get_appointment(BUSINESS, "appt1")


# -- Change notifications --------------------------------------------------------------------


def test_subscribing_passes_graphs_validation_handshake(provider, fake, receiver, hook_url):
    # When the adapter subscribes, Graph first POSTs ?validationToken=... to the URL
    subscription = provider.subscribe("tech-alex", hook_url, NOW + timedelta(days=2))

    # Then the echoed token satisfied it and the subscription exists with our clientState
    assert fake.subscriptions()[0]["id"] == subscription["id"]
    assert fake.subscriptions()[0]["clientState"] == CLIENT_STATE
    assert fake.subscriptions()[0]["resource"] == f"users/{ALEX}/events"
    assert receiver.outcomes[0].reply.content_type == "text/plain"
    assert receiver.events() == []


def test_updated_and_deleted_notifications_become_provider_events(
    provider, fake, receiver, hook_url
):
    subscription = provider.subscribe("tech-alex", hook_url, NOW + timedelta(days=2))
    fake.change_event(ALEX, "appt1", {"start": graph_time(TOMORROW + timedelta(hours=1))})
    fake.delete_event(ALEX, "appt2")

    updated = fake.notify(subscription["id"], "updated", "appt1")
    deleted = fake.notify(subscription["id"], "deleted", "appt2")
    created = fake.notify(subscription["id"], "created", "appt3")

    assert (updated.status, deleted.status, created.status) == (202, 202, 202)
    events = receiver.events()
    assert [(e.appointment_id, e.change, e.business_id) for e in events] == [
        ("appt1", ProviderChange.UPDATED, BUSINESS),
        ("appt2", ProviderChange.CANCELED, BUSINESS),
    ]
    assert events[0].event_id != events[1].event_id


@pytest.mark.parametrize(("client_state", "status"), [("", 401), ("not-our-state", 403)])
def test_a_notification_without_our_client_state_is_rejected(
    provider, fake, receiver, hook_url, client_state, status
):
    subscription = provider.subscribe("tech-alex", hook_url, NOW + timedelta(days=2))

    delivery = fake.notify(subscription["id"], "deleted", "appt1", client_state=client_state)

    assert delivery.status == status
    assert receiver.events() == []
    assert len(receiver.rejections) == 1


def test_one_forged_notification_in_a_batch_rejects_the_batch(fake, receiver, hook_url):
    good = {"changeType": "deleted", "clientState": CLIENT_STATE, "resourceData": {"id": "a"}}
    forged = {**good, "clientState": "guess", "resourceData": {"id": "b"}}

    delivery = fake.deliver_to(hook_url, [good, forged])

    assert delivery.status == 403
    assert receiver.events() == []


def test_a_body_that_is_not_a_notification_is_rejected(receiver, hook_url):
    delivery = deliver(hook_url, {"Content-Type": "application/json"}, json.dumps([1]).encode())

    assert delivery.status == 401
    assert receiver.outcomes == []


def test_a_redelivered_notification_keeps_its_event_id_for_deduplication(receiver, hook_url):
    # Given notifications without Graph's optional id
    deleted = {
        "subscriptionId": "sub-1",
        "changeType": "deleted",
        "clientState": CLIENT_STATE,
        "resourceData": {"id": "appt2"},
    }
    updated = {**deleted, "changeType": "updated", "resourceData": {"id": "appt1"}}

    MicrosoftGraphFake.deliver_to(hook_url, [deleted, updated])
    MicrosoftGraphFake.deliver_to(hook_url, [deleted])

    first, second, again = receiver.events()
    assert first.event_id == again.event_id != second.event_id


# -- Keeping subscriptions --------------------------------------------------------------------


def test_keeping_notified_subscribes_each_technician_once_until_renewal_is_due(
    url, fake, receiver, hook_url
):
    state = MemoryState()
    provider = make_provider(url, state)
    # When the renewal job runs for the first time
    assert provider.keep_notified(hook_url, NOW) == 2
    # Then each technician's events have one subscription (each passed the handshake)
    subscriptions = fake.subscriptions()
    assert sorted(s["resource"] for s in subscriptions) == [
        f"users/{ALEX}/events",
        f"users/{SAM}/events",
    ]
    assert {s["notificationUrl"] for s in subscriptions} == {hook_url}
    # And twelve hours later nothing is due
    assert provider.keep_notified(hook_url, NOW + timedelta(hours=12)) == 0
    assert len(fake.subscriptions()) == 2


def test_a_subscription_near_its_end_is_renewed_in_place(url, fake, receiver, hook_url):
    state = MemoryState()
    provider = make_provider(url, state)
    provider.keep_notified(hook_url, NOW)
    before = {s["id"]: s["expirationDateTime"] for s in fake.subscriptions()}
    # When less than a day is left
    later = NOW + timedelta(days=2, hours=6)
    assert provider.keep_notified(hook_url, later) == 2
    # Then the same subscriptions last longer (PATCH), none was added
    after = {s["id"]: s["expirationDateTime"] for s in fake.subscriptions()}
    assert set(after) == set(before)
    assert all(after[i] > before[i] for i in before)


def test_a_subscription_graph_dropped_is_created_again(url, fake, receiver, hook_url):
    state = MemoryState()
    provider = make_provider(url, state)
    provider.keep_notified(hook_url, NOW)
    gone = fake.subscriptions()[0]["id"]
    fake.drop_subscription(gone)
    # When renewal is due, the PATCH finds nothing and a new subscription is made
    assert provider.keep_notified(hook_url, NOW + timedelta(days=2, hours=6)) == 2
    ids = {s["id"] for s in fake.subscriptions()}
    assert gone not in ids
    assert len(ids) == 2


def test_keeping_notified_needs_somewhere_to_remember_subscriptions(provider, hook_url):
    with pytest.raises(ValueError, match="ProviderState"):
        provider.keep_notified(hook_url, NOW)


# -- Events people made ----------------------------------------------------------------------

# Hand-made in Outlook (no extended properties), in Graph's documented shapes: Alex organizes
# and invited the customer (a name, and an address), the place picked from Outlook's address
# suggestions (with coordinates), the customer's number in the HTML body.
BODY = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<style type="text/css" style="display:none">P {margin-top:0;margin-bottom:0;}</style>'
    '</head><body dir="ltr"><div class="elementToProof">Back door.</div>'
    "<div>Mobile&nbsp;312&#8209;555&#8209;0177</div></body></html>"
)
HAND_MADE = {
    "id": "handmade1",
    "subject": "Dryer repair",
    "body": {"contentType": "html", "content": BODY},
    "bodyPreview": "Back door. Mobile 312-555-0177",
    "location": {
        "displayName": "45 Oak Ave, Chicago, IL 60614",
        "locationType": "streetAddress",
        "address": {
            "street": "45 Oak Ave",
            "city": "Chicago",
            "state": "IL",
            "postalCode": "60614",
            "countryOrRegion": "United States",
        },
        "coordinates": {"latitude": 41.92, "longitude": -87.65},
    },
    "organizer": {"emailAddress": {"name": "Alex Rivera", "address": ALEX}},
    "attendees": [
        {
            "type": "required",
            "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Jane Smith", "address": "jane.smith@example.com"},
        },
        {
            "type": "resource",
            "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"},
            "emailAddress": {"name": "Van 3", "address": "van3@northside.example"},
        },
    ],
}


def hand_made(start: datetime, **changes: object) -> dict[str, object]:
    return {
        **HAND_MADE,
        "start": graph_time(start),
        "end": graph_time(start + timedelta(hours=1)),
        **changes,
    }


@pytest.fixture
def handmade(fake: MicrosoftGraphFake) -> dict[str, object]:
    return fake.add_event(ALEX, hand_made(TOMORROW + timedelta(hours=5)))


def test_an_event_people_made_with_a_customer_is_an_appointment(provider, handmade):
    appointment = provider.get_appointment(BUSINESS, "handmade1")

    assert is_derived(appointment.customer_id)
    assert (appointment.technician_id, appointment.service) == ("tech-alex", "Dryer repair")
    assert appointment.start == TOMORROW + timedelta(hours=5)
    assert appointment.location is not None  # Outlook located the address
    assert (appointment.location.lat, appointment.location.lon) == (41.92, -87.65)
    assert appointment.location.address == "45 Oak Ave, Chicago, IL 60614"
    assert appointment.inferred_from == (
        "attendee jane.smith@example.com; phone in description; address in location"
    )
    customer = provider.get_customer(BUSINESS, appointment.customer_id)
    assert (customer.name, customer.phone, customer.email) == (
        "Jane Smith",
        "+13125550177",
        "jane.smith@example.com",
    )
    assert customer.location == appointment.location


def test_the_schedule_reads_events_people_made_and_keeps_the_rest_blocked(provider, fake):
    start = TOMORROW + timedelta(days=3)
    fake.add_event(SAM, hand_made(start, id="job1"))
    fake.add_event(SAM, other_event("call1", "Call supplier", start + timedelta(hours=2)))
    # only the preview, without HTML: still the customer's number
    fake.add_event(
        SAM,
        other_event(
            "preview1", "Drain", start + timedelta(hours=3), bodyPreview="Call 312-555-0166"
        ),
    )
    fake.add_event(
        SAM,
        hand_made(start - timedelta(hours=15), id="allday1", isAllDay=True),
    )
    fake.add_event(SAM, hand_made(start + timedelta(hours=5), id="free1", showAs="free"))
    # a Teams meeting: the number in its body is its dial-in
    fake.add_event(
        SAM,
        other_event(
            "teams1",
            "Weekly sync",
            start + timedelta(hours=4),
            isOnlineMeeting=True,
            bodyPreview="Call 312-555-0155",
        ),
    )

    busy, customers = provider.schedule_with_customers(
        BUSINESS, "tech-sam", start - timedelta(hours=16), start + timedelta(hours=6)
    )

    assert [(type(b).__name__, b.id) for b in busy] == [
        ("BlockedTime", "allday1"),
        ("Appointment", "job1"),
        ("BlockedTime", "call1"),
        ("Appointment", "preview1"),
        ("BlockedTime", "teams1"),
    ]
    assert sorted((c.name, c.phone) for c in customers) == [
        ("", "+13125550166"),
        ("Jane Smith", "+13125550177"),
    ]


def test_customers_from_events_people_made_are_searched_and_looked_up(provider, handmade):
    by_name = provider.search_customers(BUSINESS, "jane smi")
    by_phone = provider.search_customers(BUSINESS, "(312) 555-0177")

    assert [c.name for c in by_name] == ["Jane Smith"]
    assert [c.id for c in by_phone] == [by_name[0].id]
    assert [c.id for c in provider.search_customers(BUSINESS, "casey")] == ["c-1"]
    upcoming = provider.upcoming_appointments(BUSINESS, by_name[0].id, NOW)
    assert [a.id for a in upcoming] == ["handmade1"]


def test_an_event_people_made_moves_and_keeps_what_they_wrote(provider, fake, handmade):
    current = provider.get_appointment(BUSINESS, "handmade1")
    new_start = TOMORROW + timedelta(days=1, hours=6)

    moved = provider.move_appointment(current, opening(new_start), "session-1")

    stored = fake.event(ALEX, "handmade1")
    assert (moved.start, moved.customer_id, moved.inferred_from) == (
        new_start,
        current.customer_id,
        current.inferred_from,
    )
    assert moved.version == stored["@odata.etag"] != current.version
    for kept in ("subject", "body", "bodyPreview", "location", "attendees", "organizer"):
        assert stored[kept] == handmade[kept], kept
    assert stored["singleValueExtendedProperties"] == [
        {"id": property_id("move_key"), "value": "session-1"}
    ]
    assert provider.get_appointment(BUSINESS, "handmade1") == moved
    assert provider.move_appointment(current, opening(new_start), "session-1") == moved


# Recurring: a weekly meeting at the customer's (every Tuesday, four times), by its phone.
SERIES_START = TOMORROW + timedelta(hours=2)
WEEKLY = {
    "id": "weekly1",
    "type": "seriesMaster",
    "subject": "Pool pump check",
    "bodyPreview": "Robin 312-555-0188",
    "start": graph_time(SERIES_START),
    "end": graph_time(SERIES_START + timedelta(hours=1)),
    "recurrence": {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["tuesday"]},
        "range": {
            "type": "numbered",
            "startDate": SERIES_START.date().isoformat(),
            "numberOfOccurrences": 4,
        },
    },
}


def occurrence_id(start: datetime) -> str:
    return f"weekly1_{start:%Y%m%d}"


def test_a_recurring_meeting_is_read_occurrence_by_occurrence(provider, fake):
    fake.add_event(ALEX, WEEKLY)
    weeks = [SERIES_START + timedelta(weeks=n) for n in range(4)]

    appointments = provider.technician_appointments(
        BUSINESS, "tech-alex", SERIES_START - timedelta(hours=1), SERIES_START + timedelta(weeks=5)
    )

    mine = [a for a in appointments if a.id.startswith("weekly1")]
    assert [(a.id, a.start) for a in mine] == [(occurrence_id(w), w) for w in weeks]
    assert len({a.customer_id for a in mine}) == 1
    assert mine[0].inferred_from == "phone in description"
    with pytest.raises(NotFound):  # the series itself is none
        provider.get_appointment(BUSINESS, "weekly1")
    assert provider.get_appointment(BUSINESS, occurrence_id(weeks[1])) == mine[1]


def test_one_occurrence_moves_alone_and_a_deleted_one_is_free(provider, fake):
    fake.add_event(ALEX, WEEKLY)
    second, third = SERIES_START + timedelta(weeks=1), SERIES_START + timedelta(weeks=2)
    current = provider.get_appointment(BUSINESS, occurrence_id(second))
    fake.delete_event(ALEX, occurrence_id(third))

    moved = provider.move_appointment(current, opening(second + timedelta(days=1)), "session-1")

    window = (SERIES_START - timedelta(hours=1), SERIES_START + timedelta(weeks=5))
    schedule = provider.technician_schedule(BUSINESS, "tech-alex", *window)
    mine = [(b.id, b.start) for b in schedule if b.id.startswith("weekly1")]
    assert mine == [
        (occurrence_id(SERIES_START), SERIES_START),
        (occurrence_id(second), second + timedelta(days=1)),
        (occurrence_id(SERIES_START + timedelta(weeks=3)), SERIES_START + timedelta(weeks=3)),
    ]
    assert isinstance(moved, Appointment)
    assert fake.event(ALEX, occurrence_id(second))["type"] == "exception"
