"""What the local service sandboxes (Twilio, SendGrid, Slack) share: WSGI plumbing.

A sandbox answers its API under `prefix` and a few dev pages under `dev_prefix`. Paths are
matched on SCRIPT_NAME + PATH_INFO, so forwarding the environ untouched and mounting with
werkzeug's DispatcherMiddleware both work. Errors the API answers are raised as the
sandbox's own exception type, which knows its response.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class AnswerableError(Protocol):
    def response(self) -> Response: ...


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

    def __init__(self, prefix: str, dev_prefix: str) -> None:
        self.prefix = mount_point(prefix)
        self.dev_prefix = mount_point(dev_prefix)

    def handles(self, path: str) -> bool:
        """Whether a gateway should route `path` here."""
        api = self.prefix == "" or path == self.prefix or path.startswith(self.prefix + "/")
        return api or path in {self.dev_prefix + page for page in self.DEV_PAGES}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
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
