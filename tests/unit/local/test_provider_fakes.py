"""The local stack's provider fakes hold the demo businesses seeded on them in each
provider's own shapes: the real adapters, connected as the product connects them (options
from the business record, credentials from Secrets Manager), read the seed back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from local.clock import LocalClock
from local.demo_data import demo_seed
from local.provider_fakes import ProviderFakes
from local.sandbox_base import Sandbox
from local.seed import Seed, SeedBusiness, load
from reschedule_dispatch import providers
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.dynamodb_schedule_mirror import DynamoScheduleMirror
from reschedule_dispatch.adapters.provider_connections import ProviderConnections
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.errors import AppointmentChanged, WebhookRejected
from reschedule_dispatch.domain.ports import ProviderWebhooks, SchedulingProvider
from reschedule_dispatch.domain.provider_events import WebhookRequest
from reschedule_dispatch.domain.scheduling import Appointment, BlockedTime
from reschedule_dispatch.domain.session import Opening
from reschedule_dispatch.services.schedule_mirror import MirroredSchedule, SyncSchedule
from tests.serving import serve
from tests.tables import pk_sk_table

TODAY = date(2026, 12, 8)  # a Tuesday: the contract runs on a clock pinned to it
# The moment the contract tests reason from: the seed's first day at noon, read once with it,
# so no test decides by the wall clock at the hour it happens to run.
SEEDED_AT = datetime.combine(TODAY, time(12), UTC)


class Gateway:
    """Routes to the sandboxes that handle a path, as the local gateway does."""

    def __init__(self) -> None:
        self.sandboxes: list[Sandbox] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        for sandbox in self.sandboxes:
            if sandbox.handles(environ.get("PATH_INFO", "")):
                return sandbox(environ, start_response)
        start_response("404 Not Found", [])
        return [b""]


@dataclass
class Local:
    url: str
    fakes: ProviderFakes
    seed: Seed
    businesses: DynamoBusinessDirectory
    connections: ProviderConnections

    def provider(self, business_id: str) -> tuple[Business, SchedulingProvider]:
        business = self.businesses.get(business_id)
        return business, self.connections(business)

    def seeded(self, business_id: str) -> SeedBusiness:
        return next(b for b in self.seed.businesses if b.id == business_id)


@pytest.fixture(scope="module")
def local() -> Iterator[Local]:
    gateway = Gateway()
    with mock_aws(), serve(gateway) as url:
        dynamodb = boto3.resource("dynamodb")
        app_table = pk_sk_table(dynamodb, "app")
        everything = demo_seed(TODAY)
        seed = Seed.model_validate(
            {"businesses": [b for b in everything["businesses"] if b["provider"] != "demo"]}
        )
        clock = LocalClock(SEEDED_AT)
        fakes = ProviderFakes(url, clock.now)
        gateway.sandboxes = [fakes, *fakes.fakes()]
        load(seed, app_table, pk_sk_table(dynamodb, "demo"), fakes.keep)
        secrets = boto3.client("secretsmanager")

        def read_secret(arn: str) -> Any:
            return json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])

        connections = ProviderConnections(object(), app_table, read_secret, clock=clock)
        yield Local(url, fakes, seed, DynamoBusinessDirectory(app_table), connections)


# Every registered provider with credentials, and the demo business kept in its fake: the
# contract below runs against each, so a new provider is held to it by registering.
BUSINESSES = [
    (next(b["id"] for b in demo_seed(TODAY)["businesses"] if b["provider"] == kind), kind)
    for kind, registered in providers.registered().items()
    if registered.credentials
]


def test_every_provider_that_needs_credentials_has_a_fake_and_a_demo_business():
    assert [kind for _, kind in BUSINESSES] == [
        k for k in providers.kinds() if providers.provider(k).credentials
    ]
    assert len(BUSINESSES) >= 3


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_each_business_is_connected_to_its_fake_with_a_secret_moto_gave(local, business_id, kind):
    business = local.businesses.get(business_id)
    assert business.provider.kind == kind
    assert business.provider.secret_arn
    assert business.provider.secret_arn.startswith("arn:aws:secretsmanager:")
    assert all(local.url in str(v) for k, v in business.provider.options.items() if "url" in k)


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_the_adapter_reads_back_the_seeded_technicians_and_customers(local, business_id, kind):
    _, provider = local.provider(business_id)
    seeded = local.seeded(business_id)
    technicians = provider.technicians(business_id)
    assert sorted(t.name for t in technicians) == sorted(t.name for t in seeded.technicians)
    assert all(t.working_hours for t in technicians)
    # A customer with appointments ahead is found by name, with their phone in E.164.
    olivia = next(c for c in seeded.customers if c.name.startswith("Olivia"))
    [found] = provider.search_customers(business_id, olivia.name)
    assert (found.name, found.phone) == (olivia.name, olivia.phone)


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_the_adapter_reads_back_the_seeded_appointments_and_blocked_time(local, business_id, kind):
    business, provider = local.provider(business_id)
    seeded = local.seeded(business_id)
    olivia = next(c for c in seeded.customers if c.name.startswith("Olivia"))
    [found] = provider.search_customers(business_id, olivia.name)
    after = datetime.combine(TODAY, datetime.min.time(), business.zone)
    upcoming = provider.upcoming_appointments(business_id, found.id, after)
    expected = sorted(
        (a.start, a.service) for a in seeded.appointments if a.customer_id == olivia.id
    )
    assert [(a.start, a.service) for a in upcoming] == expected
    # Every appointment has the version its provider uses for the move's precondition.
    assert all(a.version for a in upcoming)
    # The first technician's Friday-afternoon vehicle service is blocked time there.
    blocked = seeded.blocked_times[0]
    first = next(
        t for t in provider.technicians(business_id) if t.name == seeded.technicians[0].name
    )
    schedule = provider.technician_schedule(business_id, first.id, blocked.start, blocked.end)
    assert any(
        isinstance(b, BlockedTime) and b.start <= blocked.start and b.end >= blocked.end
        for b in schedule
    )


def test_dev_providers_shows_each_connection_with_its_credentials(local):
    shown = requests.get(f"{local.url}/dev/providers", timeout=5).json()["businesses"]
    assert [(b["business_id"], b["kind"]) for b in shown] == BUSINESSES
    servicetitan = shown[2]
    assert servicetitan["credentials"]["app_key"] == local.fakes.by_kind["servicetitan"].app_key
    assert servicetitan["options"]["api_base_url"] == f"{local.url}/fakes/servicetitan"


def test_the_servicetitan_fake_holds_one_job_per_seeded_appointment(local):
    summit = local.seeded("summit-home")
    assert len(local.fakes.by_kind["servicetitan"].appointments) == len(summit.appointments)
    assert len(local.fakes.by_kind["servicetitan"].customers) == len(summit.customers)


# The contract every provider's adapter keeps against its fake -----------------------------


def _an_appointment(local: Local, business_id: str) -> Appointment:
    _, provider = local.provider(business_id)
    seeded = local.seeded(business_id)
    after = SEEDED_AT + timedelta(days=2)
    for customer in seeded.customers:
        for found in provider.search_customers(business_id, customer.name):
            for appointment in provider.upcoming_appointments(business_id, found.id, after):
                if appointment.id not in _MOVED:
                    _MOVED.add(appointment.id)
                    return appointment
    raise AssertionError(f"no appointment left to move in {business_id}")


_MOVED: set[str] = set()  # each test moves an appointment of its own


def _later(appointment: Appointment, hours: int) -> Opening:
    start = appointment.start + timedelta(hours=hours)
    return Opening(
        start=start,
        end=start + (appointment.end - appointment.start),
        technician_id=appointment.technician_id,
    )


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_a_move_on_the_current_version_moves_it_once_with_a_new_version(local, business_id, kind):
    _, provider = local.provider(business_id)
    appointment = _an_appointment(local, business_id)
    opening = _later(appointment, 1)
    moved = provider.move_appointment(appointment, opening, idempotency_key=f"{kind}-once")
    assert (moved.start, moved.end) == (opening.start, opening.end)
    assert moved.version != appointment.version
    # Asked again with the same key (a retried step), the first move is the answer
    again = provider.move_appointment(appointment, opening, idempotency_key=f"{kind}-once")
    assert (again.start, again.version) == (moved.start, moved.version)
    read = provider.get_appointment(business_id, appointment.id)
    assert (read.start, read.version) == (moved.start, moved.version)


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_a_move_on_a_stale_version_is_refused_and_changes_nothing(local, business_id, kind):
    _, provider = local.provider(business_id)
    appointment = _an_appointment(local, business_id)
    provider.move_appointment(appointment, _later(appointment, 1), idempotency_key=f"{kind}-a")
    current = provider.get_appointment(business_id, appointment.id)
    with pytest.raises(AppointmentChanged):
        provider.move_appointment(appointment, _later(appointment, 2), idempotency_key=f"{kind}-b")
    after = provider.get_appointment(business_id, appointment.id)
    assert (after.start, after.version) == (current.start, current.version)


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_a_change_made_in_the_provider_reaches_the_mirror(local, business_id, kind):
    _, provider = local.provider(business_id)
    mirror = DynamoScheduleMirror(boto3.resource("dynamodb").Table("app"))
    clock = _Now()
    sync = SyncSchedule(mirror=mirror, live=provider, clock=clock)
    reads = MirroredSchedule(mirror=mirror, live=provider)
    sync.full(business_id)
    appointment = _an_appointment(local, business_id)
    assert reads.get_appointment(business_id, appointment.id).start == appointment.start
    # Moved in the provider itself (its own app), and pushed: the mirror follows
    moved = provider.move_appointment(appointment, _later(appointment, 1), f"{kind}-elsewhere")
    sync.appointment(business_id, appointment.id)
    mirrored = reads.get_appointment(business_id, appointment.id)
    assert (mirrored.start, mirrored.version) == (moved.start, moved.version)


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_a_webhook_without_its_proof_is_refused(local, business_id, kind):
    _, provider = local.provider(business_id)
    assert isinstance(provider, ProviderWebhooks)
    assert providers.provider(kind).webhooks
    unsigned = WebhookRequest(
        method="POST",
        url=f"{local.url}/webhooks/providers/{kind}?business={business_id}",
        headers={"content-type": "application/json"},
        query={"business": business_id},
        body=b'{"value": [{"clientState": "guess"}], "eventName": "x"}',
    )
    with pytest.raises(WebhookRejected) as refused:
        provider.parse_webhook(unsigned)
    assert refused.value.status in (401, 403)


class _Now:
    def now(self) -> datetime:
        return SEEDED_AT


@pytest.mark.parametrize(("business_id", "kind"), BUSINESSES)
def test_an_appointment_asked_with_its_technician_costs_no_more_reads(local, business_id, kind):
    _, provider = local.provider(business_id)
    fake = local.fakes.by_kind[kind]
    # An appointment of the technician a scan would reach last
    last = provider.technicians(business_id)[-1]
    window = (SEEDED_AT, SEEDED_AT + timedelta(days=14))
    theirs = provider.technician_appointments(business_id, last.id, *window)
    appointment = theirs[0]

    before = fake.api_requests
    scanned = provider.get_appointment(business_id, appointment.id)
    scan_cost = fake.api_requests - before
    before = fake.api_requests
    found = provider.get_appointment(business_id, appointment.id, expected_on=last.id)
    hinted_cost = fake.api_requests - before

    assert (found.id, found.start, found.version) == (scanned.id, scanned.start, scanned.version)
    assert hinted_cost <= scan_cost
    if kind in ("google_calendar", "microsoft_graph"):  # a calendar per technician
        assert hinted_cost == 1
        assert scan_cost == len(provider.technicians(business_id))
