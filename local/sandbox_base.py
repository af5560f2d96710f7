"""What the local service sandboxes (Twilio, SendGrid, Slack) share: WSGI plumbing and the
frame of their dev pages.

A sandbox answers its API under `prefix` and a few dev pages under `dev_prefix`. Paths are
matched on SCRIPT_NAME + PATH_INFO, so forwarding the environ untouched and mounting with
werkzeug's DispatcherMiddleware both work. Errors the API answers are raised as the
sandbox's own exception type, which knows its response.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, TypeVar

from werkzeug.wrappers import Request, Response

from local.clock import SIMULATED_AFTER, real_now

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def mount_point(prefix: str) -> str:
    """'/twilio/' -> '/twilio'; '' or '/' -> '' (mounted at the root)."""
    return "/" + prefix.strip("/") if prefix.strip("/") else ""


def json_response(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


class Sandbox:
    # Paths under dev_prefix this sandbox serves, e.g. ("/phone", "/sms").
    DEV_PAGES: ClassVar[tuple[str, ...]] = ()
    # The exception type its API answers with (it has `.response()`).
    ERROR: ClassVar[type[Exception]] = Exception

    def __init__(
        self, prefix: str, dev_prefix: str, clock: Callable[[], datetime] = real_now
    ) -> None:
        self.prefix = mount_point(prefix)
        # Its "now" (timestamps, a fake's today): the local stack's clock, which may be set.
        self.clock = clock
        self.dev_prefix = mount_point(dev_prefix)
        # Requests its API answered (not its dev pages): what a page view cost the provider.
        self.api_requests = 0
        self._counting = threading.Lock()

    def simulated_now(self) -> datetime | None:
        """The clock's time when it is not the real one (its dev pages say so), else None."""
        now = self.clock()
        return now if abs(now - real_now()) >= SIMULATED_AFTER else None

    def handles(self, path: str) -> bool:
        """Whether a gateway should route `path` here."""
        api = self.prefix == "" or path == self.prefix or path.startswith(self.prefix + "/")
        return api or path in {self.dev_prefix + page for page in self.DEV_PAGES}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if self.prefix and (request.root_path + request.path).startswith(self.prefix):
            with self._counting:
                self.api_requests += 1
        try:
            response = self._dispatch(request, request.root_path + request.path)
        except self.ERROR as error:
            response = error.response()  # type: ignore[attr-defined]
        return response(environ, start_response)

    def _dispatch(self, request: Request, path: str) -> Response:
        raise NotImplementedError


_URL = re.compile(r"https?://(?:(?!&quot;|&#x27;|&lt;|&gt;)[^\s<>\"'])+")
_TRAILING_PUNCTUATION = ".,;:!?)]"


def linkify(text: str) -> str:
    """HTML for an SMS body: escaped first, then http(s) URLs turned into links.

    Escaping first means the URL pattern only ever sees inert text; it stops at escaped
    quotes and angle brackets and leaves trailing punctuation out of the link.
    """

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        stripped = url.rstrip(_TRAILING_PUNCTUATION)
        rest = url[len(stripped) :]
        return f'<a href="{stripped}" target="_blank" rel="noopener">{stripped}</a>{rest}'

    return _URL.sub(link, html.escape(text))


# -- Dev pages --------------------------------------------------------------------------------

T = TypeVar("T")


def latest_first(items: Iterable[T], key: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """`items` (oldest first) grouped by `key`, each group oldest first, the group holding
    the latest item first: the order of a messaging app's conversation list."""
    groups: dict[str, list[T]] = {}
    for item in items:
        name = key(item)
        group = groups.pop(name, [])  # put back last: dicts keep insertion order
        group.append(item)
        groups[name] = group
    return list(reversed(groups.items()))


def dev_page(
    *,
    title: str,
    about: str,
    refresh_seconds: int,
    style: str,
    cards: Iterable[str],
    empty: str,
    all_link: tuple[str, str] | None = None,
    script: str = "",
    headers: Mapping[str, str] | None = None,
    simulated_now: datetime | None = None,
) -> Response:
    """A sandbox's browser page: `cards` under a title, reloading itself, never cached.

    `about` says what the page shows; `empty` (plain text) stands in for no cards;
    `all_link` is (href, label) back to the unfiltered page; `style` is the sandbox's own
    CSS and `script` its own JavaScript (a page with a script sends no CSP forbidding it).
    `simulated_now`: the local stack's clock when set away from the real time (a banner).
    """
    content = "\n".join(cards) or f'<p class="empty">{html.escape(empty)}</p>'
    nav = f'<a href="{html.escape(all_link[0])}">{html.escape(all_link[1])}</a>' if all_link else ""
    tail = f"<script>{script}</script>\n" if script else ""
    banner = (
        f'<p class="clock" role="status">Simulated time: {html.escape(clock_text(simulated_now))}'
        ' (<a href="/dev/clock">/dev/clock</a>)</p>'
        if simulated_now
        else ""
    )
    page = _DEV_PAGE.format(
        banner=banner,
        title=html.escape(title),
        about=html.escape(about),
        refresh=refresh_seconds,
        style=_DEV_PAGE_STYLE + style,
        nav=nav,
        content=content,
        tail=tail,
    )
    return Response(
        page,
        content_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


_DEV_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{refresh}">
<title>{title}</title>
<style>
{style}</style>
</head>
<body>
{banner}<h1>{title}</h1>
<p class="sub">{about} Refreshes every {refresh} seconds.</p>
<nav>{nav}</nav>
<main>
{content}
</main>
{tail}</body>
</html>
"""

_DEV_PAGE_STYLE = """\
  * { box-sizing: border-box; }
  h1 { font-size: 18px; margin: 0 0 4px; text-align: center; }
  nav { text-align: center; margin-bottom: 16px; font-size: 13px; }
  .clock { background: #fff3c4; color: #3d2e00; text-align: center; font-size: 13px;
           margin: 0 0 8px; padding: 4px 8px; border-radius: 4px; }
"""


def clock_text(moment: datetime) -> str:
    """'Tue 8 Dec 2026, 16:30 UTC': how the dev pages show the local stack's clock."""
    utc = moment.astimezone(UTC)
    return f"{utc:%a} {utc.day} {utc:%b %Y, %H:%M} UTC"
