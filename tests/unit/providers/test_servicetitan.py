"""The ServiceTitan adapter against the local ServiceTitan fake over real HTTP: reads, the
move with its version check and idempotency key, every failure mapped to its typed error,
tokens, and webhooks verified and normalized."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local.fakes import servicetitan as fake_module
from local.fakes.servicetitan import ServiceTitanFake, SignedWebhook, webhook_signature
from reschedule_dispatch.adapters.provider_http import READ_ATTEMPTS
from reschedule_dispatch.adapters.servicetitan import (
    DEFAULT_HOURS,
    ServiceTitanCredentials,
    ServiceTitanProvider,
    webhook_tenant,
)
from reschedule_dispatch.adapters.servicetitan import provider as servicetitan_api
from reschedule_dispatch.domain.errors import (
    AppointmentChanged,
    NotFound,
    ProviderError,
    ProviderRateLimited,
    ProviderUnauthorized,
    ProviderUnavailable,
    Unprocessable,
    WebhookRejected,
)
from reschedule_dispatch.domain.ports import ProviderWebhooks, SchedulingProvider
from reschedule_dispatch.domain.provider_events import ProviderChange, WebhookRequest
from reschedule_dispatch.domain.scheduling import Appointment, BlockedTime, WorkingHours
from reschedule_dispatch.domain.session import Opening
from tests.serving import serve
from tests.unit.providers import FixedClock, MemoryState, WebhookReceiver

BUSINESS = "biz-st"
ZONE = ZoneInfo("America/Chicago")
MONDAY = datetime(2030, 6, 3).date()  # the week the tests run in
NOW = datetime(2030, 6, 3, 14, 0, tzinfo=UTC)  # Monday 09:00 in Chicago


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Day `day` of the test week (0 = Monday) at a Chicago wall-clock time."""
    return datetime.combine(MONDAY + timedelta(days=day), time(hour, minute), ZONE)


@dataclass(frozen=True)
class Tenant:
    ana: int
    ben: int
    casey: int
    dana: int
    tune_up: int
    casey_home: int
    a1: int  # Casey, Ana, Tuesday 10-12 with an arrival window
    a2: int  # Casey, Ben, Wednesday 14-15
    past: int  # Casey, Ana, last week
    unassigned: int  # Dana, nobody assigned
    a1_job: int
    not_home: int
    no_access: int
    dispatcher: int
    parts: int


def seed(fake: ServiceTitanFake) -> Tenant:
    ana = fake.add_technician("Ana Ortiz", home=(39.80, -89.64))
    ben = fake.add_technician("Ben Okafor")
    casey = fake.add_customer("Casey Jones", "(217) 555-0142", lat=39.78, lon=-89.65)
    fake.add_contact(casey, "Email", "casey@example.com")
    dana = fake.add_customer("Dana Smith", "217.555.0199", mobile=False)
    tune_up = fake.add_job_type("AC tune-up")
    casey_home = fake.add_location(casey, "12 Elm St", 39.781, -89.651)
    dana_home = fake.add_location(dana, "9 Oak Ave", None, None)
    a1_job, a1 = fake.book_job(
        casey,
        casey_home,
        tune_up,
        local(1, 10),
        local(1, 12),
        [ana],
        arrival_window=(local(1, 9, 30), local(1, 11, 30)),
    )
    _, a2 = fake.book_job(casey, casey_home, tune_up, local(2, 14), local(2, 15), [ben])
    _, past = fake.book_job(casey, casey_home, tune_up, local(-5, 10), local(-5, 11), [ana])
    _, unassigned = fake.book_job(dana, dana_home, tune_up, local(3, 10), local(3, 11))
    # Ana works by shifts: weekdays 8-17 for two weeks, except Wednesday of this week.
    for day in range(14):
        if (MONDAY + timedelta(days=day)).weekday() < 5 and day != 2:
            fake.add_shift(ana, local(day, 8), local(day, 17))
    fake.add_shift(ana, local(3, 13), local(3, 17), "TimeOff")
    fake.add_non_job_appointment(ana, local(1, 12), timedelta(hours=1), "Lunch")
    fake.add_non_job_appointment(ana, local(1, 15), timedelta(hours=1), "Gone", active=False)
    return Tenant(
        ana=ana,
        ben=ben,
        casey=casey,
        dana=dana,
        tune_up=tune_up,
        casey_home=casey_home,
        a1=a1,
        a2=a2,
        past=past,
        unassigned=unassigned,
        a1_job=a1_job,
        not_home=fake.add_hold_reason("Customer not home"),
        no_access=fake.add_hold_reason("No access to property"),
        dispatcher=fake.add_hold_reason("Reschedule requested by dispatcher"),
        parts=fake.add_hold_reason("Waiting for parts"),
    )


