"""The Slack notifier against the local Slack sandbox over real HTTP: the post it makes,
every answer mapped to its domain error, and the message a session's outcome posts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from local.slack_sandbox import SlackSandbox, channel_id
from reschedule_dispatch.adapters.slack_notifier import (
    VALUE_LIMIT,
    SlackNotifier,
    session_outcome_message,
    slack_escape,
    slack_link,
)
from reschedule_dispatch.domain.errors import MessagingUnavailable, Unprocessable
from tests.serving import free_port, serve

TOKEN = "xoxb-sandbox-token"
CONSOLE_URL = "https://console.test/sessions/s-1?tab=timeline&x=1"


@pytest.fixture
def sandbox() -> SlackSandbox:
    return SlackSandbox(TOKEN)


@pytest.fixture
def base_url(sandbox: SlackSandbox) -> Iterator[str]:
    with serve(sandbox) as url:
        yield url


@pytest.fixture
def notifier(base_url: str) -> SlackNotifier:
    return SlackNotifier(TOKEN, api_base_url=f"{base_url}/slack/", timeout=2)


def outcome(**overrides: str | None) -> tuple[str, list[dict[str, Any]]]:
    values: dict[str, str | None] = {
        "business_name": "Northside Plumbing",
        "customer_name": "Casey Jones",
        "status_label": "Completed",
        "when_text": "Tue 3 Jun, 9:00-11:00",
        "reason": None,
        "console_url": CONSOLE_URL,
    }
    values.update(overrides)
    return session_outcome_message(**values)  # type: ignore[arg-type]


# -- Posting ------------------------------------------------------------------------------------


def test_notify_returns_the_ts_slack_answered_and_the_post_arrives(sandbox, notifier):
    # Given the notifier pointed at the sandbox
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Completed*"}}]

    # When it posts text and blocks to a channel by name
    ts = notifier.notify("#ops", "Completed", blocks)

    # Then the ts is the stored post's, and the post is what was sent, with a charset
    [post] = sandbox.posts("#ops")
    assert ts == post["ts"]
    assert (post["channel"], post["text"], post["blocks"]) == (
        channel_id("#ops"),
        "Completed",
        blocks,
    )
    assert post["warnings"] == []


def test_notify_without_blocks_posts_the_text_alone(sandbox, notifier):
    # Given no blocks / When posted / Then the text is the whole message
    notifier.notify("C0123456789", "Plain text")
    [post] = sandbox.posts("C0123456789")
    assert (post["text"], post["blocks"]) == ("Plain text", [])


def test_base_url_must_be_http():
    # Given a base URL with another scheme / When the notifier is built / Then it is refused
    with pytest.raises(ValueError, match="http"):
        SlackNotifier(TOKEN, "ftp://slack.test")


# -- Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("ops", "The Slack channel ops was not found."),
        ("#Not A Channel", "The Slack channel #Not A Channel was not found."),
    ],
)
def test_an_unknown_channel_is_unprocessable(sandbox, notifier, channel, message):
    # Given a channel Slack does not know
    # When posted to
    with pytest.raises(Unprocessable) as raised:
        notifier.notify(channel, "hi")

    # Then the channel is named, and nothing was posted
    assert str(raised.value) == message
    assert sandbox.posts() == []


@pytest.mark.parametrize(
    ("error", "message"),
    [
        ("not_in_channel", "The Slack app is not in #ops: invite it to the channel."),
        ("is_archived", "The Slack channel #ops is archived."),
    ],
)
def test_channel_problems_say_what_to_fix(sandbox, notifier, error, message):
    # Given Slack refusing the channel for a reason of its own
    sandbox.fail_next(error)

    # When posted to / Then the fix is named
    with pytest.raises(Unprocessable) as raised:
        notifier.notify("#ops", "hi")
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("text", "blocks", "error"),
    [
        ("", None, "no_text"),
        ("x" * 40_001, None, "msg_too_long"),
        ("x", [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "invalid_blocks"),
    ],
)  # fmt: skip
def test_messages_slack_refuses_are_unprocessable(sandbox, notifier, text, blocks, error):
    # Given a message Slack refuses
    # When posted
    with pytest.raises(Unprocessable) as raised:
        notifier.notify("#ops", text, blocks)

    # Then the error code is named, and nothing was posted
    assert str(raised.value) == f"Slack rejected the message ({error})."
    assert sandbox.posts() == []


@pytest.mark.parametrize(("token", "error"), [("xoxb-revoked", "invalid_auth"), ("", "not_authed")])
def test_a_bad_token_says_to_check_the_settings(base_url, token, error):
    # Given a notifier with a wrong or empty token
    notifier = SlackNotifier(token, f"{base_url}/slack")

    # When it posts
    with pytest.raises(MessagingUnavailable) as raised:
        notifier.notify("#ops", "hi")

    # Then the settings, not the moment, need attention
    assert (
        str(raised.value) == f"Slack refused the app's token ({error}). Check the Slack settings."
    )


@pytest.mark.parametrize("error", ["token_revoked", "missing_scope", "account_inactive"])
def test_other_token_errors_say_to_check_the_settings(sandbox, notifier, error):
    # Given Slack refusing the token after it worked before
    sandbox.fail_next(error)

    # When posted / Then it is a settings problem
    with pytest.raises(MessagingUnavailable, match=f"token \\({error}\\). Check the Slack"):
        notifier.notify("#ops", "hi")


def test_http_429_passes_retry_after_on(sandbox, notifier):
    # Given Slack rate limiting with Retry-After: 30
    sandbox.fail_next("ratelimited", retry_after=30)

    # When posted
    with pytest.raises(MessagingUnavailable) as raised:
        notifier.notify("#ops", "hi")

    # Then the delay is in the message, and the next post goes through
    assert str(raised.value) == "Slack is rate limiting messages. Try again in 30 seconds."
    assert notifier.notify("#ops", "hi")


def test_an_ok_false_rate_limit_without_a_delay_says_a_minute(sandbox, notifier):
    # Given the older rate_limited error at HTTP 200, without Retry-After
    sandbox.fail_next("rate_limited")

    # When posted / Then it still says when to try again
    with pytest.raises(MessagingUnavailable) as raised:
        notifier.notify("#ops", "hi")
    assert str(raised.value) == "Slack is rate limiting messages. Try again in a minute."


def test_an_http_429_without_retry_after_says_a_minute():
    # Given a 429 whose Retry-After is missing
    @Request.application
    def limited(request: Request) -> Response:
        return Response('{"ok": false, "error": "ratelimited"}', status=429)

    # When posted / Then it says when, roughly
    with serve(limited) as url, pytest.raises(MessagingUnavailable, match="Try again in a minute"):
        SlackNotifier(TOKEN, url).notify("#ops", "hi")


def test_an_http_429_that_is_not_slacks_json_still_passes_retry_after_on():
    # Given a proxy in front of Slack answering 429 with an empty body
    @Request.application
    def proxy(request: Request) -> Response:
        return Response(status=429, headers={"Retry-After": "7"})

    # When posted / Then the status and header alone say to wait 7 seconds
    with serve(proxy) as url, pytest.raises(MessagingUnavailable) as raised:
        SlackNotifier(TOKEN, url).notify("#ops", "hi")
    assert str(raised.value) == "Slack is rate limiting messages. Try again in 7 seconds."


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable"])
def test_slacks_own_errors_say_try_again(sandbox, notifier, error):
    # Given Slack failing on its side, answered as ok:false
    sandbox.fail_next(error)

    # When posted / Then retrying is the advice
    with pytest.raises(MessagingUnavailable) as raised:
        notifier.notify("#ops", "hi")
    assert str(raised.value) == f"Slack could not take the message ({error}). Try again."


@pytest.mark.parametrize("status", [500, 503])
def test_http_5xx_pages_say_try_again(sandbox, notifier, status):
    # Given Slack's gateway answering with an HTML error page
    sandbox.fail_next("upstream", status=status)

    # When posted / Then the status is named and retrying is the advice
    with pytest.raises(MessagingUnavailable) as raised:
        notifier.notify("#ops", "hi")
    assert str(raised.value) == f"Slack could not take the message (HTTP {status}). Try again."


def test_an_unknown_method_path_is_reported_with_slacks_error(base_url):
    # Given a notifier pointed at the wrong prefix (Slack answers 404 unknown_method)
    notifier = SlackNotifier(TOKEN, f"{base_url}/slack/api")

    # When it posts / Then Slack's error code is passed on
    with pytest.raises(MessagingUnavailable, match=r"\(unknown_method\)"):
        notifier.notify("#ops", "hi")


@pytest.mark.parametrize(
    ("status", "body"), [(200, "<html>hello</html>"), (200, '["ok"]'), (404, "")]
)
def test_an_answer_that_is_not_slacks_json_is_unavailable(status, body):
    # Given something answering that is not Slack's API
    @Request.application
    def other(request: Request) -> Response:
        return Response(body, status=status)

    # When posted / Then it is a passing problem with the status named
    with (
        serve(other) as url,
        pytest.raises(MessagingUnavailable, match=f"unexpected \\(HTTP {status}\\)"),
    ):
        SlackNotifier(TOKEN, url).notify("#ops", "hi")


def test_ok_true_without_a_ts_is_not_a_success():
    # Given an answer that claims ok but carries no ts
    @Request.application
    def odd(request: Request) -> Response:
        return Response('{"ok": true}', mimetype="application/json")

    # When posted / Then no empty ts is handed back as a success
    with serve(odd) as url, pytest.raises(MessagingUnavailable, match="http_200"):
        SlackNotifier(TOKEN, url).notify("#ops", "hi")


def test_unreachable_slack_says_try_again():
    # Given nothing listening on the port
    notifier = SlackNotifier(TOKEN, f"http://127.0.0.1:{free_port()}", timeout=1)

    # When posted / Then it is a passing problem
    with pytest.raises(MessagingUnavailable, match=r"Slack could not be reached\. Try again\."):
        notifier.notify("#ops", "hi")


def test_a_slow_slack_times_out_as_unavailable():
    # Given a Slack that does not answer within the notifier's timeout
    release = threading.Event()

    @Request.application
    def slow(request: Request) -> Response:
        release.wait(5)
        return Response('{"ok": true, "ts": "1.000001"}', mimetype="application/json")

    with serve(slow) as url:
        notifier = SlackNotifier(TOKEN, url, timeout=0.2)

        # When posted / Then it is a passing problem
        try:
            with pytest.raises(MessagingUnavailable, match="could not be reached"):
                notifier.notify("#ops", "hi")
        finally:
            release.set()  # let the handler finish so the server stops at once


# -- Escaping and the session outcome message -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("A & B", "A &amp; B"),
        ("<!channel> <@U1>", "&lt;!channel&gt; &lt;@U1&gt;"),
        ("&amp;", "&amp;amp;"),
        ("*bold* _it_ #ops", "*bold* _it_ #ops"),
    ],
)
def test_slack_escape_replaces_exactly_slacks_three_control_characters(text, escaped):
    # Given text / When escaped / Then &, < and > are entities and nothing else changes
    assert slack_escape(text) == escaped


def test_slack_link_keeps_the_url_whole():
    # Given a URL with &, | and > in it, and a label with markup
    link = slack_link("https://c.test/a?b=1&c=x|y>z", "<Open> & go")

    # When made a mrkdwn link / Then only the label's pipe-free text follows the one pipe
    assert link == "<https://c.test/a?b=1&amp;c=x%7Cy%3Ez|&lt;Open&gt; &amp; go>"
    assert link.count("|") == 1


def test_outcome_message_states_status_customer_time_and_link():
    # Given a completed session
    # When its message is built
    text, blocks = outcome()

    # Then the fallback text and the blocks say who, what and when, with the console link
    assert text == (
        "Northside Plumbing: Completed, reschedule for Casey Jones (Tue 3 Jun, 9:00-11:00)."
    )
    assert blocks == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Completed*: reschedule for *Casey Jones*"},
            "fields": [{"type": "mrkdwn", "text": "*When*\nTue 3 Jun, 9:00-11:00"}],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Northside Plumbing · "
                    "<https://console.test/sessions/s-1?tab=timeline&amp;x=1|Open in console>",
                }
            ],
        },
    ]


def test_outcome_message_adds_the_reason_when_there_is_one():
    # Given a failed session with a reason
    text, blocks = outcome(status_label="Failed", reason="The appointment changed elsewhere.")

    # When built / Then the reason is in the text and a field of its own
    assert text.endswith("Reason: The appointment changed elsewhere.")
    assert blocks[0]["fields"] == [
        {"type": "mrkdwn", "text": "*When*\nTue 3 Jun, 9:00-11:00"},
        {"type": "mrkdwn", "text": "*Reason*\nThe appointment changed elsewhere."},
    ]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_outcome_message_without_a_reason_has_no_reason_field(reason):
    # Given no reason, or a blank one / When built / Then there is no empty reason
    text, blocks = outcome(reason=reason)
    assert "Reason" not in text
    assert len(blocks[0]["fields"]) == 1


def test_outcome_message_escapes_every_value():
    # Given names that hold Slack's control characters
    text, blocks = outcome(
        business_name="A & B <Plumbing>",
        customer_name="<!channel> Jo",
        status_label="Failed <x>",
        when_text="9 > 8",
        reason="<https://evil.test|click me>",
    )
    rendered = str(blocks)

    # When built / Then no mention or link can come from the values, and & reads as &
    assert "<!channel>" not in text + rendered
    assert "<https://evil.test" not in text + rendered
    assert "&lt;!channel&gt; Jo" in text
    assert "A &amp; B &lt;Plumbing&gt;" in text
    assert "*Failed &lt;x&gt;*" in blocks[0]["text"]["text"]
    fields = [field["text"] for field in blocks[0]["fields"]]
    assert fields == ["*When*\n9 &gt; 8", "*Reason*\n&lt;https://evil.test|click me&gt;"]


def test_outcome_message_cuts_long_values_before_escaping_and_keeps_one_line():
    # Given a reason far over the limit, made of characters that escape to five
    text, _ = outcome(reason="&" * (VALUE_LIMIT * 3), customer_name="Casey\n  Jones")

    # When built / Then the reason is cut to the limit, never inside an entity
    reason = text.split("Reason: ")[1]
    assert reason == "&amp;" * (VALUE_LIMIT - 1) + "…"
    assert "Casey Jones" in text


def test_the_worst_case_outcome_message_is_accepted_by_slack(sandbox, notifier):
    # Given every value at its longest, made of characters that escape to five
    long = "<" * (VALUE_LIMIT * 2)
    text, blocks = outcome(
        business_name=long, customer_name=long, status_label=long, when_text=long, reason=long
    )

    # When posted to the sandbox, which checks Block Kit's length limits
    ts = notifier.notify("#ops", text, blocks)

    # Then Slack would take it as it is
    assert sandbox.posts()[0]["ts"] == ts


def test_the_outcome_message_reads_right_on_the_dev_page(sandbox, notifier):
    # Given an outcome whose values hold markup
    text, blocks = outcome(customer_name="<b>Casey</b> & co", reason="a <i>b</i>")
    notifier.notify("#ops", text, blocks)

    # When the sandbox's page renders it
    page = Client(sandbox).get("/dev/slack/page").get_data(as_text=True)

    # Then the values read as typed, inert, and the console link works
    assert "<strong>&lt;b&gt;Casey&lt;/b&gt; &amp; co</strong>" in page
    assert "a &lt;i&gt;b&lt;/i&gt;" in page
    assert '<a href="https://console.test/sessions/s-1?tab=timeline&amp;x=1"' in page
