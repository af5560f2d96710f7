from __future__ import annotations

import copy
from datetime import date

import pytest
from pydantic import ValidationError

from local.demo_data import demo_seed
from local.seed import Seed, load

DEMO = demo_seed(date(2026, 11, 23))


def test_the_demo_data_is_valid_and_no_customer_has_the_business_number():
    seed = Seed.model_validate(DEMO)
    for business in seed.businesses:
        phones = {c.phone for c in business.customers}
        assert business.phone not in phones
        assert len(phones) == len(business.customers)


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("settings", {"link_ttl_hourz": 5}),  # a typo in a setting
        ("home_base", {"altitude": 3}),  # an unknown field in a place
    ],
)
def test_unknown_fields_are_refused_at_every_level(where, change):
    bad = copy.deepcopy(DEMO)
    business = bad["businesses"][0]
    if where == "settings":
        business["settings"] = change
    else:
        business["technicians"][0]["home_base"].update(change)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Seed.model_validate(bad)


def test_an_appointment_ending_before_it_starts_is_refused_before_anything_is_written():
    bad = copy.deepcopy(DEMO)
    appointment = bad["businesses"][1]["appointments"][0]
    appointment["start"], appointment["end"] = appointment["end"], appointment["start"]
    # Validation happens here, in the model, not halfway through writing the tables
    with pytest.raises(ValidationError, match="must end after it starts"):
        Seed.model_validate(bad)


def test_businesses_on_a_real_provider_are_refused_without_its_fake_before_anything_is_written():
    class Untouchable:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"{name} called: something was written")

    seed = Seed.model_validate(DEMO)
    assert {b.provider for b in seed.businesses} == {
        "demo",
        "google_calendar",
        "microsoft_graph",
        "servicetitan",
    }
    with pytest.raises(ValueError, match="lakeside-electric, harbor-appliance, summit-home"):
        load(seed, Untouchable(), Untouchable())
