from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reschedule_dispatch.domain.links import (
    REDACTED,
    is_well_formed,
    link_url,
    new_token,
    token_hash,
)
from reschedule_dispatch.domain.messages import (
    count_segments,
    format_time,
    mask_private,
    render_template,
    with_link,
)


def test_tokens_carry_at_least_128_bits_and_differ():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        # 43 URL-safe base64 characters = 256 bits
        assert is_well_formed(token)
        assert len(token) * 6 >= 128


def test_only_the_sha256_of_a_token_is_kept():
    token = new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in token_hash(token)


@given(st.text(max_size=60) | st.from_regex(r"[A-Za-z0-9_-]{40,46}", fullmatch=True))
def test_malformed_tokens_are_rejected_before_any_lookup(text):
    # Exactly 43 URL-safe base64 characters, ASCII only, and nothing else
    assert is_well_formed(text) == bool(re.fullmatch(r"[A-Za-z0-9_-]{43}", text, re.ASCII))


def test_token_shape_examples():
    assert is_well_formed("A" * 43)
    assert is_well_formed("a-_9" * 10 + "xyz")
    for bad in ("A" * 42, "A" * 44, "A" * 42 + "=", "A" * 42 + "é", "../" + "A" * 40, ""):
        assert not is_well_formed(bad), bad


def test_link_url_joins_base_and_token():
    assert link_url("https://x.example/prod/", "abc") == "https://x.example/prod/r/abc"


def test_times_read_in_the_business_time_zone():
    moment = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert format_time(moment, ZoneInfo("America/Chicago")) == "Wed, Dec 2 at 9:00 AM"
    assert format_time(moment, ZoneInfo("America/Los_Angeles")) == "Wed, Dec 2 at 7:00 AM"


def test_template_fills_placeholders_and_keeps_unknown_ones():
    text = render_template("Hi {customer_first_name}, {mystery}!", {"customer_first_name": "Ana"})
    assert text == "Hi Ana, {mystery}!"


@given(st.text(max_size=200))
def test_the_link_is_always_at_the_end(text):
    link = "https://x.example/r/" + "a" * 43
    result = with_link(text, link)
    assert result.endswith(link)
    assert result.count(link) >= 1


def test_a_stray_brace_is_sent_as_typed():
    assert render_template("Save 10% {today", {}) == "Save 10% {today"
    assert render_template("a } b", {}) == "a } b"


def test_times_and_days_read_in_spanish():
    from reschedule_dispatch.domain.messages import format_day

    moment = datetime(2026, 12, 2, 21, 5, tzinfo=UTC)  # 3:05 PM in Chicago
    assert format_time(moment, ZoneInfo("America/Chicago"), "es") == "mié 2 dic a las 15:05"
    assert format_time(moment, ZoneInfo("America/Chicago"), "en") == "Wed, Dec 2 at 3:05 PM"
    assert format_day(moment, "es") == "miércoles 2 de diciembre"
    assert format_day(moment, "en") == "Wednesday, December 2"
    # An unknown language falls back to English rather than failing
    assert format_time(moment, ZoneInfo("America/Chicago"), "fr").startswith("Wed")


def test_midnight_and_noon_in_english():
    zone = ZoneInfo("UTC")
    assert format_time(datetime(2026, 12, 2, 0, 0, tzinfo=UTC), zone).endswith("12:00 AM")
    assert format_time(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), zone).endswith("12:00 PM")


def test_segments_follow_gsm7_and_ucs2_rules():
    from reschedule_dispatch.domain.messages import count_segments, sms_encoding

    assert (sms_encoding("Hola ¿qué tal?"), count_segments("a" * 160)) == ("GSM-7", 1)
    assert count_segments("a" * 161) == 2
    assert count_segments("€" * 80) == 1  # extension characters count twice: 160 septets
    assert count_segments("€" * 81) == 2
    assert (sms_encoding("sábado"), count_segments("á" * 70)) == ("UCS-2", 1)
    assert count_segments("á" * 71) == 2


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        pytest.param("a" * 160, 1, id="GSM-7 single"),
        pytest.param("a" * 161, 2, id="GSM-7 multipart"),
        pytest.param("a" * 306, 2, id="GSM-7 two full parts"),
        pytest.param("a" * 307, 3, id="GSM-7 three parts"),
        pytest.param("€" * 80, 1, id="extension chars count two"),
        pytest.param("€" * 81, 2, id="extension chars overflow"),
        pytest.param("a" * 152 + "€" + "a" * 152, 3, id="escape never split"),
        pytest.param("你" * 70, 1, id="UCS-2 single"),
        pytest.param("你" * 71, 2, id="UCS-2 multipart"),
        pytest.param("你" * 135, 3, id="UCS-2 three parts"),
        pytest.param("😀" * 35, 1, id="surrogate pairs count two"),
        pytest.param("a" * 66 + "😀" + "a" * 66, 3, id="surrogate pair never split"),
    ],
)
def test_count_segments_follows_gsm7_and_ucs2_rules(body, segments):
    # Given a body / When counted / Then the segments Twilio would bill
    assert count_segments(body) == segments


def test_a_log_line_keeps_no_phone_number_or_link_token():
    token = new_token()
    line = (
        f'{{"message": "GET /r/{token}/confirm from +13125550142", '
        f'"cause": "link https://x.example/prod/r/{token}?slot=1 and {token}", '
        '"path": "/r/not-a-real-token"}'
    )
    masked = mask_private(line)
    assert token not in masked
    assert "+13125550142" not in masked
    assert "not-a-real-token" not in masked
    assert masked.count("/r/" + REDACTED) == 3
    assert "+1312•••0142" in masked  # numbers stay distinguishable
    json.loads(masked)  # a JSON line stays JSON


def test_masking_leaves_other_identifiers_alone():
    ids = "session 72135169392d4e1eba58cffa617b619b SM" + "0" * 32 + " " + "a" * 64
    assert mask_private(ids) == ids


def test_the_mask_reads_percent_encoded_numbers_and_tokens():
    token = "A" * 20 + "b" * 23
    line = f"To=%2B13125550142&From=%2b13125550100 url=/r%2F{token} q=%3D{token}"
    masked = mask_private(line)
    assert "3125550142" not in masked
    assert "5550100" not in masked
    assert "%2B1312•••0142" in masked
    assert token not in masked
