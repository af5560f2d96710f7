"""Contacts: FakeContacts and DynamoContacts keep the same promises."""

from __future__ import annotations

from typing import Any

import pytest

from reschedule_dispatch.adapters.dynamodb_contacts import DynamoContacts
from tests.builders import NOW
from tests.fakes import FakeContacts

PHONE = "+13125550142"


@pytest.fixture(params=["fake", "dynamodb"])
def contacts(request: pytest.FixtureRequest) -> Any:
    if request.param == "fake":
        return FakeContacts()
    return DynamoContacts(request.getfixturevalue("tables").app)


def test_an_opt_out_is_per_business_and_number_until_the_opt_in(contacts):
    assert not contacts.is_opted_out("acme", PHONE)
    contacts.opt_out("acme", PHONE, NOW, "replied STOP")
    contacts.opt_out("acme", PHONE, NOW, "Twilio 21610")  # again: still opted out
    assert contacts.is_opted_out("acme", PHONE)
    assert not contacts.is_opted_out("other", PHONE)
    assert not contacts.is_opted_out("acme", "+13125550143")
    contacts.opt_in("acme", PHONE)
    contacts.opt_in("acme", PHONE)  # again: nothing to remove, no error
    assert not contacts.is_opted_out("acme", PHONE)


def test_the_latest_session_texted_to_a_number_replaces_the_one_before(contacts):
    assert contacts.latest_session("acme", PHONE) is None
    contacts.remember_session("acme", PHONE, "s1")
    contacts.remember_session("acme", PHONE, "s2")
    assert contacts.latest_session("acme", PHONE) == "s2"
    assert contacts.latest_session("other", PHONE) is None
