"""The handlers' settings readers: each field from the variable of its name, as pydantic-settings
read them before (any case, defaults, set-but-empty wins, missing required is an error)."""

from __future__ import annotations

import pytest

from reschedule_dispatch import wiring
from reschedule_dispatch.environment import EnvSettings, MissingSettings


class Base(EnvSettings):
    table_name: str


class Mixin(EnvSettings):
    base_url: str | None = None
    console_url: str = ""


class Combined(Base, Mixin):
    group_name: str


def test_reads_each_field_from_its_variable_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "app")
    monkeypatch.setenv("group_name", "schedules")
    monkeypatch.setenv("Base_Url", "http://127.0.0.1:9")

    settings = Combined()

    assert settings.table_name == "app"
    assert settings.group_name == "schedules"
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.console_url == ""


def test_defaults_when_unset_and_an_empty_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("CONSOLE_URL", "")
    monkeypatch.setenv("TABLE_NAME", "app")
    monkeypatch.setenv("GROUP_NAME", "g")

    settings = Combined()

    assert settings.base_url is None
    assert settings.console_url == ""


def test_a_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "app")
    monkeypatch.delenv("GROUP_NAME", raising=False)

    with pytest.raises(MissingSettings, match=r"Combined: .*GROUP_NAME"):
        Combined()


def test_a_field_that_is_not_a_string_is_refused() -> None:
    class Counted(EnvSettings):
        retries: int = 3

    with pytest.raises(TypeError, match=r"Counted\.retries"):
        Counted()


@pytest.mark.parametrize(
    "settings",
    [
        wiring.AppEnv,
        wiring.ProviderEnv,
        wiring.TwilioEnv,
        wiring.EmailEnv,
        wiring.SlackEnv,
        wiring.CompensateEnv,
        wiring.SendLinkEnv,
        wiring.DispatcherEnv,
        wiring.PortalEnv,
        wiring.FinalizeEnv,
        wiring.SessionActionsEnv,
        wiring.WebhooksEnv,
    ],
)
def test_every_handler_settings_class_reads_its_variables(
    settings: type[EnvSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = settings._settings_fields()
    for name in fields:
        monkeypatch.setenv(name.upper(), f"value of {name}")

    read = settings()

    assert fields
    assert {name: getattr(read, name) for name in fields} == {
        name: f"value of {name}" for name in fields
    }
