"""The provider registry: one module per provider, and everything that lists kinds asks it."""

from __future__ import annotations

import json
import pkgutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from local.providers import local_fakes
from local.seed import SeedBusiness
from reschedule_dispatch import providers
from reschedule_dispatch.domain.business import ProviderConnection

ROOT = Path(__file__).resolve().parents[3]


def test_every_module_in_the_package_registers_its_own_kind_demo_first():
    modules = sorted(m.name for m in pkgutil.iter_modules(providers.__path__))
    assert sorted(providers.kinds()) == modules
    assert providers.kinds()[0] == "demo"
    assert {"google_calendar", "microsoft_graph", "servicetitan"} <= set(modules)
    assert providers.kinds(webhooks=True) == tuple(k for k in modules if k != "demo")


def test_a_connection_to_an_unregistered_provider_is_refused_naming_the_known_ones():
    with pytest.raises(
        ValidationError, match=r"unknown scheduling provider 'acuity'.*servicetitan"
    ):
        ProviderConnection(kind="acuity", secret_arn="arn:aws:secretsmanager:x")
    # and one that needs credentials without them
    with pytest.raises(ValidationError, match="Google Calendar needs the ARN"):
        ProviderConnection(kind="google_calendar")
    assert ProviderConnection().name == "Demo scheduling (built in)"


def test_a_seed_names_only_registered_providers():
    with pytest.raises(ValidationError, match="unknown scheduling provider"):
        SeedBusiness.model_validate(
            {
                "id": "x",
                "name": "X",
                "phone": "+13125550100",
                "time_zone": "America/Chicago",
                "provider": "nowhere",
                "dispatchers": [],
                "technicians": [],
                "customers": [],
                "appointments": [],
            }
        )


def test_every_provider_with_credentials_has_a_local_fake():
    assert set(local_fakes()) == {k for k in providers.kinds() if providers.provider(k).credentials}


def test_the_webhook_route_takes_exactly_the_providers_that_send_webhooks():
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    [parameter] = [
        p
        for p in document["paths"]["/webhooks/providers/{provider}"]["post"]["parameters"]
        if p["name"] == "provider"
    ]
    assert parameter["schema"]["enum"] == list(providers.kinds(webhooks=True))
