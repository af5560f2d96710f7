"""The business directory: FakeBusinesses and DynamoBusinessDirectory keep the same promises."""

from __future__ import annotations

from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_businesses import DynamoBusinessDirectory
from reschedule_dispatch.domain.business import Business, ProviderConnection
from reschedule_dispatch.domain.errors import NotFound, Unprocessable
from tests.builders import business
from tests.fakes import FakeBusinesses

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-servicetitan"


@pytest.fixture(params=["fake", "dynamodb"])
def businesses(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeBusinesses()
    return DynamoBusinessDirectory(request.getfixturevalue("tables").app)


def test_a_business_is_found_by_id_and_by_its_number(businesses):
    acme = business()
    businesses.put(acme)
    assert businesses.get("acme") == businesses.get("acme", fresh=True) == acme
    assert businesses.by_phone("+13125550100") == acme
    with pytest.raises(NotFound):
        businesses.get("nope")
    with pytest.raises(NotFound):
        businesses.by_phone("+19995550000")


def test_an_update_applies_the_change_to_what_is_stored(businesses):
    businesses.put(business())

    def slower(stored: Business) -> Business:
        settings = stored.settings.model_copy(update={"link_ttl_hours": 24})
        return stored.model_copy(update={"settings": settings})

    updated = businesses.update("acme", slower)
    assert updated.settings.link_ttl_hours == 24
    assert businesses.get("acme", fresh=True) == updated
    with pytest.raises(NotFound):
        businesses.update("nope", slower)


def test_an_update_refused_by_its_change_writes_nothing(businesses):
    businesses.put(business())

    def refused(stored: Business) -> Business:
        raise Unprocessable("These settings cannot be saved.")

    with pytest.raises(Unprocessable):
        businesses.update("acme", refused)
    assert businesses.get("acme", fresh=True) == business()


def test_every_business_and_those_connected_to_a_provider(businesses):
    connected = business(
        id="titan",
        phone="+13125550199",
        provider=ProviderConnection(kind="servicetitan", secret_arn=SECRET),
    )
    businesses.put(business())
    businesses.put(connected)
    assert sorted(b.id for b in businesses.every()) == ["acme", "titan"]
    assert businesses.connected() == [connected]
