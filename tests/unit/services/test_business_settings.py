"""The settings a dispatcher controls (services/business_settings.py)."""

from __future__ import annotations

import pytest

from reschedule_dispatch.domain.errors import (
    ProviderUnauthorized,
    ProviderUnavailable,
    Unprocessable,
)
from reschedule_dispatch.services.business_settings import (
    CheckProviderConnection,
    GetBusiness,
    UpdateSettings,
)

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:graph"


def test_the_business_is_read_as_stored(world):
    world.change_business(link_ttl_hours=24)
    assert GetBusiness(businesses=world.businesses)("acme").settings.link_ttl_hours == 24


def test_an_update_changes_the_given_settings_and_keeps_the_rest(world):
    world.change_business(slack_channel="#dispatch")
    update = UpdateSettings(businesses=world.businesses)
    saved = update("acme", {"link_ttl_hours": 24, "quiet_hours_start": "22:00:00"})
    assert (saved.link_ttl_hours, saved.quiet_hours_start.hour) == (24, 22)  # type: ignore[union-attr]
    assert saved.slack_channel == "#dispatch"
    assert world.businesses.get("acme").settings == saved


@pytest.mark.parametrize(
    "changes",
    [{"templates": {"es": "hola"}}, {"link_ttl_hours": 0}, {"no_such_setting": True}],
)
def test_settings_the_domain_refuses_are_unprocessable_and_not_saved(world, changes):
    before = world.businesses.get("acme")
    with pytest.raises(Unprocessable, match="cannot be saved"):
        UpdateSettings(businesses=world.businesses)("acme", changes)
    assert world.businesses.get("acme") == before


def test_a_technician_change_is_refused_where_the_provider_cannot_make_one(world):
    world.change_business(business_provider={"kind": "microsoft_graph", "secret_arn": SECRET})
    update = UpdateSettings(businesses=world.businesses)
    with pytest.raises(Unprocessable, match="another technician"):
        update("acme", {"allow_technician_change": True})
    assert not world.businesses.get("acme").settings.allow_technician_change
    # Where it can, it is saved
    world.change_business(business_provider={"kind": "demo"})
    assert update("acme", {"allow_technician_change": True}).allow_technician_change


def test_the_provider_card_says_whether_the_provider_answers(world):
    check = CheckProviderConnection(businesses=world.businesses, provider=world.provider)
    connected = check("acme")
    assert (connected.kind, connected.state, connected.technicians) == ("demo", "connected", 1)
    assert connected.name
    world.provider.failures["technicians"] = ProviderUnauthorized("The credentials were refused.")
    refused = check("acme")
    assert (refused.state, refused.detail) == ("unauthorized", "The credentials were refused.")
    world.provider.failures["technicians"] = ProviderUnavailable("Timed out.")
    down = check("acme")
    assert (down.state, down.detail, down.technicians) == ("unavailable", "Timed out.", 0)