@pytest.fixture
def fake() -> ServiceTitanFake:
    return ServiceTitanFake()


@pytest.fixture
def tenant(fake: ServiceTitanFake) -> Tenant:
    return seed(fake)


@pytest.fixture
def base_url(fake: ServiceTitanFake) -> Iterator[str]:
    with serve(fake) as url:
        yield url


def credentials(fake: ServiceTitanFake, base_url: str, **changes: Any) -> ServiceTitanCredentials:
    values: dict[str, Any] = {
        "tenant_id": fake.tenant_id,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "app_key": fake.app_key,
        "webhook_key": fake.webhook_key,
        "api_base_url": base_url,
        "auth_url": f"{base_url}/connect/token",
        **changes,
    }
    return ServiceTitanCredentials(**values)


def connect(
    fake: ServiceTitanFake, base_url: str, state: MemoryState, **changes: Any
) -> ServiceTitanProvider:
    """The provider for the fake's tenant, `changes` made to its credentials."""
    return ServiceTitanProvider.connect(
        BUSINESS, credentials(fake, base_url, **changes), state, time_zone=ZONE
    )


@pytest.fixture
def state() -> MemoryState:
    return MemoryState()


@pytest.fixture
def provider(
    fake: ServiceTitanFake, tenant: Tenant, base_url: str, state: MemoryState
) -> ServiceTitanProvider:
    return ServiceTitanProvider.connect(
        BUSINESS,
        credentials(fake, base_url),
        state,
        time_zone=ZONE,
        timeout=5,
        clock=FixedClock(NOW),
    )


def _implements_the_ports(
    provider: ServiceTitanProvider,
) -> tuple[SchedulingProvider, ProviderWebhooks]:
    return provider, provider  # checked by mypy


def writes(fake: ServiceTitanFake) -> list[tuple[str, str]]:
    return [(method, path) for method, path in fake.calls if method != "GET"]


# -- Customers ----------------------------------------------------------------------------------


