"""The handlers' settings readers: each field from the variable of its name, as pydantic-settings
read them before (any case, defaults, set-but-empty wins, missing required is an error)."""

from __future__ import annotations

import pytest

from reschedule_dispatch.composition import settings as function_settings
from reschedule_dispatch.environment import EnvSettings, MissingSettings


class Base(EnvSettings):
    table_name: str


class Mixin(EnvSettings):
    base_url: str | None = None
    console_url: str = ""
    reply_to: str = "ops@example.com"  # a default an empty variable must override


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
    monkeypatch.setenv("REPLY_TO", "")
    monkeypatch.setenv("TABLE_NAME", "app")
    monkeypatch.setenv("GROUP_NAME", "g")

    settings = Combined()

    assert settings.base_url is None
    assert settings.console_url == ""
    assert settings.reply_to == ""


def test_a_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "app")
    monkeypatch.delenv("GROUP_NAME", raising=False)

    with pytest.raises(MissingSettings, match=r"Combined: .*GROUP_NAME"):
        Combined()


def test_a_field_that_is_neither_text_nor_a_whole_number_is_refused() -> None:
    class Weighted(EnvSettings):
        ratio: float = 0.5

    with pytest.raises(TypeError, match=r"Weighted\.ratio"):
        Weighted()


def test_a_whole_number_is_read_as_one_and_a_bad_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Counted(EnvSettings):
        retries: int = 3

    assert Counted().retries == 3
    monkeypatch.setenv("RETRIES", "7")
    assert Counted().retries == 7
    monkeypatch.setenv("RETRIES", "seven")
    with pytest.raises(MissingSettings, match="RETRIES is not a whole number"):
        Counted()


@pytest.mark.parametrize(
    "settings",
    [  # every function's settings model, so a new one is covered when it is written
        value
        for value in vars(function_settings).values()
        if isinstance(value, type)
        and issubclass(value, EnvSettings)
        and value.__module__ == function_settings.__name__
    ],
)
def test_every_handler_settings_class_reads_its_variables(
    settings: type[EnvSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = settings._settings_fields()
    given = {name: 42 if name in settings._whole_numbers else f"value of {name}" for name in fields}
    for name, value in given.items():
        monkeypatch.setenv(name.upper(), str(value))

    read = settings()

    assert fields
    assert {name: getattr(read, name) for name in fields} == given
