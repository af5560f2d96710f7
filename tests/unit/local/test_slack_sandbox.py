"""The local Slack sandbox, over real HTTP: chat.postMessage as Slack answers it, the store,
the dev pages and the mrkdwn rendering they use."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from local.slack_sandbox import (
    BOT_ID,
    SlackSandbox,
    channel_id,
    mrkdwn_to_html,
    render_blocks,
    slack_unescape,
)
from reschedule_dispatch.adapters.slack_notifier import SlackNotifier
from tests.serving import serve

TOKEN = "xoxb-sandbox-token"
TS = re.compile(r"\d{10}\.\d{6}")
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Completed*"}}


@pytest.fixture
def sandbox() -> SlackSandbox:
    return SlackSandbox(TOKEN)


@pytest.fixture
def post(base_url: str) -> Callable[..., requests.Response]:
    """POST chat.postMessage as JSON with a charset, the way the notifier does."""

    def post(arguments: dict[str, Any], token: str | None = TOKEN) -> requests.Response:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(
            f"{base_url}/slack/api/chat.postMessage",
            data=json.dumps(arguments),
            headers=headers,
            timeout=5,
        )

    return post


def say(app: Client, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
    """Post through the WSGI app directly (no server needed); return the ts."""
    arguments: dict[str, Any] = {"channel": channel, "text": text}
    if blocks is not None:
        arguments["blocks"] = blocks
    response = app.post(
        "/slack/api/chat.postMessage",
        json=arguments,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    body = response.json
    assert body is not None
    assert body["ok"], body
    return str(body["ts"])


# -- chat.postMessage ---------------------------------------------------------------------------


def test_post_answers_like_slack_with_the_channels_id(sandbox, post):
    # Given a channel named by its #name
    # When a message with blocks is posted
    response = post({"channel": "#ops", "text": "Done", "blocks": [SECTION]})

    # Then Slack's answer comes back: ok, the channel's id, a ts, the message
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["channel"] == channel_id("#ops")
    assert re.fullmatch(r"C[0-9A-F]{10}", body["channel"])
    assert TS.fullmatch(body["ts"])
    message = body["message"]
    assert (message["type"], message["ts"], message["bot_id"]) == ("message", body["ts"], BOT_ID)
    assert (message["text"], message["blocks"]) == ("Done", [SECTION])
    assert "warning" not in body
    # And the post is stored under both the id and the name
    [stored] = sandbox.posts()
    assert (stored["channel"], stored["channel_name"]) == (body["channel"], "#ops")
    assert (stored["ts"], stored["text"], stored["blocks"]) == (body["ts"], "Done", [SECTION])
    assert stored["warnings"] == []


def test_channel_ids_are_stable_and_case_blind_for_names():
    # Given one channel written three ways / When its id is derived / Then it is the same
    assert channel_id("#Ops") == channel_id("ops") == channel_id("#ops")
    assert channel_id("#ops") != channel_id("#dispatch")


def test_a_channel_id_is_answered_as_it_is(post):
    # Given a channel id rather than a name
    # When it is posted to / Then the answer names that id
    assert post({"channel": "C0123456789", "text": "hi"}).json()["channel"] == "C0123456789"


def test_form_bodies_take_the_token_and_blocks_as_fields(sandbox, base_url):
    # Given a form-encoded post, the token a field and the blocks a JSON string
    form = {"token": TOKEN, "channel": "#ops", "text": "hi", "blocks": json.dumps([SECTION])}

    # When it is posted
    body = requests.post(f"{base_url}/slack/api/chat.postMessage", data=form, timeout=5).json()

    # Then it is accepted as Slack accepts it
    assert body["ok"] is True
    assert sandbox.posts()[0]["blocks"] == [SECTION]


def test_json_without_a_charset_is_posted_with_slacks_warning(sandbox, base_url):
    # Given a JSON body whose Content-Type has no charset
    response = requests.post(
        f"{base_url}/slack/api/chat.postMessage",
        data=json.dumps({"channel": "#ops", "text": "hi"}),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=5,
    )

    # Then it is posted, with the missing_charset warning in the answer and the store
    body = response.json()
    assert body["ok"] is True
    assert body["warning"] == "missing_charset"
    assert body["response_metadata"] == {"warnings": ["missing_charset"]}
    assert sandbox.posts()[0]["warnings"] == ["missing_charset"]


@pytest.mark.parametrize(
    ("token", "error"), [(None, "not_authed"), ("", "not_authed"), ("xoxb-wrong", "invalid_auth")]
)
def test_a_missing_or_wrong_token_is_refused(sandbox, post, token, error):
    # Given no token, an empty one, or a wrong one
    # When a message is posted
    response = post({"channel": "#ops", "text": "hi"}, token=token)

    # Then Slack's error comes back with HTTP 200, and nothing is posted
    assert response.status_code == 200
    assert response.json() == {"ok": False, "error": error}
    assert sandbox.posts() == []


@pytest.mark.parametrize("channel", ["ops", "#Bad Name", "general", "U012345678", "", None, 42])
def test_unknown_channels_are_channel_not_found(sandbox, post, channel):
    # Given a channel that is neither a #name nor an id (or none at all)
    # When it is posted to / Then it is not found
    assert post({"channel": channel, "text": "hi"}).json() == {
        "ok": False,
        "error": "channel_not_found",
    }
    assert sandbox.posts() == []


def test_a_channel_list_limits_the_channels_that_exist():
    # Given a workspace with only #ops and one channel id
    sandbox = SlackSandbox(TOKEN, channels={"#Ops", "C0000000001"})
    app = Client(sandbox)

    def error(channel: str) -> object:
        response = app.post(
            "/slack/api/chat.postMessage",
            json={"channel": channel, "text": "hi"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        return (response.json or {}).get("error")

    # When each is posted to / Then only the listed ones exist, named in any form
    assert error("#ops") is None
    assert error("ops") is None
    assert error("C0000000001") is None
    assert error("#dispatch") == "channel_not_found"
    assert error("C0000000002") == "channel_not_found"
    assert len(sandbox.posts()) == 3


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "#ops"}, "no_text"),
        ({"channel": "#ops", "text": "   "}, "no_text"),
        ({"channel": "#ops", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "#ops", "text": "x", "blocks": {"type": "section"}}, "invalid_blocks_format"),
        ({"channel": "#ops", "text": "x", "blocks": ["section"]}, "invalid_blocks_format"),
    ],
)
def test_bad_messages_are_refused(sandbox, post, arguments, error):
    # Given a message Slack would refuse / When posted / Then Slack's error, nothing posted
    assert post(arguments).json() == {"ok": False, "error": error}
    assert sandbox.posts() == []


def test_forty_thousand_characters_are_still_allowed(post):
    # Given a text exactly at Slack's limit / When posted / Then it is accepted
    assert post({"channel": "#ops", "text": "x" * 40_000}).json()["ok"] is True


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}, "/blocks/0/text/text"),
        ({"type": "section", "text": {"type": "markdown", "text": "x"}}, "/blocks/0/text"),
        ({"type": "section"}, "must provide text or fields"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}, "/blocks/0/fields/0/text"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}, "/blocks/0/fields"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}, "plain_text"),
        ({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, "less than 151"),
        ({"type": "context", "elements": []}, "/blocks/0/elements"),
        ({"type": "context", "elements": [{"type": "mrkdwn", "text": ""}]}, "more than 0"),
        ({"type": "actions", "elements": []}, "/blocks/0/elements"),
        ({"type": "image", "image_url": "https://x.test/a.png"}, "alt_text"),
        ({"type": "carousel"}, "unsupported type `carousel`"),
    ],
)  # fmt: skip
def test_blocks_that_break_block_kit_rules_are_invalid_blocks(sandbox, post, block, problem):
    # Given one block that breaks a rule
    # When it is posted
    body = post({"channel": "#ops", "text": "x", "blocks": [block]}).json()

    # Then the answer is invalid_blocks with the problem spelled out, as Slack does
    assert (body["ok"], body["error"]) == (False, "invalid_blocks")
    assert problem in body["errors"][0]
    assert body["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert sandbox.posts() == []


def test_more_than_fifty_blocks_are_invalid(post):
    # Given 51 valid blocks / When posted / Then Slack's limit applies
    body = post({"channel": "#ops", "text": "x", "blocks": [{"type": "divider"}] * 51}).json()
    assert body["error"] == "invalid_blocks"
    assert "no more than 50 items" in body["errors"][0]


def test_a_body_that_is_not_json_is_invalid_json(base_url):
    # Given a JSON content type with a broken body
    response = requests.post(
        f"{base_url}/slack/api/chat.postMessage",
        data="{nope",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=5,
    )

    # Then it is Slack's invalid_json
    assert response.json() == {"ok": False, "error": "invalid_json"}


def test_unknown_methods_and_get_are_refused(base_url):
    # Given the API mounted at /slack
    # When another method and a GET are tried
    unknown = requests.post(f"{base_url}/slack/api/chat.delete", timeout=5)
    wrong_verb = requests.get(f"{base_url}/slack/api/chat.postMessage", timeout=5)

    # Then the unknown method is a 404 unknown_method, the GET a 405
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_method")
    assert wrong_verb.status_code == 405


def test_fail_next_ratelimited_answers_429_with_retry_after_then_recovers(sandbox, post):
    # Given two armed rate limits
    sandbox.fail_next("ratelimited", count=2, retry_after=30)

    # When three messages are posted
    first, second, third = (post({"channel": "#ops", "text": str(i)}) for i in range(3))

    # Then two are 429s with Retry-After, the third is posted
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.json() == {"ok": False, "error": "ratelimited"}
    assert first.headers["Retry-After"] == "30"
    assert [p["text"] for p in sandbox.posts()] == ["2"]


def test_fail_next_defaults_match_slack(sandbox, post):
    # Given a rate limit without a delay, an HTTP 200 error, and a 503
    sandbox.fail_next("ratelimited")
    sandbox.fail_next("not_in_channel")
    sandbox.fail_next("service_unavailable", status=503)

    # When three messages are posted
    limited, refused, down = (post({"channel": "#ops", "text": "x"}) for _ in range(3))

    # Then chat.postMessage's Retry-After of 1, an ok:false 200, and an HTML 503
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "1")
    assert (refused.status_code, refused.json()["error"]) == (200, "not_in_channel")
    assert down.status_code == 503
    assert down.headers["Content-Type"].startswith("text/html")


def test_fail_next_is_only_spent_by_authenticated_calls(sandbox, post):
    # Given an armed failure
    sandbox.fail_next("internal_error")

    # When a call with a wrong token comes first, then a real one
    refused, failed = (
        post({"channel": "#ops", "text": "x"}, token="xoxb-wrong"),
        post({"channel": "#ops", "text": "x"}),
    )

    # Then the wrong token is invalid_auth and the real call gets the failure
    assert refused.json()["error"] == "invalid_auth"
    assert failed.json()["error"] == "internal_error"


def test_concurrent_posts_get_distinct_increasing_ts(sandbox, base_url):
    # Given one notifier shared by twenty threads
    notifier = SlackNotifier(TOKEN, f"{base_url}/slack")
    stamps: list[str] = []

    def one(index: int) -> None:
        stamps.append(notifier.notify("#ops", f"post {index}"))

    # When they all post at once
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then every post is stored once, and ts order is store order (ts is a message id)
    stored = [p["ts"] for p in sandbox.posts()]
    assert len(set(stamps)) == 20
    assert sorted(stamps) == sorted(stored)
    assert stored == sorted(stored, key=lambda ts: tuple(map(int, ts.split("."))))


def test_posts_in_the_same_microsecond_still_get_distinct_increasing_ts(sandbox, app):
    # Given a clock that stands still
    sandbox.clock = lambda: datetime.fromtimestamp(1_750_000_000.123456, UTC)

    # When two messages are posted
    first, second = say(app, "#ops", "one"), say(app, "#ops", "two")

    # Then each still has its own ts, in order (ts identifies a message)
    assert (first, second) == ("1750000000.123456", "1750000000.123457")


# -- Python API and dev pages -------------------------------------------------------------------


def test_posts_filter_by_id_or_name_and_reset_forgets(sandbox, app):
    # Given posts to two channels and an armed failure
    say(app, "#ops", "one")
    say(app, "#dispatch", "two")
    say(app, channel_id("#ops"), "three")
    sandbox.fail_next("internal_error")

    # When they are read back by channel, written three ways
    # Then each way finds #ops's posts, oldest first
    for channel in ("#ops", "ops", channel_id("#ops")):
        assert [p["text"] for p in sandbox.posts(channel)] == ["one", "three"]
    assert len(sandbox.posts()) == 3
    # And reset forgets the posts and the armed failure
    sandbox.reset()
    assert sandbox.posts() == []
    say(app, "#ops", "after reset")


def test_dev_slack_lists_a_channels_posts_as_json(app):
    # Given posts to two channels
    say(app, "#ops", "one", [SECTION])
    say(app, "#dispatch", "two")
    say(app, "#ops", "three")

    # When /dev/slack is asked for one channel, "#" encoded or left out (a raw # is a fragment)
    encoded = app.get("/dev/slack?channel=%23ops").json
    bare = app.get("/dev/slack?channel=ops").json
    everything = app.get("/dev/slack").json

    # Then that channel's posts come back oldest first, with the fields tests rely on
    assert encoded is not None
    assert everything is not None
    assert [p["text"] for p in encoded] == ["one", "three"]
    assert bare == encoded
    assert [p["text"] for p in everything] == ["one", "two", "three"]
    assert {"channel", "channel_name", "ts", "text", "blocks"} <= set(encoded[0])
    assert encoded[0]["blocks"] == [SECTION]


def test_dev_slack_page_renders_blocks_safely(app):
    # Given a post whose escaped mrkdwn holds markup, a mention and a link
    mrkdwn = (
        "*Done* for &lt;script&gt;x()&lt;/script&gt; &amp; co. &lt;!channel&gt; "
        "<https://console.test/s/1?a=1&amp;b=2|Open in console>"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "<i>Header</i>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}},
        {"type": "context", "elements": [{"type": "plain_text", "text": "<b>ctx</b>"}]},
    ]
    say(app, "#ops", "fallback <b>", blocks)

    # When the page is rendered
    response = app.get("/dev/slack/page")
    page = response.get_data(as_text=True)

    # Then Slack's formatting shows, and nothing from the post is live markup
    assert response.content_type.startswith("text/html")
    assert "<strong>Done</strong>" in page
    assert "&lt;script&gt;x()&lt;/script&gt; &amp; co. &lt;!channel&gt;" in page
    assert "<script>" not in page
    assert (
        '<a href="https://console.test/s/1?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">Open in console</a>'
    ) in page
    assert '<h3 class="header">&lt;i&gt;Header&lt;/i&gt;</h3>' in page
    assert "&lt;b&gt;ctx&lt;/b&gt;" in page
    assert "Notification: fallback &lt;b&gt;" in page
    assert f'data-channel="{channel_id("#ops")}"' in page
    assert "<h2>#ops</h2>" in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_dev_slack_page_filters_and_has_an_empty_state(app):
    # Given posts to two channels
    say(app, "#ops", "for ops")
    say(app, "#dispatch", "for dispatch")

    # When the page is asked for one channel, and for a quiet one
    ops = app.get("/dev/slack/page?channel=ops").get_data(as_text=True)
    quiet = app.get("/dev/slack/page?channel=quiet").get_data(as_text=True)

    # Then only that channel shows, and the quiet one says so
    assert "for ops" in ops
    assert "for dispatch" not in ops
    assert 'href="/dev/slack/page">All channels' in ops
    assert "No posts yet in quiet." in quiet
    assert 'class="channel"' not in quiet


# -- Rendering ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mrkdwn", "expected"),
    [
        ("a &amp; b &lt;i&gt;", "a &amp; b &lt;i&gt;"),
        ("*bold* _it_ ~gone~ `co*de`", "<strong>bold</strong> <em>it</em> <s>gone</s> <code>co*de</code>"),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        ("<https://a.test/?q=1&amp;r=2>", '<a href="https://a.test/?q=1&amp;r=2" target="_blank" rel="noopener noreferrer">https://a.test/?q=1&amp;r=2</a>'),
        ('<https://a.test/"x|say "hi">', '<a href="https://a.test/&quot;x" target="_blank" rel="noopener noreferrer">say &quot;hi&quot;</a>'),
        ("<mailto:a@b.test|mail us>", '<a href="mailto:a@b.test" target="_blank" rel="noopener noreferrer">mail us</a>'),
        ("<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"),
        ("<!here> <!channel> <!subteam^S1|@crew>", '<span class="mention">@here</span> <span class="mention">@channel</span> <span class="mention">@crew</span>'),
        ("<@U123> <#C123|ops>", '<span class="mention">@U123</span> <span class="mention">#ops</span>'),
    ],
)  # fmt: skip
def test_mrkdwn_to_html_renders_slacks_syntax_and_nothing_else(mrkdwn, expected):
    # Given mrkdwn / When rendered / Then Slack's meaning, with only the sandbox's own tags
    assert mrkdwn_to_html(mrkdwn) == expected


def test_slack_unescape_reverses_exactly_one_level():
    # Given a text that mentions an entity literally (escaped once more)
    # When unescaped / Then the literal entity stays
    assert slack_unescape("&amp;lt; &lt;b&gt; &amp;amp;") == "&lt; <b> &amp;"


def test_render_blocks_shows_buttons_as_links_only_for_web_urls():
    # Given an actions block with a web link, a script link and a plain button
    blocks: list[dict[str, Any]] = [
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": "https://c.test/1"},
                {"type": "button", "text": {"type": "plain_text", "text": "Bad"}, "url": "javascript:x()"},
                {"type": "button", "text": {"type": "plain_text", "text": "<Act>"}, "action_id": "a"},
            ],
        },
        {"type": "image", "image_url": "https://c.test/i.png", "alt_text": "<map>"},
        {"type": "divider"},
    ]  # fmt: skip

    # When rendered
    rendered = render_blocks(blocks)

    # Then only the web link is a link, labels are escaped, and the image is its alt text
    assert rendered.count("<a ") == 1
    assert 'href="https://c.test/1"' in rendered
    assert "javascript:" not in rendered
    assert '<span class="button">&lt;Act&gt;</span>' in rendered
    assert "[&lt;map&gt;]" in rendered
    assert "https://c.test/i.png" not in rendered
    assert rendered.endswith("<hr>")


# -- Mounting -----------------------------------------------------------------------------------


def test_handles_its_api_and_dev_paths_only():
    # Given a sandbox mounted at other prefixes
    sandbox = SlackSandbox(TOKEN, prefix="/fake-slack/", dev_prefix="/devtools")

    # When a gateway asks / Then it claims its own paths and nothing else
    assert sandbox.handles("/fake-slack/api/chat.postMessage")
    assert sandbox.handles("/devtools/slack")
    assert sandbox.handles("/devtools/slack/page")
    assert not sandbox.handles("/slack/api/chat.postMessage")
    assert not sandbox.handles("/dev/slack")
    assert not sandbox.handles("/devtools/slack/other")


def test_custom_prefix_is_where_the_api_lives():
    # Given a sandbox mounted at another prefix
    sandbox = SlackSandbox(TOKEN, prefix="/fake-slack")
    with serve(sandbox) as url:
        # When the notifier posts through it, and something asks the default prefix
        ts = SlackNotifier(TOKEN, f"{url}/fake-slack").notify("#ops", "hi")
        missing = requests.post(f"{url}/slack/api/chat.postMessage", timeout=5)

    # Then the post lands, and the default prefix is unknown
    assert sandbox.posts()[0]["ts"] == ts
    assert missing.status_code == 404


def test_works_behind_dispatcher_middleware(sandbox, mounted_app):
    # Given a gateway that mounts the sandbox with SCRIPT_NAME=/slack (mounted_app)
    # When a message is posted through the mount
    response = mounted_app.post(
        "/slack/api/chat.postMessage",
        json={"channel": "#ops", "text": "via mount"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )

    # Then the sandbox sees the full path and posts it
    assert response.json is not None
    assert response.json["ok"] is True
    assert sandbox.posts()[0]["text"] == "via mount"
