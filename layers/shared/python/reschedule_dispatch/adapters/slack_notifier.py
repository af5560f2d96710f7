"""Slack staff notifications: Web API `chat.postMessage` over pooled HTTP (json_http), optionally aimed at a
sandbox, plus the message a session's outcome posts.

It implements the staff notification port (`StaffNotifier.session_ended` in
`domain/ports.py`) with `notify`, which posts any text to a channel ("#ops" or an id) and
returns the message's ts.

One JSON POST is the whole API surface, so the standard library does it and the dependency
layer stays small. Slack answers HTTP 200 with `{"ok": false, "error": ...}` for most
failures; those and HTTP 429 (with Retry-After) are mapped to domain errors:

* channel problems (not found, app not in it, archived) and rejected messages →
  `Unprocessable`; posting again cannot help.
* token problems (not_authed, invalid_auth, revoked...) → `MessagingUnavailable`, saying
  what to check.
* rate limits, Slack's own errors, 5xx, timeouts → `MessagingUnavailable`, saying to try
  again (after Retry-After seconds when Slack says).
"""

from __future__ import annotations

from typing import Any

from reschedule_dispatch.adapters.json_http import (
    Headers,
    endpoint,
    json_object,
    post_json,
    retry_after_seconds,
)
from reschedule_dispatch.domain.errors import MessagingUnavailable, Unprocessable
from reschedule_dispatch.domain.ports import SessionOutcome
from reschedule_dispatch.texts import Text, text

SLACK_API_ORIGIN = "https://slack.com"
POST_MESSAGE_PATH = "/api/chat.postMessage"
DEFAULT_TIMEOUT_SECONDS = 10.0

CHANNEL_ERRORS = {
    "channel_not_found": "The Slack channel {channel} was not found.",
    "not_in_channel": "The Slack app is not in {channel}: invite it to the channel.",
    "is_archived": "The Slack channel {channel} is archived.",
}
MESSAGE_ERRORS = frozenset(
    {
        "no_text",
        "msg_too_long",
        "invalid_blocks",
        "invalid_blocks_format",
        "too_many_attachments",
        "invalid_arguments",
        "invalid_form_data",
        "invalid_json",
    }
)
TOKEN_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "access_denied",
        "ekm_access_denied",
        "restricted_action",
    }
)
RATE_LIMIT_ERRORS = frozenset({"ratelimited", "rate_limited"})