def test_search_by_name_answers_customers_with_e164_mobile_email_and_service_location(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    found = provider.search_customers(BUSINESS, "casey")

    assert [c.id for c in found] == [str(tenant.casey)]
    casey = found[0]
    assert casey.name == "Casey Jones"
    assert casey.business_id == BUSINESS
    assert casey.phone == "+12175550142"
    assert casey.email == "casey@example.com"
    assert casey.location is not None
    assert (casey.location.lat, casey.location.lon) == (39.781, -89.651)
    assert casey.location.address.startswith("12 Elm St")


def test_without_a_geocoded_service_location_the_billing_address_locates_the_customer(
    provider: ServiceTitanProvider, fake: ServiceTitanFake
) -> None:
    erin = fake.add_customer("Erin Po", "2175550111", street="4 Birch Rd", lat=39.7, lon=-89.6)

    location = provider.get_customer(BUSINESS, str(erin)).location

    assert location is not None
    assert (location.address.split(",")[0], location.lat, location.lon) == (
        "4 Birch Rd",
        39.7,
        -89.6,
    )


def test_search_by_phone_matches_digits_whatever_the_formatting(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    found = provider.search_customers(BUSINESS, "(217) 555-0199")

    assert [(c.id, c.phone, c.location) for c in found] == [
        (str(tenant.dana), "+12175550199", None)
    ]


def test_search_without_a_match_is_empty(provider: ServiceTitanProvider) -> None:
    assert provider.search_customers(BUSINESS, "nobody here") == []


def test_get_customer_and_unknown_ones(provider: ServiceTitanProvider, tenant: Tenant) -> None:
    assert provider.get_customer(BUSINESS, str(tenant.dana)).name == "Dana Smith"
    with pytest.raises(NotFound):
        provider.get_customer(BUSINESS, "999999")


def test_an_id_that_is_not_servicetitans_is_not_found_without_a_call(
    provider: ServiceTitanProvider, fake: ServiceTitanFake
) -> None:
    with pytest.raises(NotFound):
        provider.get_appointment(BUSINESS, "../customers/1")
    assert fake.calls == []


def test_another_business_sees_nothing(provider: ServiceTitanProvider, tenant: Tenant) -> None:
    with pytest.raises(NotFound):
        provider.get_customer("other-business", str(tenant.casey))


# -- Appointments -------------------------------------------------------------------------------


def test_upcoming_appointments_are_the_customers_scheduled_ones_after_the_time(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    found = provider.upcoming_appointments(BUSINESS, str(tenant.casey), NOW)

    assert [(a.id, a.technician_id) for a in found] == [
        (str(tenant.a1), str(tenant.ana)),
        (str(tenant.a2), str(tenant.ben)),
    ]
    first = found[0]
    assert first.customer_id == str(tenant.casey)
    assert first.service == "AC tune-up"
    assert (first.start, first.end) == (local(1, 10), local(1, 12))
    assert first.status == "scheduled"
    assert first.location is not None
    assert (first.location.lat, first.location.lon) == (39.781, -89.651)
    assert "12 Elm St" in first.location.address


def test_an_appointment_without_a_technician_is_left_out_and_cannot_be_read(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    assert provider.upcoming_appointments(BUSINESS, str(tenant.dana), NOW) == []
    with pytest.raises(ProviderError, match="no technician"):
        provider.get_appointment(BUSINESS, str(tenant.unassigned))


def test_the_version_changes_when_the_appointment_or_its_technician_does(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    before = provider.get_appointment(BUSINESS, str(tenant.a1))
    assert provider.get_appointment(BUSINESS, str(tenant.a1)).version == before.version

    fake.change_elsewhere(tenant.a1, technician_id=tenant.ben)
    reassigned = provider.get_appointment(BUSINESS, str(tenant.a1))
    fake.change_elsewhere(tenant.a1, start=local(1, 13), end=local(1, 15))
    moved = provider.get_appointment(BUSINESS, str(tenant.a1))

    assert len({before.version, reassigned.version, moved.version}) == 3
    assert reassigned.technician_id == str(tenant.ben)
    assert moved.start == local(1, 13)


def test_missing_appointments_are_not_found(provider: ServiceTitanProvider) -> None:
    with pytest.raises(NotFound):
        provider.get_appointment(BUSINESS, "424242")


def test_lists_follow_every_page_and_ids_go_in_batches(
    provider: ServiceTitanProvider,
    fake: ServiceTitanFake,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for day in range(4, 9):
        job, _ = fake.book_job(
            tenant.casey, tenant.casey_home, tenant.tune_up, local(day, 9), local(day, 10)
        )
        fake.add_appointment(job, local(day, 11), local(day, 12), [tenant.ben])
    monkeypatch.setattr(servicetitan_api, "PAGE_SIZE", 2)
    monkeypatch.setattr(servicetitan_api, "MAX_IDS", 3)
    monkeypatch.setattr(fake_module, "MAX_IDS", 3)  # the fake refuses a longer id list

    found = provider.upcoming_appointments(BUSINESS, str(tenant.casey), NOW)

    # The five unassigned first appointments are left out; everything else came back.
    assert len(found) == 2 + 5
    assert all(a.service == "AC tune-up" for a in found)
    pages = [p for m, p in fake.calls if p.endswith("/appointments")]
    assert len(pages) > 1


# -- Technicians --------------------------------------------------------------------------------


def test_working_hours_come_from_shifts_and_default_without_them(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    technicians = {t.id: t for t in provider.technicians(BUSINESS)}

    ana = technicians[str(tenant.ana)]
    assert ana.name == "Ana Ortiz"
    assert ana.home_base is not None
    assert (ana.home_base.lat, ana.home_base.lon) == (39.80, -89.64)
    assert ana.working_hours == tuple(
        WorkingHours(weekday=d, start=time(8), end=time(17)) for d in range(5)
    )
    ben = technicians[str(tenant.ben)]
    assert ben.working_hours == DEFAULT_HOURS
    assert ben.home_base is None
    assert provider.get_technician(BUSINESS, str(tenant.ana)) == ana


def test_schedule_has_appointments_non_job_time_time_off_and_days_without_a_shift(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    busy = provider.technician_schedule(BUSINESS, str(tenant.ana), local(1, 0), local(4, 0))

    appointments = [b for b in busy if isinstance(b, Appointment)]
    blocked = sorted(
        ((b.start, b.end, b.reason) for b in busy if isinstance(b, BlockedTime)),
        key=lambda b: b[0],
    )
    assert [a.id for a in appointments] == [str(tenant.a1)]
    assert blocked == [
        (local(1, 12), local(1, 13), "Lunch"),
        (local(2, 8), local(2, 17), "Off shift"),  # Wednesday: no shift
        (local(3, 13), local(3, 17), "Time off"),
    ]
    assert (
        provider.technician_appointments(BUSINESS, str(tenant.ana), local(1, 0), local(4, 0))
        == appointments
    )


def test_schedule_leaves_out_canceled_appointments(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.cancel_job(tenant.a1_job, "Duplicate job")

    busy = provider.technician_schedule(BUSINESS, str(tenant.ana), local(1, 0), local(2, 0))

    assert not [b for b in busy if isinstance(b, Appointment)]


# -- Moving -------------------------------------------------------------------------------------


def test_a_move_reschedules_and_keeps_the_arrival_window_in_step(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))

    moved = provider.move_appointment(appointment, opening, "key-1")

    assert (moved.start, moved.end, moved.technician_id) == (
        local(1, 14),
        local(1, 16),
        str(tenant.ana),
    )
    assert moved.version != appointment.version
    stored = fake.appointments[tenant.a1]
    assert (stored.start, stored.end) == (local(1, 14), local(1, 16))
    assert (stored.arrival_window_start, stored.arrival_window_end) == (
        local(1, 13, 30),
        local(1, 15, 30),
    )
    assert [p for _, p in writes(fake)] == [
        f"/jpm/v2/tenant/{fake.tenant_id}/appointments/{tenant.a1}/reschedule"
    ]
    assert provider.get_appointment(BUSINESS, str(tenant.a1)) == moved


def test_a_move_to_another_technician_reassigns_the_appointment(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(3, 9), end=local(3, 11), technician_id=str(tenant.ben))

    moved = provider.move_appointment(appointment, opening, "key-2")

    assert moved.technician_id == str(tenant.ben)
    assigned = [a.technician_id for a in fake.assignments.values() if a.appointment_id == tenant.a1]
    assert assigned == [tenant.ben]


def test_helpers_stay_when_the_technician_does_and_go_when_it_changes(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    helper = fake.add_technician("Hal Helper")
    fake.assign_technician(tenant.a1, helper)

    def assigned() -> list[int]:
        return [a.technician_id for a in fake.assignments.values() if a.appointment_id == tenant.a1]

    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    same = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))
    moved = provider.move_appointment(appointment, same, "key-11")
    assert (moved.technician_id, assigned()) == (str(tenant.ana), [tenant.ana, helper])

    other = Opening(start=local(3, 9), end=local(3, 11), technician_id=str(tenant.ben))
    moved = provider.move_appointment(moved, other, "key-12")
    assert (moved.technician_id, assigned()) == (str(tenant.ben), [tenant.ben])


def test_a_move_of_an_appointment_changed_elsewhere_is_refused_and_writes_nothing(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    fake.change_elsewhere(tenant.a1, start=local(1, 8), end=local(1, 10))
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))

    with pytest.raises(AppointmentChanged):
        provider.move_appointment(appointment, opening, "key-3")

    assert writes(fake) == []
    assert fake.appointments[tenant.a1].start == local(1, 8)


def test_a_move_of_an_appointment_reassigned_elsewhere_is_refused(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    fake.change_elsewhere(tenant.a1, technician_id=tenant.ben)
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))

    with pytest.raises(AppointmentChanged):
        provider.move_appointment(appointment, opening, "key-4")

    assert writes(fake) == []


def test_a_repeated_move_with_the_same_key_answers_the_first_result(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ben))
    first = provider.move_appointment(appointment, opening, "key-5")
    writes_after_first = len(writes(fake))

    again = provider.move_appointment(appointment, opening, "key-5")

    assert again == first
    assert len(writes(fake)) == writes_after_first


def test_a_repeat_answers_the_first_result_even_after_later_changes_elsewhere(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))
    first = provider.move_appointment(appointment, opening, "key-10")
    fake.change_elsewhere(tenant.a1, start=local(4, 8), end=local(4, 10))

    assert provider.move_appointment(appointment, opening, "key-10") == first
    assert fake.appointments[tenant.a1].start == local(4, 8)


def test_a_retry_after_a_partial_move_finishes_it(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(3, 9), end=local(3, 11), technician_id=str(tenant.ben))
    fake.fail_next(503, path="assign-technicians")

    with pytest.raises(ProviderUnavailable):
        provider.move_appointment(appointment, opening, "key-6")
    assert fake.appointments[tenant.a1].start == local(3, 9)  # rescheduled, not reassigned

    moved = provider.move_appointment(appointment, opening, "key-6")

    assert (moved.start, moved.technician_id) == (local(3, 9), str(tenant.ben))
    reschedules = [p for m, p in writes(fake) if p.endswith("/reschedule")]
    assert len(reschedules) == 1


def test_another_key_after_a_move_sees_a_changed_appointment(
    provider: ServiceTitanProvider, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))
    provider.move_appointment(appointment, opening, "key-7")

    with pytest.raises(AppointmentChanged):
        provider.move_appointment(appointment, opening, "key-8")


def test_servicetitan_refusing_the_reschedule_is_a_provider_error(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    appointment = provider.get_appointment(BUSINESS, str(tenant.a1))
    fake.appointments[tenant.a1].status = "Dispatched"  # no modifiedOn change: same version
    opening = Opening(start=local(1, 14), end=local(1, 16), technician_id=str(tenant.ana))

    with pytest.raises(ProviderError, match="cannot be rescheduled"):
        provider.move_appointment(appointment, opening, "key-9")


# -- Failures -----------------------------------------------------------------------------------


def test_429_is_rate_limited_with_the_retry_after(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.fail_next(429, retry_after=7)

    with pytest.raises(ProviderRateLimited) as raised:
        provider.get_appointment(BUSINESS, str(tenant.a1))

    assert raised.value.retry_after_seconds == 7
    assert provider.get_appointment(BUSINESS, str(tenant.a1)).id == str(tenant.a1)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_unavailable(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant, status: int
) -> None:
    fake.fail_next(status, READ_ATTEMPTS)  # a read is tried again: every try fails

    with pytest.raises(ProviderUnavailable):
        provider.search_customers(BUSINESS, "casey")


def test_an_unreachable_servicetitan_is_unavailable(
    fake: ServiceTitanFake, state: MemoryState
) -> None:
    with serve(fake) as url:
        pass  # the port is closed again
    offline = ServiceTitanProvider.connect(
        BUSINESS, credentials(fake, url), state, time_zone=ZONE, timeout=2
    )

    with pytest.raises(ProviderUnavailable):
        offline.get_customer(BUSINESS, "1")


def test_a_token_is_reused_until_it_expires_then_renewed(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    provider.get_customer(BUSINESS, str(tenant.casey))
    provider.get_customer(BUSINESS, str(tenant.dana))
    assert fake.tokens.granted == 1

    fake.expire_tokens()
    customer = provider.get_customer(BUSINESS, str(tenant.casey))

    assert customer.id == str(tenant.casey)
    assert fake.tokens.granted == 2


def test_every_call_carries_the_app_key(
    fake: ServiceTitanFake, tenant: Tenant, base_url: str, state: MemoryState
) -> None:
    wrong_key = connect(fake, base_url, state, app_key="ak1.wrong")

    with pytest.raises(ProviderUnauthorized):
        wrong_key.get_customer(BUSINESS, str(tenant.casey))


def test_refused_client_credentials_are_unauthorized(
    fake: ServiceTitanFake, tenant: Tenant, base_url: str, state: MemoryState
) -> None:
    refused = connect(fake, base_url, state, client_secret="cs1.wrong")

    with pytest.raises(ProviderUnauthorized):
        refused.get_customer(BUSINESS, str(tenant.casey))
    assert fake.calls == []


def test_another_tenant_is_unauthorized(
    fake: ServiceTitanFake, tenant: Tenant, base_url: str, state: MemoryState
) -> None:
    elsewhere = connect(fake, base_url, state, tenant_id="2022")

    with pytest.raises(ProviderUnauthorized):
        elsewhere.get_customer(BUSINESS, str(tenant.casey))


def test_environments_pick_servicetitans_hosts() -> None:
    production = ServiceTitanCredentials(
        tenant_id="1", client_id="c", client_secret="s", app_key="k"
    )
    integration = production.model_copy(update={"environment": "integration"})

    assert production.endpoints() == (
        "https://api.servicetitan.io",
        "https://auth.servicetitan.io/connect/token",
    )
    assert integration.endpoints() == (
        "https://api-integration.servicetitan.io",
        "https://auth-integration.servicetitan.io/connect/token",
    )


# -- Webhooks -----------------------------------------------------------------------------------


def as_request(webhook: SignedWebhook, **header_changes: str | None) -> WebhookRequest:
    headers = {k.lower(): v for k, v in webhook.headers.items()}
    for name, value in header_changes.items():
        if value is None:
            headers.pop(name.lower(), None)
        else:
            headers[name.lower()] = value
    return WebhookRequest(
        method="POST",
        url="https://app.test/webhooks/providers/servicetitan",
        headers=headers,
        query={},
        body=webhook.body,
    )


SIGNATURE = fake_module.SIGNATURE_HEADER


def test_a_signed_webhook_is_acknowledged_with_its_events(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.change_elsewhere(tenant.a1, start=local(1, 8), end=local(1, 10))

    outcome = provider.parse_webhook(as_request(fake.webhooks[-1]))

    assert outcome.reply.status == 200
    [event] = outcome.events
    assert (event.business_id, event.appointment_id, event.change) == (
        BUSINESS,
        str(tenant.a1),
        ProviderChange.UPDATED,
    )
    assert event.event_id == fake.webhooks[-1].event["eventId"]
    assert event.occurred_at is not None


def test_a_hex_signature_is_accepted_too(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    webhook = fake.webhook("Appointment.Rescheduled", {"id": tenant.a1})
    hex_signature = webhook_signature(fake.webhook_key, webhook.body, "hex")

    outcome = provider.parse_webhook(as_request(webhook, **{SIGNATURE: hex_signature}))

    assert [e.appointment_id for e in outcome.events] == [str(tenant.a1)]


def test_an_unsigned_webhook_is_401(provider: ServiceTitanProvider, fake: ServiceTitanFake) -> None:
    webhook = fake.webhook("Appointment.Rescheduled", {"id": 1})

    with pytest.raises(WebhookRejected) as raised:
        provider.parse_webhook(as_request(webhook, **{SIGNATURE: None}))

    assert raised.value.status == 401


def test_a_wrong_signature_is_403(provider: ServiceTitanProvider, fake: ServiceTitanFake) -> None:
    webhook = fake.webhook("Appointment.Rescheduled", {"id": 1})
    forged = webhook_signature("not-the-key-0123456789abcdef0123456", webhook.body)

    with pytest.raises(WebhookRejected) as raised:
        provider.parse_webhook(as_request(webhook, **{SIGNATURE: forged}))

    assert raised.value.status == 403


def test_a_tampered_body_is_403(provider: ServiceTitanProvider, fake: ServiceTitanFake) -> None:
    webhook = fake.webhook("Appointment.Rescheduled", {"id": 1})
    tampered = SignedWebhook(webhook.body.replace(b'"id": 1', b'"id": 2'), webhook.headers)

    with pytest.raises(WebhookRejected) as raised:
        provider.parse_webhook(as_request(tampered))

    assert raised.value.status == 403


def test_without_a_webhook_key_every_webhook_is_refused(
    fake: ServiceTitanFake, base_url: str, state: MemoryState
) -> None:
    keyless = connect(fake, base_url, state, webhook_key=None)

    with pytest.raises(WebhookRejected) as raised:
        keyless.parse_webhook(as_request(fake.webhook("Appointment.Rescheduled", {"id": 1})))

    assert raised.value.status == 403


def test_a_webhook_for_another_tenant_is_refused(
    provider: ServiceTitanProvider, fake: ServiceTitanFake
) -> None:
    other = ServiceTitanFake(tenant_id="2022", webhook_key=fake.webhook_key)
    webhook = other.webhook("Appointment.Rescheduled", {"id": 1})

    with pytest.raises(WebhookRejected):
        provider.parse_webhook(as_request(webhook))
    assert webhook_tenant(webhook.body) == "2022"
    assert webhook_tenant(b"not json") is None


def test_a_signed_webhook_that_is_not_an_event_is_unprocessable(
    provider: ServiceTitanProvider, fake: ServiceTitanFake
) -> None:
    body = b"[1, 2]"
    headers = {SIGNATURE: webhook_signature(fake.webhook_key, body)}

    with pytest.raises(Unprocessable):
        provider.parse_webhook(as_request(SignedWebhook(body, headers)))


def test_a_signed_event_without_its_ids_is_unprocessable(
    provider: ServiceTitanProvider, fake: ServiceTitanFake
) -> None:
    with pytest.raises(Unprocessable):
        provider.parse_webhook(as_request(fake.webhook("Appointment.Rescheduled", {"x": 1})))


def events_of(provider: ServiceTitanProvider, fake: ServiceTitanFake) -> list[tuple[str, str]]:
    outcome = provider.parse_webhook(as_request(fake.webhooks[-1]))
    return [(e.appointment_id, e.change.value) for e in outcome.events]


def test_a_reassignment_elsewhere_is_an_update(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.change_elsewhere(tenant.a1, technician_id=tenant.ben)

    assert events_of(provider, fake) == [(str(tenant.a1), "updated")]


def test_a_deleted_appointment_is_canceled(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.delete_appointment(tenant.a2)

    assert events_of(provider, fake) == [(str(tenant.a2), "canceled")]


def test_a_job_the_customer_canceled_is_a_trigger_for_each_of_its_appointments(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    second = fake.add_appointment(tenant.a1_job, local(8, 10), local(8, 11), [tenant.ana])
    fake.cancel_job(tenant.a1_job, "Customer canceled - will call back")

    outcome = provider.parse_webhook(as_request(fake.webhooks[-1]))

    assert [(e.appointment_id, e.change) for e in outcome.events] == [
        (str(tenant.a1), ProviderChange.CUSTOMER_CANCELED),
        (str(second), ProviderChange.CUSTOMER_CANCELED),
    ]
    assert len({e.event_id for e in outcome.events}) == 2


def test_a_job_canceled_for_another_reason_is_canceled(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.cancel_job(tenant.a1_job, "Duplicate job")

    assert events_of(provider, fake) == [(str(tenant.a1), "canceled")]


@pytest.mark.parametrize(
    ("reason", "change"),
    [
        ("not_home", "no_show"),
        ("no_access", "no_access"),
        ("dispatcher", "manual_override"),
        ("parts", "updated"),
    ],
)
def test_hold_reasons_map_to_trigger_conditions(
    provider: ServiceTitanProvider,
    fake: ServiceTitanFake,
    tenant: Tenant,
    reason: str,
    change: str,
) -> None:
    fake.hold_appointment(tenant.a1, getattr(tenant, reason))

    assert events_of(provider, fake) == [(str(tenant.a1), change)]


def test_a_job_on_hold_applies_its_reason_to_the_jobs_appointments(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    fake.hold_job(tenant.a1_job, tenant.no_access)

    assert events_of(provider, fake) == [(str(tenant.a1), "no_access")]


def test_reason_rules_are_the_business_own(
    fake: ServiceTitanFake, tenant: Tenant, base_url: str, state: MemoryState
) -> None:
    custom = ServiceTitanProvider.connect(
        BUSINESS,
        credentials(fake, base_url),
        state,
        time_zone=ZONE,
        hold_rules=[("parts", ProviderChange.MANUAL_OVERRIDE)],
    )
    fake.hold_appointment(tenant.a1, tenant.parts)

    assert events_of(custom, fake) == [(str(tenant.a1), "manual_override")]


def test_events_nobody_needs_are_acknowledged_without_events(
    provider: ServiceTitanProvider, fake: ServiceTitanFake, tenant: Tenant
) -> None:
    outcome = provider.parse_webhook(as_request(fake.webhook("Job.Completed", {"id": 5})))

    assert outcome.reply.status == 200
    assert outcome.events == ()


def test_the_fake_delivers_signed_webhooks_to_the_apps_url(
    fake: ServiceTitanFake, tenant: Tenant, receiver: WebhookReceiver, hook_url: str
) -> None:
    fake.webhook_url = hook_url
    fake.cancel_job(tenant.a1_job, "Customer canceled")
    fake.webhook_key = "rotated-key-0123456789abcdef012345"
    fake.change_elsewhere(tenant.a2, start=local(2, 8), end=local(2, 9))

    assert [d.status for d in fake.deliveries] == [200, 403]
    assert [(e.appointment_id, e.change) for e in receiver.events()] == [
        (str(tenant.a1), ProviderChange.CUSTOMER_CANCELED)
    ]


def test_the_webhook_envelope_is_json_with_the_tenant(fake: ServiceTitanFake) -> None:
    event = json.loads(fake.webhook("Appointment.Rescheduled", {"id": 3}).body)

    assert event["tenantId"] == int(fake.tenant_id)
    assert event["data"] == {"id": 3}
    assert set(event) == {"eventId", "eventType", "tenantId", "createdOn", "data"}
