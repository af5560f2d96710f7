"""A local stand-in for Slack's Web API method `chat.postMessage`.

The app posts with `reschedule_dispatch.adapters.slack_notifier.SlackNotifier`; locally its
base URL points here. The sandbox answers `POST /api/chat.postMessage` the way Slack
documents it: HTTP 200 with `{"ok": true, "channel", "ts", "message"}`, or
`{"ok": false, "error": ...}` for a missing token (not_authed), a wrong one (invalid_auth),
an unknown channel (channel_not_found), no text (no_text), a text over 40,000 characters
(msg_too_long) or blocks that break Block Kit's rules (invalid_blocks,
invalid_blocks_format). A JSON body without a charset gets Slack's missing_charset warning.
Bodies may be JSON (token in the Authorization header) or form-encoded (token as a field
too), as in Slack.

Channels: by default any "#name" or channel id ("C…") exists, and anything else is
channel_not_found; pass `channels=` to allow only those. Names get a stable fake id, which
is what Slack answers in `channel`.

Nothing reaches Slack: posts are kept in memory and shown on `/dev/slack/page` (a browser
view) and `/dev/slack` (JSON for tests). `fail_next(error)` makes the next calls fail like
Slack does (ratelimited with HTTP 429 and Retry-After, internal_error, a 503...).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from local.clock import real_now
from local.sandbox_base import Sandbox, dev_page, json_response, latest_first

logger = logging.getLogger(__name__)

API_PATH = "/api/"
POST_MESSAGE = "chat.postMessage"
MAX_TEXT_CHARS = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
BOT_USER_ID = "U0SANDBOXBT"
BOT_ID = "B0SANDBOXBT"
APP_ID = "A0SANDBOXAP"
TEAM_ID = "T0SANDBOXTM"

_CHANNEL_NAME = re.compile(r"#[a-z0-9][a-z0-9_-]{0,79}")
_CHANNEL_ID = re.compile(r"C[A-Z0-9]{8,}")
_TEXT_TYPES = frozenset({"mrkdwn", "plain_text"})


def channel_id(name: str) -> str:
    """The stable fake id of a channel name: "#ops" → "C" + 10 hex digits, upper case."""
    digest = hashlib.sha256(name.lstrip("#").lower().encode()).hexdigest()
    return "C" + digest[:10].upper()


class SlackError(Exception):
    """An answer of `{"ok": false, "error": ...}` (HTTP 200 unless Slack says otherwise)."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        detail: list[str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error, self.status, self.headers, self.detail = error, status, headers or {}, detail

    def response(self) -> Response:
        if self.status >= 500:  # Slack's gateway answers 5xx with a page, not the API's JSON
            page = f"<html><body><h1>{self.status}</h1>{html.escape(self.error)}</body></html>"
            return Response(page, status=self.status, headers=self.headers, mimetype="text/html")
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.detail:
            body["errors"] = self.detail
            body["response_metadata"] = {"messages": [f"[ERROR] {d}" for d in self.detail]}
        return json_response(body, self.status, self.headers)


@dataclass(frozen=True)
class _Failure:
    error: str
    status: int
    retry_after: int | None


