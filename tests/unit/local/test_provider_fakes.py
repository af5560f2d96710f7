"""The local stack's provider fakes hold the demo businesses seeded on them in each
provider's own shapes: the real adapters, connected as the product connects them (options
from the business record, credentials from Secrets Manager), read the seed back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from local.demo_data import demo_seed
from local.provider_fakes import ProviderFakes
from local.sandbox_base import Sandbox
from local.seed import Seed, SeedBusiness, load
from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.adapters.provider_connections import ProviderConnections
from reschedule_dispatch.domain.business import Business
from reschedule_dispatch.domain.ports import SchedulingProvider
from reschedule_dispatch.domain.scheduling import BlockedTime
from tests.serving import serve
from tests.tables import pk_sk_table

TODAY = datetime.now(UTC).date()


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
        fakes = ProviderFakes(url, TODAY)
        gateway.sandboxes = [fakes, *fakes.fakes()]
        load(seed, app_table, pk_sk_table(dynamodb, "demo"), fakes.keep)
        secrets = boto3.client("secretsmanager")

        def read_secret(arn: str) -> Any:
            return json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])

        connections = ProviderConnections(object(), app_table, read_secret)
        yield Local(url, fakes, seed, DynamoBusinessDirectory(app_table), connections)


BUSINESSES = [
    ("lakeside-electric", "google_calendar"),
    ("harbor-appliance", "microsoft_graph"),
    ("summit-home", "servicetitan"),
]


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
    assert servicetitan["credentials"]["app_key"] == local.fakes.servicetitan.app_key
    assert servicetitan["options"]["api_base_url"] == f"{local.url}/fakes/servicetitan"


def test_the_servicetitan_fake_holds_one_job_per_seeded_appointment(local):
    summit = local.seeded("summit-home")
    assert len(local.fakes.servicetitan.appointments) == len(summit.appointments)
    assert len(local.fakes.servicetitan.customers) == len(summit.customers)