class SlackNotifier:
    """Posts messages with a bot token (scope chat:write).

    Args:
        bot_token: the app's bot token ("xoxb-..."), sent as a Bearer token.
        api_base_url: where to send instead of https://slack.com, e.g. the local sandbox at
            "http://127.0.0.1:8000/slack"; the path /api/chat.postMessage is appended.
        timeout: seconds to wait for the connection and for the answer.
    """

    def __init__(
        self,
        bot_token: str,
        api_base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._url = endpoint(api_base_url, SLACK_API_ORIGIN, POST_MESSAGE_PATH)
        self._bot_token = bot_token
        self._timeout = timeout

    def session_ended(self, channel: str, outcome: SessionOutcome) -> str:
        """The StaffNotifier port: a session's outcome, as mrkdwn text and Block Kit."""
        text, blocks = session_outcome_message(
            outcome.business_name,
            outcome.customer_name,
            outcome.status_label,
            outcome.when_text,
            outcome.reason,
            outcome.console_url,
        )
        return self.notify(channel, text, blocks)

    def notify(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post `text` (mrkdwn; with `blocks`, the notification fallback) to `channel`;
        return the message's `ts`."""
        payload: dict[str, Any] = {
            "channel": channel,
            "text": text,
            # Previews of the console link would only clutter the channel.
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if blocks:
            payload["blocks"] = blocks
        status, headers, body = self._post(payload)
        if status == 429:
            raise _rate_limited(retry_after_seconds(headers))
        if status >= 500:
            raise MessagingUnavailable(
                f"Slack could not take the message (HTTP {status}). Try again."
            )
        answer = json_object(body)
        if answer is None:
            raise MessagingUnavailable(
                f"Slack answered something unexpected (HTTP {status}). Try again."
            )
        if answer.get("ok") is True and answer.get("ts"):
            return str(answer["ts"])
        raise _error_for(str(answer.get("error") or f"http_{status}"), channel, headers)

    def _post(self, payload: dict[str, Any]) -> tuple[int, Headers, bytes]:
        return post_json(
            self._url,
            self._bot_token,
            payload,
            self._timeout,
            unreachable="Slack could not be reached. Try again.",
            # Without the charset Slack answers with a missing_charset warning.
            content_type="application/json; charset=utf-8",
        )


def _error_for(error: str, channel: str, headers: Headers) -> Exception:
    """The domain error for Slack's `{"ok": false, "error": error}`."""
    if error in CHANNEL_ERRORS:
        return Unprocessable(CHANNEL_ERRORS[error].format(channel=channel))
    if error in MESSAGE_ERRORS:
        return Unprocessable(f"Slack rejected the message ({error}).")
    if error in TOKEN_ERRORS:
        return MessagingUnavailable(
            f"Slack refused the app's token ({error}). Check the Slack settings."
        )
    if error in RATE_LIMIT_ERRORS:
        return _rate_limited(retry_after_seconds(headers))
    return MessagingUnavailable(f"Slack could not take the message ({error}). Try again.")


def _rate_limited(delay: int | None) -> MessagingUnavailable:
    when = f"in {delay} seconds" if delay is not None else "in a minute"
    return MessagingUnavailable(f"Slack is rate limiting messages. Try again {when}.")


# -- The message for a session's outcome ------------------------------------------------------

VALUE_LIMIT = 200
"""Names, times and reasons are cut to this many characters before escaping (so never
inside an `&amp;`). Escaped, at most five times longer, they stay inside Slack's limits:
3000 characters for a section's or context's text, 2000 for a field's."""


def slack_escape(text: str) -> str:
    """Text made inert for Slack's mrkdwn: &, < and > are Slack's control characters
    (links, mentions such as <!channel>), so they become &amp;, &lt; and &gt;. Nothing else
    is escaped: Slack asks for exactly these three, and never the whole text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>`. In the URL, `&` is entity-escaped like any text, and
    `<`, `>` and `|` (which would end the URL early) are percent-encoded."""
    safe_url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{slack_escape(label)}>"


def _cut(value: str, limit: int = VALUE_LIMIT) -> str:
    value = " ".join(value.split())  # one line: a newline would break the layout
    return value if len(value) <= limit else value[: limit - 1] + "…"


def session_outcome_message(
    business_name: str,
    customer_name: str,
    status_label: str,
    when_text: str,
    reason: str | None,
    console_url: str,
) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and Block Kit blocks that tell staff how a session ended.

    Every value is escaped for mrkdwn, so a customer named "<!channel>" cannot ping the
    channel and "A & B Plumbing" shows as written. The console link is a mrkdwn link rather
    than a button: link buttons still send interaction payloads, which this app does not
    handle. The customer's own link is never part of it.
    """
    business, customer = slack_escape(_cut(business_name)), slack_escape(_cut(customer_name))
    status, when = slack_escape(_cut(status_label)), slack_escape(_cut(when_text))
    why = slack_escape(_cut(reason)) if reason and reason.strip() else None
    language = "en"  # staff read English: a business has no staff language yet
    label = text(Text.SLACK_OPEN_IN_CONSOLE, language)
    link = slack_link(console_url, label) if console_url else None

    summary = text(
        Text.SLACK_SUMMARY, language, business=business, status=status, customer=customer, when=when
    )
    if why:
        summary += " " + text(Text.SLACK_SUMMARY_REASON, language, reason=why)
    fields = [{"type": "mrkdwn", "text": text(Text.SLACK_WHEN, language, when=when)}]
    if why:
        fields.append({"type": "mrkdwn", "text": text(Text.SLACK_REASON, language, reason=why)})
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": text(Text.SLACK_HEADLINE, language, status=status, customer=customer),
            },
            "fields": fields,
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"{business} · {link}" if link else business}],
        },
    ]
    return summary, blocks