class SlackSandbox(Sandbox):
    """WSGI app imitating Slack's chat.postMessage plus two dev pages (mounting: see
    `sandbox_base`).

    It takes the requests for which `handles(path)` is true: paths under `prefix` (point the
    notifier at `http://host:port{prefix}`), `{dev_prefix}/slack` and `{dev_prefix}/slack/page`.

    Args:
        bot_token: the token the app must present ("Authorization: Bearer xoxb-...").
        prefix: mount point of the API, e.g. "/slack" (the API is then /slack/api/...).
        dev_prefix: mount point of the dev pages.
        channels: the channels that exist, as "#names" or ids; None: every "#name" and id.
        bot_name: the name the dev page shows on the app's posts.
    """

    DEV_PAGES = ("/slack", "/slack/page")
    ERROR = SlackError

    def __init__(
        self,
        bot_token: str,
        *,
        prefix: str = "/slack",
        dev_prefix: str = "/dev",
        channels: Iterable[str] | None = None,
        bot_name: str = "Reschedule Dispatch",
        clock: Callable[[], datetime] = real_now,
    ) -> None:
        self.bot_token = bot_token
        super().__init__(prefix, dev_prefix, clock)
        self.channels = None if channels is None else frozenset(_key(c) for c in channels)
        self.bot_name = bot_name
        self._lock = threading.Lock()
        self._posts: list[dict[str, Any]] = []
        self._failures: list[_Failure] = []
        self._last_ts_us = 0

    # -- Python API -------------------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Posts, oldest first, optionally only one channel's: its id, "#name" or "name"."""
        with self._lock:
            found = [dict(post) for post in self._posts]
        return [p for p in found if channel is None or _post_in(p, channel)]

    def reset(self) -> None:
        """Forget every post and every armed failure."""
        with self._lock:
            self._posts.clear()
            self._failures.clear()

    def fail_next(
        self,
        error: str,
        *,
        status: int | None = None,
        count: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` authenticated calls with `{"ok": false, "error": error}`.

        `status` defaults to 429 for "ratelimited" (with Retry-After: `retry_after`, else 1,
        as Slack sends for chat.postMessage) and 200 otherwise; 5xx answers are HTML pages.
        """
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        if code == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures.extend([_Failure(error, code, retry_after)] * count)

    # -- WSGI -------------------------------------------------------------------------------

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == self.dev_prefix + "/slack" and request.method == "GET":
            return json_response(self.posts(request.args.get("channel")), 200)
        if path == self.dev_prefix + "/slack/page" and request.method == "GET":
            return self._page(request.args.get("channel"))
        if path == self.prefix + API_PATH + POST_MESSAGE:
            if request.method != "POST":
                raise SlackError("method_not_supported_for_channel_type", status=405)
            return self._post_message(request)
        raise SlackError("unknown_method", status=404)

    # -- chat.postMessage -------------------------------------------------------------------

    def _post_message(self, request: Request) -> Response:
        is_json = request.mimetype == "application/json"
        arguments: dict[str, Any] = _json_arguments(request) if is_json else dict(request.form)
        self._authenticate(request, None if is_json else arguments.get("token"))
        self._maybe_fail()

        requested = arguments.get("channel")
        if not isinstance(requested, str) or not self._exists(requested):
            raise SlackError("channel_not_found")
        text = arguments.get("text")
        text = text if isinstance(text, str) else ""
        blocks = _blocks(arguments.get("blocks"), from_form=not is_json)
        if not text.strip() and not blocks:
            raise SlackError("no_text")
        if len(text) > MAX_TEXT_CHARS:
            raise SlackError("msg_too_long")

        resolved = requested if _CHANNEL_ID.fullmatch(requested) else channel_id(requested)
        missing_charset = is_json and "charset" not in request.mimetype_params
        warnings = ["missing_charset"] if missing_charset else []
        with self._lock:
            # ts is the message's id: epoch seconds with 6 digits, unique within a channel.
            posted_us = int(self.clock().timestamp() * 1_000_000)
            self._last_ts_us = max(posted_us, self._last_ts_us + 1)
            ts = f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"
            message: dict[str, Any] = {
                "user": BOT_USER_ID,
                "type": "message",
                "ts": ts,
                "bot_id": BOT_ID,
                "app_id": APP_ID,
                "text": text,
                "team": TEAM_ID,
            }
            if blocks:
                message["blocks"] = blocks
            self._posts.append(
                {
                    "channel": resolved,
                    "channel_name": None if requested == resolved else requested,
                    "ts": ts,
                    "text": text,
                    "blocks": blocks,
                    "warnings": warnings,
                    "posted_at": self.clock().isoformat(timespec="milliseconds"),
                }
            )
        logger.info("Slack post %s to %s", ts, requested)
        body: dict[str, Any] = {"ok": True, "channel": resolved, "ts": ts, "message": message}
        if warnings:  # Slack still posts, and says what it guessed
            body["warning"] = ",".join(warnings)
            body["response_metadata"] = {"warnings": warnings}
        return json_response(body, 200)

    def _authenticate(self, request: Request, form_token: object) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            token = form_token if isinstance(form_token, str) else ""
        if not token.strip():
            raise SlackError("not_authed")
        if not hmac.compare_digest(token.strip(), self.bot_token):
            raise SlackError("invalid_auth")

    def _maybe_fail(self) -> None:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            raise SlackError(failure.error, failure.status, headers)

    def _exists(self, channel: str) -> bool:
        if self.channels is not None:
            return _key(channel) in self.channels
        return bool(_CHANNEL_NAME.fullmatch(channel) or _CHANNEL_ID.fullmatch(channel))

    # -- Dev page ---------------------------------------------------------------------------

    def _page(self, channel: str | None) -> Response:
        channels = latest_first(self.posts(channel), lambda post: post["channel"])
        return dev_page(
            title="Sandbox Slack",
            about="Posts sent through the local Slack sandbox.",
            refresh_seconds=5,
            style=_STYLE,
            cards=(self._channel_card(posts) for _, posts in channels),
            empty=f"No posts yet in {channel}." if channel else "No posts yet.",
            all_link=(f"{self.dev_prefix}/slack/page", "All channels") if channel else None,
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "Referrer-Policy": "no-referrer",
            },
            simulated_now=self.simulated_now(),
        )

    def _channel_card(self, posts: list[dict[str, Any]]) -> str:
        first = posts[0]
        name = next((p["channel_name"] for p in posts if p["channel_name"]), None)
        title = html.escape(name or first["channel"])
        items = []
        for post in posts:  # oldest first, newest at the bottom, like a channel
            body = render_blocks(post["blocks"]) if post["blocks"] else mrkdwn_to_html(post["text"])
            fallback = (
                f'<div class="fallback">Notification: {mrkdwn_to_html(post["text"])}</div>'
                if post["blocks"] and post["text"]
                else ""
            )
            items.append(
                f'<article class="post" data-ts="{html.escape(post["ts"])}">'
                f'<div class="who"><strong>{html.escape(self.bot_name)}</strong> '
                f'<span class="app">APP</span> <time datetime="{html.escape(post["posted_at"])}">'
                f"{html.escape(post['posted_at'][11:19])} UTC</time></div>"
                f'<div class="body">{body}</div>{fallback}</article>'
            )
        return (
            f'<section class="channel" data-channel="{html.escape(first["channel"])}">'
            f"<header><h2>{title}</h2>"
            f'<span class="count">{len(posts)} post{"s" if len(posts) != 1 else ""}</span>'
            f"</header>{''.join(items)}</section>"
        )


def _key(channel: str) -> str:
    """How a channel is compared: ids as they are, names lower case with one leading #."""
    channel = channel.strip()
    return channel if _CHANNEL_ID.fullmatch(channel) else "#" + channel.lstrip("#").lower()


def _post_in(post: dict[str, Any], channel: str) -> bool:
    # Names map to ids, so a post to "#ops" and one to its id are one channel's.
    # "?channel=#ops" in a URL is a fragment, so "ops" (no #) is accepted as well.
    wanted = _key(channel)
    posted_to: str = post["channel"]
    return posted_to == (wanted if _CHANNEL_ID.fullmatch(wanted) else channel_id(wanted))


def _json_arguments(request: Request) -> dict[str, Any]:
    try:
        arguments = json.loads(request.get_data(cache=False) or b"{}")
    except ValueError as error:
        raise SlackError("invalid_json") from error
    if not isinstance(arguments, dict):
        raise SlackError("invalid_json")
    return arguments


def _blocks(raw: object, *, from_form: bool) -> list[dict[str, Any]]:
    """The blocks argument checked against Block Kit's main rules; [] when absent."""
    if raw is None or raw == "":
        return []
    if from_form and isinstance(raw, str):  # form bodies carry blocks as a JSON string
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise SlackError("invalid_blocks_format") from error
    if not isinstance(raw, list) or not all(isinstance(block, dict) for block in raw):
        raise SlackError("invalid_blocks_format")
    problems = []
    if len(raw) > MAX_BLOCKS:
        problems.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(raw):
        problems += _block_problems(block, f"/blocks/{index}")
    if problems:
        raise SlackError("invalid_blocks", detail=problems)
    return raw


def _block_problems(block: dict[str, Any], pointer: str) -> list[str]:
    kind = block.get("type")
    if kind == "divider":
        return []
    if kind == "header":
        return _text_problems(block.get("text"), f"{pointer}/text", MAX_HEADER_TEXT, {"plain_text"})
    if kind == "section":
        problems = []
        if "text" not in block and "fields" not in block:
            problems.append(f"must provide text or fields [json-pointer:{pointer}]")
        if "text" in block:
            problems += _text_problems(block["text"], f"{pointer}/text", MAX_SECTION_TEXT)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
            problems.append(f"must be an array of at most 10 items [json-pointer:{pointer}/fields]")
        else:
            for i, field in enumerate(fields):
                problems += _text_problems(field, f"{pointer}/fields/{i}", MAX_FIELD_TEXT)
        return problems
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            return [f"must be an array of 1 to 10 items [json-pointer:{pointer}/elements]"]
        problems = []
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                continue
            problems += _text_problems(element, f"{pointer}/elements/{i}", MAX_SECTION_TEXT)
        return problems
    if kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ACTIONS_ELEMENTS:
            return [f"must be an array of 1 to 25 items [json-pointer:{pointer}/elements]"]
        return []
    if kind == "image":
        if not block.get("image_url") or not block.get("alt_text"):
            return [f"must provide image_url and alt_text [json-pointer:{pointer}]"]
        return []
    return [f"unsupported type `{kind}` [json-pointer:{pointer}/type]"]


def _text_problems(
    obj: object, pointer: str, limit: int, types: frozenset[str] | set[str] = _TEXT_TYPES
) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in types:
        allowed = " or ".join(sorted(types))
        return [f"must be a text object of type {allowed} [json-pointer:{pointer}]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]"]
    return []


# -- Rendering mrkdwn and blocks as HTML -------------------------------------------------------

_TOKEN = re.compile(r"<([^<>\n]*)>")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w])_([^_\n]+)_(?![\w])")
_STRIKE = re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])")
_SPECIAL_MENTIONS = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def slack_unescape(text: str) -> str:
    """Slack's three entities back to characters (&amp; last, so "&amp;lt;" stays "&lt;")."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_to_html(text: str) -> str:
    """HTML for Slack mrkdwn, the way Slack reads it: <...> tokens are links and mentions,
    the rest is text with Slack's entities, and *bold*, _italic_, ~strike~ and `code`.

    Everything is HTML-escaped before any tag is added, so the only markup on the page is
    the sandbox's own; links are made only of http(s) and mailto URLs.
    """
    parts = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(_plain_to_html(text[position : match.start()]))
        parts.append(_token_to_html(match.group(1)))
        position = match.end()
    parts.append(_plain_to_html(text[position:]))
    return "".join(parts)


def _plain_to_html(segment: str) -> str:
    escaped = html.escape(slack_unescape(segment), quote=True)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _ITALIC.sub(r"<em>\1</em>", escaped)
    return _STRIKE.sub(r"<s>\1</s>", escaped)


def _token_to_html(inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith(("http://", "https://", "mailto:")):
        url = slack_unescape(target)
        shown = slack_unescape(label) if label else url
        return (
            f'<a href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(shown)}</a>'
        )
    if target.startswith(("@", "#")):
        return f'<span class="mention">{html.escape(target[0] + slack_unescape(label or target[1:]))}</span>'
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        shown = _SPECIAL_MENTIONS.get(name) or slack_unescape(label) or name
        return f'<span class="mention">{html.escape(shown)}</span>'
    return html.escape(f"<{slack_unescape(inner)}>")


def _text_to_html(obj: dict[str, Any]) -> str:
    text = str(obj.get("text", ""))
    return mrkdwn_to_html(text) if obj.get("type") == "mrkdwn" else html.escape(text)


def render_blocks(blocks: list[dict[str, Any]]) -> str:
    """HTML for Block Kit blocks; images show their alt text (the page loads nothing)."""
    out = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            out.append(f'<h3 class="header">{html.escape(str(block["text"]["text"]))}</h3>')
        elif kind == "divider":
            out.append("<hr>")
        elif kind == "section":
            section = (
                f'<div class="text">{_text_to_html(block["text"])}</div>' if "text" in block else ""
            )
            fields = "".join(
                f'<div class="field">{_text_to_html(field)}</div>'
                for field in block.get("fields", [])
            )
            out.append(f'<div class="section">{section}<div class="fields">{fields}</div></div>')
        elif kind == "context":
            elements = [
                html.escape(f"[{element.get('alt_text', 'image')}]")
                if element.get("type") == "image"
                else _text_to_html(element)
                for element in block["elements"]
            ]
            out.append(f'<div class="context">{" ".join(elements)}</div>')
        elif kind == "actions":
            buttons = []
            for element in block["elements"]:
                label = html.escape(str(element.get("text", {}).get("text", "button")))
                url = str(element.get("url", ""))
                if url.startswith(("http://", "https://")):
                    buttons.append(
                        f'<a class="button" href="{html.escape(url, quote=True)}" '
                        f'target="_blank" rel="noopener noreferrer">{label}</a>'
                    )
                else:
                    buttons.append(f'<span class="button">{label}</span>')
            out.append(f'<div class="actions">{"".join(buttons)}</div>')
        elif kind == "image":
            out.append(
                f'<div class="context">{html.escape("[" + str(block["alt_text"]) + "]")}</div>'
            )
    return "".join(out)


_STYLE = """\
  body { margin: 0; padding: 24px 12px; background: #f4ede4; color: #1d1c1d;
    font: 15px/1.46 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; }
  .sub { text-align: center; color: #616061; font-size: 13px; margin: 0 0 20px; }
  main { max-width: 760px; margin: 0 auto; display: flex; flex-direction: column; gap: 24px; }
  .channel { background: #fff; border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.08);
    overflow: hidden; }
  .channel header { display: flex; justify-content: space-between; align-items: baseline;
    padding: 10px 16px; border-bottom: 1px solid #e8e8e8; }
  .channel h2 { font-size: 16px; margin: 0; }
  .count { font-size: 12px; color: #616061; }
  .post { padding: 10px 16px; border-bottom: 1px solid #f2f2f2; }
  .post:last-child { border-bottom: 0; }
  .who { font-size: 14px; }
  .app { font-size: 10px; background: #e8e8e8; color: #616061; border-radius: 3px;
    padding: 0 4px; font-weight: 700; }
  time { font-size: 12px; color: #616061; }
  .body { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 2px; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
  .context { font-size: 12px; color: #616061; margin-top: 4px; }
  .fallback { font-size: 11px; color: #8a8a8a; margin-top: 6px; white-space: pre-wrap; }
  .mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
  .button { display: inline-block; border: 1px solid #bbb; border-radius: 4px;
    padding: 2px 10px; margin: 4px 6px 0 0; font-size: 13px; color: #1d1c1d;
    text-decoration: none; }
  a { color: #1264a3; }
  code { background: #f6f6f6; border: 1px solid #e1e1e1; border-radius: 3px; padding: 0 3px;
    color: #c01343; }
  .header { font-size: 17px; margin: 4px 0; }
  .empty { text-align: center; color: #616061; }
"""
