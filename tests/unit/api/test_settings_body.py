"""Every rule a business sets, through the settings API's body: the ranges, the quiet hours'
legal floor, and what a refusal says."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from reschedule_dispatch.api.models import SettingsBody
from reschedule_dispatch.domain.business import BusinessSettings, quiet_hours_problem
from reschedule_dispatch.domain.messages import next_allowed_time
from tests.builders import ZONE, business

STORED = SettingsBody.of(BusinessSettings()).model_dump(mode="json")


def body(**changes: object) -> SettingsBody:
    return SettingsBody.model_validate({**STORED, **changes})


def refusal(**changes: object) -> str:
    with pytest.raises(ValidationError) as refused:
        body(**changes)
    return str(refused.value)


def test_every_rule_of_the_settings_is_in_the_body_a_dispatcher_edits():
    editable = set(SettingsBody.model_fields)
    assert set(BusinessSettings.model_fields) <= editable


def test_the_defaults_round_trip_unchanged():
    assert body().model_dump(mode="json") == STORED


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("slot_minutes", 7, "multiple of 5"),
        ("slot_minutes", 0, "greater than or equal to 5"),
        ("buffer_minutes", 121, "less than or equal to 120"),
        ("horizon_days", 0, "greater than or equal to 1"),
        ("max_openings", 51, "less than or equal to 50"),
        ("drive_speed_kmh", 4, "greater than or equal to 5"),
        ("drive_detour_factor", 0.9, "greater than or equal to 1"),
        ("slack_channel", "not a channel!", "should match pattern"),
        ("slack_events", ["completed", "lost"], "'completed' or 'failed'"),
    ],
)
def test_a_value_out_of_its_range_is_refused_with_the_reason(field, value, says):
    assert says in refusal(**{field: value})


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("22:00", "08:00"),  # starts after 9 pm
        ("21:00", "07:30"),  # ends before 8 am
        ("09:00", "17:00"),  # a daytime window
        ("21:00", "21:00"),
    ],
)
def test_quiet_hours_shorter_than_the_law_allows_are_refused_with_the_law_named(start, end):
    says = refusal(quiet_hours_start=start, quiet_hours_end=end)
    assert "9:00 pm to 8:00 am" in says
    assert "quiet_hours_end" in says  # on the field the console shows it next to


def test_quiet_hours_may_be_longer_or_off_but_both_ends_go_together():
    assert body(quiet_hours_start="20:00", quiet_hours_end="09:30").quiet_hours_end == time(9, 30)
    off = body(quiet_hours_start=None, quiet_hours_end=None)
    assert off.quiet_hours_start is None
    assert off.quiet_hours_end is None
    with pytest.raises(ValidationError, match="together"):
        SettingsBody.model_validate({**STORED_NO_QUIET, "quiet_hours_end": "09:00"})
    assert "both" in refusal(quiet_hours_start=None, quiet_hours_end="08:00")


STORED_NO_QUIET = {k: v for k, v in STORED.items() if not k.startswith("quiet_hours")}


# Evening starts and morning ends, on the minute: about half of the pairs pass the floor.
EVENINGS = st.builds(time, st.integers(min_value=17, max_value=23), st.integers(0, 59))
MORNINGS = st.builds(time, st.integers(min_value=5, max_value=11), st.integers(0, 59))


@given(EVENINGS, MORNINGS, st.integers(min_value=0, max_value=11 * 60 - 1))
def test_quiet_hours_let_through_keep_every_minute_from_9_pm_to_8_am_quiet(start, end, minute):
    # Given quiet hours the floor lets through, and a minute of the lawful night
    if quiet_hours_problem(start, end) is not None:
        assert start > time(21, 0) or end < time(8, 0)  # refused only when shorter
        return
    settings = BusinessSettings(quiet_hours_start=start, quiet_hours_end=end)
    night = datetime.combine(date(2026, 12, 8), time(21, 0), tzinfo=ZoneInfo(ZONE))
    at = night + timedelta(minutes=minute)
    # Then the product's own check keeps texts back then
    assert next_allowed_time(business(settings=settings), at) is not None


def test_settings_stored_before_a_rule_existed_are_still_shown():
    narrow = BusinessSettings(quiet_hours_start=time(23, 0), quiet_hours_end=time(6, 0))
    shown = SettingsBody.of(narrow)
    assert shown.quiet_hours_start == time(23, 0)
