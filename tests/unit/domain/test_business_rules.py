"""A business's rules as its scheduling provider can honour them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reschedule_dispatch.domain.business import Business, BusinessSettings, ProviderConnection
from reschedule_dispatch.domain.errors import Unprocessable
from reschedule_dispatch.services.business_settings import UpdateSettings
from tests.builders import business

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:reschedule-dispatch/providers/x"


def _on(kind: str, change: bool) -> Business:
    connection = ProviderConnection(kind=kind, secret_arn=None if kind == "demo" else ARN)
    return business(settings=BusinessSettings(allow_technician_change=change), provider=connection)


@pytest.mark.parametrize("kind", ["demo", "google_calendar", "servicetitan"])
def test_a_provider_that_moves_between_technicians_keeps_the_setting(kind):
    assert _on(kind, True).rules.allow_technician_change is True
    assert _on(kind, False).rules.allow_technician_change is False


def test_outlook_offers_no_technician_change_whatever_was_set():
    outlook = _on("microsoft_graph", True)
    assert outlook.settings.allow_technician_change is True  # as stored
    assert outlook.rules.allow_technician_change is False  # as offered and checked
    assert outlook.rules.model_dump(exclude={"allow_technician_change"}) == (
        outlook.settings.model_dump(exclude={"allow_technician_change"})
    )


class Directory:
    def __init__(self, stored: Business) -> None:
        self.stored = stored
        self.puts = 0

    def get(self, business_id: str, *, fresh: bool = False) -> Business:
        return self.stored

    def put(self, updated: Business) -> None:
        self.puts += 1
        self.stored = updated

    def by_phone(self, phone: str) -> Any:
        raise NotImplementedError

    def update(self, business_id: str, change: Callable[[Business], Business]) -> Business:
        self.put(change(self.stored))
        return self.stored


def test_turning_technician_change_on_for_outlook_is_refused_and_nothing_written():
    directory = Directory(_on("microsoft_graph", False))
    with pytest.raises(Unprocessable, match="Microsoft Outlook cannot move an appointment"):
        UpdateSettings(businesses=directory)("acme", {"allow_technician_change": True})
    assert directory.puts == 0
    # other settings still save
    UpdateSettings(businesses=directory)("acme", {"max_openings": 6})
    assert (directory.puts, directory.stored.settings.max_openings) == (1, 6)


def test_turning_it_on_for_google_saves():
    directory = Directory(_on("google_calendar", False))
    UpdateSettings(businesses=directory)("acme", {"allow_technician_change": True})
    assert directory.stored.settings.allow_technician_change is True


def test_an_outlook_business_that_had_it_on_can_still_save_other_settings():
    directory = Directory(_on("microsoft_graph", True))  # stored before the rule existed
    saved = UpdateSettings(businesses=directory)(
        "acme",
        {"allow_technician_change": True, "max_openings": 8},  # the whole form, as sent
    )
    assert saved.max_openings == 8
    assert directory.stored.rules.allow_technician_change is False  # still never offered
